//! The search over products of machines: breadth first, with a budget, a shortest
//! witness, and the reached product states kept in one flat arena.

use super::{AuxStep, Engine, Found, MachineId};
use polc_lang::hash::FxHasher;
use std::collections::VecDeque;
use std::hash::Hasher;

/// What a search does with a product state it reaches ([`Engine::search_keeping`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Visit {
    /// Go on.
    Go,
    /// Keep the state's string (its shortest, first in the order of the classes) and go
    /// on.
    Keep,
    /// Stop here, with the state's string as the witness.
    Stop,
}

impl Engine {
    /// [`Engine::search`] that keeps the strings of every state `visit` asks to keep, in
    /// the order they are reached: a breadth-first search reaches each product state
    /// first by its shortest string, the first in the order of the classes among those,
    /// so the kept string of a state is the one a search stopping there would return.
    pub(crate) fn search_keeping(
        &mut self,
        machines: &[MachineId],
        aux0: u32,
        aux_step: &AuxStep<'_>,
        dead: &dyn Fn(&Engine, &[u32], u32) -> bool,
        visit: &mut dyn FnMut(&Engine, &[u32], u32) -> Visit,
    ) -> (Found, Vec<Vec<u8>>) {
        let starts = machines.iter().map(|&m| self.start(m)).collect();
        self.explore(machines, starts, aux0, aux_step, dead, visit)
    }

    /// Breadth-first search over the product of `machines`, with an auxiliary value.
    ///
    /// `aux_step(engine, before, after, aux, class)` gives the next auxiliary value;
    /// `dead` prunes product states; `accept` is called on every reached product state
    /// and stops the search (with a witness) when it returns true. Returns
    /// [`Found::Nothing`] when the whole reachable product was explored.
    pub(crate) fn search(
        &mut self,
        machines: &[MachineId],
        aux0: u32,
        aux_step: &AuxStep<'_>,
        dead: &dyn Fn(&Engine, &[u32], u32) -> bool,
        accept: &mut dyn FnMut(&Engine, &[u32], u32) -> bool,
    ) -> Found {
        self.search_keeping(machines, aux0, aux_step, dead, &mut stop_on(accept))
            .0
    }

    /// [`Engine::search`] over the strings that start with `prefix`, from the product
    /// state after it; the witness starts with `prefix`. When every other string leads to
    /// a dead state and no proper prefix of `prefix` is accepted (a machine of strings
    /// that all start with `prefix`), this is what [`Engine::search`] finds, without
    /// reading the prefix class by class.
    pub(crate) fn search_after(
        &mut self,
        machines: &[MachineId],
        prefix: &[u8],
        aux0: u32,
        aux_step: &AuxStep<'_>,
        dead: &dyn Fn(&Engine, &[u32], u32) -> bool,
        accept: &mut dyn FnMut(&Engine, &[u32], u32) -> bool,
    ) -> Found {
        let mut states: Vec<u32> = machines.iter().map(|&m| self.start(m)).collect();
        let mut aux = aux0;
        if dead(self, &states, aux) {
            return Found::Nothing;
        }
        // two buffers for the whole prefix, not a vector per byte
        let mut next: Vec<u32> = Vec::with_capacity(states.len());
        for &b in prefix {
            let c = self.class_of(b);
            next.clear();
            for (&m, &s) in machines.iter().zip(&states) {
                let t = self.step(m, s, c);
                next.push(t);
            }
            aux = aux_step(self, &states, &next, aux, c);
            std::mem::swap(&mut states, &mut next);
            if dead(self, &states, aux) {
                return Found::Nothing;
            }
        }
        match self.search_from(machines, states, aux, aux_step, dead, accept) {
            Found::Witness(w) => Found::Witness(prefix.iter().copied().chain(w).collect()),
            other => other,
        }
    }

    fn search_from(
        &mut self,
        machines: &[MachineId],
        starts: Vec<u32>,
        aux0: u32,
        aux_step: &AuxStep<'_>,
        dead: &dyn Fn(&Engine, &[u32], u32) -> bool,
        accept: &mut dyn FnMut(&Engine, &[u32], u32) -> bool,
    ) -> Found {
        self.explore(machines, starts, aux0, aux_step, dead, &mut stop_on(accept))
            .0
    }

    /// The search of [`Engine::search_from`] and [`Engine::search_keeping`]: what it
    /// found, and the strings kept.
    fn explore(
        &mut self,
        machines: &[MachineId],
        starts: Vec<u32>,
        aux0: u32,
        aux_step: &AuxStep<'_>,
        dead: &dyn Fn(&Engine, &[u32], u32) -> bool,
        visit: &mut dyn FnMut(&Engine, &[u32], u32) -> Visit,
    ) -> (Found, Vec<Vec<u8>>) {
        let mut kept = Vec::new();
        // Product states live in one flat arena, `width` words each: the machines'
        // states, then the auxiliary value; `seen` maps each to its node.
        let width = machines.len() + 1;
        let mut arena: Vec<u32> = starts;
        if dead(self, &arena, aux0) {
            return (Found::Nothing, kept);
        }
        arena.push(aux0);
        let mut parents: Vec<Option<(usize, usize)>> = vec![None];
        let mut seen = Seen::new(width);
        seen.insert(&arena, 0);
        let witness = |parents: &[Option<(usize, usize)>], mut i: usize, reps: &[u8]| {
            let mut out = Vec::new();
            while let Some((p, c)) = parents.get(i).copied().flatten() {
                out.push(reps.get(c).copied().unwrap_or(0));
                i = p;
            }
            out.reverse();
            out
        };
        match visit(self, arena.get(..width - 1).unwrap_or(&[]), aux0) {
            Visit::Stop => return (Found::Witness(Vec::new()), kept),
            Visit::Keep => kept.push(Vec::new()),
            Visit::Go => {}
        }
        let mut queue = VecDeque::from([0usize]);
        let mut before: Vec<u32> = Vec::with_capacity(width);
        let mut after: Vec<u32> = Vec::with_capacity(width);
        // the product states the classes of the state being expanded led to so far
        let mut tried: Vec<u32> = Vec::new();
        let mut rows: Vec<(u32, u32)> = Vec::with_capacity(width);
        while let Some(i) = queue.pop_front() {
            before.clear();
            before.extend_from_slice(arena.get(i * width..(i + 1) * width).unwrap_or(&[]));
            let Some((&aux, states)) = before.split_last() else {
                continue;
            };
            rows.clear();
            for (&m, &st) in machines.iter().zip(states) {
                let row = self.row(m, st);
                rows.push(row);
            }
            // the classes a state treats alike lead to the same few product states: a
            // class leading to one an earlier class led to has the same outcome (dead,
            // or reached by then), so it is skipped at once; the classes in the same
            // part for every machine (and both `/` or both not, for the auxiliary
            // value) lead to the same product state as the first of them, so only the
            // first of each such group is stepped
            let firsts = self.first_classes(&rows);
            tried.clear();
            for c in firsts.iter().map(|&c| usize::from(c)) {
                after.clear();
                for ((&m, &st), &row) in machines.iter().zip(states).zip(&rows) {
                    let next = self.step_row(m, st, row, c);
                    after.push(next);
                }
                let aux2 = aux_step(self, states, &after, aux, c);
                after.push(aux2);
                if tried.chunks_exact(width).any(|t| same(t, &after)) {
                    continue;
                }
                tried.extend_from_slice(&after);
                if dead(self, after.get(..width - 1).unwrap_or(&[]), aux2) {
                    continue;
                }
                if seen.contains(&arena, &after) {
                    continue;
                }
                let j = parents.len();
                self.visited += 1;
                arena.extend_from_slice(&after);
                seen.insert(&arena, j);
                parents.push(Some((i, c)));
                match visit(self, after.get(..width - 1).unwrap_or(&[]), aux2) {
                    Visit::Stop => return (Found::Witness(witness(&parents, j, &self.reps)), kept),
                    Visit::Keep => kept.push(witness(&parents, j, &self.reps)),
                    Visit::Go => {}
                }
                if parents.len() > self.budget {
                    return (Found::TooBig, kept);
                }
                queue.push_back(j);
            }
        }
        (Found::Nothing, kept)
    }
}

/// The visit of a search that stops at the first state `accept` accepts.
fn stop_on<'a>(
    accept: &'a mut dyn FnMut(&Engine, &[u32], u32) -> bool,
) -> impl FnMut(&Engine, &[u32], u32) -> Visit + 'a {
    move |e: &Engine, t: &[u32], aux: u32| {
        if accept(e, t, aux) {
            Visit::Stop
        } else {
            Visit::Go
        }
    }
}

/// Slice equality without a call to `memcmp`: product states are a few words, compared
/// millions of times.
fn same(a: &[u32], b: &[u32]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

/// The product states a search has reached: an open-addressing table of their indices in
/// the search's arena (`width` words each), so that a state is stored once, in the arena,
/// rather than boxed again as a key.
struct Seen {
    width: usize,
    /// Node index + 1 per slot, 0 for an empty slot; the length is a power of two.
    slots: Vec<u32>,
    len: usize,
}

impl Seen {
    fn new(width: usize) -> Seen {
        Seen {
            width,
            slots: vec![0; 64],
            len: 0,
        }
    }

    fn hash(key: &[u32]) -> usize {
        let mut h = FxHasher::default();
        for &x in key {
            h.write_u32(x);
        }
        // the high bits are the best mixed
        (h.finish() >> 20) as usize
    }

    fn node<'a>(&self, arena: &'a [u32], i: usize) -> &'a [u32] {
        arena
            .get(i * self.width..(i + 1) * self.width)
            .unwrap_or(&[])
    }

    fn contains(&self, arena: &[u32], key: &[u32]) -> bool {
        let mask = self.slots.len() - 1;
        let mut at = Seen::hash(key) & mask;
        loop {
            match self.slots.get(at).copied() {
                Some(0) | None => return false,
                Some(n) => {
                    if same(self.node(arena, n as usize - 1), key) {
                        return true;
                    }
                }
            }
            at = (at + 1) & mask;
        }
    }

    /// Add node `i` of the arena (not yet present).
    fn insert(&mut self, arena: &[u32], i: usize) {
        if (self.len + 1) * 2 > self.slots.len() {
            let grown = vec![0; self.slots.len() * 2];
            let old = std::mem::replace(&mut self.slots, grown);
            self.len = 0;
            for n in old.into_iter().filter(|&n| n != 0) {
                self.place(arena, n);
            }
        }
        self.place(arena, u32::try_from(i + 1).unwrap_or(u32::MAX));
    }

    fn place(&mut self, arena: &[u32], n: u32) {
        let mask = self.slots.len() - 1;
        let mut at = Seen::hash(self.node(arena, n as usize - 1)) & mask;
        while let Some(slot) = self.slots.get_mut(at) {
            if *slot == 0 {
                *slot = n;
                self.len += 1;
                return;
            }
            at = (at + 1) & mask;
        }
    }
}
