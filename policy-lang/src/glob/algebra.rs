//! Containment and intersection by product construction over a symbolic alphabet.
//!
//! The alphabet is `/`, `.`, every literal character of either glob, and one symbol
//! standing for every other character (all of which behave alike in both globs and in
//! the automaton of valid paths). A breadth-first search over the product of glob
//! `a` (as an NFA), glob `b` (as an NFA for intersection, determinised on the fly for
//! difference) and the automaton of valid paths decides emptiness; the search order
//! makes the witness a shortest one, and among those the first in symbol order (a
//! character neither glob names, `/`, `.`, then the literals in code-point order).

use super::class::CharClass;
use super::nfa::{Class, Nfa};
use super::Emptiness;
use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::Arc;

/// Product states a search may create before it gives up with [`Emptiness::Unknown`].
pub const MAX_PRODUCT_STATES: usize = 1 << 18;
/// Elementary steps (transition visits) a search may take before it gives up.
pub const MAX_SEARCH_WORK: u64 = 1 << 25;

/// A symbol: a character named by a glob, or a representative of a set of characters
/// that every glob and class involved treats alike.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Sym {
    Char(char),
    Other(char),
}

pub(super) struct Alphabet {
    pub(super) syms: Vec<Sym>,
}

impl Alphabet {
    fn new(a: &Nfa, b: &Nfa) -> Alphabet {
        Alphabet::of(
            a.lits.union(&b.lits).copied().collect(),
            a.sets.union(&b.sets).cloned().collect(),
        )
    }

    /// The alphabet of automata whose literal characters are `lits` and whose classes
    /// are `sets`.
    pub(super) fn of(lits: BTreeSet<char>, sets: BTreeSet<Arc<CharClass>>) -> Alphabet {
        // The other characters first: witnesses then prefer a character no glob names.
        let mut syms: Vec<Sym> = others(&lits, &sets).into_iter().map(Sym::Other).collect();
        syms.extend([Sym::Char('/'), Sym::Char('.')]);
        syms.extend(
            lits.iter()
                .filter(|&&c| c != '/' && c != '.')
                .map(|&c| Sym::Char(c)),
        );
        Alphabet { syms }
    }

    fn char_of(&self, s: Sym) -> char {
        match s {
            Sym::Char(c) | Sym::Other(c) => c,
        }
    }
}

/// The characters written in witnesses, in order of preference.
fn preferred() -> impl Iterator<Item = char> {
    ('a'..='z')
        .chain('A'..='Z')
        .chain('0'..='9')
        .chain(['_', '-', '~', '+'])
}

/// One representative of each set of characters outside `lits`, `/` and `.` that all
/// the classes treat alike (a class holds all of the set or none of it), in the order
/// of the representatives' preference.
fn others(lits: &BTreeSet<char>, sets: &BTreeSet<Arc<CharClass>>) -> Vec<char> {
    let taken = |c: char| lits.contains(&c) || c == '/' || c == '.';
    if sets.is_empty() {
        // One set: every character no glob names.
        let other = preferred()
            .chain((0xc0u32..).filter_map(char::from_u32))
            .find(|&c| !taken(c))
            .unwrap_or('\u{fffd}');
        return vec![other];
    }
    let signature = |c: char| -> Vec<bool> { sets.iter().map(|s| s.holds(c)).collect() };
    // The intervals between every boundary of a class, a literal, `/` and `.`.
    let mut bounds: BTreeSet<u32> = BTreeSet::from([1, char::MAX as u32 + 1]);
    for s in sets {
        for &(a, b) in s.ranges() {
            bounds.extend([a, b + 1]);
        }
    }
    for c in lits.iter().copied().chain(['/', '.']) {
        bounds.extend([c as u32, c as u32 + 1]);
    }
    let mut groups: Vec<(Vec<bool>, char)> = Vec::new();
    let mut seen: std::collections::HashMap<Vec<bool>, usize> = std::collections::HashMap::new();
    let points: Vec<u32> = bounds.into_iter().collect();
    for w in points.windows(2) {
        let (Some(&a), Some(&b)) = (w.first(), w.get(1)) else {
            continue;
        };
        // A representative of [a, b): a preferred character if there is one.
        let first = preferred()
            .find(|&c| (a..b).contains(&(c as u32)) && !taken(c))
            .or_else(|| (a..b).filter_map(char::from_u32).find(|&c| !taken(c)));
        let Some(rep) = first else { continue };
        let sig = signature(rep);
        match seen.get(&sig) {
            Some(&k) => {
                if let Some(g) = groups.get_mut(k) {
                    if rank(rep) < rank(g.1) {
                        g.1 = rep;
                    }
                }
            }
            None => {
                seen.insert(sig.clone(), groups.len());
                groups.push((sig, rep));
            }
        }
    }
    let mut reps: Vec<char> = groups.into_iter().map(|(_, c)| c).collect();
    reps.sort_by_key(|&c| rank(c));
    reps
}

/// A character's place in witness preference: the preferred ones first, then printable
/// characters by code point, then control characters.
fn rank(c: char) -> (u8, u32) {
    match preferred().position(|p| p == c) {
        Some(i) => (0, i as u32),
        None if c < ' ' || c == '\u{7f}' => (2, c as u32),
        None => (1, c as u32),
    }
}

pub(super) fn holds(class: &Class, s: Sym) -> bool {
    match (class, s) {
        (Class::Lit(l), Sym::Char(c)) => *l == c,
        (Class::Lit(_), Sym::Other(_)) => false,
        (Class::NotSlash, s) => s != Sym::Char('/'),
        (Class::Any, _) => true,
        (Class::Set(set), Sym::Char(c) | Sym::Other(c)) => set.holds(c),
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
    nfa.out(q)
}

pub(super) fn accepting(nfa: &Nfa, q: u32) -> bool {
    nfa.accepting(q)
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
                    .filter(|(c, _)| holds(c, s))
                    .map(|&(_, r)| r),
            );
            if a_next.is_empty() {
                continue;
            }
            let tb = trans(b, qb);
            if !search.spend(a_next.len() * tb.len()) {
                return Emptiness::Unknown;
            }
            for (cb, rb) in tb {
                let rb = *rb;
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
            set.extend(t.iter().filter(|(c, _)| holds(c, s)).map(|&(_, r)| r));
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
            for (ca, ra) in ta {
                let ra = *ra;
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
