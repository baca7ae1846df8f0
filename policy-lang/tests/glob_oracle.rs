//! The glob algebra against a brute-force oracle.
//!
//! The oracle is written from the language definition and shares no code with the
//! implementation: brace expansion over the text, a recursive backtracking matcher per
//! expansion, a path-validity check, and enumeration of the valid paths up to
//! [`MAX_LEN`] characters over [`ALPHABET`] (the glob characters plus `x`, which no
//! generated glob names, so the "any other character" class is exercised too).
//!
//! Random globs are built over `a`, `b`, `.`, `/`, `*`, `**`, `?` and nested `{x,y}`.
//! Case counts are set explicitly so that `PROPTEST_CASES` cannot lower them.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use polc_lang::glob::{Emptiness, Glob};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use std::collections::HashSet;

/// Characters of enumerated paths.
const ALPHABET: [char; 5] = ['a', 'b', 'x', '.', '/'];
/// Longest enumerated path.
const MAX_LEN: usize = 7;

// ---------------------------------------------------------------------------------------
// The oracle

mod oracle {
    use super::ALPHABET;
    use std::collections::HashSet;

    /// An expansion: characters with their index in the glob text.
    pub type Exp = Vec<(char, usize)>;

    /// All brace expansions, or `None` when the braces do not balance.
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
                            e.extend(alt.iter().copied());
                            next.push(e);
                        }
                        if next.len() > 100_000 {
                            return None;
                        }
                    }
                    out = next;
                }
                ',' | '}' if in_alt => return Some((out, i)),
                '}' => return None,
                c => {
                    for e in &mut out {
                        e.push((c, i));
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
        for (k, &(c, pos)) in e.iter().enumerate() {
            if c != '*' {
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
        let s: String = e.iter().map(|&(c, _)| c).collect();
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

    /// Backtracking match of one expansion (as text) against a whole string.
    fn bt(g: &[char], p: &[char]) -> bool {
        match g {
            [] => p.is_empty(),
            ['*', '*', rest @ ..] => (0..=p.len()).any(|k| bt(rest, &p[k..])),
            ['*', rest @ ..] => {
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
            ['?', rest @ ..] => !p.is_empty() && p[0] != '/' && bt(rest, &p[1..]),
            [c, rest @ ..] => !p.is_empty() && p[0] == *c && bt(rest, &p[1..]),
        }
    }

    /// The expansions of an acceptable glob, as character vectors.
    pub fn texts(glob: &str) -> Vec<Vec<char>> {
        expand(glob)
            .unwrap()
            .into_iter()
            .map(|e| e.into_iter().map(|(c, _)| c).collect())
            .collect()
    }

    /// Does the glob (given by its expansions) match `p`?
    pub fn matches(exps: &[Vec<char>], p: &str) -> bool {
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
        exps: Vec<Vec<char>>,
    }

    impl Follow {
        pub fn new(exps: &[Vec<char>]) -> Follow {
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
                if g.get(i) == Some(&'*') {
                    let skip = if g.get(i + 1) == Some(&'*') { 2 } else { 1 };
                    if !here.contains(&(e, i + skip)) {
                        here.push((e, i + skip));
                    }
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
                match (g.get(i), g.get(i + 1)) {
                    (Some('*'), Some('*')) => next.push((e, i)),
                    (Some('*'), _) if c != '/' => next.push((e, i)),
                    (Some('?'), _) if c != '/' => next.push((e, i + 1)),
                    (Some(&l), _) if l == c && l != '*' && l != '?' => next.push((e, i + 1)),
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
    pub fn members(exps: &[Vec<char>], max: usize) -> HashSet<String> {
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
    pub fn in_a_not_b(a: &[Vec<char>], b: &[Vec<char>], max: usize) -> Option<String> {
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
    pub fn in_both(a: &[Vec<char>], b: &[Vec<char>], max: usize) -> Option<String> {
        let (fa, fb) = (Follow::new(a), Follow::new(b));
        search(
            &[&fa, &fb],
            max,
            &|h| !h[0].is_empty() && !h[1].is_empty(),
            &|_, h| fa.accepts(&h[0]) && fb.accepts(&h[1]),
            true,
        )
    }
}

// ---------------------------------------------------------------------------------------
// Generators

/// A glob as a tree, so it can be rendered and generalised.
#[derive(Clone, Debug)]
enum G {
    Lit(char),
    Slash,
    Star,
    GlobStar,
    One,
    Alt(Vec<Vec<G>>),
}

fn render(seq: &[G]) -> String {
    let mut s = String::new();
    for g in seq {
        match g {
            G::Lit(c) => s.push(*c),
            G::Slash => s.push('/'),
            G::Star => s.push('*'),
            G::GlobStar => s.push_str("**"),
            G::One => s.push('?'),
            G::Alt(alts) => {
                s.push('{');
                s.push_str(&alts.iter().map(|a| render(a)).collect::<Vec<_>>().join(","));
                s.push('}');
            }
        }
    }
    s
}

/// Reads generator choices from bytes; past the end every choice is 0 (the simplest),
/// so proptest shrinks the bytes towards `/a`.
struct Choices<'a>(std::slice::Iter<'a, u8>);

impl Choices<'_> {
    fn next(&mut self, n: u8) -> u8 {
        self.0.next().map_or(0, |b| b % n)
    }

    /// A literal character, a wildcard, or braces nested at most two deep.
    fn atom(&mut self, depth: u8) -> G {
        match self.next(16) {
            0..=4 => G::Lit('a'),
            5..=6 => G::Lit('b'),
            7 => G::Lit('.'),
            8..=9 => G::Star,
            10 => G::GlobStar,
            11..=12 => G::One,
            _ if depth >= 2 => G::Lit('a'),
            _ => {
                let n = 2 + self.next(2);
                G::Alt((0..n).map(|_| self.alternative(depth + 1)).collect())
            }
        }
    }

    fn atoms(&mut self, min: u8, extra: u8, depth: u8) -> Vec<G> {
        let n = min + self.next(extra + 1);
        (0..n).map(|_| self.atom(depth)).collect()
    }

    /// One to two atoms; sometimes nothing, sometimes crossing a `/`.
    fn alternative(&mut self, depth: u8) -> Vec<G> {
        match self.next(8) {
            0..=4 => self.atoms(1, 1, depth),
            5 => Vec::new(),
            _ => {
                let mut x = self.atoms(0, 1, depth);
                x.push(G::Slash);
                x.extend(self.atoms(1, 1, depth));
                x
            }
        }
    }

    /// `/` then one to three `/`-separated components of one to three atoms.
    fn glob(&mut self) -> Vec<G> {
        let mut seq = Vec::new();
        for _ in 0..1 + self.next(3) {
            seq.push(G::Slash);
            seq.extend(self.atoms(1, 2, 0));
        }
        seq
    }
}

fn tree() -> impl Strategy<Value = Vec<G>> {
    prop::collection::vec(any::<u8>(), 0..48).prop_map(|bytes| Choices(bytes.iter()).glob())
}

/// A tiny deterministic generator for choices driven by a proptest-chosen seed.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n.max(1) as u64) as usize
    }
}

fn count(seq: &[G]) -> usize {
    seq.iter()
        .map(|g| match g {
            G::Alt(alts) => 1 + alts.iter().map(|a| count(a)).sum::<usize>(),
            _ => 1,
        })
        .sum()
}

/// Replace node number `k` (pre-order) by a node matching a superset of its strings.
fn widen(seq: &mut [G], k: &mut usize, rng: &mut Lcg) -> bool {
    for g in seq.iter_mut() {
        if *k == 0 {
            *g = match g {
                G::Lit(_) => [G::One, G::Star, G::GlobStar][rng.next(3)].clone(),
                G::One => [G::Star, G::GlobStar][rng.next(2)].clone(),
                G::Star | G::Slash => G::GlobStar,
                G::GlobStar => G::GlobStar,
                G::Alt(alts) => {
                    let mut alts = alts.clone();
                    alts.push(vec![[G::Star, G::Lit('a'), G::One][rng.next(3)].clone()]);
                    G::Alt(alts)
                }
            };
            return true;
        }
        *k -= 1;
        if let G::Alt(alts) = g {
            for a in alts.iter_mut() {
                if widen(a, k, rng) {
                    return true;
                }
            }
        }
    }
    false
}

/// The glob widened once or twice: a superset of the original (when it parses).
fn generalize(seq: &[G], seed: u64) -> Vec<G> {
    let mut rng = Lcg(seed);
    let mut out = seq.to_vec();
    for _ in 0..1 + rng.next(2) {
        let mut k = rng.next(count(&out));
        widen(&mut out, &mut k, &mut rng);
    }
    out
}

fn valid_glob() -> impl Strategy<Value = String> {
    tree()
        .prop_map(|t| render(&t))
        .prop_filter("glob must parse", |s| Glob::parse(s).is_ok())
}

/// Acceptable, with few enough expansions for the brute-force enumeration to stay fast.
fn small(text: &str) -> bool {
    Glob::parse(text).is_ok_and(|g| g.expansions().len() <= MAX_PAIR_EXPANSIONS)
}

/// Most brace expansions of each glob of a pair.
const MAX_PAIR_EXPANSIONS: usize = 12;

/// Pairs of acceptable globs: independent, or one a generalisation of the other.
fn glob_pair() -> impl Strategy<Value = (String, String)> {
    prop_oneof![
        2 => (tree(), tree()).prop_map(|(a, b)| (render(&a), render(&b))),
        2 => (tree(), any::<u64>()).prop_map(|(a, s)| (render(&a), render(&generalize(&a, s)))),
        1 => (tree(), any::<u64>()).prop_map(|(a, s)| (render(&generalize(&a, s)), render(&a))),
        1 => (tree(), any::<u64>(), any::<u64>())
            .prop_map(|(a, s, t)| (render(&generalize(&a, s)), render(&generalize(&a, t)))),
    ]
    .prop_filter("both globs must parse, with few expansions", |(a, b)| {
        small(a) && small(b)
    })
}

/// A string matching one expansion as text (not always a valid path), from a seed.
fn instantiate(glob: &str, seed: u64) -> String {
    let mut rng = Lcg(seed);
    let exps = oracle::texts(glob);
    let e = &exps[rng.next(exps.len())];
    let fill = |rng: &mut Lcg, slash: bool, n: usize| -> String {
        let chars: &[char] = if slash { &ALPHABET } else { &ALPHABET[..4] };
        (0..n).map(|_| chars[rng.next(chars.len())]).collect()
    };
    let mut out = String::new();
    let mut i = 0;
    while i < e.len() {
        match e[i] {
            '*' if e.get(i + 1) == Some(&'*') => {
                let n = rng.next(4);
                out.push_str(&fill(&mut rng, true, n));
                i += 2;
            }
            '*' => {
                let n = rng.next(3);
                out.push_str(&fill(&mut rng, false, n));
                i += 1;
            }
            '?' => {
                out.push_str(&fill(&mut rng, false, 1));
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

fn path() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(&ALPHABET[..]), 0..9)
        .prop_map(|v| v.into_iter().collect())
}

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        max_local_rejects: cases.saturating_mul(20),
        max_global_rejects: cases.saturating_mul(20),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

// ---------------------------------------------------------------------------------------
// Checks shared by the properties

/// `w` is a valid path in the set (by the backtracking matcher), and the enumeration
/// finds no shorter one.
fn check_witness(
    w: &str,
    in_set: impl Fn(&str) -> bool,
    shorter: impl Fn(usize) -> Option<String>,
) -> Result<(), TestCaseError> {
    prop_assert!(oracle::valid(w), "witness `{}` is not a valid path", w);
    prop_assert!(in_set(w), "witness `{}` is not in the set", w);
    let len = w.chars().count();
    if len <= MAX_LEN {
        let found = shorter(len - 1);
        prop_assert!(
            found.is_none(),
            "`{:?}` is shorter than witness `{}`",
            found,
            w
        );
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Properties

proptest! {
    #![proptest_config(config(12_000))]

    /// `matches` agrees with the backtracking oracle on random and on near-miss paths.
    #[test]
    fn matches_agrees_with_oracle(
        glob in valid_glob(),
        random in path(),
        seed in any::<u64>(),
        near in any::<bool>(),
    ) {
        let g = Glob::parse(&glob).unwrap();
        let p = if near { instantiate(&glob, seed) } else { random };
        let exps = oracle::texts(&glob);
        prop_assert_eq!(g.matches(&p), oracle::matches(&exps, &p), "glob `{}` path `{}`", glob, p);
    }
}

proptest! {
    #![proptest_config(config(10_000))]

    /// `is_subset` and `difference_witness` against the oracle: a witness is checked
    /// directly; "subset" is checked by enumerating `a`'s short paths.
    #[test]
    fn subset_agrees_with_oracle((a, b) in glob_pair()) {
        let (ga, gb) = (Glob::parse(&a).unwrap(), Glob::parse(&b).unwrap());
        let (ea, eb) = (oracle::texts(&a), oracle::texts(&b));
        let outcome = ga.difference(&gb);
        prop_assert_eq!(ga.is_subset(&gb), outcome == Emptiness::Empty);
        match outcome {
            Emptiness::Witness(w) => {
                prop_assert_eq!(ga.difference_witness(&gb), Some(w.clone()));
                check_witness(
                    &w,
                    |p| oracle::matches(&ea, p) && !oracle::matches(&eb, p),
                    |n| oracle::in_a_not_b(&ea, &eb, n),
                )?;
            }
            Emptiness::Empty => {
                prop_assert_eq!(ga.difference_witness(&gb), None);
                let bad = oracle::in_a_not_b(&ea, &eb, MAX_LEN);
                prop_assert!(bad.is_none(), "`{}` ⊆ `{}` claimed, but `{:?}`", a, b, bad);
            }
            Emptiness::Unknown => prop_assert!(false, "search bound reached on `{}` ∖ `{}`", a, b),
        }
    }

    /// `intersects` and `intersection_witness` against the oracle, and symmetry.
    #[test]
    fn intersection_agrees_with_oracle((a, b) in glob_pair()) {
        let (ga, gb) = (Glob::parse(&a).unwrap(), Glob::parse(&b).unwrap());
        let (ea, eb) = (oracle::texts(&a), oracle::texts(&b));
        let outcome = ga.intersection(&gb);
        prop_assert_eq!(ga.intersects(&gb), outcome != Emptiness::Empty);
        prop_assert_eq!(gb.intersects(&ga), outcome != Emptiness::Empty, "not symmetric");
        match outcome {
            Emptiness::Witness(w) => {
                prop_assert_eq!(ga.intersection_witness(&gb), Some(w.clone()));
                check_witness(
                    &w,
                    |p| oracle::matches(&ea, p) && oracle::matches(&eb, p),
                    |n| oracle::in_both(&ea, &eb, n),
                )?;
            }
            Emptiness::Empty => {
                prop_assert_eq!(ga.intersection_witness(&gb), None);
                let common = oracle::in_both(&ea, &eb, MAX_LEN);
                prop_assert!(common.is_none(), "`{}` ∩ `{}` = ∅ claimed, but `{:?}`", a, b, common);
            }
            Emptiness::Unknown => prop_assert!(false, "search bound reached on `{}` ∩ `{}`", a, b),
        }
    }
}

proptest! {
    #![proptest_config(config(5_000))]

    /// `Glob::parse` accepts exactly what the restated rules accept, including the
    /// generator's invalid globs (`***`, `//`, `.` components, stars joined by braces).
    #[test]
    fn parse_agrees_with_oracle(t in tree(), relative in 0u8..8) {
        let mut text = render(&t);
        if relative == 0 {
            text.remove(0);
        }
        let parsed = Glob::parse(&text);
        prop_assert_eq!(parsed.is_ok(), oracle::glob_ok(&text), "`{}`: {:?}", text, parsed);
        if let Err(e) = parsed {
            prop_assert!(e.start <= e.end && e.end <= text.len());
            prop_assert!(text.is_char_boundary(e.start) && text.is_char_boundary(e.end));
        }
    }

    /// `Glob::parse` never panics, and its error ranges lie in the text.
    #[test]
    fn parse_never_panics(
        text in prop_oneof![
            any::<String>(),
            "[/{},*?.ab\\x00\\n]{0,24}",
            "/[{},*?ab/]{0,40}",
        ]
    ) {
        match Glob::parse(&text) {
            Ok(g) => {
                prop_assert!(oracle::glob_ok(&text), "`{:?}` accepted", text);
                let _ = g.matches("/a/b");
                let _ = g.literal_dir_prefix();
                prop_assert!(g.expansions().len() <= polc_lang::glob::MAX_EXPANSIONS);
            }
            Err(e) => {
                prop_assert!(!oracle::glob_ok(&text), "`{:?}` refused: {:?}", text, e);
                prop_assert!(e.start <= e.end && e.end <= text.len());
                prop_assert!(text.is_char_boundary(e.start) && text.is_char_boundary(e.end));
            }
        }
    }
}

/// The two oracles agree: brute-force generation of a glob's short paths equals the
/// enumeration of all valid paths filtered by the backtracking matcher.
#[test]
fn oracle_enumerations_agree() {
    let all = oracle::all_valid_paths(MAX_LEN);
    let mut runner = TestRunner::new_with_rng(
        Config {
            failure_persistence: None,
            ..Config::default()
        },
        TestRng::deterministic_rng(RngAlgorithm::ChaCha),
    );
    let strategy = valid_glob();
    for _ in 0..100 {
        let glob = strategy.new_tree(&mut runner).unwrap().current();
        let exps = oracle::texts(&glob);
        let by_filter: HashSet<String> = all
            .iter()
            .filter(|p| oracle::matches(&exps, p))
            .cloned()
            .collect();
        assert_eq!(oracle::members(&exps, MAX_LEN), by_filter, "glob `{glob}`");
    }
    let pairs = glob_pair();
    for _ in 0..60 {
        let (a, b) = pairs.new_tree(&mut runner).unwrap().current();
        let (ea, eb) = (oracle::texts(&a), oracle::texts(&b));
        let (ma, mb) = (
            |p: &String| oracle::matches(&ea, p),
            |p: &String| oracle::matches(&eb, p),
        );
        let diff = oracle::in_a_not_b(&ea, &eb, MAX_LEN);
        assert_eq!(
            diff.is_some(),
            all.iter().any(|p| ma(p) && !mb(p)),
            "`{a}` ∖ `{b}`"
        );
        assert!(diff.is_none_or(|p| ma(&p) && !mb(&p)), "`{a}` ∖ `{b}`");
        let both = oracle::in_both(&ea, &eb, MAX_LEN);
        assert_eq!(
            both.is_some(),
            all.iter().any(|p| ma(p) && mb(p)),
            "`{a}` ∩ `{b}`"
        );
        assert!(both.is_none_or(|p| ma(&p) && mb(&p)), "`{a}` ∩ `{b}`");
    }
}

/// The generators are not degenerate: on a fixed sample, both answers of each question
/// are common (otherwise the properties above would test little).
#[test]
fn generators_cover_both_answers() {
    let mut runner = TestRunner::new_with_rng(
        Config {
            failure_persistence: None,
            ..Config::default()
        },
        TestRng::deterministic_rng(RngAlgorithm::ChaCha),
    );
    let pairs = glob_pair();
    let (mut subset, mut intersect, n) = (0, 0, 1000);
    for _ in 0..n {
        let (a, b) = pairs.new_tree(&mut runner).unwrap().current();
        let (ga, gb) = (Glob::parse(&a).unwrap(), Glob::parse(&b).unwrap());
        subset += usize::from(ga.is_subset(&gb));
        intersect += usize::from(ga.intersects(&gb));
    }
    assert!(
        (n / 5..=n * 4 / 5).contains(&subset),
        "subset in {subset} of {n}"
    );
    assert!(
        (n / 5..=n * 4 / 5).contains(&intersect),
        "intersect in {intersect} of {n}"
    );

    let (globs, seeds) = (valid_glob(), any::<u64>());
    let mut matched = 0;
    for _ in 0..n {
        let glob = globs.new_tree(&mut runner).unwrap().current();
        let p = instantiate(&glob, seeds.new_tree(&mut runner).unwrap().current());
        matched += usize::from(Glob::parse(&glob).unwrap().matches(&p));
    }
    assert!(
        matched >= n / 5,
        "near-miss paths matched in {matched} of {n}"
    );
}
