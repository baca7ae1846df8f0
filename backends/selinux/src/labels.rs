//! The labelling model: which type the target gives each path, as automata.
//!
//! One machine accepts every path with, as tags, the file_contexts entries matching it;
//! the label of a path for a kind of file is the highest-precedence matching entry whose
//! mode fits (see [`crate::fcontexts`]). Queries run in products with globs, the valid
//! paths, and the unions of the policy's allow and deny globs.

use crate::automata::{valid_paths, Engine, Found, Frag, Machine, MachineId, Nfa, Re, Visit};
use crate::fcontexts::{FcEntry, FcLabel, FileClass};
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::rc::Rc;

/// A label code: [`UNLABELLED`], [`NONE`], or `TYPE0 + i` for the i-th type.
pub(crate) type Label = u32;

/// The set of one label. Built by insertion: `BTreeSet::from([l])` goes through the
/// standard library's bulk build, whose optimised code valgrind reports as a branch on
/// uninitialised memory (the C API's tests run under valgrind, and this backend is
/// optimised even in test builds).
pub(crate) fn one_label(l: Label) -> BTreeSet<Label> {
    let mut one = BTreeSet::new();
    one.insert(l);
    one
}
/// The text of a glob before its first wildcard or brace: every path of the glob starts
/// with it.
pub(crate) fn literal_prefix(glob: &str) -> &str {
    let meta = glob.find(['*', '?', '{', '[']).unwrap_or(glob.len());
    glob.get(..meta).unwrap_or("")
}

/// The bytes every string of `re` starts with (`^` and empty parts skipped).
fn re_literal_prefix(re: &Re) -> Vec<u8> {
    fn walk(re: &Re, out: &mut Vec<u8>) -> bool {
        match re {
            Re::Empty | Re::Bol => true,
            Re::Set(set) => match set.only() {
                Some(b) => {
                    out.push(b);
                    true
                }
                None => false,
            },
            Re::Concat(parts) => parts.iter().all(|p| walk(p, out)),
            Re::Alt(_) | Re::Repeat(..) | Re::Eol => false,
        }
    }
    let mut out = Vec::new();
    walk(re, &mut out);
    out
}

/// The distinct stems in byte order, each with the entries that have it (see
/// [`Labeller::by_stem`]).
fn by_stem(stems: &[Vec<u8>]) -> Vec<(Vec<u8>, Vec<usize>)> {
    let mut by: BTreeMap<&[u8], Vec<usize>> = BTreeMap::new();
    for (i, stem) in stems.iter().enumerate() {
        by.entry(stem.as_slice()).or_default().push(i);
    }
    by.into_iter()
        .map(|(stem, es)| (stem.to_vec(), es))
        .collect()
}

/// No entry matches the path.
pub(crate) const UNLABELLED: Label = 0;
/// `<<none>>`.
pub(crate) const NONE: Label = 1;
const TYPE0: Label = 2;
/// No parent seen yet (auxiliary value).
const NO_PARENT: u32 = u32::MAX;
const NOT_ENTRY: u32 = u32::MAX;
/// No machine: the labelling machine of [`Labeller::info`], which queries replace.
const NO_MACHINE: MachineId = MachineId::MAX;
/// Product states the exact facts search may visit before the per-entry fallback.
const FACTS_BUDGET: usize = 2_000;
/// Product states the per-entry fallback may visit in all, for one glob: past it the glob
/// is too complex to analyse ([`TooBig`]). Globs with a long literal prefix meet few
/// entries; a glob of many `*` segments from `/` meets thousands of entries, each with a
/// deep search (40 segments against Debian's file_contexts took 13.7 s).
const BY_ENTRY_BUDGET: usize = 100_000;
/// Product states the search for one entry's first path outside the policy may visit
/// ([`Labeller::entry_outside`]): past it the label is left to the search over the
/// labelling machine, as before.
const ENTRY_OUTSIDE_BUDGET: usize = 20_000;
/// The bytes the DFA states of every machine may take before those least recently used
/// are forgotten between two queries ([`Engine::forget_states`]): 10,000 rules took over
/// 60 MB, the real profiles against Debian's contexts 10-35 MB; forgetting costs them
/// up to a fifth more time than keeping them all.
const DFA_MEMORY: usize = 4 << 20;
/// The answers [`Labeller::facts`] keeps for questions asked again: they are asked again
/// soon after (the rights of one rule, rules of the same glob); past this many they are
/// all forgotten (10,000 rules kept 8 MB of them).
const FACTS_KEPT: usize = 2_048;

/// The answers of [`Labeller::facts_by_entry`]'s searches of whether an entry meets a
/// glob kept at most (about 2 MB); past this many they are all forgotten.
const MET_KEPT: usize = 1 << 16;

/// The position of machine `m` in a product's machines `ms`, added last; `None` without it.
fn with_machine(ms: &mut Vec<MachineId>, m: Option<MachineId>) -> Option<usize> {
    m.map(|m| {
        ms.push(m);
        ms.len() - 1
    })
}

/// What a glob's paths are labelled, found by one exhaustive search.
#[derive(Clone, Debug, Default)]
pub(crate) struct Facts {
    /// (kind of file, label) → some such path is allowed (by the allow/deny machines).
    pub(crate) labels: BTreeMap<(FileClass, Label), bool>,
    /// Label of the parent directory → some such path is allowed.
    pub(crate) parents: BTreeMap<Label, bool>,
    /// Labels of the directories leading to the paths (their ancestors).
    pub(crate) ancestors: BTreeSet<Label>,
}

/// The search went over its budget.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TooBig;

#[derive(Clone)]
struct Info {
    /// The labelling machine: of every entry, or of those a query's paths can meet
    /// ([`Labeller::scoped`]); [`NO_MACHINE`] in the template [`Labeller::info`].
    lab: MachineId,
    v: MachineId,
    /// Per entry (in precedence order): its mode and label.
    entries: Rc<[(Option<FileClass>, Label)]>,
    slash: usize,
}

impl Info {
    fn top(&self, e: &Engine, s: u32, class: FileClass) -> Label {
        e.accepts(self.lab, s)
            .iter()
            .rev()
            .find_map(|&i| {
                let (mode, label) = self.entries.get(i as usize)?;
                (mode.is_none() || *mode == Some(class)).then_some(*label)
            })
            .unwrap_or(UNLABELLED)
    }

    fn alive(
        &self,
        e: &Engine,
        s: u32,
        labels: &BTreeSet<Label>,
        class: Option<FileClass>,
    ) -> bool {
        e.subset(self.lab, s).iter().any(|&q| {
            self.entries
                .get(e.owner(q) as usize)
                .is_some_and(|(mode, l)| {
                    labels.contains(l) && (mode.is_none() || class.is_none() || *mode == class)
                })
        })
    }

    /// On `/`: the label (as a directory) of the prefix before it, or of `/` itself for
    /// the first one. `li` and `vi` are the positions of the labeller and of the valid
    /// paths machine in the product.
    fn parent_label(
        &self,
        e: &Engine,
        before: &[u32],
        after: &[u32],
        li: usize,
        vi: usize,
    ) -> Option<Label> {
        let at_start = before.get(vi).copied() == Some(e.start_id(self.v));
        let s = if at_start {
            after.get(li)
        } else {
            before.get(li)
        };
        s.map(|&s| self.top(e, s, FileClass::Dir))
    }
}

fn acc(e: &Engine, t: &[u32], i: Option<usize>, m: Option<MachineId>) -> bool {
    match (i, m) {
        (Some(i), Some(m)) => t.get(i).is_some_and(|&s| !e.accepts(m, s).is_empty()),
        _ => false,
    }
}

/// The labelling model and the globs of one compilation.
pub(crate) struct Labeller {
    engine: Engine,
    info: Info,
    types: Vec<String>,
    /// The label code of each type name.
    type_ids: HashMap<String, Label>,
    /// The labelling machine of every entry, once a query needed it.
    whole: Option<MachineId>,
    globs: HashMap<String, (Frag, MachineId)>,
    unions: HashMap<Vec<String>, MachineId>,
    /// Per entry: its regex's text, and its fragment once built ([`Labeller::frag`]).
    regexes: Vec<Box<str>>,
    frags: Vec<Option<Frag>>,
    samples: HashMap<usize, Option<String>>,
    entry_machines: HashMap<usize, MachineId>,
    /// Literal prefix of each glob's machine (see [`Labeller::scoped`]).
    prefixes: HashMap<MachineId, Vec<u8>>,
    /// Literal prefix of each entry's regex: every path it matches starts with it.
    stems: Vec<Vec<u8>>,
    /// The distinct stems in byte order, each with its entries (increasing rank): the
    /// entries of a stem, of the stems a text starts with, and of the stems starting
    /// with a text, found without comparing the text with every stem.
    by_stem: Vec<(Vec<u8>, Vec<usize>)>,
    /// Labelling machines restricted to the entries a literal prefix can meet.
    scoped: HashMap<Vec<u8>, MachineId>,
    /// Whether an entry matches some valid path, once asked ([`Labeller::facts_by_entry`]).
    nonempty: HashMap<usize, bool>,
    /// Paths labelled so far: the entries matching each (increasing rank).
    walked: HashMap<String, Vec<usize>>,
    /// The labelling machine of each set of entries built so far.
    by_entries: HashMap<Vec<usize>, MachineId>,
    /// Labelling machines restricted to the paths of some labels.
    scoped_labels: HashMap<Vec<Label>, MachineId>,
    /// The dominance ranks of the labelling machine, shared by the scoped ones.
    dominance: Rc<[Option<u8>]>,
    /// The facts asked so far, by (glob, allow, deny, parents tracked), and whether the
    /// exact search found them ([`Labeller::facts`]).
    facts_asked: FactsAsked,
    /// The entries assigning each label (increasing rank): the candidates of a witness
    /// question ([`Labeller::candidate`]) without reading the 5,623 entries of Debian's
    /// contexts for each.
    by_label: HashMap<Label, Vec<usize>>,
    /// The first path of an entry outside `allow` or inside `deny`, by (entry, allow,
    /// deny) ([`Labeller::entry_outside`]): the rights and classes of one widening check
    /// often share their unions.
    entry_outside: HashMap<(usize, Option<MachineId>, Option<MachineId>), EntryOutside>,
    /// Per glob machine and entry: whether the entry meets the glob, and the product
    /// states its search reached besides the first ([`Labeller::facts_by_entry`]).
    /// (Two words a key and one a value: the answer in the low bit.)
    met: HashMap<(u32, u32), u32>,
    /// Per glob machine: whether its exact facts search is sure to go past its budget
    /// ([`Labeller::glob_over_budget`]).
    over_budget: HashMap<MachineId, bool>,
}

/// See [`Labeller::entry_outside`]: `Err` past its budget.
type EntryOutside = Result<Option<Vec<u8>>, TooBig>;

/// See [`Labeller::facts_asked`].
type FactsAsked =
    HashMap<(MachineId, Option<MachineId>, Option<MachineId>, bool), (Result<Facts, TooBig>, bool)>;

/// A witness question ([`Labeller::witness`], [`Labeller::witnesses`]): valid paths whose
/// label (or parent's label) is in `labels`, in `within` when given, and outside `allow`
/// or inside `deny` when `outside` is true.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Query<'a> {
    pub(crate) on: On,
    pub(crate) labels: &'a BTreeSet<Label>,
    pub(crate) within: Option<MachineId>,
    pub(crate) allow: Option<MachineId>,
    pub(crate) deny: Option<MachineId>,
    pub(crate) outside: bool,
}

/// How far [`Labeller::witnesses`] goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Until {
    /// Until the first label in order has a path (or every label is settled).
    First,
    /// Until every label has a path, or no more can be found.
    All,
}

/// How a witness is constrained: on the path's own label or on its parent's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum On {
    /// The label of the path, for this kind of file.
    Path(FileClass),
    /// The label of the parent directory.
    Parent,
}

impl Labeller {
    /// Build the model from the entries in precedence order (lowest first) and every glob
    /// text the queries will use.
    pub(crate) fn new(
        entries: &[FcEntry],
        globs: &BTreeSet<String>,
        glob_re: impl Fn(&str) -> Re,
    ) -> Labeller {
        let mut nfa = Nfa::default();
        let vfrag = valid_paths(&mut nfa, NOT_ENTRY);
        let mut types: Vec<String> = Vec::new();
        let mut type_ids: HashMap<String, Label> = HashMap::new();
        let mut infos = Vec::new();
        // the distinct byte sets of the entries (a few hundred among millions of bytes)
        let mut later = HashSet::new();
        let mut stems: Vec<Vec<u8>> = Vec::with_capacity(entries.len());
        for e in entries {
            // parsed for its byte sets and stem, parsed again when its fragment is built
            let re = e.parsed();
            re.byte_sets(&mut later);
            stems.push(re_literal_prefix(&re));
            let label = match &e.label {
                FcLabel::None => NONE,
                FcLabel::Type(t) => *type_ids.entry(t.clone()).or_insert_with(|| {
                    types.push(t.clone());
                    TYPE0 + u32::try_from(types.len() - 1).unwrap_or(0)
                }),
            };
            infos.push((e.mode, label));
        }
        // the globs' fragments are built in the engine, each frozen at once: the arena's
        // states before freezing take a few vectors each (10,000 rules: 86 MB)
        let gres: Vec<(&String, Re)> = globs.iter().map(|g| (g, glob_re(g))).collect();
        for (_, re) in &gres {
            re.byte_sets(&mut later);
        }
        let mut engine = Engine::new(nfa, later);
        let gfrags: Vec<(String, Frag)> = gres
            .into_iter()
            .map(|(g, re)| (g.clone(), engine.build(&re, NOT_ENTRY)))
            .collect();
        engine.shrink_to_fit(gfrags.len() + 1);
        let dominance: Rc<[Option<u8>]> = infos
            .iter()
            .map(|(mode, _)| {
                mode.map(|c: FileClass| {
                    u8::try_from(FileClass::ALL.iter().position(|x| *x == c).unwrap_or(0))
                        .unwrap_or(0)
                })
            })
            .collect();
        let v = engine.add_machine(Machine {
            starts: vec![vfrag.start],
            accepting: [(vfrag.end, 0)].into(),
            track_universal: false,
            dominance: None,
        });
        let mut gl = HashMap::new();
        let mut prefixes = HashMap::new();
        for (g, f) in gfrags {
            let m = engine.add_machine(Machine {
                starts: vec![f.start],
                accepting: [(f.end, 0)].into(),
                track_universal: true,
                dominance: None,
            });
            prefixes.insert(m, literal_prefix(&g).as_bytes().to_vec());
            gl.insert(g, (f, m));
        }
        let slash = engine.class_of(b'/');
        // make sure the start states exist for `start_id`
        engine.start(v);
        let mut by_label: HashMap<Label, Vec<usize>> = HashMap::new();
        for (i, (_, l)) in infos.iter().enumerate() {
            by_label.entry(*l).or_default().push(i);
        }
        Labeller {
            engine,
            info: Info {
                lab: NO_MACHINE,
                v,
                entries: infos.into(),
                slash,
            },
            whole: None,
            types,
            type_ids,
            globs: gl,
            unions: HashMap::new(),
            regexes: entries.iter().map(|e| e.regex.as_str().into()).collect(),
            frags: vec![None; entries.len()],
            samples: HashMap::new(),
            entry_machines: HashMap::new(),
            prefixes,
            by_stem: by_stem(&stems),
            by_label,
            stems,
            scoped: HashMap::new(),
            by_entries: HashMap::new(),
            walked: HashMap::new(),
            nonempty: HashMap::new(),
            scoped_labels: HashMap::new(),
            dominance,
            facts_asked: HashMap::new(),
            entry_outside: HashMap::new(),
            over_budget: HashMap::new(),
            met: HashMap::new(),
        }
    }

    /// Between two queries: forget the largest DFAs' states when they take too much
    /// memory, the start of the valid paths' machine built again ([`Info::parent_label`]
    /// reads it).
    fn trim(&mut self) {
        self.engine.forget_states(DFA_MEMORY);
        self.engine.start(self.info.v);
    }

    /// The fragment of entry `i`, built on first use: a compilation's queries take the
    /// entries of the few places its globs name, not the thousands of a distribution's
    /// file_contexts.
    fn frag(&mut self, i: usize) -> Option<Frag> {
        if let Some(f) = self.frags.get(i).copied().flatten() {
            return Some(f);
        }
        let re = crate::fcontexts::parsed_regex(self.regexes.get(i)?);
        let owner = u32::try_from(i).unwrap_or(NOT_ENTRY - 1);
        let f = self.engine.build(&re, owner);
        if let Some(slot) = self.frags.get_mut(i) {
            *slot = Some(f);
        }
        Some(f)
    }

    /// The labelling machine of every entry (built on first use).
    fn whole(&mut self) -> MachineId {
        if let Some(m) = self.whole {
            return m;
        }
        let all: Vec<usize> = (0..self.frags.len()).collect();
        let m = self.machine_of(&all);
        self.whole = Some(m);
        m
    }

    /// The labelling model over every entry.
    fn info_whole(&mut self) -> Info {
        Info {
            lab: self.whole(),
            ..self.info.clone()
        }
    }

    /// A labelling machine of some entries (by rank, increasing), each accepting with
    /// its rank, with the model's dominance.
    fn machine_of(&mut self, chosen: &[usize]) -> MachineId {
        let frags: Vec<(u32, Frag)> = chosen
            .iter()
            .filter_map(|&i| Some((u32::try_from(i).ok()?, self.frag(i)?)))
            .collect();
        self.engine.add_machine(Machine {
            starts: frags.iter().map(|(_, f)| f.start).collect(),
            accepting: frags.iter().map(|(i, f)| (f.end, *i)).collect(),
            track_universal: false,
            dominance: Some(self.dominance.clone()),
        })
    }

    /// The labelling model for the paths of the glob machine `glob` (the whole model
    /// for another machine): see [`Labeller::scoped`].
    fn info_for(&mut self, glob: Option<MachineId>) -> Info {
        let prefix = glob
            .and_then(|g| self.prefixes.get(&g))
            .cloned()
            .unwrap_or_default();
        Info {
            lab: self.scoped(&prefix),
            ..self.info.clone()
        }
    }

    /// The labelling model for the paths labelled (or whose parent is labelled) with one
    /// of `labels`: such a path (or its parent) matches an entry assigning one of them,
    /// so it starts with the common literal prefix of those entries; the witness search
    /// is pruned as soon as no such entry is alive, so it reads only such paths and the
    /// directories above them, where the scoped machine labels as the whole model.
    fn info_for_labels(&mut self, labels: &BTreeSet<Label>) -> Info {
        if labels.contains(&UNLABELLED) {
            // paths that match no entry are anywhere
            return self.info_whole();
        }
        let key: Vec<Label> = labels.iter().copied().collect();
        let lab = match self.scoped_labels.get(&key) {
            Some(m) => *m,
            None => {
                let mut stems: Vec<Vec<u8>> = self
                    .stems
                    .iter()
                    .zip(self.info.entries.iter())
                    .filter(|(_, (_, l))| labels.contains(l))
                    .map(|(s, _)| s.clone())
                    .collect();
                stems.sort_unstable();
                stems.dedup();
                let refs: Vec<&[u8]> = stems.iter().map(Vec::as_slice).collect();
                let m = self.scoped_by(&refs);
                self.scoped_labels.insert(key, m);
                m
            }
        };
        Info {
            lab,
            ..self.info.clone()
        }
    }

    /// A labelling machine that labels every path starting with `prefix`, and every
    /// directory above such a path, as the whole model does, from the entries that can
    /// decide those labels only ([`Labeller::scoped_by`]): an entry left out matches no
    /// such path. Entries keep their rank (precedence and dominance are unchanged), and
    /// the machine shares the model's byte classes, so a search over it reads the paths
    /// in the same order; since it accepts and prunes exactly the same paths, it finds
    /// the same shortest witness and the same facts, over far smaller states: the entries
    /// of the directories above (`/.*`, `/usr/.*`...) and below `prefix` stay, the
    /// thousands elsewhere in the tree go. Built once per prefix.
    fn scoped(&mut self, prefix: &[u8]) -> MachineId {
        if prefix.is_empty() {
            return self.whole();
        }
        if let Some(m) = self.scoped.get(prefix) {
            return *m;
        }
        let m = self.scoped_by(&[prefix]);
        self.scoped.insert(prefix.to_vec(), m);
        m
    }

    /// The labelling machine of the entries that can match a path starting with one of
    /// `prefixes` or a directory above one: an entry's paths all start with its literal
    /// prefix (its stem), so it can only when its stem is a prefix of one of `prefixes`
    /// (this takes in the entries of the directories above) or one of `prefixes` is a
    /// prefix of its stem. Read from the stems alone: the whole model is never stepped.
    fn scoped_by(&mut self, prefixes: &[&[u8]]) -> MachineId {
        let mut chosen: Vec<usize> = Vec::new();
        for p in prefixes {
            chosen.extend(self.entries_with_stem_in(p));
            // the stems starting with `p` follow it in byte order
            let from = self
                .by_stem
                .partition_point(|(stem, _)| stem.as_slice() < *p);
            for (stem, es) in self.by_stem.iter().skip(from) {
                if !stem.starts_with(p) {
                    break;
                }
                chosen.extend(es);
            }
        }
        chosen.sort_unstable();
        chosen.dedup();
        // prefixes in one directory (`/usr/share/webapp/`, `/usr/share/locale-langpack/`)
        // often take the same entries: one machine, whose DFA states they share
        if let Some(&m) = self.by_entries.get(&chosen) {
            return m;
        }
        let m = self.machine_of(&chosen);
        self.by_entries.insert(chosen, m);
        m
    }

    /// The entries whose stem starts `text` (increasing rank).
    fn entries_with_stem_in(&self, text: &[u8]) -> Vec<usize> {
        let mut found: Vec<usize> = (0..=text.len())
            .filter_map(|k| text.get(..k))
            .filter_map(|head| {
                let at = self
                    .by_stem
                    .binary_search_by(|(stem, _)| stem.as_slice().cmp(head))
                    .ok()?;
                self.by_stem.get(at)
            })
            .flat_map(|(_, es)| es.iter().copied())
            .collect();
        found.sort_unstable();
        found
    }

    /// The type name of a label code.
    pub(crate) fn type_name(&self, l: Label) -> Option<&str> {
        l.checked_sub(TYPE0)
            .and_then(|i| self.types.get(i as usize))
            .map(String::as_str)
    }

    /// The label code of a type name, if some entry assigns it.
    pub(crate) fn type_label(&self, t: &str) -> Option<Label> {
        self.type_ids.get(t).copied()
    }

    /// The machine of a glob (registered at construction).
    pub(crate) fn glob(&self, g: &str) -> Option<MachineId> {
        self.globs.get(g).map(|(_, m)| *m)
    }

    /// The union of some globs (`None` for no glob).
    pub(crate) fn union(&mut self, globs: &[String]) -> Option<MachineId> {
        if globs.is_empty() {
            return None;
        }
        let mut key = globs.to_vec();
        key.sort();
        key.dedup();
        if let Some(m) = self.unions.get(&key) {
            return Some(*m);
        }
        let frags: Vec<Frag> = key
            .iter()
            .filter_map(|g| self.globs.get(g).map(|(f, _)| *f))
            .collect();
        let m = self.engine.add_machine(Machine {
            starts: frags.iter().map(|f| f.start).collect(),
            accepting: frags.iter().map(|f| (f.end, 0)).collect(),
            track_universal: true,
            dominance: None,
        });
        self.unions.insert(key, m);
        Some(m)
    }

    /// Exhaustive: the labels of `glob`'s paths, of their parents and ancestors, each
    /// marked allowed when some such path is in `allow` and not in `deny`.
    ///
    /// The exact search explores the target's labelling under the glob; where the
    /// file_contexts are dense it gives up after a budget and the facts are
    /// over-approximated entry by entry (see [`Labeller::facts_by_entry`]): more types are
    /// then granted than strictly needed, and the fidelity check, which works from the
    /// grants, reports what they let through.
    pub(crate) fn facts(
        &mut self,
        glob_text: &str,
        allow: Option<MachineId>,
        deny: Option<MachineId>,
        track_parent: bool,
    ) -> Result<Facts, TooBig> {
        let Some(glob) = self.glob(glob_text) else {
            return Ok(Facts::default());
        };
        if let Some(known) = self.facts_known(glob, allow, deny, track_parent) {
            return known;
        }
        self.trim();
        let saved = self.engine.budget;
        self.engine.budget = FACTS_BUDGET;
        let exact = if self.glob_over_budget(glob) {
            Err(TooBig)
        } else {
            self.facts_exact(glob, allow, deny, track_parent)
        };
        self.engine.budget = saved;
        let was_exact = exact.is_ok();
        let found = match exact {
            Ok(f) => Ok(f),
            Err(TooBig) => self.facts_by_entry(glob_text, glob, allow, deny, track_parent),
        };
        if self.facts_asked.len() >= FACTS_KEPT {
            self.facts_asked.clear();
        }
        self.facts_asked.insert(
            (glob, allow, deny, track_parent),
            (found.clone(), was_exact),
        );
        found
    }

    /// The facts of a question asked before (the rights of a rule, and rules of the same
    /// glob, often share their unions): the same answer. The exact facts with the
    /// parents tracked also answer the question without them: the same labels and
    /// ancestors (the parent is only carried beside the states), and that search, over
    /// the same states without the parent, would have stayed within its budget too.
    fn facts_known(
        &self,
        glob: MachineId,
        allow: Option<MachineId>,
        deny: Option<MachineId>,
        track_parent: bool,
    ) -> Option<Result<Facts, TooBig>> {
        if let Some((found, _)) = self.facts_asked.get(&(glob, allow, deny, track_parent)) {
            return Some(found.clone());
        }
        if track_parent {
            return None;
        }
        match self.facts_asked.get(&(glob, allow, deny, true)) {
            Some((Ok(f), true)) => Some(Ok(Facts {
                parents: BTreeMap::new(),
                ..f.clone()
            })),
            _ => None,
        }
    }

    /// Over-approximated facts: the entries still alive (not overridden by a surely
    /// matching higher entry) after the glob's literal prefix, each counted when it
    /// matches some path of the glob.
    fn facts_by_entry(
        &mut self,
        text: &str,
        glob: MachineId,
        allow: Option<MachineId>,
        deny: Option<MachineId>,
        track_parent: bool,
    ) -> Result<Facts, TooBig> {
        let lit = literal_prefix(text);
        let lab = self.scoped(lit.as_bytes());
        let v = self.info.v;
        let start = self.engine.start(lab);
        let s = self.engine.walk(lab, start, lit.as_bytes());
        let mut cands: Vec<usize> = self
            .engine
            .subset(lab, s)
            .iter()
            .map(|&q| self.engine.owner(q) as usize)
            .filter(|&o| o < self.info.entries.len())
            .collect();
        cands.sort_unstable();
        cands.dedup();
        let mut f = Facts::default();
        let mut any_allowed = false;
        let (saved, start) = (self.engine.budget, self.engine.visited);
        let glob_start = self.engine.start(glob);
        let mut answered = None;
        for e in cands {
            // every path of the entry starts with its stem: when no path of the glob
            // does, the entry matches none of them (what its search would find, without
            // building its machine or searching)
            let stem = self.stems.get(e).cloned().unwrap_or_default();
            let after = self.engine.walk(glob, glob_start, &stem);
            if self.engine.is_dead(glob, after) {
                continue;
            }
            // the states the previous entry's searches built in its own machine are
            // not needed once it is answered: past the memory limit they are forgotten
            // (its own, not the least recently used machines': the `/**`-like globs
            // read the entries in turn, and the machines used before them, larger,
            // are the likelier to be needed again; usr.lib.firefox took 7 % more time)
            if let Some(p) = answered.take() {
                self.engine.forget_machine(DFA_MEMORY, p);
            }
            let used = self.engine.visited.saturating_sub(start);
            self.engine.budget = BY_ENTRY_BUDGET.saturating_sub(used).min(saved);
            let Some(&(mode, label)) = self.info.entries.get(e) else {
                continue;
            };
            let Some(m) = self.entry_machine(e) else {
                continue;
            };
            if ![Some(glob), Some(v), allow, deny].contains(&Some(m)) {
                answered = Some(m);
            }
            // whether the entry meets the glob at all, in the product without the
            // allow and deny machines (far fewer states, and it stops at the first
            // path); the full search below would have found the same. Its states do not
            // count against the shared budget, so it refuses no glob the full search
            // would not; past the budget it leaves the answer to the full search.
            let before = self.engine.visited;
            // after the stem the glob may accept everything (`/**`): the entry then
            // meets it when it matches some valid path at all, kept per entry
            let meets = if self.engine.is_universal(glob, after) {
                match self.nonempty.get(&e) {
                    Some(&known) => Ok(known),
                    None => {
                        let found = self.meets(&[v, m], &stem);
                        if let Ok(known) = found {
                            self.nonempty.insert(e, known);
                        }
                        found
                    }
                }
            } else {
                // the same glob is asked with several pairs of unions (its rules and
                // rights): whether the entry meets it does not depend on them. The search
                // is answered again within a budget at least as large as the states it
                // reached; with a smaller one it is searched again (and may go over it)
                let key = (
                    u32::try_from(glob).unwrap_or(u32::MAX),
                    u32::try_from(e).unwrap_or(u32::MAX),
                );
                match self.met.get(&key).map(|&x| (x & 1 == 1, (x >> 1) as usize)) {
                    Some((known, reached)) if reached < self.engine.budget => Ok(known),
                    _ => {
                        let found = self.meets(&[glob, v, m], &stem);
                        if let Ok(known) = found {
                            if self.met.len() >= MET_KEPT {
                                self.met.clear();
                            }
                            let reached = self.engine.visited.saturating_sub(before);
                            let reached = u32::try_from(reached).unwrap_or(u32::MAX >> 1);
                            self.met
                                .insert(key, (reached.min(u32::MAX >> 1) << 1) | u32::from(known));
                        }
                        found
                    }
                }
            };
            self.engine.visited = before;
            if meets == Ok(false) {
                self.engine.budget = saved;
                continue;
            }
            // the entry meets the glob: when the allow and deny machines decide every
            // path starting with the stem alike, they decide the paths it meets, and
            // the full search would find just that
            let decided = match meets {
                Ok(true) => self.decided_after(&stem, allow, deny),
                _ => None,
            };
            let overlap = match decided {
                Some(allowed) => Ok((true, allowed)),
                None => self.overlap(&[glob, v, m], &stem, allow, deny),
            };
            self.engine.budget = saved;
            let (hit, allowed) = overlap?;
            if !hit {
                continue;
            }
            any_allowed |= allowed;
            for class in FileClass::ALL {
                if mode.is_none() || mode == Some(class) {
                    *f.labels.entry((class, label)).or_insert(false) |= allowed;
                }
            }
            if mode.is_none() || mode == Some(FileClass::Dir) {
                f.ancestors.insert(label);
                if track_parent {
                    *f.parents.entry(label).or_insert(false) |= allowed;
                }
            }
        }
        // the literal directories above the wildcard part
        let mut dirs = vec!["/".to_string()];
        let mut acc = String::new();
        let lit_dir = lit.rfind('/').map_or("", |i| lit.get(..i).unwrap_or(""));
        for comp in lit_dir.split('/').filter(|c| !c.is_empty()) {
            acc.push('/');
            acc.push_str(comp);
            dirs.push(acc.clone());
        }
        let parent = dirs.last().cloned().unwrap_or_else(|| "/".into());
        for d in &dirs {
            let l = self.label_path(d, FileClass::Dir);
            f.ancestors.insert(l);
        }
        if track_parent {
            let l = self.label_path(&parent, FileClass::Dir);
            *f.parents.entry(l).or_insert(false) |= any_allowed;
        }
        Ok(f)
    }

    /// Whether every path starting with `prefix` is inside `allow` and outside `deny`
    /// (`Some(true)`), or every such path is outside `allow` or inside `deny`
    /// (`Some(false)`); `None` when the machines tell them apart.
    fn decided_after(
        &mut self,
        prefix: &[u8],
        allow: Option<MachineId>,
        deny: Option<MachineId>,
    ) -> Option<bool> {
        let mut after = |m: MachineId| {
            let s = self.engine.start(m);
            let s = self.engine.walk(m, s, prefix);
            (self.engine.is_universal(m, s), self.engine.is_dead(m, s))
        };
        let (allow_all, allow_none) = allow.map_or((false, true), &mut after);
        let (deny_all, deny_none) = deny.map_or((false, true), &mut after);
        if allow_none || deny_all {
            Some(false)
        } else if allow_all && deny_none {
            Some(true)
        } else {
            None
        }
    }

    /// Does the product of `ms` accept some path? All the paths of one of them (an
    /// entry's) start with `stem`: the search starts after it ([`Engine::search_after`]).
    fn meets(&mut self, ms: &[MachineId], stem: &[u8]) -> Result<bool, TooBig> {
        let dead = |e: &Engine, t: &[u32], _: u32| -> bool {
            ms.iter().zip(t).any(|(&m, &s)| e.is_dead(m, s))
        };
        let mut accept = |e: &Engine, t: &[u32], _: u32| -> bool {
            ms.iter().zip(t).all(|(&m, &s)| !e.accepts(m, s).is_empty())
        };
        match self
            .engine
            .search_after(ms, stem, 0, &|_, _, _, x, _| x, &dead, &mut accept)
        {
            Found::TooBig => Err(TooBig),
            Found::Nothing => Ok(false),
            Found::Witness(_) => Ok(true),
        }
    }

    /// Does the product of `ms` (glob, valid paths, entry) accept some path, and some path
    /// inside `allow` and outside `deny`? The entry's paths all start with `stem`.
    fn overlap(
        &mut self,
        ms: &[MachineId],
        stem: &[u8],
        allow: Option<MachineId>,
        deny: Option<MachineId>,
    ) -> Result<(bool, bool), TooBig> {
        let mut all = ms.to_vec();
        let n = all.len();
        let ai = allow.map(|m| {
            all.push(m);
            all.len() - 1
        });
        let di = deny.map(|m| {
            all.push(m);
            all.len() - 1
        });
        let core: Vec<MachineId> = ms.to_vec();
        let dead = |e: &Engine, t: &[u32], _: u32| -> bool {
            core.iter().zip(t).any(|(&m, &s)| e.is_dead(m, s))
        };
        let (mut hit, mut allowed) = (false, false);
        let mut accept = |e: &Engine, t: &[u32], _: u32| -> bool {
            if core
                .iter()
                .zip(t)
                .take(n)
                .all(|(&m, &s)| !e.accepts(m, s).is_empty())
            {
                hit = true;
                if acc(e, t, ai, allow) && !acc(e, t, di, deny) {
                    allowed = true;
                }
            }
            hit && allowed
        };
        match self
            .engine
            .search_after(&all, stem, 0, &|_, _, _, x, _| x, &dead, &mut accept)
        {
            Found::TooBig => Err(TooBig),
            _ => Ok((hit, allowed)),
        }
    }

    /// Whether the product of glob `glob` with the valid paths and the labelling machine
    /// alone has more states than the exact facts search may visit (asked once per
    /// glob, within that budget). The exact search reads the product of the same
    /// machines with the allow and deny unions (and the parent's label), pruned the
    /// same way: each of its states projects onto one of these, and every one of these
    /// is such a projection, so it has at least as many states and would go past its
    /// budget too, after building them. A glob a policy asks about with several pairs
    /// of unions (its rules and rights) is searched that way once, without them.
    fn glob_over_budget(&mut self, glob: MachineId) -> bool {
        if let Some(&over) = self.over_budget.get(&glob) {
            return over;
        }
        let info = self.info_for(Some(glob));
        let (v, lab) = (info.v, info.lab);
        let dead = |e: &Engine, t: &[u32], _: u32| -> bool {
            t.first().is_none_or(|&s| e.is_dead(glob, s))
                || t.get(1).is_none_or(|&s| e.is_dead(v, s))
        };
        let over = self.engine.search(
            &[glob, v, lab],
            0,
            &|_, _, _, x, _| x,
            &dead,
            &mut |_, _, _| false,
        ) == Found::TooBig;
        self.over_budget.insert(glob, over);
        over
    }

    fn facts_exact(
        &mut self,
        glob: MachineId,
        allow: Option<MachineId>,
        deny: Option<MachineId>,
        track_parent: bool,
    ) -> Result<Facts, TooBig> {
        let info = &self.info_for(Some(glob));
        let (v, lab) = (info.v, info.lab);
        let mut ms = vec![glob, v, lab];
        let ai = with_machine(&mut ms, allow);
        let di = with_machine(&mut ms, deny);
        let facts = RefCell::new(Facts::default());
        let aux_step = |e: &Engine, b: &[u32], a: &[u32], aux: u32, c: usize| -> u32 {
            if c != info.slash {
                return aux;
            }
            let Some(next) = info.parent_label(e, b, a, 2, 1) else {
                return aux;
            };
            let alive = a.first().is_some_and(|&s| !e.is_dead(glob, s))
                && a.get(1).is_some_and(|&s| !e.is_dead(v, s));
            if alive {
                facts.borrow_mut().ancestors.insert(next);
            }
            if track_parent {
                next
            } else {
                0
            }
        };
        let dead = |e: &Engine, t: &[u32], _aux: u32| -> bool {
            t.first().is_none_or(|&s| e.is_dead(glob, s))
                || t.get(1).is_none_or(|&s| e.is_dead(v, s))
        };
        let mut accept = |e: &Engine, t: &[u32], aux: u32| -> bool {
            let (Some(&g), Some(&vs), Some(&ls)) = (t.first(), t.get(1), t.get(2)) else {
                return false;
            };
            if e.accepts(glob, g).is_empty() || e.accepts(v, vs).is_empty() {
                return false;
            }
            let allowed = acc(e, t, ai, allow) && !acc(e, t, di, deny);
            let mut f = facts.borrow_mut();
            for class in FileClass::ALL {
                let l = info.top(e, ls, class);
                *f.labels.entry((class, l)).or_insert(false) |= allowed;
            }
            if track_parent && aux != NO_PARENT {
                *f.parents.entry(aux).or_insert(false) |= allowed;
            }
            false
        };
        let aux0 = if track_parent { NO_PARENT } else { 0 };
        match self.engine.search(&ms, aux0, &aux_step, &dead, &mut accept) {
            Found::TooBig => Err(TooBig),
            _ => {
                let mut f = facts.into_inner();
                f.ancestors.remove(&NO_PARENT);
                Ok(f)
            }
        }
    }

    /// A valid path whose label (or parent's label) is in `labels`, that is in `within`
    /// (when given), and that is outside `allow` or inside `deny` (when `outside` is
    /// true; otherwise any path).
    pub(crate) fn witness(
        &mut self,
        on: On,
        labels: &BTreeSet<Label>,
        within: Option<MachineId>,
        allow: Option<MachineId>,
        deny: Option<MachineId>,
        outside: bool,
    ) -> Result<Option<String>, TooBig> {
        if outside && within.is_none() {
            if let Some(w) = self.candidate(on, labels, allow, deny) {
                return Ok(Some(w));
            }
            if let (On::Path(class), Some(&l), 1) = (on, labels.first(), labels.len()) {
                if let Some(w) = self.outside_by_entry(l, class, allow, deny) {
                    return Ok(w);
                }
            }
        }
        let q = Query {
            on,
            labels,
            within,
            allow,
            deny,
            outside,
        };
        let found = self.search_witnesses(&q, None)?;
        Ok(found.into_values().next())
    }

    /// Per label of `labels`: what [`Labeller::witness`] finds for that label alone (the
    /// labels without a path are left out), in one search instead of one per label.
    /// With `Until::First`, only the first label (in order) with a path is sure to be
    /// there, the ones before it having none. `None` when the one search goes over
    /// its budget: the labels are then to be asked one by one, as each search alone
    /// visits fewer states.
    ///
    /// The same paths: a breadth-first search reaches each product state first by its
    /// shortest string, the first in the order of the classes among those, so the
    /// first state reached whose path has label `l` gives the shortest, first such path,
    /// whatever other labels are searched beside it. The pruning is the union of the
    /// labels' (a state is dropped when no label can be reached from it), and the
    /// labelling machine, scoped to the entries of all the labels, gives a path the label
    /// the whole model does whenever that label is one of them.
    pub(crate) fn witnesses(
        &mut self,
        q: &Query<'_>,
        until: Until,
    ) -> Option<BTreeMap<Label, String>> {
        let mut found = BTreeMap::new();
        let mut left: Vec<Label> = Vec::new();
        for &l in q.labels {
            let cand = if q.outside && q.within.is_none() {
                self.candidate(q.on, &crate::labels::one_label(l), q.allow, q.deny)
            } else {
                None
            };
            match cand {
                Some(w) => {
                    found.insert(l, w);
                    if until == Until::First && left.is_empty() {
                        return Some(found);
                    }
                }
                None => left.push(l),
            }
        }
        // the labels whose entries' own searches decide them (see
        // `Labeller::outside_by_entry`): the same paths, without the search over the
        // labelling machine of all of them
        if let (true, None, On::Path(class), Until::All) = (q.outside, q.within, q.on, until) {
            left.retain(
                |&l| match self.outside_by_entry(l, class, q.allow, q.deny) {
                    Some(w) => {
                        found.extend(w.map(|w| (l, w)));
                        false
                    }
                    None => true,
                },
            );
        }
        let left: BTreeSet<Label> = left.into_iter().collect();
        if left.is_empty() {
            return Some(found);
        }
        let q = Query {
            labels: &left,
            ..*q
        };
        let more = self.search_witnesses(&q, Some(until)).ok()?;
        found.extend(more);
        Some(found)
    }

    /// The search of [`Labeller::witness`] (`per_label` `None`: the first path of any
    /// of the labels, under its own label) and of [`Labeller::witnesses`] (the first
    /// path of each label, until the first label in order or all of them are found).
    fn search_witnesses(
        &mut self,
        q: &Query<'_>,
        per_label: Option<Until>,
    ) -> Result<BTreeMap<Label, String>, TooBig> {
        let Query {
            on,
            labels,
            within,
            allow,
            deny,
            outside,
        } = *q;
        self.trim();
        let info = &match within {
            Some(_) => self.info_for(within),
            None => self.info_for_labels(labels),
        };
        let (v, lab) = (info.v, info.lab);
        let mut ms = vec![v, lab];
        let wi = with_machine(&mut ms, within);
        let ai = with_machine(&mut ms, allow);
        let di = with_machine(&mut ms, deny);
        let parent = on == On::Parent;
        let aux_step = |e: &Engine, b: &[u32], a: &[u32], aux: u32, c: usize| -> u32 {
            if parent && c == info.slash {
                info.parent_label(e, b, a, 1, 0).unwrap_or(aux)
            } else {
                aux
            }
        };
        let dead = |e: &Engine, t: &[u32], aux: u32| -> bool {
            if t.first().is_none_or(|&s| e.is_dead(v, s)) {
                return true;
            }
            if let (Some(i), Some(m)) = (wi, within) {
                if t.get(i).is_none_or(|&s| e.is_dead(m, s)) {
                    return true;
                }
            }
            if outside {
                let allow_all = match (ai, allow) {
                    (Some(i), Some(m)) => t.get(i).is_some_and(|&s| e.is_universal(m, s)),
                    _ => false,
                };
                let deny_none = match (di, deny) {
                    (Some(i), Some(m)) => t.get(i).is_none_or(|&s| e.is_dead(m, s)),
                    _ => true,
                };
                if allow_all && deny_none {
                    return true;
                }
            }
            let Some(&ls) = t.get(1) else { return true };
            match on {
                On::Path(class) => !info.alive(e, ls, labels, Some(class)),
                On::Parent => {
                    !labels.contains(&aux) && !info.alive(e, ls, labels, Some(FileClass::Dir))
                }
            }
        };
        // the labels of the kept paths, in the order they were kept
        let mut kept_labels: Vec<Label> = Vec::new();
        let first = labels.first().copied();
        let mut visit = |e: &Engine, t: &[u32], aux: u32| -> Visit {
            let (Some(&vs), Some(&ls)) = (t.first(), t.get(1)) else {
                return Visit::Go;
            };
            if e.accepts(v, vs).is_empty() {
                return Visit::Go;
            }
            if wi.is_some() && !acc(e, t, wi, within) {
                return Visit::Go;
            }
            let l = match on {
                On::Path(class) => info.top(e, ls, class),
                On::Parent => aux,
            };
            if !labels.contains(&l)
                || (outside && acc(e, t, ai, allow) && !acc(e, t, di, deny))
                || kept_labels.contains(&l)
            {
                return Visit::Go;
            }
            kept_labels.push(l);
            let done = match per_label {
                None => true,
                Some(until) => {
                    kept_labels.len() == labels.len() || (until == Until::First && Some(l) == first)
                }
            };
            if done {
                Visit::Stop
            } else {
                Visit::Keep
            }
        };
        let aux0 = if parent { NO_PARENT } else { 0 };
        let (found, kept) = self
            .engine
            .search_keeping(&ms, aux0, &aux_step, &dead, &mut visit);
        let text = |w: Vec<u8>| String::from_utf8_lossy(&w).into_owned();
        let mut out: BTreeMap<Label, String> = kept_labels
            .iter()
            .copied()
            .zip(kept.into_iter().map(text))
            .collect();
        match found {
            Found::TooBig => return Err(TooBig),
            Found::Witness(w) => {
                if let Some(&l) = kept_labels.last() {
                    out.insert(l, text(w));
                }
            }
            Found::Nothing => {}
        }
        Ok(out)
    }

    /// A valid path of `glob` whose label, for some kind of file, is not in `ok`.
    pub(crate) fn witness_label_not_in(
        &mut self,
        glob: MachineId,
        ok: &BTreeSet<Label>,
    ) -> Result<Option<String>, TooBig> {
        self.trim();
        let info = &self.info_for(Some(glob));
        let v = info.v;
        let ms = vec![glob, v, info.lab];
        let dead = |e: &Engine, t: &[u32], _: u32| -> bool {
            t.first().is_none_or(|&s| e.is_dead(glob, s))
                || t.get(1).is_none_or(|&s| e.is_dead(v, s))
        };
        let mut accept = |e: &Engine, t: &[u32], _: u32| -> bool {
            let (Some(&g), Some(&vs), Some(&ls)) = (t.first(), t.get(1), t.get(2)) else {
                return false;
            };
            !e.accepts(glob, g).is_empty()
                && !e.accepts(v, vs).is_empty()
                && FileClass::ALL
                    .iter()
                    .any(|c| !ok.contains(&info.top(e, ls, *c)))
        };
        match self
            .engine
            .search(&ms, 0, &|_, _, _, a, _| a, &dead, &mut accept)
        {
            Found::TooBig => Err(TooBig),
            Found::Nothing => Ok(None),
            Found::Witness(w) => Ok(Some(String::from_utf8_lossy(&w).into_owned())),
        }
    }

    /// What the search of [`Labeller::witness`] finds for label `l` alone, on paths of
    /// kind `class`, outside `allow` or inside `deny`, from the searches of the entries
    /// assigning `l` alone; `None` when they do not decide it.
    ///
    /// A path labelled `l` matches one of those entries (the one deciding its label).
    /// Each entry's search finds its first path outside the policy (the shortest, first
    /// in the order of the classes, as the search over the labelling machine reads
    /// paths: both step the model's classes in order); when that path's label is `l`,
    /// it is also the entry's first path labelled `l` outside the policy. The first of
    /// those over the entries is then the search's answer, provided no entry's first
    /// path labelled otherwise comes before it (such an entry could still have a path
    /// labelled `l` before it); no path at all when no entry has one.
    fn outside_by_entry(
        &mut self,
        l: Label,
        class: FileClass,
        allow: Option<MachineId>,
        deny: Option<MachineId>,
    ) -> Option<Option<String>> {
        // a path no entry matches (`UNLABELLED`) is left to the search
        if !self.by_label.contains_key(&l) {
            return None;
        }
        let entries = self.entries_labelling(&one_label(l), class);
        let mut best: Option<(Vec<usize>, String)> = None;
        let mut other: Option<Vec<usize>> = None;
        for e in entries {
            let Some(w) = self.entry_outside(e, allow, deny).ok()? else {
                continue;
            };
            // a path of bytes that are not text is left to the search (whose witness
            // would be shown with a replacement character)
            let w = String::from_utf8(w).ok()?;
            let key = self.order_key(&w);
            if self.label_path(&w, class) == l {
                if best.as_ref().is_none_or(|(k, _)| key < *k) {
                    best = Some((key, w));
                }
            } else if other.as_ref().is_none_or(|k| key < *k) {
                other = Some(key);
            }
        }
        match (best, other) {
            (None, Some(_)) => None,
            (Some((k, _)), Some(o)) if o < k => None,
            (best, _) => Some(best.map(|(_, w)| w)),
        }
    }

    /// The order in which the searches read paths: shortest first, then by their
    /// classes in order.
    fn order_key(&self, path: &str) -> Vec<usize> {
        std::iter::once(path.len())
            .chain(path.bytes().map(|b| self.engine.class_of(b)))
            .collect()
    }

    /// The first valid path of entry `e` (shortest, first in the order of the classes)
    /// that is outside `allow` or inside `deny`, if any (cached); `Err` past a budget of
    /// its own.
    fn entry_outside(
        &mut self,
        e: usize,
        allow: Option<MachineId>,
        deny: Option<MachineId>,
    ) -> EntryOutside {
        if let Some(known) = self.entry_outside.get(&(e, allow, deny)) {
            return known.clone();
        }
        let v = self.info.v;
        let m = self.entry_machine(e).ok_or(TooBig)?;
        let stem = self.stems.get(e).cloned().unwrap_or_default();
        let mut ms = vec![v, m];
        let ai = with_machine(&mut ms, allow);
        let di = with_machine(&mut ms, deny);
        let dead = |en: &Engine, t: &[u32], _: u32| -> bool {
            if t.first().is_none_or(|&s| en.is_dead(v, s))
                || t.get(1).is_none_or(|&s| en.is_dead(m, s))
            {
                return true;
            }
            let allow_all = match (ai, allow) {
                (Some(i), Some(a)) => t.get(i).is_some_and(|&s| en.is_universal(a, s)),
                _ => false,
            };
            let deny_none = match (di, deny) {
                (Some(i), Some(d)) => t.get(i).is_none_or(|&s| en.is_dead(d, s)),
                _ => true,
            };
            allow_all && deny_none
        };
        let mut accept = |en: &Engine, t: &[u32], _: u32| -> bool {
            let allowed = acc(en, t, ai, allow) && !acc(en, t, di, deny);
            acc(en, t, Some(0), Some(v)) && acc(en, t, Some(1), Some(m)) && !allowed
        };
        let saved = self.engine.budget;
        self.engine.budget = ENTRY_OUTSIDE_BUDGET.min(saved);
        // the entry's paths all start with its stem (see `Labeller::sample`)
        let found = self
            .engine
            .search_after(&ms, &stem, 0, &|_, _, _, x, _| x, &dead, &mut accept);
        self.engine.budget = saved;
        let out = match found {
            Found::Witness(w) => Ok(Some(w)),
            Found::Nothing => Ok(None),
            Found::TooBig => Err(TooBig),
        };
        self.entry_outside.insert((e, allow, deny), out.clone());
        out
    }

    /// Give the searches from now on `budget` product states; the budget they had.
    #[cfg(test)]
    pub(crate) fn replace_budget(&mut self, budget: usize) -> usize {
        std::mem::replace(&mut self.engine.budget, budget)
    }

    /// The label of one path (no aliasing): the highest-ranked entry whose mode fits and
    /// whose regex matches it, as the labelling machines find (their pruning drops only
    /// entries below a surely matching one). An entry matches only paths starting with
    /// its stem, so only those entries are tried, each on its own machine (shared with
    /// [`Labeller::facts_by_entry`]); the entries of a path are kept.
    pub(crate) fn label_path(&mut self, path: &str, class: FileClass) -> Label {
        let matching = match self.walked.get(path) {
            Some(found) => found.clone(),
            None => {
                // a query of its own: its walks of the entries' machines are not kept
                // past the memory limit
                self.trim();
                let bytes = path.as_bytes();
                let cands = self.entries_with_stem_in(bytes);
                let mut matching = Vec::new();
                for i in cands {
                    if let Some(m) = self.entry_machine(i) {
                        if self.engine.accepts_str(m, bytes) {
                            matching.push(i);
                        }
                    }
                }
                self.walked.insert(path.to_string(), matching.clone());
                matching
            }
        };
        matching
            .iter()
            .rev()
            .find_map(|&i| {
                let (mode, label) = self.info.entries.get(i)?;
                (mode.is_none() || *mode == Some(class)).then_some(*label)
            })
            .unwrap_or(UNLABELLED)
    }

    /// The machine of entry `i` alone (built once).
    fn entry_machine(&mut self, i: usize) -> Option<MachineId> {
        if let Some(m) = self.entry_machines.get(&i) {
            return Some(*m);
        }
        let fr = self.frag(i)?;
        let m = self.engine.add_machine(Machine {
            starts: vec![fr.start],
            accepting: [(fr.end, 0)].into(),
            track_universal: false,
            dominance: None,
        });
        self.entry_machines.insert(i, m);
        Some(m)
    }

    /// A shortest valid path entry `i` matches, if any (cached).
    fn sample(&mut self, i: usize) -> Option<String> {
        if let Some(s) = self.samples.get(&i) {
            return s.clone();
        }
        // a query of its own (the candidates of a witness take hundreds of entries'
        // samples, each on its own machine, before the witness search)
        self.trim();
        let v = self.info.v;
        let m = self.entry_machine(i)?;
        let stem = self.stems.get(i).cloned().unwrap_or_default();
        let dead = |e: &Engine, t: &[u32], _: u32| -> bool {
            t.first().is_none_or(|&s| e.is_dead(v, s)) || t.get(1).is_none_or(|&s| e.is_dead(m, s))
        };
        let mut accept = |e: &Engine, t: &[u32], _: u32| -> bool {
            acc(e, t, Some(0), Some(v)) && acc(e, t, Some(1), Some(m))
        };
        // the entry's paths all start with its stem, whose bytes are classes of their
        // own (literals of the entries): the witness is the one found from the start
        let found =
            self.engine
                .search_after(&[v, m], &stem, 0, &|_, _, _, x, _| x, &dead, &mut accept);
        let out = match found {
            Found::Witness(w) => Some(String::from_utf8_lossy(&w).into_owned()),
            _ => None,
        };
        self.samples.insert(i, out.clone());
        out
    }

    /// For each entry: a shortest valid path it matches, if any.
    pub(crate) fn entry_samples(&mut self) -> Vec<Option<String>> {
        (0..self.frags.len()).map(|i| self.sample(i)).collect()
    }

    /// The entries assigning one of `labels` whose mode fits `class` (label by label,
    /// each label's by increasing rank).
    fn entries_labelling(&self, labels: &BTreeSet<Label>, class: FileClass) -> Vec<usize> {
        labels
            .iter()
            .filter_map(|l| self.by_label.get(l))
            .flatten()
            .copied()
            .filter(|&i| {
                self.info
                    .entries
                    .get(i)
                    .is_some_and(|(mode, _)| mode.is_none() || *mode == Some(class))
            })
            .collect()
    }

    /// Quick candidates for [`Labeller::witness`]: the sample paths of the entries that
    /// assign one of `labels` (for a parent query, a child of each).
    fn candidate(
        &mut self,
        on: On,
        labels: &BTreeSet<Label>,
        allow: Option<MachineId>,
        deny: Option<MachineId>,
    ) -> Option<String> {
        let class = match on {
            On::Path(c) => c,
            On::Parent => FileClass::Dir,
        };
        let mut wanted = self.entries_labelling(labels, class);
        wanted.sort_unstable();
        for i in wanted.into_iter().rev().take(64) {
            let Some(sample) = self.sample(i) else {
                continue;
            };
            if !labels.contains(&self.label_path(&sample, class)) {
                continue;
            }
            let paths = match on {
                On::Path(_) => vec![sample],
                On::Parent => {
                    let base = if sample == "/" { String::new() } else { sample };
                    vec![format!("{base}/f"), format!("{base}/polc-witness")]
                }
            };
            for p in paths {
                let allowed = allow.is_some_and(|m| self.engine.accepts_str(m, p.as_bytes()))
                    && !deny.is_some_and(|m| self.engine.accepts_str(m, p.as_bytes()));
                if !allowed {
                    return Some(p);
                }
            }
        }
        None
    }

    /// True when some valid path is in `a` and not in `b` (glob containment test).
    pub(crate) fn escapes(&mut self, a: MachineId, b: MachineId) -> Result<bool, TooBig> {
        self.trim();
        let v = self.info.v;
        let ms = vec![a, v, b];
        let dead = |e: &Engine, t: &[u32], _: u32| -> bool {
            t.first().is_none_or(|&s| e.is_dead(a, s)) || t.get(1).is_none_or(|&s| e.is_dead(v, s))
        };
        let mut accept = |e: &Engine, t: &[u32], _: u32| -> bool {
            acc(e, t, Some(0), Some(a))
                && acc(e, t, Some(1), Some(v))
                && !acc(e, t, Some(2), Some(b))
        };
        match self
            .engine
            .search(&ms, 0, &|_, _, _, x, _| x, &dead, &mut accept)
        {
            Found::TooBig => Err(TooBig),
            Found::Nothing => Ok(false),
            Found::Witness(_) => Ok(true),
        }
    }
}
