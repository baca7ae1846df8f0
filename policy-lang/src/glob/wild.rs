//! Matching a glob of literal characters, `*`, `**` and `?` only (no braces, no classes)
//! without building its automaton.
//!
//! Most globs of a policy have this shape, and the front end matches each of them against
//! a path or two (the lints' sample paths): building an automaton for that cost more than
//! all the rest of the load. The glob's tokens are the states of a bit-parallel
//! simulation, one bit per token, so a match allocates nothing. The meaning is that of
//! the automaton on valid paths; the caller checks that the path is valid (see
//! [`super::Glob::matches`]), and a property test compares the two.

/// One token of a brace-free, class-free glob.
#[derive(Clone, Copy)]
enum Tok {
    Lit(char),
    /// `?`
    One,
    /// `*`
    Star,
    /// `**`
    GlobStar,
}

/// Most tokens matched this way: one bit each, and one for the end, in a `u128`.
const MAX_TOKENS: usize = 127;

/// Whether the glob `text` matches the string `path`, when the glob has no braces and no
/// classes and at most [`MAX_TOKENS`] tokens; `None` otherwise. Runs of three or more `*`
/// never reach here (the parser refuses them).
pub(super) fn matches(text: &str, path: &str) -> Option<bool> {
    // The literal head is compared as a string; the tokens start at the first wildcard.
    let head = text.find(['*', '?', '{', '}', '[']).unwrap_or(text.len());
    let (Some(lit), Some(text)) = (text.get(..head), text.get(head..)) else {
        return None;
    };
    let Some(path) = path.strip_prefix(lit) else {
        // Declined all the same for the shapes this module does not match.
        return (!text.contains(['{', '}', '['])).then_some(false);
    };
    let mut toks = [Tok::One; MAX_TOKENS];
    let mut n = 0usize;
    // Bit `i`: token `i` may match the empty string.
    let mut empty: u128 = 0;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let t = match c {
            '{' | '}' | '[' => return None,
            '*' if chars.next_if_eq(&'*').is_some() => Tok::GlobStar,
            '*' => Tok::Star,
            '?' => Tok::One,
            c => Tok::Lit(c),
        };
        if matches!(t, Tok::Star | Tok::GlobStar) {
            empty |= 1 << n;
        }
        *toks.get_mut(n)? = t;
        n += 1;
    }
    let toks = toks.get(..n)?;
    // Bit `i` of a state: the first `i` tokens match the text read so far.
    let close = |mut s: u128| loop {
        let next = s | ((s & empty) << 1);
        if next == s {
            return s;
        }
        s = next;
    };
    let mut state = close(1);
    for c in path.chars() {
        let mut next: u128 = 0;
        let mut live = state;
        while live != 0 {
            let i = live.trailing_zeros();
            live &= live - 1;
            match toks.get(i as usize) {
                Some(Tok::Lit(l)) if *l == c => next |= 1 << (i + 1),
                Some(Tok::One) if c != '/' => next |= 1 << (i + 1),
                Some(Tok::Star) if c != '/' => next |= 1 << i,
                Some(Tok::GlobStar) => next |= 1 << i,
                _ => {}
            }
        }
        if next == 0 {
            return Some(false);
        }
        state = close(next);
    }
    Some(state & (1 << n) != 0)
}
