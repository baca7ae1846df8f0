//! # polc-lang: the polc policy language
//!
//! Syntax (nom), syntax tree with spans, checker with stable diagnostics, the IR,
//! the evaluator (the reference semantics), the glob algebra and the formatter.
//!
//! ```
//! use polc_lang::{load, LoadOptions, Source};
//! use polc_lang::eval::{evaluate, Request};
//! use polc_lang::rights::Right;
//!
//! let src = Source::new("app.pol", r#"
//! policy org.example.app {
//!     allow read "/etc/app/**"
//!     deny  read "/etc/app/secret"
//! }
//! "#);
//! let loaded = load(&src, &LoadOptions::default()).map_err(|f| f.diagnostics).unwrap();
//! let d = evaluate(&loaded.policy, &Request::file("/etc/app/config", Right::Read));
//! assert!(d.allowed);
//! let d = evaluate(&loaded.policy, &Request::file("/etc/app/secret", Right::Read));
//! assert!(!d.allowed);
//! ```
#![warn(missing_docs)]

pub mod ast;
mod atom;
pub mod catalog;
pub mod check;
pub mod denial;
pub mod diagnostics;
pub mod diff;
pub mod eval;
pub mod fidelity;
pub mod fmt;
pub mod glob;
pub mod hash;
pub mod ir;
pub mod json;
mod lower;
pub mod rights;
pub mod span;
pub mod stdlib;
pub mod syntax;

mod load;
pub use load::{load, AbstractionDir, Failed, LoadOptions, Loaded, Plug, Source, SourceMap};
