//! Policies for the kernel tests, written as statements of the language (one per line)
//! and loaded by the real front end (`polc_lang::load`): the kernel judges the IR the
//! compiler builds, never a second lowering. The text is kept, so a mismatch report can
//! show the policy as written.

use polc_lang::ir::Policy;
use polc_lang::{load, LoadOptions, Source};

/// A policy the front end refuses.
#[derive(Debug, thiserror::Error)]
#[error("line {line} `{text}`: {why}")]
pub struct PolicyError {
    /// 1-based line of the statement (0: the policy's name).
    pub line: usize,
    /// The statement.
    pub text: String,
    /// What is wrong.
    pub why: String,
}

/// A policy with the text it was built from.
#[derive(Clone, Debug)]
pub struct TestPolicy {
    /// The IR.
    pub ir: Policy,
    /// The statements, one per line, as given.
    pub text: String,
    /// For a child policy, its parent's name (`text` is then the parent's).
    pub parent: Option<String>,
}

impl TestPolicy {
    /// The policy as source text (for reports); a child policy's is its parent's.
    pub fn source(&self) -> String {
        let name = self.ir.name.to_string();
        source(self.parent.as_deref().unwrap_or(&name), &self.text)
    }

    /// The child policies (not hats) of this policy, each judged as a policy of its own:
    /// its index in `Policy::children`, its name `PARENT//CHILD` (AppArmor's label for
    /// it), and the child's IR with the parent's text.
    pub fn children(&self) -> Vec<(usize, String, TestPolicy)> {
        let name = self.ir.name.to_string();
        self.ir
            .children
            .iter()
            .enumerate()
            .filter(|(_, c)| c.kind == polc_lang::ir::ChildKind::Child)
            .map(|(i, c)| {
                let child = TestPolicy {
                    ir: c.policy.clone(),
                    text: self.text.clone(),
                    parent: Some(name.clone()),
                };
                (i, format!("{name}//{}", c.policy.name), child)
            })
            .collect()
    }
}

fn source(name: &str, text: &str) -> String {
    let body: String = text.lines().map(|l| format!("    {l}\n")).collect();
    format!("policy {name} {{\n{body}}}\n")
}

/// Build a policy named `policy_name` from statements, one per line (`#` comments and
/// blank lines allowed), through the real front end; its first error is the error.
pub fn build(policy_name: &str, text: &str) -> Result<TestPolicy, PolicyError> {
    let text = text.trim().to_string();
    let src = Source::new("test.pol", source(policy_name, &text));
    match load(&src, &LoadOptions::default()) {
        Ok(l) => Ok(TestPolicy {
            ir: l.policy,
            text,
            parent: None,
        }),
        Err(failed) => {
            let d = failed.diagnostics.iter().find(|d| d.is_error());
            // Line 1 is `policy NAME {`: statement N is line N + 1.
            let line = d
                .and_then(|d| d.primary.as_ref())
                .and_then(|l| src.text.get(..l.span.start))
                .map_or(0, |before| before.matches('\n').count());
            Err(PolicyError {
                line,
                text: text
                    .lines()
                    .nth(line.saturating_sub(1))
                    .unwrap_or(policy_name)
                    .trim()
                    .to_string(),
                why: d.map_or_else(
                    || "the policy does not load".to_string(),
                    |d| format!("{}: {}", d.code.as_str(), d.message),
                ),
            })
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;
    use polc_lang::eval::{evaluate, Request};
    use polc_lang::ir::Mode;
    use polc_lang::rights::Right;

    #[test]
    fn statements_lower_and_merge() {
        let t = build(
            "org.test.a",
            "attach \"/usr/bin/a\"\nallow read \"/d/**\"\nallow write \"/d/**\"\ndeny read \"/d/s\"\n\
             allow exec \"/x\" as org.test.b\nallow net connect tcp 80-81\nallow capability setgid, sys_admin\n\
             allow signal send cont, winch to self\nmode complain\nowns \"/d{,/**}\"",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let p = &t.ir;
        assert_eq!(p.files.len(), 3);
        assert_eq!(p.capabilities.len(), 2);
        assert_eq!(p.signals.first().map(|s| s.signals.len()), Some(2));
        assert_eq!(p.mode, Mode::Complain);
        assert!(evaluate(p, &Request::file("/d/f", Right::Append)).allowed);
        assert!(!evaluate(p, &Request::file("/d/s", Right::Read)).allowed);
        assert_eq!(
            evaluate(p, &Request::file("/x", Right::Exec))
                .exec_as
                .map(|n| n.to_string()),
            Some("org.test.b".into())
        );
        assert!(t.source().starts_with("policy org.test.a {\n    attach"));
    }

    #[test]
    fn bad_statements_are_errors() {
        assert!(build("org.test.a", "allow frobnicate \"/x\"").is_err());
        assert!(build("org.test.a", "allow read \"relative\"").is_err());
        assert!(build("Bad", "").is_err());
    }
}
