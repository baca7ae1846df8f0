//! A small automata engine over bytes: Thompson NFAs built from regular expressions
//! (file_contexts regexes and globs), determinized lazily, and searched in products.
//!
//! The SELinux backend needs to answer questions such as "which file_contexts entry
//! labels some path of this glob?" and "does type `T` label a path the policy does not
//! allow?". Both are emptiness questions over boolean combinations of regular languages;
//! this module answers them by a breadth-first search over the product of lazily built
//! DFAs, with a budget on the number of product states, and returns a shortest witness.

use polc_lang::hash::FxBuild;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

mod search;
pub(crate) use search::Visit;

/// An NFA state id in the arena.
pub(crate) type StateId = u32;

/// A set of bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub(crate) struct ByteSet([u64; 4]);

impl ByteSet {
    pub(crate) const EMPTY: ByteSet = ByteSet([0; 4]);
    pub(crate) const FULL: ByteSet = ByteSet([u64::MAX; 4]);

    pub(crate) fn single(b: u8) -> ByteSet {
        ByteSet::EMPTY.with(b)
    }

    pub(crate) fn range(lo: u8, hi: u8) -> ByteSet {
        let mut s = ByteSet::EMPTY;
        for b in lo..=hi {
            s = s.with(b);
        }
        s
    }

    pub(crate) fn with(mut self, b: u8) -> ByteSet {
        let (w, bit) = (usize::from(b >> 6), b & 63);
        if let Some(word) = self.0.get_mut(w) {
            *word |= 1u64 << bit;
        }
        self
    }

    /// The byte, when the set holds exactly one.
    pub(crate) fn only(&self) -> Option<u8> {
        if self.0.iter().map(|w| w.count_ones()).sum::<u32>() != 1 {
            return None;
        }
        let (i, w) = self.0.iter().enumerate().find(|(_, w)| **w != 0)?;
        u8::try_from(i * 64 + w.trailing_zeros() as usize).ok()
    }

    pub(crate) fn contains(&self, b: u8) -> bool {
        let (w, bit) = (usize::from(b >> 6), b & 63);
        self.0.get(w).is_some_and(|word| word & (1u64 << bit) != 0)
    }

    pub(crate) fn union(self, o: ByteSet) -> ByteSet {
        let mut r = self;
        for (a, b) in r.0.iter_mut().zip(o.0) {
            *a |= b;
        }
        r
    }

    pub(crate) fn complement(self) -> ByteSet {
        let mut r = self;
        for a in r.0.iter_mut() {
            *a = !*a;
        }
        r
    }
}

#[derive(Clone, Debug, Default)]
struct NState {
    trans: Vec<(ByteSet, StateId)>,
    eps: Vec<StateId>,
    /// Epsilon edges usable only at the start of the input (`^`).
    bol: Vec<StateId>,
    /// Epsilon edges usable only at the end of the input (`$`).
    eol: Vec<StateId>,
}

/// The NFA arena: every automaton of one analysis lives here. States are built here,
/// then frozen into the [`Engine`]'s flat tables; `states` holds those not frozen yet,
/// from id `base` on.
#[derive(Clone, Debug, Default)]
pub(crate) struct Nfa {
    states: Vec<NState>,
    base: u32,
    /// Which fragment (file_contexts entry, glob...) each state belongs to (every state).
    owner: Owners,
}

/// The owner of each NFA state: two bytes a state while every owner fits (the entries of
/// a distribution's file contexts, [`NO_OWNER`] for the globs), four once one does not.
#[derive(Clone, Debug)]
enum Owners {
    Narrow(Vec<u16>),
    Wide(Vec<u32>),
}

/// The owner of the states that belong to no entry (`u32::MAX`), as a narrow owner.
const NO_OWNER: u16 = u16::MAX;

impl Default for Owners {
    fn default() -> Owners {
        Owners::Narrow(Vec::new())
    }
}

impl Owners {
    fn push(&mut self, owner: u32) {
        if let Owners::Narrow(v) = self {
            let narrow = match owner {
                u32::MAX => Some(NO_OWNER),
                o => u16::try_from(o).ok().filter(|&o| o != NO_OWNER),
            };
            match narrow {
                Some(o) => {
                    room(v, 1);
                    v.push(o);
                    return;
                }
                None => {
                    let wide = v
                        .iter()
                        .map(|&o| {
                            if o == NO_OWNER {
                                u32::MAX
                            } else {
                                u32::from(o)
                            }
                        })
                        .collect();
                    *self = Owners::Wide(wide);
                }
            }
        }
        if let Owners::Wide(v) = self {
            room(v, 1);
            v.push(owner);
        }
    }

    fn get(&self, s: StateId) -> Option<u32> {
        match self {
            Owners::Narrow(v) => v.get(s as usize).map(|&o| {
                if o == NO_OWNER {
                    u32::MAX
                } else {
                    u32::from(o)
                }
            }),
            Owners::Wide(v) => v.get(s as usize).copied(),
        }
    }

    fn shrink_to_fit(&mut self) {
        match self {
            Owners::Narrow(v) => v.shrink_to_fit(),
            Owners::Wide(v) => v.shrink_to_fit(),
        }
    }
}

/// Start and end state of a built fragment.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Frag {
    pub(crate) start: StateId,
    pub(crate) end: StateId,
}

/// A regular expression, the common form of globs and file_contexts regexes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Re {
    /// The empty string.
    Empty,
    /// One byte of the set.
    Set(ByteSet),
    /// Sequence.
    Concat(Vec<Re>),
    /// Alternatives.
    Alt(Vec<Re>),
    /// Repetition `{min,max}` (`None`: unbounded).
    Repeat(Box<Re>, u32, Option<u32>),
    /// `^`: only at the start of the input.
    Bol,
    /// `$`: only at the end of the input.
    Eol,
}

impl Re {
    /// Push the byte sets of every `Set` of the expression: the sets its fragment's
    /// transitions read ([`Nfa::build`]).
    pub(crate) fn byte_sets(&self, out: &mut HashSet<ByteSet>) {
        match self {
            Re::Set(set) => {
                out.insert(*set);
            }
            Re::Concat(parts) | Re::Alt(parts) => parts.iter().for_each(|p| p.byte_sets(out)),
            Re::Repeat(inner, _, _) => inner.byte_sets(out),
            Re::Empty | Re::Bol | Re::Eol => {}
        }
    }
}

impl Nfa {
    fn add(&mut self, owner: u32) -> StateId {
        let id = u32::try_from(self.states.len())
            .ok()
            .and_then(|n| n.checked_add(self.base))
            .unwrap_or(u32::MAX);
        self.states.push(NState::default());
        self.owner.push(owner);
        id
    }

    fn st(&mut self, s: StateId) -> Option<&mut NState> {
        self.states.get_mut(s.checked_sub(self.base)? as usize)
    }

    fn eps(&mut self, a: StateId, b: StateId) {
        if let Some(s) = self.st(a) {
            s.eps.push(b);
        }
    }

    /// Build a fragment for `re`; every state is owned by `owner`.
    pub(crate) fn build(&mut self, re: &Re, owner: u32) -> Frag {
        match re {
            Re::Empty => {
                let s = self.add(owner);
                Frag { start: s, end: s }
            }
            Re::Set(set) => {
                let a = self.add(owner);
                let b = self.add(owner);
                if let Some(s) = self.st(a) {
                    s.trans.push((*set, b));
                }
                Frag { start: a, end: b }
            }
            Re::Bol | Re::Eol => {
                let a = self.add(owner);
                let b = self.add(owner);
                if let Some(s) = self.st(a) {
                    if matches!(re, Re::Bol) {
                        s.bol.push(b);
                    } else {
                        s.eol.push(b);
                    }
                }
                Frag { start: a, end: b }
            }
            Re::Concat(parts) => {
                let first = self.add(owner);
                let mut end = first;
                for p in parts {
                    let f = self.build(p, owner);
                    self.eps(end, f.start);
                    end = f.end;
                }
                Frag { start: first, end }
            }
            Re::Alt(alts) => {
                let a = self.add(owner);
                let b = self.add(owner);
                for p in alts {
                    let f = self.build(p, owner);
                    self.eps(a, f.start);
                    self.eps(f.end, b);
                }
                Frag { start: a, end: b }
            }
            Re::Repeat(inner, min, max) => {
                let a = self.add(owner);
                let mut end = a;
                for _ in 0..*min {
                    let f = self.build(inner, owner);
                    self.eps(end, f.start);
                    end = f.end;
                }
                match max {
                    None => {
                        let f = self.build(inner, owner);
                        let b = self.add(owner);
                        self.eps(end, f.start);
                        self.eps(end, b);
                        self.eps(f.end, f.start);
                        self.eps(f.end, b);
                        end = b;
                    }
                    Some(max) => {
                        let b = self.add(owner);
                        for _ in *min..*max {
                            let f = self.build(inner, owner);
                            self.eps(end, f.start);
                            self.eps(end, b);
                            end = f.end;
                        }
                        self.eps(end, b);
                        end = b;
                    }
                }
                Frag { start: a, end }
            }
        }
    }
}

/// An automaton over the arena: start states and accepting states with tags.
#[derive(Clone, Debug, Default)]
pub(crate) struct Machine {
    pub(crate) starts: Vec<StateId>,
    pub(crate) accepting: Accepting,
    /// Track which DFA states accept every continuation ([`Engine::is_universal`]).
    pub(crate) track_universal: bool,
    /// For a machine whose NFA states are owned by ranked entries (a file_contexts
    /// labeller: owner = rank, with the entry's mode): once an entry is sure to match
    /// (a universal state), the states of lower-ranked entries it overrides are dropped,
    /// since they can never decide the label.
    pub(crate) dominance: Option<std::rc::Rc<[Option<u8>]>>,
}

/// The accepting NFA states of a machine with their tags, sorted: a union of thousands of
/// globs has thousands (a hash map of them took three times the room).
#[derive(Clone, Debug, Default)]
pub(crate) struct Accepting(Box<[(StateId, u32)]>);

impl Accepting {
    fn get(&self, q: StateId) -> Option<u32> {
        let at = self.0.binary_search_by_key(&q, |&(s, _)| s).ok()?;
        self.0.get(at).map(|&(_, tag)| tag)
    }
}

impl FromIterator<(StateId, u32)> for Accepting {
    /// The last tag of a state given twice wins.
    fn from_iter<I: IntoIterator<Item = (StateId, u32)>>(it: I) -> Accepting {
        let mut v: Vec<(StateId, u32)> = it.into_iter().collect();
        v.reverse();
        v.sort_by_key(|&(s, _)| s);
        v.dedup_by_key(|&mut (s, _)| s);
        Accepting(v.into_boxed_slice())
    }
}

impl<const N: usize> From<[(StateId, u32); N]> for Accepting {
    fn from(a: [(StateId, u32); N]) -> Accepting {
        a.into_iter().collect()
    }
}

/// Lazily determinized [`Machine`].
#[derive(Debug, Default)]
struct Dfa {
    machine: Machine,
    /// Its states, once some are built: a pointer for a machine without any (most of
    /// the thousands of machines of a large policy at a time, their states forgotten
    /// between queries), not some 230 bytes of empty tables.
    built: Option<Box<Built>>,
    /// About how many bytes its states take, and the last query that started it
    /// ([`Engine::forget_states`]).
    bytes: usize,
    used: u64,
}

/// The states of a [`Dfa`].
#[derive(Debug, Default)]
struct Built {
    /// The NFA states of each DFA state, one state after the other (in no particular
    /// order): those of state `s` are `sets[set_at[s]..set_at[s + 1]]`. The table grows
    /// by an eighth ([`room`]): doubling it, or an allocation per state, left the
    /// allocator 1-3 MB more resident memory on the real profiles.
    sets: Vec<StateId>,
    set_at: Vec<u32>,
    /// Non-initial and initial (`^` allowed) states, by the hash of their NFA states
    /// ([`set_hash`]): the first state of each hash, the others chained through `chain`
    /// (the next state of the same hash and kind, [`UNKNOWN`] for none).
    index: [HashMap<u64, u32, FxBuild>; 2],
    chain: Vec<u32>,
    /// Tags accepted at the end of the input, per DFA state (sorted, deduplicated).
    accepts: Vec<Box<[u32]>>,
    /// Per DFA state, once it has been stepped: its partition of the classes (`pids`,
    /// an index in [`Engine::partitions`]) and where its targets, one per part, start in
    /// `targets` (`offs`, [`NO_ROW`] before; a target is [`UNKNOWN`] until computed).
    /// Most states send the 68 classes of Debian's contexts to a handful of targets, and
    /// the same few partitions recur: two words per state and one per part, not a word
    /// per class.
    pids: Vec<u32>,
    offs: Vec<u32>,
    targets: Vec<u32>,
    start: Option<u32>,
    universal: Vec<bool>,
}

impl Built {
    /// The NFA states of DFA state `s`.
    fn set(&self, s: u32) -> &[StateId] {
        let (from, to) = span(&self.set_at, s);
        self.sets.get(from..to).unwrap_or(&[])
    }
}

/// A hash of a set of NFA states that does not depend on their order: a sum of their
/// mixed ids.
fn set_hash(set: &[StateId]) -> u64 {
    let sum = set.iter().fold(0u64, |h, &q| {
        let x = u64::from(q)
            .wrapping_add(1)
            .wrapping_mul(0x9e37_79b9_7f4a_7c15);
        h.wrapping_add(x ^ (x >> 29))
    });
    (sum ^ set.len() as u64).wrapping_mul(0xff51_afd7_ed55_8ccd)
}

const UNKNOWN: u32 = u32::MAX;
/// The bytes a DFA state takes besides its NFA states and tags, as estimated when each
/// set had a shared allocation and a copy in the index (a state now takes less): kept,
/// since it decides when states are forgotten ([`Engine::forget_states`]), hence the
/// work of the searches.
const STATE_BYTES: usize = 96;
/// A DFA state not stepped yet (no partition).
const NO_ROW: u32 = u32::MAX;

/// What a search found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Found {
    /// A witness string.
    Witness(Vec<u8>),
    /// The language is empty.
    Nothing,
    /// The search exceeded its budget.
    TooBig,
}

/// The engine: the arena, the byte classes, and the DFAs of the machines.
#[derive(Debug)]
pub(crate) struct Engine {
    nfa: Nfa,
    class_of: [u8; 256],
    reps: Vec<u8>,
    /// The edges of every NFA state, state after state: those of state `q` are
    /// `edges[estart[q]..estart[q + 1]]`, first its `ntrans[q]` transitions over
    /// classes, two words each (a class set, an index in `csets`, and a target), then
    /// its epsilon edges, one word each (target and kind, [`eps_edge`]). A state of the
    /// arena has at most a few transitions (one for the states of [`Nfa::build`]): five
    /// bytes a state besides its edges, not eight.
    edges: Vec<u32>,
    estart: Vec<u32>,
    ntrans: Vec<u8>,
    /// The partitions of the classes DFA states have (class → part), interned.
    partitions: Vec<Box<[u8]>>,
    partition_ids: HashMap<Box<[u8]>, u32, FxBuild>,
    /// For the partitions of the states of a product state: the first class of each
    /// group of classes in the same part of every partition ([`Engine::first_classes`]).
    /// (A class fits a byte: the classes are refined from the 256 bytes.)
    firsts: HashMap<Box<[u32]>, Rc<[u8]>, FxBuild>,
    /// The partition (and its number of parts) of each set of transitions' class sets
    /// (their indices in `csets`, sorted) a DFA state had ([`Engine::partition`]), and
    /// a buffer for those indices.
    partition_of: HashMap<Box<[u32]>, (u32, usize), FxBuild>,
    cset_ids: Vec<u32>,
    /// The partitions of a product state being expanded ([`Engine::first_classes`]), in
    /// a buffer kept between calls.
    pids: Vec<u32>,
    /// The distinct class sets of the transitions (the same few recur), and the index
    /// of each byte set's.
    csets: Vec<ClassSet>,
    class_sets: HashMap<ByteSet, u32>,
    dfas: Vec<Dfa>,
    /// The visit marks of [`Engine::closure`]: the generation of the closure that last
    /// reached each NFA state (two bytes a state; all cleared once in 65,535 closures).
    mark: Vec<u16>,
    /// The work list of [`Engine::close`] and the set of a DFA step
    /// ([`Engine::step_slow`]), kept between calls: closures of thousands of states
    /// otherwise grow them from empty each time.
    stack: Vec<StateId>,
    reached: Vec<StateId>,
    /// The seeds of [`Engine::step_slow`]'s closure, kept between calls the same way.
    seeds: Vec<StateId>,
    generation: u16,
    /// Maximum product states per search.
    pub(crate) budget: usize,
    /// Product states visited by every search so far (a measure of work).
    pub(crate) visited: usize,
    /// About how many bytes the states of every DFA take ([`Engine::forget_states`]).
    dfa_bytes: usize,
    /// Queries so far (calls of [`Engine::forget_states`]).
    queries: u64,
    /// Per NFA state, in its two low bits: 0 not known yet, 1 not universal, 2
    /// universal. Every machine accepts at the end of each fragment it starts from, so
    /// whether a state accepts every continuation does not depend on the machine. Bit
    /// [`HAS_EOL`]: the state has a `$` edge; bit [`ACCEPTS_SOMEWHERE`]: some machine
    /// accepts in it (the few states a new DFA state's accepting tags are read from).
    universal_nfa: Vec<u8>,
}

/// See [`Engine::universal_nfa`]: the bits of what is known of a state's universality.
const UNIVERSALITY: u8 = 3;
const HAS_EOL: u8 = 4;
const ACCEPTS_SOMEWHERE: u8 = 8;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
struct ClassSet([u64; 4]);

impl ClassSet {
    fn contains(&self, c: usize) -> bool {
        self.0
            .get(c >> 6)
            .is_some_and(|w| w & (1u64 << (c & 63)) != 0)
    }

    /// The classes `0..n`.
    fn first(n: usize) -> ClassSet {
        let mut s = ClassSet::default();
        for (i, w) in s.0.iter_mut().enumerate() {
            let lo = i * 64;
            *w = match n.saturating_sub(lo) {
                0 => 0,
                k if k >= 64 => u64::MAX,
                k => (1u64 << k) - 1,
            };
        }
        s
    }

    fn and(self, o: ClassSet, negate: bool) -> ClassSet {
        let mut r = self;
        for (a, b) in r.0.iter_mut().zip(o.0) {
            *a &= if negate { !b } else { b };
        }
        r
    }

    fn is_empty(&self) -> bool {
        self.0.iter().all(|w| *w == 0)
    }

    /// The classes of the set, in increasing order.
    fn iter(self) -> impl Iterator<Item = usize> {
        self.0.into_iter().enumerate().flat_map(|(i, mut w)| {
            std::iter::from_fn(move || {
                (w != 0).then(|| {
                    let b = w.trailing_zeros() as usize;
                    w &= w - 1;
                    i * 64 + b
                })
            })
        })
    }
}

/// Kinds of epsilon edges: always, only at the start of the input (`^`), only at its
/// end (`$`).
const EPS: u8 = 0;
const BOL: u8 = 1;
const EOL: u8 = 2;

/// An epsilon edge in one word: the target in the low 30 bits, the kind in the top two
/// (an arena of 2^30 states would take tens of gigabytes: ids stay far below).
fn eps_edge(target: StateId, kind: u8) -> u32 {
    (target & EPS_TARGET) | (u32::from(kind) << 30)
}

/// The target and kind of an epsilon edge ([`eps_edge`]).
fn eps_parts(e: u32) -> (StateId, u8) {
    (e & EPS_TARGET, u8::try_from(e >> 30).unwrap_or(EPS))
}

const EPS_TARGET: u32 = (1 << 30) - 1;

/// Make room in `v` for `more` elements, growing it by an eighth at least rather than
/// doubling it: the arena's tables hold a whole policy's globs (10,000 rules: 19 MB),
/// and an entry built afterwards would otherwise double every one of them.
fn room<T>(v: &mut Vec<T>, more: usize) {
    if v.capacity() - v.len() < more {
        v.reserve_exact(more.max(v.len() / 8));
    }
}

/// The range of state `q`'s edges in a flat table with offsets `start`.
fn span(start: &[u32], q: StateId) -> (usize, usize) {
    let q = q as usize;
    (
        start.get(q).copied().unwrap_or(0) as usize,
        start.get(q + 1).copied().unwrap_or(0) as usize,
    )
}

fn cls(class_of: &[u8; 256], b: u8) -> u8 {
    class_of.get(usize::from(b)).copied().unwrap_or(0)
}

/// The auxiliary step of a search: `(engine, before, after, aux, class) -> aux`. It may
/// depend on the class only through whether it is the class of `/` (the search steps one
/// class of each group the machines treat alike, [`Engine::first_classes`]).
pub(crate) type AuxStep<'a> = dyn Fn(&Engine, &[u32], &[u32], u32, usize) -> u32 + 'a;

/// A machine id in the engine.
pub(crate) type MachineId = usize;

impl Engine {
    /// Compute byte classes from every transition of the arena and every set of `later`,
    /// the byte sets of the expressions [`Engine::build`] may add afterwards: the classes,
    /// hence the order in which searches read paths and the witnesses they find, are
    /// those of an arena holding all of them from the start.
    pub(crate) fn new(nfa: Nfa, later: HashSet<ByteSet>) -> Engine {
        let mut sets: Vec<ByteSet> = nfa
            .states
            .iter()
            .flat_map(|s| s.trans.iter().map(|(set, _)| *set))
            .chain(later)
            .collect();
        sets.push(ByteSet::single(b'/'));
        sets.push(ByteSet::single(b'.'));
        sets.push(ByteSet::single(0));
        sets.sort_by_key(|a| a.0);
        sets.dedup();
        // partition refinement
        let mut class_of = [0u8; 256];
        let mut nclasses: usize = 1;
        for set in &sets {
            let mut remap: HashMap<(u8, bool), u8> = HashMap::new();
            let mut next: usize = 0;
            for b in 0..=255u8 {
                let key = (cls(&class_of, b), set.contains(b));
                let c = *remap.entry(key).or_insert_with(|| {
                    let c = u8::try_from(next).unwrap_or(u8::MAX);
                    next += 1;
                    c
                });
                if let Some(x) = class_of.get_mut(usize::from(b)) {
                    *x = c;
                }
            }
            nclasses = next;
        }
        // representatives: prefer readable bytes
        let pref = |b: u8| -> u8 {
            if b.is_ascii_lowercase() {
                0
            } else if b.is_ascii_digit() {
                1
            } else if b.is_ascii_uppercase() {
                2
            } else if b.is_ascii_graphic() {
                3
            } else {
                4
            }
        };
        let mut reps: Vec<Option<u8>> = vec![None; nclasses];
        for b in 0..=255u8 {
            let c = usize::from(cls(&class_of, b));
            if let Some(slot) = reps.get_mut(c) {
                match slot {
                    Some(old) if pref(*old) <= pref(b) => {}
                    _ => *slot = Some(b),
                }
            }
        }
        let reps: Vec<u8> = reps.into_iter().map(|r| r.unwrap_or(0)).collect();
        let n = nfa.states.len();
        let mut engine = Engine {
            nfa,
            class_of,
            reps,
            edges: Vec::with_capacity(2 * n),
            estart: vec![0],
            ntrans: Vec::with_capacity(n),
            csets: Vec::new(),
            partitions: Vec::new(),
            partition_ids: HashMap::default(),
            firsts: HashMap::default(),
            pids: Vec::new(),
            partition_of: HashMap::default(),
            cset_ids: Vec::new(),
            class_sets: HashMap::new(),
            dfas: Vec::new(),
            mark: Vec::with_capacity(n),
            stack: Vec::new(),
            reached: Vec::new(),
            seeds: Vec::new(),
            generation: 0,
            budget: 400_000,
            visited: 0,
            dfa_bytes: 0,
            queries: 0,
            universal_nfa: Vec::with_capacity(n),
        };
        engine.convert_new_states();
        engine
    }

    /// Add the fragment of `re` to the arena (after [`Engine::new`]; its byte sets must
    /// have been given there).
    pub(crate) fn build(&mut self, re: &Re, owner: u32) -> Frag {
        let f = self.nfa.build(re, owner);
        self.convert_new_states();
        f
    }

    /// Give back the room the arena's tables grew into, and make room for `machines`
    /// more machines at once: called once the fragments known at the start are built
    /// (the globs of a 10,000-rule policy: a quarter of their tables' size).
    pub(crate) fn shrink_to_fit(&mut self, machines: usize) {
        self.edges.shrink_to_fit();
        self.estart.shrink_to_fit();
        self.ntrans.shrink_to_fit();
        self.mark.shrink_to_fit();
        self.universal_nfa.shrink_to_fit();
        self.nfa.owner.shrink_to_fit();
        self.dfas.reserve_exact(machines);
    }

    /// The transitions of the states added since the last call, over classes (the byte
    /// sets, read only here, are dropped).
    fn convert_new_states(&mut self) {
        let count = self.nfa.states.len();
        let trans: usize = self.nfa.states.iter().map(|s| s.trans.len()).sum();
        let eps: usize = self
            .nfa
            .states
            .iter()
            .map(|s| s.eps.len() + s.bol.len() + s.eol.len())
            .sum();
        room(&mut self.edges, 2 * trans + eps);
        room(&mut self.estart, count);
        room(&mut self.ntrans, count);
        room(&mut self.mark, count);
        room(&mut self.universal_nfa, count);
        for st in std::mem::take(&mut self.nfa.states) {
            self.ntrans
                .push(u8::try_from(st.trans.len()).unwrap_or(u8::MAX));
            for (set, t) in st.trans {
                let id = match self.class_sets.get(&set) {
                    Some(&id) => id,
                    None => {
                        let mut cs = ClassSet::default();
                        for b in 0..=255u8 {
                            if set.contains(b) {
                                let c = usize::from(cls(&self.class_of, b));
                                if let Some(w) = cs.0.get_mut(c >> 6) {
                                    *w |= 1u64 << (c & 63);
                                }
                            }
                        }
                        let id = u32::try_from(self.csets.len()).unwrap_or(u32::MAX);
                        self.csets.push(cs);
                        self.class_sets.insert(set, id);
                        id
                    }
                };
                self.edges.extend([id, t]);
            }
            let kinds = [(st.eps, EPS), (st.bol, BOL), (st.eol, EOL)];
            for (targets, kind) in kinds {
                self.edges
                    .extend(targets.into_iter().map(|t| eps_edge(t, kind)));
            }
            self.estart
                .push(u32::try_from(self.edges.len()).unwrap_or(u32::MAX));
        }
        self.nfa.base = self
            .nfa
            .base
            .saturating_add(u32::try_from(count).unwrap_or(u32::MAX));
        let n = self.nfa.base as usize;
        self.mark.resize(n, 0);
        let old = self.universal_nfa.len();
        self.universal_nfa.resize(n, 0);
        for q in old..n {
            let q = StateId::try_from(q).unwrap_or(StateId::MAX);
            let eol = self.words(q).1.iter().any(|&e| eps_parts(e).1 == EOL);
            if let Some(x) = self.universal_nfa.get_mut(q as usize).filter(|_| eol) {
                *x |= HAS_EOL;
            }
        }
    }

    /// The words of NFA state `q`'s transitions and of its epsilon edges.
    fn words(&self, q: StateId) -> (&[u32], &[u32]) {
        let (from, to) = span(&self.estart, q);
        let all = self.edges.get(from..to).unwrap_or(&[]);
        let n = 2 * usize::from(self.ntrans.get(q as usize).copied().unwrap_or(0));
        all.split_at(n.min(all.len()))
    }

    /// The transitions of NFA state `q`: class set and target.
    fn edges(&self, q: StateId) -> impl Iterator<Item = (&ClassSet, StateId)> + '_ {
        self.words(q)
            .0
            .chunks_exact(2)
            .filter_map(|w| Some((self.csets.get(*w.first()? as usize)?, *w.get(1)?)))
    }

    /// The number of byte classes.
    pub(crate) fn nclasses(&self) -> usize {
        self.reps.len()
    }

    /// The class of a byte.
    pub(crate) fn class_of(&self, b: u8) -> usize {
        usize::from(cls(&self.class_of, b))
    }

    /// The owner tag of an NFA state.
    pub(crate) fn owner(&self, s: StateId) -> u32 {
        self.nfa.owner.get(s).unwrap_or(u32::MAX)
    }

    /// Register a machine.
    pub(crate) fn add_machine(&mut self, machine: Machine) -> MachineId {
        for &(q, _) in machine.accepting.0.iter() {
            if let Some(x) = self.universal_nfa.get_mut(q as usize) {
                *x |= ACCEPTS_SOMEWHERE;
            }
        }
        room(&mut self.dfas, 1);
        self.dfas.push(Dfa {
            machine,
            ..Dfa::default()
        });
        self.dfas.len() - 1
    }

    /// The states of machine `m`, if any are built.
    fn built(&self, m: MachineId) -> Option<&Built> {
        self.dfas.get(m)?.built.as_deref()
    }

    /// [`Engine::built`], to add to them.
    fn built_mut(&mut self, m: MachineId) -> Option<&mut Built> {
        self.dfas.get_mut(m)?.built.as_deref_mut()
    }

    fn closure(&mut self, seeds: &[StateId], at_start: bool, at_end: bool) -> Vec<StateId> {
        let mut out = Vec::new();
        self.close(seeds, at_start, at_end, &mut out);
        out
    }

    /// The epsilon closure of `seeds` (with the `^` edges at the start of the input, the
    /// `$` edges at its end) into `out`, in the order reached: the buffer of a DFA step,
    /// kept between steps, so that a step copies its set once, when it is a new DFA
    /// state. A DFA state is the set of its NFA states, whatever their order
    /// ([`Engine::intern`]).
    fn close(&mut self, seeds: &[StateId], at_start: bool, at_end: bool, out: &mut Vec<StateId>) {
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            self.mark.iter_mut().for_each(|m| *m = 0);
            self.generation = 1;
        }
        let gen = self.generation;
        out.clear();
        let mut stack = std::mem::take(&mut self.stack);
        stack.clear();
        stack.extend_from_slice(seeds);
        while let Some(s) = stack.pop() {
            match self.mark.get_mut(s as usize) {
                Some(m) if *m != gen => *m = gen,
                _ => continue,
            }
            out.push(s);
            for &e in self.words(s).1 {
                let (t, kind) = eps_parts(e);
                if kind == EPS || (kind == BOL && at_start) || (kind == EOL && at_end) {
                    stack.push(t);
                }
            }
        }
        self.stack = stack;
    }

    /// The DFA state of machine `m` whose NFA states are `set` (without duplicates, in any
    /// order), added when there is none.
    fn intern(&mut self, m: MachineId, initial: bool, set: &[StateId]) -> u32 {
        let which = usize::from(initial);
        let hash = set_hash(set);
        // a state of the same hash holds the same NFA states when it has as many and
        // each is marked as one of `set`'s
        let gen = self.mark_all(set);
        let mut at = self
            .built(m)
            .and_then(|d| d.index.get(which)?.get(&hash).copied())
            .unwrap_or(UNKNOWN);
        while let Some(d) = self.built(m).filter(|_| at != UNKNOWN) {
            let same = d.set(at).len() == set.len()
                && d.set(at)
                    .iter()
                    .all(|&q| self.mark.get(q as usize) == Some(&gen));
            if same {
                return at;
            }
            at = d.chain.get(at as usize).copied().unwrap_or(UNKNOWN);
        }
        // the set is closed under the other edges: at the end of the input only `$`
        // edges add states, and most sets have none
        let flag = |e: &Engine, q: StateId, bit: u8| {
            e.universal_nfa
                .get(q as usize)
                .is_some_and(|x| x & bit != 0)
        };
        let eol = set.iter().any(|&q| flag(self, q, HAS_EOL));
        let closed = eol.then(|| self.closure(set, initial, true));
        let end: &[StateId] = closed.as_deref().unwrap_or(set);
        let Some(d) = self.dfas.get(m) else {
            return UNKNOWN;
        };
        let mut acc: Vec<u32> = end
            .iter()
            .filter(|&&s| flag(self, s, ACCEPTS_SOMEWHERE))
            .filter_map(|&s| d.machine.accepting.get(s))
            .collect();
        let Some(d) = self.dfas.get_mut(m) else {
            return UNKNOWN;
        };
        acc.sort_unstable();
        acc.dedup();
        let track = d.machine.track_universal;
        let bytes = STATE_BYTES + 4 * (set.len() + acc.len());
        d.bytes += bytes;
        self.dfa_bytes += bytes;
        let d = d.built.get_or_insert_with(Box::default);
        let id = u32::try_from(d.accepts.len()).unwrap_or(UNKNOWN);
        if d.set_at.is_empty() {
            d.set_at.push(0);
        }
        room(&mut d.sets, set.len());
        d.sets.extend_from_slice(set);
        d.set_at
            .push(u32::try_from(d.sets.len()).unwrap_or(u32::MAX));
        d.accepts.push(acc.into_boxed_slice());
        d.offs.push(NO_ROW);
        d.pids.push(0);
        if let Some(index) = d.index.get_mut(which) {
            let next = index.insert(hash, id).unwrap_or(UNKNOWN);
            d.chain.push(next);
        }
        let universal = track && set.iter().any(|&q| self.universal_nfa(m, q));
        if let Some(d) = self.built_mut(m) {
            d.universal.push(universal);
        }
        id
    }

    /// Mark the NFA states of `set` with a new generation, returned.
    fn mark_all(&mut self, set: &[StateId]) -> u16 {
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            self.mark.iter_mut().for_each(|m| *m = 0);
            self.generation = 1;
        }
        let gen = self.generation;
        for &q in set {
            if let Some(x) = self.mark.get_mut(q as usize) {
                *x = gen;
            }
        }
        gen
    }

    fn prune(&mut self, m: MachineId, set: &mut Vec<StateId>) {
        let Some(modes) = self.dfas.get(m).and_then(|d| d.machine.dominance.clone()) else {
            return;
        };
        // highest universal rank for every mode (index 0: entries for every kind)
        let mut best: [Option<u32>; 9] = [None; 9];
        for &q in set.iter() {
            // most states are known not to accept every continuation: nothing to read
            if self.universal_nfa.get(q as usize).map(|x| x & UNIVERSALITY) == Some(1) {
                continue;
            }
            let owner = self.owner(q);
            let Some(mode) = modes.get(owner as usize) else {
                continue;
            };
            let slot = usize::from(mode.map_or(0, |x| x + 1));
            if best
                .get(slot)
                .copied()
                .flatten()
                .is_some_and(|b| b >= owner)
            {
                continue;
            }
            if self.universal_nfa(m, q) {
                if let Some(b) = best.get_mut(slot) {
                    *b = Some(owner);
                }
            }
        }
        if best.iter().all(Option::is_none) {
            return;
        }
        let any = best.first().copied().flatten();
        set.retain(|&q| {
            let owner = self.owner(q);
            let Some(mode) = modes.get(owner as usize) else {
                return true;
            };
            if any.is_some_and(|b| owner < b) {
                return false;
            }
            match mode {
                Some(x) => best
                    .get(usize::from(*x) + 1)
                    .copied()
                    .flatten()
                    .is_none_or(|b| owner >= b),
                None => true,
            }
        });
    }

    /// True when, from NFA state `q` alone, the machine accepts every continuation: `q`
    /// reaches acceptance and every byte leads back to `q`.
    #[inline]
    fn universal_nfa(&mut self, m: MachineId, q: StateId) -> bool {
        match self.universal_nfa.get(q as usize).map(|x| x & UNIVERSALITY) {
            Some(1) => false,
            Some(2) => true,
            _ => self.universal_nfa_first(m, q),
        }
    }

    /// [`Engine::universal_nfa`] the first time `q` is asked.
    #[inline(never)]
    fn universal_nfa_first(&mut self, m: MachineId, q: StateId) -> bool {
        let end = self.closure(&[q], false, true);
        let accepting = self
            .dfas
            .get(m)
            .is_some_and(|d| end.iter().any(|&s| d.machine.accepting.get(s).is_some()));
        let mut u = accepting;
        if u {
            let base = self.closure(&[q], false, false);
            for c in 0..self.nclasses() {
                let mut seeds = Vec::new();
                for &x in &base {
                    seeds.extend(
                        self.edges(x)
                            .filter(|(cs, _)| cs.contains(c))
                            .map(|(_, t)| t),
                    );
                }
                if !self.closure(&seeds, false, false).contains(&q) {
                    u = false;
                    break;
                }
            }
        }
        if let Some(x) = self.universal_nfa.get_mut(q as usize) {
            *x = (*x & !UNIVERSALITY) | if u { 2 } else { 1 };
        }
        u
    }

    /// True when the machine (built with `track_universal`) accepts every continuation
    /// from this DFA state.
    pub(crate) fn is_universal(&self, m: MachineId, s: u32) -> bool {
        self.built(m)
            .and_then(|d| d.universal.get(s as usize))
            .copied()
            .unwrap_or(false)
    }

    /// Run a machine over a string: does it accept it?
    pub(crate) fn accepts_str(&mut self, m: MachineId, text: &[u8]) -> bool {
        let mut s = self.start(m);
        for &b in text {
            if self.is_dead(m, s) {
                return false;
            }
            let c = self.class_of(b);
            s = self.step(m, s, c);
        }
        !self.accepts(m, s).is_empty()
    }

    /// The state a machine reaches from `s` over `text`, building only the targets of
    /// the parts it takes ([`Engine::step`]).
    pub(crate) fn walk(&mut self, m: MachineId, mut s: u32, text: &[u8]) -> u32 {
        for &b in text {
            let c = self.class_of(b);
            s = self.step(m, s, c);
        }
        s
    }

    /// The initial DFA state of a machine.
    pub(crate) fn start(&mut self, m: MachineId) -> u32 {
        let now = self.queries;
        if let Some(d) = self.dfas.get_mut(m) {
            d.used = now;
            if let Some(s) = d.built.as_ref().and_then(|b| b.start) {
                return s;
            }
        }
        let starts = self
            .dfas
            .get(m)
            .map(|d| d.machine.starts.clone())
            .unwrap_or_default();
        let mut set = self.closure(&starts, true, false);
        self.prune(m, &mut set);
        let id = self.intern(m, true, &set);
        if let Some(d) = self.built_mut(m) {
            d.start = Some(id);
        }
        id
    }

    /// The initial DFA state of a machine, once [`Engine::start`] has built it.
    pub(crate) fn start_id(&self, m: MachineId) -> u32 {
        self.built(m).and_then(|d| d.start).unwrap_or(UNKNOWN)
    }

    /// One step of a machine's DFA: the target of the part of `c` in the state's
    /// partition, computed the first time one of its classes is stepped.
    #[inline]
    pub(crate) fn step(&mut self, m: MachineId, s: u32, c: usize) -> u32 {
        let row = self
            .built(m)
            .and_then(|d| Some((*d.pids.get(s as usize)?, *d.offs.get(s as usize)?)))
            .unwrap_or((0, NO_ROW));
        self.step_row(m, s, row, c)
    }

    /// Where the targets of DFA state `s` are (its partition, and the offset of its
    /// targets), computing its partition when it has none yet: what
    /// [`Engine::step_row`] reads, looked up once for every class of a state.
    pub(crate) fn row(&mut self, m: MachineId, s: u32) -> (u32, u32) {
        let get = |e: &Engine| {
            let d = e.built(m)?;
            Some((*d.pids.get(s as usize)?, *d.offs.get(s as usize)?))
        };
        match get(self) {
            Some((pid, off)) if off != NO_ROW => (pid, off),
            _ => {
                self.partition(m, s);
                get(self).unwrap_or((0, NO_ROW))
            }
        }
    }

    /// The classes a product state of these rows ([`Engine::row`]) can lead to distinct
    /// product states by, in order: the first class of each group of classes that are
    /// in the same part of every row's partition, `/` in a group of its own (a search's
    /// auxiliary value changes on `/` alone). Every class of a group leads every machine
    /// to the same state as the first one. All classes when a row has no partition.
    pub(crate) fn first_classes(&mut self, rows: &[(u32, u32)]) -> Rc<[u8]> {
        let nclasses = self.nclasses();
        if rows.iter().any(|&(_, off)| off == NO_ROW) {
            return (0..nclasses).filter_map(|c| u8::try_from(c).ok()).collect();
        }
        let mut pids = std::mem::take(&mut self.pids);
        pids.clear();
        pids.extend(rows.iter().map(|&(pid, _)| pid));
        if let Some(firsts) = self.firsts.get(pids.as_slice()) {
            let firsts = firsts.clone();
            self.pids = pids;
            return firsts;
        }
        // the groups, refined partition by partition from `/` and the other classes,
        // each numbered by its first class: two classes are in the same group when they
        // are in the same part of every partition and both `/` or both not
        let slash = self.class_of(b'/');
        let mut group: Vec<u16> = (0..nclasses).map(|c| u16::from(c == slash)).collect();
        let mut ids: Vec<(u32, u16)> = Vec::new();
        for &pid in &pids {
            ids.clear();
            for (c, g) in group.iter_mut().enumerate() {
                let key = (u32::from(*g) << 8) | u32::from(self.part(pid, c));
                *g = match ids.iter().find(|(k, _)| *k == key) {
                    Some(&(_, id)) => id,
                    None => {
                        let id = u16::try_from(ids.len()).unwrap_or(u16::MAX);
                        ids.push((key, id));
                        id
                    }
                };
            }
        }
        let mut seen = vec![false; nclasses];
        let firsts: Rc<[u8]> = group
            .iter()
            .enumerate()
            .filter_map(|(c, &g)| {
                let first = seen.get_mut(usize::from(g))?;
                (!std::mem::replace(first, true)).then_some(u8::try_from(c).ok()?)
            })
            .collect();
        self.firsts.insert(pids.as_slice().into(), firsts.clone());
        self.pids = pids;
        firsts
    }

    /// The part of class `c` in partition `pid`.
    fn part(&self, pid: u32, c: usize) -> u8 {
        self.partitions
            .get(pid as usize)
            .and_then(|p| p.get(c))
            .copied()
            .unwrap_or(0)
    }

    /// [`Engine::step`] from the row of `s` ([`Engine::row`]).
    #[inline]
    pub(crate) fn step_row(
        &mut self,
        m: MachineId,
        s: u32,
        (pid, off): (u32, u32),
        c: usize,
    ) -> u32 {
        if off != NO_ROW {
            let part = self.part(pid, c);
            let t = self
                .built(m)
                .and_then(|d| d.targets.get(off as usize + usize::from(part)))
                .copied()
                .unwrap_or(UNKNOWN);
            if t != UNKNOWN {
                return t;
            }
        }
        self.step_slow(m, s, c)
    }

    /// [`Engine::step`] when the target is not known yet.
    #[inline(never)]
    fn step_slow(&mut self, m: MachineId, s: u32, c: usize) -> u32 {
        // the target (or UNKNOWN) and its slot, the state's partition computed if needed
        let (pid, off) = self.row(m, s);
        if off == NO_ROW {
            return UNKNOWN;
        }
        let part = self.part(pid, c);
        let slot = off as usize + usize::from(part);
        let t = self
            .built(m)
            .and_then(|d| d.targets.get(slot))
            .copied()
            .unwrap_or(UNKNOWN);
        if t != UNKNOWN {
            return t;
        }
        // every class of the part has the same seeds: those of `c` (in a buffer kept
        // between calls, as the closure's)
        let mut seeds = std::mem::take(&mut self.seeds);
        seeds.clear();
        if let Some(set) = self.built(m).map(|d| d.set(s)) {
            for &q in set {
                seeds.extend(
                    self.edges(q)
                        .filter(|(cs, _)| cs.contains(c))
                        .map(|(_, t)| t),
                );
            }
        }
        let mut set = std::mem::take(&mut self.reached);
        self.close(&seeds, false, false, &mut set);
        self.seeds = seeds;
        self.prune(m, &mut set);
        let id = self.intern(m, false, &set);
        self.reached = set;
        if let Some(x) = self.built_mut(m).and_then(|d| d.targets.get_mut(slot)) {
            *x = id;
        }
        id
    }

    /// The partition of the classes of DFA state `s`: the classes whose bytes its NFA
    /// states treat alike (the same transitions contain them) lead to the same state, so
    /// the classes are partitioned by the transitions' class sets and each part's target
    /// is computed once: a state of entries reading `.*` and a few literal bytes has a
    /// handful of parts, not one closure per class. The targets are those of the
    /// class-by-class computation.
    fn partition(&mut self, m: MachineId, s: u32) {
        // the class sets of the state's transitions, by index: the same few sets recur,
        // and so does their partition
        let mut ids = std::mem::take(&mut self.cset_ids);
        ids.clear();
        if let Some(set) = self.built(m).map(|d| d.set(s)) {
            for &q in set {
                ids.extend(self.words(q).0.iter().step_by(2));
            }
        }
        ids.sort_unstable();
        ids.dedup();
        let (pid, nparts) = match self.partition_of.get(ids.as_slice()) {
            Some(&known) => known,
            None => {
                let known = self.new_partition(&ids);
                self.partition_of.insert(ids.as_slice().into(), known);
                known
            }
        };
        self.cset_ids = ids;
        let Some(d) = self.dfas.get_mut(m) else {
            return;
        };
        d.bytes += 4 * nparts;
        self.dfa_bytes += 4 * nparts;
        let Some(d) = d.built.as_deref_mut() else {
            return;
        };
        if let Some(x) = d.pids.get_mut(s as usize) {
            *x = pid;
        }
        let off = u32::try_from(d.targets.len()).unwrap_or(NO_ROW - 1);
        d.targets.extend(std::iter::repeat_n(UNKNOWN, nparts));
        if let Some(x) = d.offs.get_mut(s as usize) {
            *x = off;
        }
    }

    /// The partition of the classes by the class sets of indices `ids` (interned) and
    /// its number of parts ([`Engine::partition`]).
    fn new_partition(&mut self, ids: &[u32]) -> (u32, usize) {
        let nclasses = self.nclasses();
        let mut distinct: Vec<ClassSet> = ids
            .iter()
            .filter_map(|&id| self.csets.get(id as usize).copied())
            .collect();
        distinct.sort_unstable_by_key(|cs| cs.0);
        distinct.dedup();
        let mut parts = vec![ClassSet::first(nclasses)];
        for cs in distinct {
            let mut next = Vec::with_capacity(parts.len() * 2);
            for p in parts {
                for half in [p.and(cs, false), p.and(cs, true)] {
                    if !half.is_empty() {
                        next.push(half);
                    }
                }
            }
            parts = next;
        }
        let mut map = vec![0u8; nclasses];
        for (i, part) in parts.iter().enumerate() {
            for c in part.iter() {
                if let Some(x) = map.get_mut(c) {
                    *x = u8::try_from(i).unwrap_or(u8::MAX);
                }
            }
        }
        let map = map.into_boxed_slice();
        let pid = match self.partition_ids.get(&map) {
            Some(&pid) => pid,
            None => {
                let pid = u32::try_from(self.partitions.len()).unwrap_or(u32::MAX);
                self.partitions.push(map.clone());
                self.partition_ids.insert(map, pid);
                pid
            }
        };
        (pid, parts.len())
    }

    /// Tags accepted at a DFA state (at the end of the input).
    pub(crate) fn accepts(&self, m: MachineId, s: u32) -> &[u32] {
        self.built(m)
            .and_then(|d| d.accepts.get(s as usize))
            .map_or(&[], |a| a)
    }

    /// The NFA states of a DFA state.
    pub(crate) fn subset(&self, m: MachineId, s: u32) -> &[StateId] {
        self.built(m).map_or(&[], |d| d.set(s))
    }

    /// True when no NFA state is alive.
    pub(crate) fn is_dead(&self, m: MachineId, s: u32) -> bool {
        self.subset(m, s).is_empty()
    }

    /// Called between two queries: when the DFA states of every machine take more than
    /// `limit` bytes, forget those of the DFAs least recently started (the largest
    /// first among equals) until they take at most half of it, as RE2 clears its DFA
    /// cache; they are built again when a search reaches them. A DFA state is its set
    /// of NFA states, whatever its number, and a search's outcome depends on those sets
    /// alone (the states reached, in the same order), so forgetting changes no answer,
    /// only the work. A compilation of thousands of rules otherwise keeps every state
    /// each rule's searches built in its glob's machine and in the unions of the allow
    /// and deny globs (10,000 rules: over 60 MB); machines a compilation keeps using
    /// (the unions, the labelling machines of a busy directory) are the last forgotten.
    /// The state numbers a caller holds are no longer valid afterwards.
    pub(crate) fn forget_states(&mut self, limit: usize) {
        self.queries += 1;
        if self.dfa_bytes <= limit {
            return;
        }
        // least recently started first, the largest first among those
        let mut order: Vec<(u64, std::cmp::Reverse<usize>, MachineId)> = self
            .dfas
            .iter()
            .enumerate()
            .filter(|(_, d)| d.bytes > 0)
            .map(|(m, d)| (d.used, std::cmp::Reverse(d.bytes), m))
            .collect();
        order.sort_unstable();
        for (_, std::cmp::Reverse(bytes), m) in order {
            if self.dfa_bytes <= limit / 2 {
                break;
            }
            if let Some(d) = self.dfas.get_mut(m) {
                let machine = std::mem::take(&mut d.machine);
                *d = Dfa {
                    machine,
                    ..Dfa::default()
                };
            }
            self.dfa_bytes = self.dfa_bytes.saturating_sub(bytes);
        }
    }

    /// When the DFA states of every machine take more than `limit` bytes, forget those
    /// of machine `m`, whose state numbers the caller no longer holds: the machine of one
    /// entry once the per-entry fallback has answered it ([`Engine::forget_states`]).
    pub(crate) fn forget_machine(&mut self, limit: usize, m: MachineId) {
        if self.dfa_bytes <= limit {
            return;
        }
        if let Some(d) = self.dfas.get_mut(m) {
            self.dfa_bytes = self.dfa_bytes.saturating_sub(d.bytes);
            d.built = None;
            d.bytes = 0;
        }
    }
}

/// A hand-built fragment accepting exactly the *valid paths*: `/`, or `/c1/.../cn` with
/// non-empty components that are not `.` or `..` and hold no NUL.
pub(crate) fn valid_paths(nfa: &mut Nfa, owner: u32) -> Frag {
    let s0 = nfa.add(owner);
    let root = nfa.add(owner); // "/" read: accepting
    let slash = nfa.add(owner); // after a separator
    let d1 = nfa.add(owner); // component "."
    let d2 = nfa.add(owner); // component ".."
    let comp = nfa.add(owner); // in an ordinary component: accepting
    let end = nfa.add(owner);
    let other = ByteSet::single(b'/')
        .union(ByteSet::single(b'.'))
        .union(ByteSet::single(0))
        .complement();
    let not_slash_nul = ByteSet::single(b'/').union(ByteSet::single(0)).complement();
    let mut t = |from: StateId, set: ByteSet, to: StateId| {
        if let Some(s) = nfa.st(from) {
            s.trans.push((set, to));
        }
    };
    t(s0, ByteSet::single(b'/'), root);
    for from in [root, slash] {
        t(from, ByteSet::single(b'.'), d1);
        t(from, other, comp);
    }
    t(d1, ByteSet::single(b'.'), d2);
    t(d1, other, comp);
    t(d2, not_slash_nul, comp);
    t(comp, not_slash_nul, comp);
    t(comp, ByteSet::single(b'/'), slash);
    nfa.eps(root, end);
    nfa.eps(comp, end);
    Frag { start: s0, end }
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )]
    use super::*;

    fn lit(s: &str) -> Re {
        Re::Concat(s.bytes().map(|b| Re::Set(ByteSet::single(b))).collect())
    }

    #[test]
    fn product_finds_shortest_witness() {
        let mut nfa = Nfa::default();
        let a = nfa.build(
            &Re::Concat(vec![
                lit("/a"),
                Re::Repeat(Box::new(Re::Set(ByteSet::FULL)), 0, None),
            ]),
            0,
        );
        let v = valid_paths(&mut nfa, 1);
        let mut e = Engine::new(nfa, HashSet::new());
        let ma = e.add_machine(Machine {
            starts: vec![a.start],
            accepting: [(a.end, 0)].into(),
            ..Machine::default()
        });
        let mv = e.add_machine(Machine {
            starts: vec![v.start],
            accepting: [(v.end, 0)].into(),
            ..Machine::default()
        });
        let found = e.search(
            &[ma, mv],
            0,
            &|_, _, _, a, _| a,
            &|e, t, _| e.is_dead(ma, t[0]) || e.is_dead(mv, t[1]),
            &mut |e, t, _| !e.accepts(ma, t[0]).is_empty() && !e.accepts(mv, t[1]).is_empty(),
        );
        assert_eq!(found, Found::Witness(b"/a".to_vec()));
    }

    /// An owner that does not fit in two bytes (more than 65,534 entries) widens the
    /// table; the others keep their owner.
    #[test]
    fn owners_widen_past_two_bytes() {
        let mut o = Owners::default();
        o.push(3);
        o.push(u32::MAX);
        assert!(matches!(o, Owners::Narrow(_)));
        o.push(70_000);
        o.push(65_535);
        assert!(matches!(o, Owners::Wide(_)));
        let got: Vec<Option<u32>> = (0..5).map(|s| o.get(s)).collect();
        assert_eq!(
            got,
            vec![Some(3), Some(u32::MAX), Some(70_000), Some(65_535), None]
        );
    }

    /// Forgetting the DFA states between two searches changes their work, not their
    /// answers: the same witnesses, and the states built again.
    #[test]
    fn forgotten_states_give_the_same_answers() {
        let mut nfa = Nfa::default();
        let star = || Re::Repeat(Box::new(Re::Set(ByteSet::FULL)), 0, None);
        let a = nfa.build(&Re::Concat(vec![lit("/a"), star(), lit("/z")]), 0);
        let b = nfa.build(&Re::Concat(vec![star(), lit("y/z")]), 0);
        let v = valid_paths(&mut nfa, 1);
        let mut e = Engine::new(nfa, HashSet::new());
        let ms: Vec<MachineId> = [a, b, v]
            .iter()
            .map(|f| {
                e.add_machine(Machine {
                    starts: vec![f.start],
                    accepting: [(f.end, 0)].into(),
                    ..Machine::default()
                })
            })
            .collect();
        let search = |e: &mut Engine| {
            e.search(
                &ms,
                0,
                &|_, _, _, a, _| a,
                &|e, t, _| ms.iter().zip(t).any(|(&m, &s)| e.is_dead(m, s)),
                &mut |e, t, _| ms.iter().zip(t).all(|(&m, &s)| !e.accepts(m, s).is_empty()),
            )
        };
        let first = search(&mut e);
        assert_eq!(first, Found::Witness(b"/ay/z".to_vec()));
        assert!(e.dfa_bytes > 0);
        e.forget_states(e.dfa_bytes + 1);
        assert!(e.dfa_bytes > 0, "within the limit nothing is forgotten");
        e.forget_machine(e.dfa_bytes, ms[0]);
        assert!(
            e.built(ms[0]).is_some(),
            "within the limit nothing is forgotten"
        );
        e.forget_machine(0, ms[0]);
        assert!(e.built(ms[0]).is_none() && e.built(ms[1]).is_some());
        assert_eq!(search(&mut e), first);
        e.forget_states(0);
        assert_eq!(e.dfa_bytes, 0);
        assert!(e.dfas.iter().all(|d| d.built.is_none()));
        assert_eq!(search(&mut e), first);
        assert!(e.dfa_bytes > 0);
    }
}
