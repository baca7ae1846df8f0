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
    /// Transitions of all states, state by state; each state's sorted and without
    /// duplicates (one vector for the automaton: a glob is built and dropped in a few
    /// allocations).
    trans: Vec<(Class, u32)>,
    /// Where each state's transitions start in `trans`, and the end of the last one.
    starts: Vec<u32>,
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
    /// A state's character edges: at most two (one to the next position, and the loop of
    /// a star or a `[...]+` on the state itself), so no vector per state.
    edges: Vec<[Option<(Class, usize)>; 2]>,
}

impl Builder {
    fn state(&mut self) -> usize {
        self.eps.push(Vec::new());
        self.edges.push([None, None]);
        self.eps.len() - 1
    }

    fn eps(&mut self, from: usize, to: usize) {
        if let Some(v) = self.eps.get_mut(from) {
            v.push(to);
        }
    }

    fn edge(&mut self, from: usize, class: Class, to: usize) {
        if let Some(slots) = self.edges.get_mut(from) {
            if let Some(free) = slots.iter_mut().find(|s| s.is_none()) {
                *free = Some((class, to));
            }
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
    // About one state per character, and two more per alternative.
    let mut b = Builder {
        eps: Vec::with_capacity(text.len() + 2),
        edges: Vec::with_capacity(text.len() + 2),
    };
    let start = b.state();
    let accept = b.seq(seq, text, start);
    let n = b.eps.len();

    let mut index: Vec<Option<u32>> = vec![None; n];
    *index.get_mut(start)? = Some(0);
    let mut order = vec![start];
    let mut stamp = vec![usize::MAX; n];
    let mut starts = Vec::with_capacity(n + 1);
    starts.push(0);
    let mut nfa = Nfa {
        // Rarely more than one transition per state, and never more than two.
        trans: Vec::with_capacity(n + n / 2),
        starts,
        accepting: Vec::with_capacity(n),
        lits: BTreeSet::new(),
        sets: BTreeSet::new(),
    };
    let mut work = 0usize;
    let mut k = 0;
    // Reused for every state.
    let mut stack: Vec<usize> = Vec::new();
    let mut out: Vec<(Class, usize)> = Vec::new();
    while let Some(&q) = order.get(k) {
        // The ε-closure of q, and the transitions leaving it.
        stack.clear();
        stack.push(q);
        *stamp.get_mut(q)? = k;
        out.clear();
        let mut acc = false;
        while let Some(p) = stack.pop() {
            work += 1;
            acc |= p == accept;
            out.extend(b.edges.get(p)?.iter().flatten().cloned());
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
        let first = nfa.trans.len();
        for (class, r) in out.drain(..) {
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
            nfa.trans.push((class, id));
        }
        nfa.trans.get_mut(first..)?.sort_unstable();
        nfa.starts.push(u32::try_from(nfa.trans.len()).ok()?);
        nfa.accepting.push(acc);
        k += 1;
    }
    Some(nfa)
}

impl Nfa {
    /// The automaton of no string: one state, not accepting, without transitions.
    pub(super) fn nothing() -> Nfa {
        Nfa {
            trans: Vec::new(),
            starts: vec![0, 0],
            accepting: vec![false],
            lits: BTreeSet::new(),
            sets: BTreeSet::new(),
        }
    }

    /// The number of states.
    pub(super) fn len(&self) -> usize {
        self.accepting.len()
    }

    /// The transitions leaving state `q`.
    pub(super) fn out(&self, q: u32) -> &[(Class, u32)] {
        let at = |i: usize| self.starts.get(i).map_or(0, |&x| x as usize);
        let q = q as usize;
        self.trans.get(at(q)..at(q + 1)).unwrap_or(&[])
    }

    /// Whether state `q` accepts.
    pub(super) fn accepting(&self, q: u32) -> bool {
        self.accepting.get(q as usize).copied().unwrap_or(false)
    }

    /// The states some run of the automaton is in after consuming all of `s` (empty when
    /// every run stopped).
    fn run(&self, s: &str) -> Vec<u32> {
        let mut cur: Vec<u32> = vec![0];
        let mut next: Vec<u32> = Vec::new();
        let mut seen = vec![usize::MAX; self.len()];
        for (step, c) in s.chars().enumerate() {
            next.clear();
            for &q in &cur {
                for (class, r) in self.out(q) {
                    if class.holds(c) {
                        if let Some(mark) = seen.get_mut(*r as usize) {
                            if *mark != step {
                                *mark = step;
                                next.push(*r);
                            }
                        }
                    }
                }
            }
            std::mem::swap(&mut cur, &mut next);
            if cur.is_empty() {
                break;
            }
        }
        cur
    }

    /// True when some run of the automaton consumes all of `s`: some string starting
    /// with `s` may be accepted (every state lies on the way to an accepting one).
    pub(super) fn alive_after(&self, s: &str) -> bool {
        !self.run(s).is_empty()
    }

    /// Run the automaton on `s` (no path-validity check here).
    pub(super) fn accepts(&self, s: &str) -> bool {
        self.run(s).iter().any(|&q| self.accepting(q))
    }
}
