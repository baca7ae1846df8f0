//! Containment and intersection by product construction over a symbolic alphabet.
//!
//! The alphabet is `/`, `.`, every literal character of either glob, and one symbol
//! standing for every other character (all of which behave alike in both globs and in
//! the automaton of valid paths). A breadth-first search over the product of glob
//! `a` (as an NFA), glob `b` (as an NFA for intersection, determinised on the fly for
//! difference) and the automaton of valid paths decides emptiness; the search order
//! makes the witness a shortest one, and among those the first in symbol order (a
//! character neither glob names, `/`, `.`, then the literals in code-point order).

use super::nfa::{Class, Nfa};
use super::Emptiness;
use std::collections::{HashMap, VecDeque};

/// Product states a search may create before it gives up with [`Emptiness::Unknown`].
pub const MAX_PRODUCT_STATES: usize = 1 << 18;
/// Elementary steps (transition visits) a search may take before it gives up.
pub const MAX_SEARCH_WORK: u64 = 1 << 25;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Sym {
    Char(char),
    Other,
}

pub(super) struct Alphabet {
    pub(super) syms: Vec<Sym>,
    /// The concrete character written for [`Sym::Other`] in witnesses.
    other: char,
}

impl Alphabet {
    fn new(a: &Nfa, b: &Nfa) -> Alphabet {
        Alphabet::of_lits(a.lits.union(&b.lits).copied().collect())
    }

    /// The alphabet of automata whose literal characters are `lits`.
    pub(super) fn of_lits(lits: std::collections::BTreeSet<char>) -> Alphabet {
        // `Other` first: witnesses then prefer a character neither glob names.
        let mut syms = vec![Sym::Other, Sym::Char('/'), Sym::Char('.')];
        syms.extend(
            lits.iter()
                .filter(|&&c| c != '/' && c != '.')
                .map(|&c| Sym::Char(c)),
        );
        let taken = |c: &char| lits.contains(c) || *c == '/' || *c == '.';
        let other = ('a'..='z')
            .chain('A'..='Z')
            .chain('0'..='9')
            .chain(['_', '-', '~', '+'])
            .chain((0xc0u32..).filter_map(char::from_u32))
            .find(|c| !taken(c))
            .unwrap_or('\u{fffd}');
        Alphabet { syms, other }
    }

    fn char_of(&self, s: Sym) -> char {
        match s {
            Sym::Char(c) => c,
            Sym::Other => self.other,
        }
    }
}

pub(super) fn holds(class: Class, s: Sym) -> bool {
    match (class, s) {
        (Class::Lit(l), Sym::Char(c)) => l == c,
        (Class::Lit(_), Sym::Other) => false,
        (Class::NotSlash, s) => s != Sym::Char('/'),
        (Class::Any, _) => true,
    }
}

// The automaton of valid paths: `/`, or `/c1/.../cn` with components nonempty, not `.`
// and not `..` (NUL never occurs: globs cannot hold it and `Other` stands for a printable).
pub(super) const V_START: u8 = 0;
const V_ROOT: u8 = 1;
const V_SLASH: u8 = 2;
const V_DOT: u8 = 3;
const V_DOTDOT: u8 = 4;
const V_NAME: u8 = 5;
pub(super) const V_DEAD: u8 = 6;

pub(super) fn v_step(v: u8, s: Sym) -> u8 {
    let slash = s == Sym::Char('/');
    let dot = s == Sym::Char('.');
    match v {
        V_START if slash => V_ROOT,
        V_ROOT | V_SLASH | V_DOT | V_DOTDOT if slash => V_DEAD,
        V_ROOT | V_SLASH if dot => V_DOT,
        V_DOT if dot => V_DOTDOT,
        V_ROOT | V_SLASH | V_DOT | V_DOTDOT => V_NAME,
        V_NAME if slash => V_SLASH,
        V_NAME => V_NAME,
        _ => V_DEAD,
    }
}

pub(super) fn v_accepts(v: u8) -> bool {
    v == V_ROOT || v == V_NAME
}

pub(super) fn trans(nfa: &Nfa, q: u32) -> &[(Class, u32)] {
    nfa.trans.get(q as usize).map_or(&[][..], Vec::as_slice)
}

pub(super) fn accepting(nfa: &Nfa, q: u32) -> bool {
    nfa.accepting.get(q as usize).copied().unwrap_or(false)
}

/// Breadth-first search bookkeeping shared by both products: states in discovery order,
/// how each was reached, and the budget.
pub(super) struct Search<K> {
    index: HashMap<K, u32>,
    pub(super) states: Vec<K>,
    parent: Vec<(u32, u32)>,
    pub(super) queue: VecDeque<u32>,
    work: u64,
}

impl<K: Copy + Eq + std::hash::Hash> Search<K> {
    pub(super) fn new(start: K) -> Search<K> {
        let mut s = Search {
            index: HashMap::new(),
            states: Vec::new(),
            parent: Vec::new(),
            queue: VecDeque::new(),
            work: 0,
        };
        s.index.insert(start, 0);
        s.states.push(start);
        s.parent.push((0, 0));
        s.queue.push_back(0);
        s
    }

    /// Record a state reached from `from` by symbol `sym`; `false` when over budget.
    pub(super) fn visit(&mut self, key: K, from: u32, sym: u32) -> bool {
        if self.index.contains_key(&key) {
            return true;
        }
        if self.states.len() >= MAX_PRODUCT_STATES {
            return false;
        }
        let Ok(i) = u32::try_from(self.states.len()) else {
            return false;
        };
        self.index.insert(key, i);
        self.states.push(key);
        self.parent.push((from, sym));
        self.queue.push_back(i);
        true
    }

    pub(super) fn spend(&mut self, n: usize) -> bool {
        self.work = self.work.saturating_add(n as u64 + 1);
        self.work <= MAX_SEARCH_WORK
    }

    pub(super) fn witness(&self, mut i: u32, alpha: &Alphabet) -> String {
        let mut out = Vec::new();
        while i != 0 {
            let Some(&(from, sym)) = self.parent.get(i as usize) else {
                break;
            };
            if let Some(&s) = alpha.syms.get(sym as usize) {
                out.push(alpha.char_of(s));
            }
            i = from;
        }
        out.iter().rev().collect()
    }
}

/// Is there a valid path in both `a` and `b`?
pub(super) fn intersection(a: &Nfa, b: &Nfa) -> Emptiness {
    let alpha = Alphabet::new(a, b);
    let start = (0u32, 0u32, V_START);
    let mut search = Search::new(start);
    let mut a_next: Vec<u32> = Vec::new();
    while let Some(i) = search.queue.pop_front() {
        let Some(&(qa, qb, v)) = search.states.get(i as usize) else {
            break;
        };
        if accepting(a, qa) && accepting(b, qb) && v_accepts(v) {
            return Emptiness::Witness(search.witness(i, &alpha));
        }
        for (si, &s) in alpha.syms.iter().enumerate() {
            let v2 = v_step(v, s);
            if v2 == V_DEAD {
                continue;
            }
            if !search.spend(trans(a, qa).len()) {
                return Emptiness::Unknown;
            }
            a_next.clear();
            a_next.extend(
                trans(a, qa)
                    .iter()
                    .filter(|(c, _)| holds(*c, s))
                    .map(|&(_, r)| r),
            );
            if a_next.is_empty() {
                continue;
            }
            let tb = trans(b, qb);
            if !search.spend(a_next.len() * tb.len()) {
                return Emptiness::Unknown;
            }
            for &(cb, rb) in tb {
                if !holds(cb, s) {
                    continue;
                }
                for &ra in &a_next {
                    let sym = u32::try_from(si).unwrap_or(u32::MAX);
                    if !search.visit((ra, rb, v2), i, sym) {
                        return Emptiness::Unknown;
                    }
                }
            }
        }
    }
    Emptiness::Empty
}

/// `b` determinised on demand: each state is a set of NFA states.
struct Dfa<'a> {
    nfa: &'a Nfa,
    sets: Vec<Vec<u32>>,
    index: HashMap<Vec<u32>, u32>,
    accepting: Vec<bool>,
    /// `next[d * nsyms + s]`, `u32::MAX` when not computed yet.
    next: Vec<u32>,
    nsyms: usize,
}

impl<'a> Dfa<'a> {
    fn new(nfa: &'a Nfa, nsyms: usize) -> Dfa<'a> {
        let mut d = Dfa {
            nfa,
            sets: Vec::new(),
            index: HashMap::new(),
            accepting: Vec::new(),
            next: Vec::new(),
            nsyms,
        };
        d.intern(vec![0]);
        d
    }

    fn intern(&mut self, set: Vec<u32>) -> Option<u32> {
        if let Some(&i) = self.index.get(&set) {
            return Some(i);
        }
        let i = u32::try_from(self.sets.len()).ok()?;
        self.accepting
            .push(set.iter().any(|&q| accepting(self.nfa, q)));
        self.index.insert(set.clone(), i);
        self.sets.push(set);
        self.next.extend(std::iter::repeat_n(u32::MAX, self.nsyms));
        Some(i)
    }

    /// The successor of `d` on symbol number `si`; `None` when over budget.
    fn step<K>(&mut self, d: u32, si: usize, s: Sym, search: &mut Search<K>) -> Option<u32>
    where
        K: Copy + Eq + std::hash::Hash,
    {
        let slot = (d as usize) * self.nsyms + si;
        if let Some(&n) = self.next.get(slot) {
            if n != u32::MAX {
                return Some(n);
            }
        }
        let mut set: Vec<u32> = Vec::new();
        let mut visited = 0usize;
        for &q in self.sets.get(d as usize)? {
            let t = trans(self.nfa, q);
            visited += t.len();
            set.extend(t.iter().filter(|(c, _)| holds(*c, s)).map(|&(_, r)| r));
        }
        set.sort_unstable();
        set.dedup();
        if !search.spend(visited + set.len()) || self.sets.len() >= MAX_PRODUCT_STATES {
            return None;
        }
        let n = self.intern(set)?;
        if let Some(x) = self.next.get_mut(slot) {
            *x = n;
        }
        Some(n)
    }
}

/// Is there a valid path in `a` but not in `b`?
pub(super) fn difference(a: &Nfa, b: &Nfa) -> Emptiness {
    let alpha = Alphabet::new(a, b);
    let mut dfa = Dfa::new(b, alpha.syms.len());
    let start = (0u32, 0u32, V_START);
    let mut search = Search::new(start);
    while let Some(i) = search.queue.pop_front() {
        let Some(&(qa, d, v)) = search.states.get(i as usize) else {
            break;
        };
        let b_accepts = dfa.accepting.get(d as usize).copied().unwrap_or(true);
        if accepting(a, qa) && !b_accepts && v_accepts(v) {
            return Emptiness::Witness(search.witness(i, &alpha));
        }
        for (si, &s) in alpha.syms.iter().enumerate() {
            let v2 = v_step(v, s);
            if v2 == V_DEAD {
                continue;
            }
            let ta = trans(a, qa);
            if !search.spend(ta.len()) {
                return Emptiness::Unknown;
            }
            let mut d2 = None;
            for &(ca, ra) in ta {
                if !holds(ca, s) {
                    continue;
                }
                let d2 = match d2 {
                    Some(x) => x,
                    None => match dfa.step(d, si, s, &mut search) {
                        Some(x) => {
                            d2 = Some(x);
                            x
                        }
                        None => return Emptiness::Unknown,
                    },
                };
                let sym = u32::try_from(si).unwrap_or(u32::MAX);
                if !search.visit((ra, d2, v2), i, sym) {
                    return Emptiness::Unknown;
                }
            }
        }
    }
    Emptiness::Empty
}
