//! Generators of globs, glob pairs and paths.

use super::{oracle, ALPHABET};
use polc_lang::glob::Glob;
use proptest::prelude::*;

/// A glob as a tree, so it can be rendered and generalised.
#[derive(Clone, Debug)]
pub enum G {
    Lit(char),
    Slash,
    Star,
    GlobStar,
    One,
    /// A character class as written.
    Class(&'static str),
    /// A class followed by `+`.
    Plus(&'static str),
    Alt(Vec<Vec<G>>),
}

/// Classes the generator writes: over the path alphabet, with negations, ranges, the
/// `]`-first and `/`-in-negation forms, and two malformed ones (`/`, a reversed range).
pub const CLASSES: [&str; 12] = [
    "[ab]", "[a]", "[^a]", "[^.]", "[a-b]", "[.a]", "[^/]", "[]a]", "[^ab]", "[.-b]", "[a/]",
    "[b-a]",
];

pub fn render(seq: &[G]) -> String {
    let mut s = String::new();
    for g in seq {
        match g {
            G::Lit(c) => s.push(*c),
            G::Slash => s.push('/'),
            G::Star => s.push('*'),
            G::GlobStar => s.push_str("**"),
            G::One => s.push('?'),
            G::Class(c) => s.push_str(c),
            G::Plus(c) => {
                s.push_str(c);
                s.push('+');
            }
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
pub struct Choices<'a>(pub std::slice::Iter<'a, u8>);

impl Choices<'_> {
    pub fn next(&mut self, n: u8) -> u8 {
        self.0.next().map_or(0, |b| b % n)
    }

    /// A literal character, a wildcard, or braces nested at most two deep.
    pub fn atom(&mut self, depth: u8) -> G {
        match self.next(20) {
            0..=4 => G::Lit('a'),
            5..=6 => G::Lit('b'),
            7 => G::Lit('.'),
            8..=9 => G::Star,
            10 => G::GlobStar,
            11..=12 => G::One,
            13..=14 => G::Class(CLASSES[usize::from(self.next(CLASSES.len() as u8))]),
            15 => G::Plus(CLASSES[usize::from(self.next(CLASSES.len() as u8))]),
            _ if depth >= 2 => G::Lit('a'),
            _ => {
                let n = 2 + self.next(2);
                G::Alt((0..n).map(|_| self.alternative(depth + 1)).collect())
            }
        }
    }

    pub fn atoms(&mut self, min: u8, extra: u8, depth: u8) -> Vec<G> {
        let n = min + self.next(extra + 1);
        (0..n).map(|_| self.atom(depth)).collect()
    }

    /// One to two atoms; sometimes nothing, sometimes crossing a `/`.
    pub fn alternative(&mut self, depth: u8) -> Vec<G> {
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
    pub fn glob(&mut self) -> Vec<G> {
        let mut seq = Vec::new();
        for _ in 0..1 + self.next(3) {
            seq.push(G::Slash);
            seq.extend(self.atoms(1, 2, 0));
        }
        seq
    }
}

pub fn tree() -> impl Strategy<Value = Vec<G>> {
    prop::collection::vec(any::<u8>(), 0..48).prop_map(|bytes| Choices(bytes.iter()).glob())
}

/// A tiny deterministic generator for choices driven by a proptest-chosen seed.
pub struct Lcg(pub u64);

impl Lcg {
    pub fn next(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n.max(1) as u64) as usize
    }
}

pub fn count(seq: &[G]) -> usize {
    seq.iter()
        .map(|g| match g {
            G::Alt(alts) => 1 + alts.iter().map(|a| count(a)).sum::<usize>(),
            _ => 1,
        })
        .sum()
}

/// Replace node number `k` (pre-order) by a node matching a superset of its strings.
pub fn widen(seq: &mut [G], k: &mut usize, rng: &mut Lcg) -> bool {
    for g in seq.iter_mut() {
        if *k == 0 {
            *g = match g {
                G::Lit(c) => {
                    let class = match c {
                        'a' | 'b' => "[ab]",
                        '.' => "[.a]",
                        _ => "[^/]",
                    };
                    [G::One, G::Star, G::GlobStar, G::Class(class)][rng.next(4)].clone()
                }
                G::One => [G::Star, G::GlobStar][rng.next(2)].clone(),
                G::Class(_) => [G::One, G::Star, G::Class("[^/]")][rng.next(3)].clone(),
                G::Plus(_) => [G::Star, G::GlobStar, G::Plus("[^/]")][rng.next(3)].clone(),
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
pub fn generalize(seq: &[G], seed: u64) -> Vec<G> {
    let mut rng = Lcg(seed);
    let mut out = seq.to_vec();
    for _ in 0..1 + rng.next(2) {
        let mut k = rng.next(count(&out));
        widen(&mut out, &mut k, &mut rng);
    }
    out
}

pub fn valid_glob() -> impl Strategy<Value = String> {
    tree()
        .prop_map(|t| render(&t))
        .prop_filter("glob must parse", |s| Glob::parse(s).is_ok())
}

/// Acceptable, with few enough expansions for the brute-force enumeration to stay fast.
pub fn small(text: &str) -> bool {
    Glob::parse(text).is_ok_and(|g| g.expansions().len() <= MAX_PAIR_EXPANSIONS)
}

/// Most brace expansions of each glob of a pair.
pub const MAX_PAIR_EXPANSIONS: usize = 12;

/// Pairs of acceptable globs: independent, or one a generalisation of the other.
pub fn glob_pair() -> impl Strategy<Value = (String, String)> {
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
pub fn instantiate(glob: &str, seed: u64) -> String {
    let mut rng = Lcg(seed);
    let exps = oracle::texts(glob);
    let e = &exps[rng.next(exps.len())];
    let fill = |rng: &mut Lcg, slash: bool, n: usize| -> String {
        let chars: &[char] = if slash { &ALPHABET } else { &ALPHABET[..4] };
        (0..n).map(|_| chars[rng.next(chars.len())]).collect()
    };
    let class_fill = |rng: &mut Lcg, cls: &oracle::Cls| -> String {
        let members: Vec<char> = ALPHABET.iter().copied().filter(|&c| cls.holds(c)).collect();
        if members.is_empty() {
            String::new()
        } else {
            members[rng.next(members.len())].to_string()
        }
    };
    let mut out = String::new();
    for t in e {
        match t {
            oracle::T::Star2 => {
                let n = rng.next(4);
                out.push_str(&fill(&mut rng, true, n));
            }
            oracle::T::Star => {
                let n = rng.next(3);
                out.push_str(&fill(&mut rng, false, n));
            }
            oracle::T::One => out.push_str(&fill(&mut rng, false, 1)),
            oracle::T::Set(cls) => out.push_str(&class_fill(&mut rng, cls)),
            oracle::T::SetStar(cls) => {
                for _ in 0..rng.next(3) {
                    out.push_str(&class_fill(&mut rng, cls));
                }
            }
            oracle::T::C(c) => out.push(*c),
        }
    }
    out
}

pub fn path() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(&ALPHABET[..]), 0..9)
        .prop_map(|v| v.into_iter().collect())
}
