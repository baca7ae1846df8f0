//! The checker (stub: being implemented).
