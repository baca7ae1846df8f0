//! # polc
//!
//! A mandatory-access-control policy compiler and enforcement library: one policy
//! language compiled to AppArmor, SELinux or Landlock. This crate is the public facade.
#![warn(missing_docs)]

pub use polc_lang as lang;
pub mod confine;
pub mod store;
