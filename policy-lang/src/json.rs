//! The JSON form of policies (stub: being implemented).
