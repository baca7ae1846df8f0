//! The front-end pipeline: parse (or read JSON) → check → lower to the IR.
//! (Stub: being implemented.)

use crate::diagnostics::Diagnostic;
use crate::ir;
use std::collections::BTreeMap;

/// A named source text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    /// The name diagnostics and origins use (usually the path as given).
    pub name: String,
    /// The text.
    pub text: String,
}

impl Source {
    /// A source from a name and a text.
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        Source {
            name: name.into(),
            text: text.into(),
        }
    }
}

/// Options of [`load`].
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// Values of install-time variables (`--var NAME=VALUE`); they override `var` defaults.
    pub vars: BTreeMap<String, String>,
    /// Extra abstraction files (from `--abstractions DIR`), searched before the stdlib.
    pub abstractions: Vec<Source>,
}

/// Every source text a load looked at, by name, so diagnostics can be rendered.
#[derive(Clone, Debug, Default)]
pub struct SourceMap {
    /// Name → text.
    pub files: BTreeMap<String, String>,
}

impl SourceMap {
    /// The text of a file, if it was seen.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.files.get(name).map(String::as_str)
    }
}

/// A successful load.
#[derive(Clone, Debug)]
pub struct Loaded {
    /// The policy's meaning.
    pub policy: ir::Policy,
    /// Warnings (never errors).
    pub warnings: Vec<Diagnostic>,
    /// The sources involved.
    pub sources: SourceMap,
}

/// A failed load: every diagnostic found (errors and warnings).
#[derive(Clone, Debug)]
pub struct Failed {
    /// All diagnostics, errors first in source order.
    pub diagnostics: Vec<Diagnostic>,
    /// The sources involved.
    pub sources: SourceMap,
}

/// Load a policy from text (`.pol`) or its JSON form (a name ending in `.json`).
pub fn load(src: &Source, _opts: &LoadOptions) -> Result<Loaded, Failed> {
    let mut sources = SourceMap::default();
    sources.files.insert(src.name.clone(), src.text.clone());
    Err(Failed {
        diagnostics: Vec::new(),
        sources,
    })
}
