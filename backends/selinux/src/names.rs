//! Policy names to CIL identifiers.
//!
//! A policy `org.example.web-app` becomes the CIL block `org_example_web__app`: every `.`
//! becomes `_` and every `-` becomes `__`. The mapping is injective: a valid name never
//! has two separators in a row (labels are non-empty, start with a letter and do not end
//! with `-`; `--` is refused), so in the block name a run of one `_` is a `.` and a run of
//! two is a `-`, and [`decode`] recovers the name. The result is a valid CIL identifier
//! (a letter, then letters, digits and `_`). Types of the policy are declared inside the
//! block, so their names in the binary policy are `BLOCK.domain`, `BLOCK.entry`... and
//! cannot collide with another policy's or with the base policy's (which have no `.`).

use polc_lang::ir::PolicyName;

/// The CIL block (and module) name of a policy.
pub fn block_name(name: &PolicyName) -> String {
    let mut out = String::with_capacity(name.as_str().len() + 8);
    for c in name.as_str().chars() {
        match c {
            '.' => out.push('_'),
            '-' => out.push_str("__"),
            c => out.push(c),
        }
    }
    out
}

/// The inverse of [`block_name`] (for tests and tools): `None` when `block` is not the
/// block name of a valid policy name.
pub fn decode(block: &str) -> Option<PolicyName> {
    let mut out = String::new();
    let mut run = 0usize;
    let flush = |out: &mut String, run: usize| -> bool {
        match run {
            0 => true,
            1 => {
                out.push('.');
                true
            }
            2 => {
                out.push('-');
                true
            }
            _ => false,
        }
    };
    for c in block.chars() {
        if c == '_' {
            run += 1;
        } else {
            if !flush(&mut out, run) {
                return None;
            }
            run = 0;
            out.push(c);
        }
    }
    if !flush(&mut out, run) {
        return None;
    }
    PolicyName::new(&out)
        .ok()
        .filter(|n| block_name(n) == block)
}

/// The local name of a child policy's sub-domain in its parent's block: `child_` and the
/// child's name mapped as [`block_name`] maps a policy name (`child helper` of
/// `org.example.web` is `org_example_web.child_helper`). No other local type starts with
/// `child_`, and the mapping is injective, so sub-domains never collide.
pub(crate) fn child_local(child: &PolicyName) -> String {
    format!("child_{}", block_name(child))
}

/// The fully qualified name of a type declared in a policy's block.
pub(crate) fn qualified(block: &str, local: &str) -> String {
    format!("{block}.{local}")
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )]
    use super::*;

    #[test]
    fn maps_and_decodes() {
        let n = PolicyName::new("org.example.web-app2").unwrap();
        assert_eq!(block_name(&n), "org_example_web__app2");
        assert_eq!(decode("org_example_web__app2"), Some(n));
        assert_eq!(decode("a___b"), None);
        assert_eq!(decode("_a"), None);
    }
}
