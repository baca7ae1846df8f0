//! The shapes of globs that matter to Landlock, and path helpers.
//!
//! The meaning of a glob (matching, containment, intersection) is `polc_lang::glob`'s;
//! this module only says of each brace alternative (`Glob::expansions`) whether it is a literal path, a whole directory hierarchy (`/dir/**`) or
//! something that needs the filesystem.

use polc_lang::glob::Glob;

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
    s.contains(['*', '?', '{', '}', '['])
}

/// True for a valid path: `/`, or `/c1/.../cn` with non-empty components that are not
/// `.` or `..` and hold no NUL or control character, as the language defines them (C0
/// controls and DEL; C1 characters such as U+0085 are valid in a path, as in a glob).
pub(crate) fn is_valid_path(s: &str) -> bool {
    if s == "/" {
        return true;
    }
    let Some(rest) = s.strip_prefix('/') else {
        return false;
    };
    let control = |c: char| c < '\u{20}' || c == '\u{7f}';
    rest.split('/')
        .all(|c| !c.is_empty() && c != "." && c != ".." && !c.chars().any(control))
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

/// The shape of one brace-free alternative (an element of `Glob::expansions`).
pub(crate) fn shape(alt: &Glob) -> Shape {
    let text = alt.as_str();
    if alt.is_literal() {
        return Shape::Literal(text.to_string());
    }
    if let Some(dir) = text.strip_suffix("/**") {
        if !has_meta(dir) {
            let dir = if dir.is_empty() { "/" } else { dir };
            return Shape::Tree(dir.to_string());
        }
    }
    Shape::Wild {
        prefix: alt.literal_dir_prefix().to_string(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn shape_of(s: &str) -> Shape {
        shape(&Glob::parse(s).unwrap())
    }

    #[test]
    fn shapes() {
        assert_eq!(shape_of("/etc/x"), Shape::Literal("/etc/x".into()));
        assert_eq!(shape_of("/etc/**"), Shape::Tree("/etc".into()));
        assert_eq!(shape_of("/**"), Shape::Tree("/".into()));
        assert_eq!(
            shape_of("/etc/ssl/*.pem"),
            Shape::Wild {
                prefix: "/etc/ssl".into()
            }
        );
        assert_eq!(
            shape_of("/etc/*/x/**"),
            Shape::Wild {
                prefix: "/etc".into()
            }
        );
        assert_eq!(shape_of("/*"), Shape::Wild { prefix: "/".into() });
        assert_eq!(shape_of("/a**"), Shape::Wild { prefix: "/".into() });
    }

    #[test]
    fn paths() {
        assert!(is_valid_path("/"));
        assert!(is_valid_path("/a/b"));
        // Valid in the language's globs, so valid here (a plan once dropped such a path).
        assert!(is_valid_path("/a/b\u{85}c"));
        assert!(!is_valid_path("/a/b\u{1b}c"));
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
