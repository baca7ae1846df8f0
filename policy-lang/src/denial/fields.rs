//! The `key=value` fields of a kernel audit record.
//!
//! Values are bare (`pid=42`), double-quoted (`name="/etc/shadow"`), or, for strings the
//! kernel does not trust (paths, command names, profile names with spaces or control
//! characters), written as uppercase hexadecimal without quotes (`name=2F746D702F612062`),
//! which is decoded here when the field is one of those.

use std::collections::BTreeMap;

/// Fields the kernel writes with `audit_log_untrustedstring` (hex when unsafe).
const UNTRUSTED: &[&str] = &[
    "name",
    "path",
    "comm",
    "exe",
    "profile",
    "peer",
    "target",
    "ocomm",
    "info",
    "addr",
    "peer_addr",
];

/// The fields of a record, by key (the first occurrence of a key wins, as the kernel
/// writes the subject's fields first).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Fields {
    pub(crate) map: BTreeMap<String, String>,
}

impl Fields {
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.map.get(key).map(String::as_str)
    }
}

/// Parse every `key=value` of `text`. Tokens without `=` are skipped.
pub(crate) fn parse(text: &str) -> Fields {
    let mut map = BTreeMap::new();
    let mut rest = text;
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            break;
        }
        // A key: letters, digits, `_`, `-`, `.`, `[`, `]` up to `=`.
        let key_len = rest
            .find(|c: char| {
                !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '[' | ']'))
            })
            .unwrap_or(rest.len());
        let key = rest.get(..key_len).unwrap_or_default();
        let after = rest.get(key_len..).unwrap_or_default();
        if key.is_empty() || !after.starts_with('=') {
            // Not a field: skip one token (a quoted run counts as one).
            rest = skip_token(rest);
            continue;
        }
        let value_text = after.get(1..).unwrap_or_default();
        let (value, quoted, rest_after) = if let Some(q) = value_text.strip_prefix('"') {
            match q.find('"') {
                Some(end) => (
                    q.get(..end).unwrap_or_default().to_string(),
                    true,
                    q.get(end + 1..).unwrap_or_default(),
                ),
                None => (q.to_string(), true, ""),
            }
        } else if let Some(q) = value_text.strip_prefix('\'') {
            // auditd's enriched form: msg='... '.
            match q.find('\'') {
                Some(end) => (
                    q.get(..end).unwrap_or_default().to_string(),
                    true,
                    q.get(end + 1..).unwrap_or_default(),
                ),
                None => (q.to_string(), true, ""),
            }
        } else {
            let end = value_text
                .find(char::is_whitespace)
                .unwrap_or(value_text.len());
            (
                value_text.get(..end).unwrap_or_default().to_string(),
                false,
                value_text.get(end..).unwrap_or_default(),
            )
        };
        let value = if !quoted && UNTRUSTED.contains(&key) {
            decode_hex(&value).unwrap_or(value)
        } else {
            value
        };
        map.entry(key.to_string()).or_insert(value);
        rest = rest_after;
    }
    Fields { map }
}

fn skip_token(s: &str) -> &str {
    if let Some(q) = s.strip_prefix('"') {
        return q.find('"').and_then(|e| q.get(e + 1..)).unwrap_or_default();
    }
    let end = s.find(char::is_whitespace).unwrap_or(s.len());
    s.get(end..).unwrap_or_default()
}

/// Decode the kernel's hex form of an untrusted string: an even number of uppercase hex
/// digits that decode to UTF-8.
fn decode_hex(s: &str) -> Option<String> {
    if s.is_empty()
        || !s.len().is_multiple_of(2)
        || !s
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b))
    {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..s.len())
        .step_by(2)
        .map(|i| s.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect();
    String::from_utf8(bytes?).ok()
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
    fn bare_quoted_and_hex_values() {
        let f = parse(
            r#"audit(1.2:3): apparmor="DENIED" pid=42 name=2F746D702F612062 comm="x y" laddr=127.0.0.1"#,
        );
        assert_eq!(f.get("apparmor"), Some("DENIED"));
        assert_eq!(f.get("pid"), Some("42"));
        assert_eq!(f.get("name"), Some("/tmp/a b"));
        assert_eq!(f.get("comm"), Some("x y"));
        assert_eq!(f.get("laddr"), Some("127.0.0.1"));
    }

    #[test]
    fn numbers_are_not_decoded_as_hex() {
        let f = parse("pid=1234 ino=12 dest=8080");
        assert_eq!(f.get("pid"), Some("1234"));
        assert_eq!(f.get("dest"), Some("8080"));
    }

    #[test]
    fn junk_never_panics() {
        for s in [
            "",
            "=",
            "a=",
            "a=\"",
            "\"",
            "= = =",
            "key=\"unterminated",
            "x=1 \u{0}=2",
        ] {
            let _ = parse(s);
        }
    }
}
