//! The automaton of a glob: a Thompson construction over the brace tree, then ε-removal.
//!
//! The result has one state per character-consuming position (plus the start), so its
//! size is linear in the glob text; matching a path simulates it in
//! `O(path length × transitions)`, without backtracking.

use super::class::CharClass;
use super::parse::{run_text, tokens, Node, Token};
use std::collections::BTreeSet;
use std::sync::Arc;

/// What one transition consumes.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(super) enum Class {
    /// Exactly this character.
    Lit(char),
    /// Any character but `/` (`?`, and the loop of `*`).
    NotSlash,
    /// Any character (the loop of `**`).
    Any,
    /// A character of a `[...]` class (never `/`).
    Set(Arc<CharClass>),
}

impl Class {
    /// True when the class holds `c`.
    pub(super) fn holds(&self, c: char) -> bool {
        match self {
            Class::Lit(l) => *l == c,
            Class::NotSlash => c != '/',
            Class::Any => true,
            Class::Set(set) => set.holds(c),
        }
    }
}

/// An ε-free automaton; state 0 is the start. Every state is reachable from the start.
#[derive(Clone, Debug)]
pub(super) struct Nfa {
    /// Transitions of each state, sorted and without duplicates.
    pub(super) trans: Vec<Vec<(Class, u32)>>,
    /// Whether each state accepts.
    pub(super) accepting: Vec<bool>,
    /// The characters of the glob's `Lit` classes.
    pub(super) lits: BTreeSet<char>,
    /// The glob's `[...]` classes.
    pub(super) sets: BTreeSet<Arc<CharClass>>,
}

/// Transitions plus closure members visited during ε-removal; past it the glob is refused.
pub(super) const MAX_NFA_WORK: usize = 1 << 22;

#[derive(Default)]
struct Builder {
    eps: Vec<Vec<usize>>,
    edges: Vec<Vec<(Class, usize)>>,
}

impl Builder {
    fn state(&mut self) -> usize {
        self.eps.push(Vec::new());
        self.edges.push(Vec::new());
        self.eps.len() - 1
    }

    fn eps(&mut self, from: usize, to: usize) {
        if let Some(v) = self.eps.get_mut(from) {
            v.push(to);
        }
    }

    fn edge(&mut self, from: usize, class: Class, to: usize) {
        if let Some(v) = self.edges.get_mut(from) {
            v.push((class, to));
        }
    }

    /// Build `seq` from state `cur`; return the state reached at its end.
    fn seq(&mut self, seq: &[Node], text: &str, mut cur: usize) -> usize {
        for node in seq {
            match node {
                Node::Text { start, end } => {
                    for tok in tokens(run_text(text, *start, *end)) {
                        let next = self.state();
                        match tok {
                            Token::Lit(c) => self.edge(cur, Class::Lit(c), next),
                            Token::One => self.edge(cur, Class::NotSlash, next),
                            Token::Class(set) => self.edge(cur, Class::Set(set), next),
                            Token::ClassPlus(set) => {
                                // One character of the class, then a loop on it.
                                self.edge(cur, Class::Set(set.clone()), next);
                                self.edge(next, Class::Set(set), next);
                            }
                            Token::Star | Token::GlobStar => {
                                let class = if tok == Token::Star {
                                    Class::NotSlash
                                } else {
                                    Class::Any
                                };
                                // A fresh looping state, so the loop belongs to this star only.
                                self.eps(cur, next);
                                self.edge(next, class, next);
                            }
                        }
                        cur = next;
                    }
                }
                Node::Alt(alts) => {
                    let join = self.state();
                    for alt in alts {
                        let entry = self.state();
                        self.eps(cur, entry);
                        let exit = self.seq(alt, text, entry);
                        self.eps(exit, join);
                    }
                    cur = join;
                }
            }
        }
        cur
    }
}

/// The automaton of a parsed glob, or `None` when ε-removal would exceed [`MAX_NFA_WORK`].
pub(super) fn build(seq: &[Node], text: &str) -> Option<Nfa> {
    let mut b = Builder::default();
    let start = b.state();
    let accept = b.seq(seq, text, start);
    let n = b.eps.len();

    let mut index: Vec<Option<u32>> = vec![None; n];
    *index.get_mut(start)? = Some(0);
    let mut order = vec![start];
    let mut stamp = vec![usize::MAX; n];
    let mut nfa = Nfa {
        trans: Vec::new(),
        accepting: Vec::new(),
        lits: BTreeSet::new(),
        sets: BTreeSet::new(),
    };
    let mut work = 0usize;
    let mut k = 0;
    while let Some(&q) = order.get(k) {
        // The ε-closure of q, and the transitions leaving it.
        let mut stack = vec![q];
        *stamp.get_mut(q)? = k;
        let mut out: Vec<(Class, usize)> = Vec::new();
        let mut acc = false;
        while let Some(p) = stack.pop() {
            work += 1;
            acc |= p == accept;
            out.extend_from_slice(b.edges.get(p)?);
            for &r in b.eps.get(p)? {
                let s = stamp.get_mut(r)?;
                if *s != k {
                    *s = k;
                    stack.push(r);
                }
            }
        }
        out.sort_unstable();
        out.dedup();
        work += out.len();
        if work > MAX_NFA_WORK {
            return None;
        }
        let mut mapped = Vec::with_capacity(out.len());
        for (class, r) in out {
            match &class {
                Class::Lit(c) => {
                    nfa.lits.insert(*c);
                }
                Class::Set(set) => {
                    nfa.sets.insert(set.clone());
                }
                Class::NotSlash | Class::Any => {}
            }
            let slot = index.get_mut(r)?;
            let id = match *slot {
                Some(id) => id,
                None => {
                    let id = u32::try_from(order.len()).ok()?;
                    *slot = Some(id);
                    order.push(r);
                    id
                }
            };
            mapped.push((class, id));
        }
        mapped.sort_unstable();
        nfa.trans.push(mapped);
        nfa.accepting.push(acc);
        k += 1;
    }
    Some(nfa)
}

impl Nfa {
    /// The automaton of no string: one state, not accepting, without transitions.
    pub(super) fn nothing() -> Nfa {
        Nfa {
            trans: vec![Vec::new()],
            accepting: vec![false],
            lits: BTreeSet::new(),
            sets: BTreeSet::new(),
        }
    }

    /// True when some run of the automaton consumes all of `s`: some string starting
    /// with `s` may be accepted (every state lies on the way to an accepting one).
    pub(super) fn alive_after(&self, s: &str) -> bool {
        let n = self.trans.len();
        let mut cur: Vec<u32> = vec![0];
        let mut next: Vec<u32> = Vec::new();
        let mut seen = vec![usize::MAX; n];
        for (step, c) in s.chars().enumerate() {
            next.clear();
            for &q in &cur {
                for (class, r) in self.trans.get(q as usize).map_or(&[][..], Vec::as_slice) {
                    let r = *r;
                    if class.holds(c) {
                        if let Some(mark) = seen.get_mut(r as usize) {
                            if *mark != step {
                                *mark = step;
                                next.push(r);
                            }
                        }
                    }
                }
            }
            std::mem::swap(&mut cur, &mut next);
            if cur.is_empty() {
                return false;
            }
        }
        true
    }

    /// Run the automaton on `s` (no path-validity check here).
    pub(super) fn accepts(&self, s: &str) -> bool {
        let n = self.trans.len();
        let mut cur: Vec<u32> = vec![0];
        let mut next: Vec<u32> = Vec::new();
        let mut seen = vec![usize::MAX; n];
        for (step, c) in s.chars().enumerate() {
            next.clear();
            for &q in &cur {
                for (class, r) in self.trans.get(q as usize).map_or(&[][..], Vec::as_slice) {
                    let r = *r;
                    if class.holds(c) {
                        if let Some(mark) = seen.get_mut(r as usize) {
                            if *mark != step {
                                *mark = step;
                                next.push(r);
                            }
                        }
                    }
                }
            }
            std::mem::swap(&mut cur, &mut next);
            if cur.is_empty() {
                return false;
            }
        }
        cur.iter()
            .any(|&q| self.accepting.get(q as usize).copied().unwrap_or(false))
    }
}
