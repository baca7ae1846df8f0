//! The shapes of globs that matter to Landlock, and path helpers.
//!
//! The meaning of a glob (matching, containment, intersection) is `polc_lang::glob`'s;
//! this module only takes a glob's text apart: brace alternatives, and for each
//! alternative whether it is a literal path, a whole directory hierarchy (`/dir/**`) or
//! something that needs the filesystem.

use polc_lang::glob::Glob;

/// The most brace alternatives a glob may expand to.
pub(crate) const MAX_ALTERNATIVES: usize = 1024;

/// What an alternative (a brace-free glob) is, for Landlock.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Shape {
    /// A literal path.
    Literal(String),
    /// `DIR/**`: every path strictly beneath `DIR` (`/**`: every path, `/` included).
    Tree(String),
    /// Anything else; `prefix` is its deepest literal directory.
    Wild {
        /// The directory made of the leading components without wildcards.
        prefix: String,
    },
}

/// True when `s` holds a glob metacharacter.
pub(crate) fn has_meta(s: &str) -> bool {
    s.contains(['*', '?', '{', '}'])
}

/// True for a valid path: `/`, or `/c1/.../cn` with non-empty components that are not
/// `.` or `..` and hold no NUL or control character.
pub(crate) fn is_valid_path(s: &str) -> bool {
    if s == "/" {
        return true;
    }
    let Some(rest) = s.strip_prefix('/') else {
        return false;
    };
    rest.split('/')
        .all(|c| !c.is_empty() && c != "." && c != ".." && !c.chars().any(char::is_control))
}

/// The parent directory of a valid path other than `/`.
pub(crate) fn parent(path: &str) -> Option<&str> {
    match path.rfind('/') {
        Some(0) if path.len() > 1 => Some("/"),
        Some(i) if i > 0 => path.get(..i),
        _ => None,
    }
}

/// `dir` joined with `name`.
pub(crate) fn join(dir: &str, name: &str) -> String {
    if dir == "/" {
        format!("/{name}")
    } else {
        format!("{dir}/{name}")
    }
}

/// The glob of every path strictly beneath `dir` (`/**` for `/`, which also holds `/`);
/// `None` when `dir`'s text would not be read literally by a glob.
pub(crate) fn tree_glob(dir: &str) -> Option<Glob> {
    if has_meta(dir) {
        return None;
    }
    let text = if dir == "/" {
        "/**".to_string()
    } else {
        format!("{dir}/**")
    };
    Glob::parse(&text).ok()
}

/// The glob holding exactly `path`, when its text reads literally.
pub(crate) fn literal_glob(path: &str) -> Option<Glob> {
    if has_meta(path) || !is_valid_path(path) {
        return None;
    }
    Glob::parse(path).ok()
}

/// The brace alternatives of a glob's text, each without braces, deduplicated, in
/// order. `None` when the braces do not balance or there are too many alternatives.
pub(crate) fn alternatives(text: &str) -> Option<Vec<String>> {
    let chars: Vec<char> = text.chars().collect();
    let (alts, end) = seq(&chars, 0, false)?;
    if end != chars.len() {
        return None;
    }
    let mut out: Vec<String> = Vec::new();
    for a in alts {
        if !out.contains(&a) {
            out.push(a);
        }
    }
    Some(out)
}

/// Parse a sequence up to an unmatched `,` or `}` (when `nested`), or the end.
fn seq(chars: &[char], mut i: usize, nested: bool) -> Option<(Vec<String>, usize)> {
    let mut acc: Vec<String> = vec![String::new()];
    while let Some(&c) = chars.get(i) {
        match c {
            '{' => {
                let mut options: Vec<String> = Vec::new();
                i += 1;
                loop {
                    let (alts, next) = seq(chars, i, true)?;
                    options.extend(alts);
                    match chars.get(next) {
                        Some(',') => i = next + 1,
                        Some('}') => {
                            i = next + 1;
                            break;
                        }
                        _ => return None,
                    }
                }
                let mut grown = Vec::new();
                for a in &acc {
                    for o in &options {
                        grown.push(format!("{a}{o}"));
                        if grown.len() > MAX_ALTERNATIVES {
                            return None;
                        }
                    }
                }
                acc = grown;
            }
            ',' | '}' if nested => return Some((acc, i)),
            '}' => return None,
            _ => {
                for a in &mut acc {
                    a.push(c);
                }
                i += 1;
            }
        }
    }
    if nested {
        None
    } else {
        Some((acc, i))
    }
}

/// The shape of one brace-free alternative.
pub(crate) fn shape(alt: &str) -> Shape {
    if !has_meta(alt) {
        return Shape::Literal(alt.to_string());
    }
    if let Some(dir) = alt.strip_suffix("/**") {
        if !has_meta(dir) {
            let dir = if dir.is_empty() { "/" } else { dir };
            return Shape::Tree(dir.to_string());
        }
    }
    let mut prefix = String::new();
    let comps: Vec<&str> = alt.split('/').skip(1).collect();
    // Every component but the last can be a directory of the prefix.
    for c in comps.iter().take(comps.len().saturating_sub(1)) {
        if has_meta(c) {
            break;
        }
        prefix.push('/');
        prefix.push_str(c);
    }
    if prefix.is_empty() {
        prefix.push('/');
    }
    Shape::Wild { prefix }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn braces_expand() {
        assert_eq!(alternatives("/a").unwrap(), vec!["/a"]);
        assert_eq!(
            alternatives("/a/{b,c/{d,e}}/f").unwrap(),
            vec!["/a/b/f", "/a/c/d/f", "/a/c/e/f"]
        );
        assert_eq!(alternatives("/a{,/**}").unwrap(), vec!["/a", "/a/**"]);
        assert_eq!(alternatives("/a/{}").unwrap(), vec!["/a/"]);
        assert!(alternatives("/a/{b").is_none());
        assert!(alternatives("/a/b}").is_none());
    }

    #[test]
    fn shapes() {
        assert_eq!(shape("/etc/x"), Shape::Literal("/etc/x".into()));
        assert_eq!(shape("/etc/**"), Shape::Tree("/etc".into()));
        assert_eq!(shape("/**"), Shape::Tree("/".into()));
        assert_eq!(
            shape("/etc/ssl/*.pem"),
            Shape::Wild {
                prefix: "/etc/ssl".into()
            }
        );
        assert_eq!(
            shape("/etc/*/x/**"),
            Shape::Wild {
                prefix: "/etc".into()
            }
        );
        assert_eq!(shape("/*"), Shape::Wild { prefix: "/".into() });
        assert_eq!(shape("/a**"), Shape::Wild { prefix: "/".into() });
    }

    #[test]
    fn paths() {
        assert!(is_valid_path("/"));
        assert!(is_valid_path("/a/b"));
        assert!(!is_valid_path("/a/"));
        assert!(!is_valid_path("/a//b"));
        assert!(!is_valid_path("/a/./b"));
        assert_eq!(parent("/a/b"), Some("/a"));
        assert_eq!(parent("/a"), Some("/"));
        assert_eq!(parent("/"), None);
        assert_eq!(join("/", "a"), "/a");
        assert_eq!(join("/a", "b"), "/a/b");
    }
}
