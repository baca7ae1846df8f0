//! The oracle: written from the language definition, sharing no code with the
//! implementation.

use super::ALPHABET;
use std::collections::HashSet;

/// A character class: negated or not, and its items as (first, last) characters.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cls {
    pub neg: bool,
    pub items: Vec<(char, char)>,
}

impl Cls {
    /// One character of the class: never `/` nor NUL.
    pub fn holds(&self, c: char) -> bool {
        c != '/' && c != '\0' && (self.neg != self.items.iter().any(|&(a, b)| a <= c && c <= b))
    }
}

/// A piece of glob text: a character, or a class (with `+` when one follows it).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Piece {
    C(char),
    Class(Cls, bool),
}

/// An expansion: pieces with their index in the glob text.
pub type Exp = Vec<(Piece, usize)>;

/// A class starting at `chars[i] == '['`, restated from the definition: the class and
/// the index after it (and after a `+` that follows it); `None` when malformed.
fn class_at(chars: &[char], i: usize) -> Option<(Cls, bool, usize)> {
    let mut j = i + 1;
    let neg = chars.get(j) == Some(&'^');
    if neg {
        j += 1;
    }
    let mut items = Vec::new();
    let mut first = true;
    loop {
        let c = *chars.get(j)?;
        if c == ']' && !first {
            break;
        }
        first = false;
        if c == '/' && !neg {
            return None;
        }
        match (chars.get(j + 1), chars.get(j + 2)) {
            (Some('-'), Some(&d)) if d != ']' => {
                if (d == '/' && !neg) || d < c {
                    return None;
                }
                items.push((c, d));
                j += 3;
            }
            _ => {
                items.push((c, c));
                j += 1;
            }
        }
    }
    j += 1;
    let plus = chars.get(j) == Some(&'+');
    Some((Cls { neg, items }, plus, j + usize::from(plus)))
}

/// All brace expansions, or `None` when the braces do not balance or a class is
/// malformed.
pub fn expand(text: &str) -> Option<Vec<Exp>> {
    let chars: Vec<char> = text.chars().collect();
    let (exps, end) = seq(&chars, 0, false)?;
    (end == chars.len()).then_some(exps)
}

fn seq(chars: &[char], mut i: usize, in_alt: bool) -> Option<(Vec<Exp>, usize)> {
    let mut out: Vec<Exp> = vec![Vec::new()];
    while i < chars.len() {
        match chars[i] {
            '{' => {
                let mut alts = Vec::new();
                i += 1;
                loop {
                    let (exps, j) = seq(chars, i, true)?;
                    alts.extend(exps);
                    match chars.get(j) {
                        Some(',') => i = j + 1,
                        Some('}') => {
                            i = j + 1;
                            break;
                        }
                        _ => return None,
                    }
                }
                let mut next = Vec::new();
                for head in &out {
                    for alt in &alts {
                        let mut e = head.clone();
                        e.extend(alt.iter().cloned());
                        next.push(e);
                    }
                    if next.len() > 100_000 {
                        return None;
                    }
                }
                out = next;
            }
            '[' => {
                let (cls, plus, j) = class_at(chars, i)?;
                for e in &mut out {
                    e.push((Piece::Class(cls.clone(), plus), i));
                }
                i = j;
            }
            ',' | '}' if in_alt => return Some((out, i)),
            '}' => return None,
            c => {
                for e in &mut out {
                    e.push((Piece::C(c), i));
                }
                i += 1;
            }
        }
    }
    Some((out, i))
}

/// Is `text` an acceptable glob, by the rules of the language (restated)?
pub fn glob_ok(text: &str) -> bool {
    if text.chars().any(|c| (c as u32) < 0x20 || c as u32 == 0x7f) {
        return false;
    }
    let mut depth = 0usize;
    let mut max_depth = 0usize;
    for c in text.chars() {
        if c == '{' {
            depth += 1;
            max_depth = max_depth.max(depth);
        } else if c == '}' {
            depth = depth.saturating_sub(1);
        }
    }
    if max_depth > 32 {
        return false;
    }
    let Some(exps) = expand(text) else {
        return false;
    };
    if exps.len() > 4096 {
        return false;
    }
    exps.iter().all(|e| stars_ok(e) && form_ok(e))
}

fn stars_ok(e: &Exp) -> bool {
    let mut run = 0;
    for (k, (c, pos)) in e.iter().enumerate() {
        let pos = *pos;
        if *c != Piece::C('*') {
            run = 0;
            continue;
        }
        if run > 0 && e[k - 1].1 + 1 != pos {
            return false; // joined across a brace boundary
        }
        run += 1;
        if run >= 3 {
            return false;
        }
    }
    true
}

fn form_ok(e: &Exp) -> bool {
    // A class is one character other than `/`; `K` stands for it.
    let s: String = e
        .iter()
        .map(|(c, _)| match c {
            Piece::C(c) => *c,
            Piece::Class(..) => 'K',
        })
        .collect();
    if s == "/" {
        return true;
    }
    let Some(rest) = s.strip_prefix('/') else {
        return false;
    };
    rest.split('/')
        .all(|c| !c.is_empty() && c != "." && c != "..")
}

/// Is `p` a valid path?
pub fn valid(p: &str) -> bool {
    if p == "/" {
        return true;
    }
    p.starts_with('/')
        && !p.ends_with('/')
        && !p.contains("//")
        && !p.contains('\0')
        && !p.contains("/./")
        && !p.contains("/../")
        && !p.ends_with("/.")
        && !p.ends_with("/..")
}

/// A token of an expansion, for matching.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum T {
    C(char),
    Star,
    Star2,
    One,
    /// One character of the class.
    Set(Cls),
    /// Any number of characters of the class (after a `Set`, this makes `[..]+`).
    SetStar(Cls),
}

/// Backtracking match of one expansion against a whole string.
fn bt(g: &[T], p: &[char]) -> bool {
    match g {
        [] => p.is_empty(),
        [T::Star2, rest @ ..] => (0..=p.len()).any(|k| bt(rest, &p[k..])),
        [T::Star, rest @ ..] => {
            let mut k = 0;
            loop {
                if bt(rest, &p[k..]) {
                    return true;
                }
                if k == p.len() || p[k] == '/' {
                    return false;
                }
                k += 1;
            }
        }
        [T::SetStar(cls), rest @ ..] => {
            let mut k = 0;
            loop {
                if bt(rest, &p[k..]) {
                    return true;
                }
                if k == p.len() || !cls.holds(p[k]) {
                    return false;
                }
                k += 1;
            }
        }
        [T::Set(cls), rest @ ..] => !p.is_empty() && cls.holds(p[0]) && bt(rest, &p[1..]),
        [T::One, rest @ ..] => !p.is_empty() && p[0] != '/' && bt(rest, &p[1..]),
        [T::C(c), rest @ ..] => !p.is_empty() && p[0] == *c && bt(rest, &p[1..]),
    }
}

/// The expansions of an acceptable glob, as token vectors.
pub fn texts(glob: &str) -> Vec<Vec<T>> {
    expand(glob).unwrap().into_iter().map(tokens).collect()
}

fn tokens(e: Exp) -> Vec<T> {
    let mut out = Vec::new();
    for (p, _) in e {
        match p {
            Piece::C('*') if out.last() == Some(&T::Star) => {
                out.pop();
                out.push(T::Star2);
            }
            Piece::C('*') => out.push(T::Star),
            Piece::C('?') => out.push(T::One),
            Piece::C(c) => out.push(T::C(c)),
            Piece::Class(cls, plus) => {
                out.push(T::Set(cls.clone()));
                if plus {
                    out.push(T::SetStar(cls));
                }
            }
        }
    }
    out
}

/// A file rule's path, by the rules of the language (restated): `None` when refused;
/// else the expansions to match and whether the rule is for directories only. Every
/// expansion ends with `/` (other than `/` itself: directories only, the expansions
/// without it, which must be acceptable and not the root), or none does (a glob as
/// [`glob_ok`] says).
pub fn rule_path(text: &str) -> Option<(Vec<Vec<T>>, bool)> {
    if glob_ok(text) {
        return Some((texts(text), false));
    }
    if text.chars().any(|c| (c as u32) < 0x20 || c as u32 == 0x7f) {
        return None;
    }
    let exps = expand(text)?;
    if exps.len() > 4096 {
        return None;
    }
    let ends = |e: &Exp| e.len() > 1 && e.last().is_some_and(|(p, _)| *p == Piece::C('/'));
    if !exps.iter().all(ends) {
        return None;
    }
    let stripped: Vec<Exp> = exps
        .into_iter()
        .map(|mut e| {
            e.pop();
            e
        })
        .collect();
    let ok = stripped
        .iter()
        .all(|e| e.len() > 1 && stars_ok(e) && form_ok(e));
    ok.then(|| (stripped.into_iter().map(tokens).collect(), true))
}

/// Does the glob (given by its expansions) match `p`?
pub fn matches(exps: &[Vec<T>], p: &str) -> bool {
    let pc: Vec<char> = p.chars().collect();
    valid(p) && exps.iter().any(|e| bt(e, &pc))
}

/// Every valid path of at most `max` characters over [`ALPHABET`].
pub fn all_valid_paths(max: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut layer = vec![String::new()];
    for _ in 0..max {
        let mut next = Vec::new();
        for s in &layer {
            for c in ALPHABET {
                let mut t = s.clone();
                t.push(c);
                next.push(t);
            }
        }
        out.extend(next.iter().filter(|s| valid(s)).cloned());
        layer = next;
    }
    out
}

/// Where a string prefix can be in a glob: (expansion, index in it), after skipping
/// the stars that may match nothing.
pub type Here = Vec<(usize, usize)>;

/// A glob read position by position over its expansions' text, to follow it along
/// the prefixes of the enumeration.
pub struct Follow {
    exps: Vec<Vec<T>>,
}

impl Follow {
    pub fn new(exps: &[Vec<T>]) -> Follow {
        let mut exps = exps.to_vec();
        exps.sort();
        exps.dedup();
        Follow { exps }
    }

    fn close(&self, mut here: Here) -> Here {
        let mut k = 0;
        while k < here.len() {
            let (e, i) = here[k];
            let g = &self.exps[e];
            if matches!(g.get(i), Some(T::Star | T::Star2 | T::SetStar(_)))
                && !here.contains(&(e, i + 1))
            {
                here.push((e, i + 1));
            }
            k += 1;
        }
        here.sort();
        here
    }

    pub fn start(&self) -> Here {
        self.close((0..self.exps.len()).map(|e| (e, 0)).collect())
    }

    pub fn step(&self, here: &Here, c: char) -> Here {
        let mut next = Vec::new();
        for &(e, i) in here {
            let g = &self.exps[e];
            match g.get(i) {
                Some(T::Star2) => next.push((e, i)),
                Some(T::Star) if c != '/' => next.push((e, i)),
                Some(T::SetStar(cls)) if cls.holds(c) => next.push((e, i)),
                Some(T::One) if c != '/' => next.push((e, i + 1)),
                Some(T::Set(cls)) if cls.holds(c) => next.push((e, i + 1)),
                Some(T::C(l)) if *l == c => next.push((e, i + 1)),
                _ => {}
            }
        }
        next.dedup();
        self.close(next)
    }

    pub fn accepts(&self, here: &Here) -> bool {
        here.iter().any(|&(e, i)| i == self.exps[e].len())
    }
}

/// What the rest of a path may be depends on its prefix only through this: empty,
/// ending in `/`, in a `.` component, in a `..` component, or in another component.
fn tail_class(prefix: &str) -> u8 {
    match prefix.rsplit_once('/') {
        None => 0,
        Some((_, "")) => 1,
        Some((_, ".")) => 2,
        Some((_, "..")) => 3,
        Some(_) => 4,
    }
}

/// Can a valid path start with `prefix` followed by `c`?
fn extendable(prefix: &str, c: char) -> bool {
    match tail_class(prefix) {
        0 => c == '/',
        1..=3 => c != '/',
        _ => true,
    }
}

struct Search<'a> {
    globs: &'a [&'a Follow],
    max: usize,
    keep: &'a dyn Fn(&[Here]) -> bool,
    found: &'a dyn Fn(&str, &[Here]) -> bool,
    /// Subtrees known to hold no path `found` accepts, when `found` is pure.
    dead: Option<HashSet<(Vec<Here>, u8, usize)>>,
}

impl Search<'_> {
    fn go(&mut self, prefix: &mut String, here: &[Here]) -> Option<String> {
        if valid(prefix) && (self.found)(prefix, here) {
            return Some(prefix.clone());
        }
        let depth = prefix.chars().count();
        if depth == self.max {
            return None;
        }
        let key = (here.to_vec(), tail_class(prefix), depth);
        if self.dead.as_ref().is_some_and(|d| d.contains(&key)) {
            return None;
        }
        for c in ALPHABET {
            if !extendable(prefix, c) {
                continue;
            }
            let next: Vec<Here> = self
                .globs
                .iter()
                .zip(here)
                .map(|(g, h)| g.step(h, c))
                .collect();
            if (self.keep)(&next) {
                prefix.push(c);
                let r = self.go(prefix, &next);
                prefix.pop();
                if r.is_some() {
                    return r;
                }
            }
        }
        if let Some(d) = self.dead.as_mut() {
            d.insert(key);
        }
        None
    }
}

/// Enumerate the valid paths of at most `max` characters over [`ALPHABET`], depth
/// first, following `globs` along; below a prefix only while `keep` holds of their
/// positions. Return the first path (in that order) for which `found` holds. With
/// `pure_found`, a subtree already searched in vain from the same glob positions,
/// kind of path tail and depth is not searched again.
pub fn search(
    globs: &[&Follow],
    max: usize,
    keep: &dyn Fn(&[Here]) -> bool,
    found: &dyn Fn(&str, &[Here]) -> bool,
    pure_found: bool,
) -> Option<String> {
    let mut s = Search {
        globs,
        max,
        keep,
        found,
        dead: pure_found.then(HashSet::new),
    };
    let start: Vec<Here> = globs.iter().map(|g| g.start()).collect();
    s.go(&mut String::new(), &start)
}

/// The valid paths of at most `max` characters over [`ALPHABET`] the glob matches.
/// Equal to filtering [`all_valid_paths`] by [`matches`]; a test checks that.
pub fn members(exps: &[Vec<T>], max: usize) -> HashSet<String> {
    let f = Follow::new(exps);
    let out = std::cell::RefCell::new(HashSet::new());
    search(
        &[&f],
        max,
        &|h| !h[0].is_empty(),
        &|p, h| {
            if f.accepts(&h[0]) {
                out.borrow_mut().insert(p.to_string());
            }
            false
        },
        false,
    );
    out.into_inner()
}

/// A valid path of at most `max` characters over [`ALPHABET`] in `a` but not `b`.
pub fn in_a_not_b(a: &[Vec<T>], b: &[Vec<T>], max: usize) -> Option<String> {
    let (fa, fb) = (Follow::new(a), Follow::new(b));
    search(
        &[&fa, &fb],
        max,
        &|h| !h[0].is_empty(),
        &|_, h| fa.accepts(&h[0]) && !fb.accepts(&h[1]),
        true,
    )
}

/// A valid path of at most `max` characters over [`ALPHABET`] in both.
pub fn in_both(a: &[Vec<T>], b: &[Vec<T>], max: usize) -> Option<String> {
    let (fa, fb) = (Follow::new(a), Follow::new(b));
    search(
        &[&fa, &fb],
        max,
        &|h| !h[0].is_empty() && !h[1].is_empty(),
        &|_, h| fa.accepts(&h[0]) && fb.accepts(&h[1]),
        true,
    )
}
