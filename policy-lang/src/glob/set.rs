//! Sets of paths built from several globs: the paths in every glob of one list and in no
//! glob of another, decided by the same product construction as the pairwise algebra.

use super::algebra::{
    accepting, holds, trans, v_accepts, v_step, Alphabet, Search, Sym, MAX_PRODUCT_STATES, V_DEAD,
    V_START,
};
use super::nfa::Nfa;
use super::{Emptiness, Glob};
use std::collections::{BTreeSet, HashMap};

/// Numbers for values seen during a search (tuples of NFA states, DFA state sets).
struct Interner<T> {
    ids: HashMap<T, u32>,
    values: Vec<T>,
}

impl<T: Clone + Eq + std::hash::Hash> Interner<T> {
    fn new() -> Self {
        Interner {
            ids: HashMap::new(),
            values: Vec::new(),
        }
    }

    fn id(&mut self, v: T) -> Option<u32> {
        if let Some(&i) = self.ids.get(&v) {
            return Some(i);
        }
        if self.values.len() >= MAX_PRODUCT_STATES {
            return None;
        }
        let i = u32::try_from(self.values.len()).ok()?;
        self.ids.insert(v.clone(), i);
        self.values.push(v);
        Some(i)
    }

    fn get(&self, i: u32) -> Option<&T> {
        self.values.get(i as usize)
    }
}

/// The union of the `except` automata, determinised on demand: a state is the set of
/// (automaton, state) pairs reached.
struct UnionDfa<'a> {
    nfas: &'a [&'a Nfa],
    sets: Interner<Vec<(u32, u32)>>,
    accepting: Vec<bool>,
    next: HashMap<(u32, u32), u32>,
}

impl<'a> UnionDfa<'a> {
    fn new(nfas: &'a [&'a Nfa]) -> Option<Self> {
        let mut d = UnionDfa {
            nfas,
            sets: Interner::new(),
            accepting: Vec::new(),
            next: HashMap::new(),
        };
        let start: Vec<(u32, u32)> = (0..nfas.len())
            .filter_map(|i| u32::try_from(i).ok().map(|i| (i, 0)))
            .collect();
        d.intern(start)?;
        Some(d)
    }

    fn intern(&mut self, set: Vec<(u32, u32)>) -> Option<u32> {
        let before = self.sets.values.len();
        let acc = set
            .iter()
            .any(|&(k, q)| self.nfas.get(k as usize).is_some_and(|n| accepting(n, q)));
        let id = self.sets.id(set)?;
        if self.sets.values.len() > before {
            self.accepting.push(acc);
        }
        Some(id)
    }

    fn step<K: Copy + Eq + std::hash::Hash>(
        &mut self,
        d: u32,
        si: u32,
        s: Sym,
        search: &mut Search<K>,
    ) -> Option<u32> {
        if let Some(&n) = self.next.get(&(d, si)) {
            return Some(n);
        }
        let mut set: Vec<(u32, u32)> = Vec::new();
        let mut visited = 0usize;
        for &(k, q) in self.sets.get(d)? {
            let t = trans(self.nfas.get(k as usize)?, q);
            visited += t.len();
            set.extend(t.iter().filter(|(c, _)| holds(c, s)).map(|&(_, r)| (k, r)));
        }
        set.sort_unstable();
        set.dedup();
        if !search.spend(visited + set.len()) {
            return None;
        }
        let n = self.intern(set)?;
        self.next.insert((d, si), n);
        Some(n)
    }

    fn accepts(&self, d: u32) -> bool {
        self.accepting.get(d as usize).copied().unwrap_or(true)
    }
}

/// Whether some valid path is in every glob of `within` and in no glob of `except`, with
/// a shortest one. An empty `within` stands for every valid path.
///
/// The search is the pairwise algebra's, generalised: the product of the `within`
/// automata, the union of the `except` automata determinised on the fly, and the
/// automaton of valid paths, searched breadth first over the symbolic alphabet of all of
/// them, with the same bounds ([`Emptiness::Unknown`] past them).
///
/// ```
/// use polc_lang::glob::{region, Emptiness, Glob};
///
/// # fn main() -> Result<(), polc_lang::glob::GlobError> {
/// let lib = Glob::parse("/var/lib/app/**")?;
/// let keep = Glob::parse("/var/lib/app/{a,keep}/**")?;
/// let x = Glob::parse("/var/lib/app/?")?;
/// // `c`: the first letter none of the globs names, standing for any such character.
/// assert_eq!(region(&[&lib], &[&keep, &x]), Emptiness::Witness("/var/lib/app/cc".into()));
/// assert_eq!(region(&[&x, &lib], &[&x]), Emptiness::Empty);
/// # Ok(())
/// # }
/// ```
pub fn region(within: &[&Glob], except: &[&Glob]) -> Emptiness {
    // A literal glob is exactly its text (a valid path: it passed the path-form checks).
    if let Some(lit) = within.iter().find(|g| g.is_literal()) {
        let p = lit.as_str();
        return if within.iter().all(|g| g.matches(p)) && !except.iter().any(|g| g.matches(p)) {
            Emptiness::Witness(p.to_string())
        } else {
            Emptiness::Empty
        };
    }
    if within
        .iter()
        .any(|w| except.iter().any(|e| e.as_str() == w.as_str()))
    {
        return Emptiness::Empty;
    }
    let mut ws: Vec<&Glob> = within.to_vec();
    ws.sort();
    ws.dedup();
    let mut es: Vec<&Glob> = except.to_vec();
    es.sort();
    es.dedup();
    let wn: Vec<&Nfa> = ws.iter().map(|g| g.nfa()).collect();
    let en: Vec<&Nfa> = es.iter().map(|g| g.nfa()).collect();
    search(&wn, &en).unwrap_or(Emptiness::Unknown)
}

/// The search; `None` when a bound is reached.
fn search(within: &[&Nfa], except: &[&Nfa]) -> Option<Emptiness> {
    let lits: BTreeSet<char> = within
        .iter()
        .chain(except.iter())
        .flat_map(|n| n.lits.iter().copied())
        .collect();
    let sets = within
        .iter()
        .chain(except.iter())
        .flat_map(|n| n.sets.iter().cloned())
        .collect();
    let alpha = Alphabet::of(lits, sets);
    let mut tuples: Interner<Vec<u32>> = Interner::new();
    let mut dfa = UnionDfa::new(except)?;
    let start = (tuples.id(vec![0; within.len()])?, 0u32, V_START);
    let mut search = Search::new(start);
    let mut nexts: Vec<Vec<u32>> = vec![Vec::new(); within.len()];
    while let Some(i) = search.queue.pop_front() {
        let &(t, d, v) = search.states.get(i as usize)?;
        let tuple = tuples.get(t)?.clone();
        let all_accept = within.iter().zip(&tuple).all(|(n, &q)| accepting(n, q));
        if all_accept && !dfa.accepts(d) && v_accepts(v) {
            return Some(Emptiness::Witness(search.witness(i, &alpha)));
        }
        for (si, &s) in alpha.syms.iter().enumerate() {
            let v2 = v_step(v, s);
            if v2 == V_DEAD {
                continue;
            }
            let sym = u32::try_from(si).ok()?;
            // Successors of each `within` automaton; none means no path goes on.
            let mut dead = false;
            for ((n, &q), out) in within.iter().zip(&tuple).zip(nexts.iter_mut()) {
                out.clear();
                let t = trans(n, q);
                if !search.spend(t.len()) {
                    return None;
                }
                out.extend(t.iter().filter(|(c, _)| holds(c, s)).map(|&(_, r)| r));
                if out.is_empty() {
                    dead = true;
                    break;
                }
            }
            if dead {
                continue;
            }
            let d2 = dfa.step(d, sym, s, &mut search)?;
            // Every combination of successors.
            let mut combo: Vec<usize> = vec![0; within.len()];
            loop {
                let next: Vec<u32> = combo
                    .iter()
                    .zip(&nexts)
                    .filter_map(|(&k, out)| out.get(k).copied())
                    .collect();
                let id = tuples.id(next)?;
                if !search.spend(1) || !search.visit((id, d2, v2), i, sym) {
                    return None;
                }
                // Advance the mixed-radix counter.
                let mut pos = 0;
                while let (Some(c), Some(out)) = (combo.get_mut(pos), nexts.get(pos)) {
                    *c += 1;
                    if *c < out.len() {
                        break;
                    }
                    *c = 0;
                    pos += 1;
                }
                if pos >= within.len() {
                    break;
                }
            }
        }
    }
    Some(Emptiness::Empty)
}
