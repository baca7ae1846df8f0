//! Built-in abstractions (stub: being implemented).
