//! File rules: owned types and their file contexts, the attach entrypoint, allow rules
//! on the types that label each rule's paths, domain transitions for `exec ... as`, and
//! the fidelity of every file rule, `owns` and `attach`.

use crate::fcontexts::{effective_order, FcEntry, FcLabel, FileClass, FileContexts};
use crate::labels::{Facts, Label, Labeller, On, Query, TooBig, Until, NONE, UNLABELLED};
use crate::mapping::{classes, core_perms, object_perms, parent_perms, uses_parent, verb};
use crate::names::{block_name, qualified};
use crate::regex::{glob_re, glob_to_fc_regex};
use crate::report::{file_rule_text, Findings};
use crate::{Config, Error, Out, Unresolved, OBJECT_ROLE};
use polc_lang::fidelity::{Fidelity, RuleListKind, Subject};
use polc_lang::ir::Effect;
use polc_lang::ir::{Policy, PolicyName};
use polc_lang::rights::Right;
use std::collections::{BTreeMap, BTreeSet};

/// Who asked for a grant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Contrib {
    /// A file rule, for one of its rights.
    Rule(usize, Right),
    /// The attach entrypoint.
    Attach,
    /// Traversal of the directories leading to a rule's paths.
    Traversal,
}

/// A set of permissions, as bits of [`Ctx::perm_names`].
type Perms = u64;

/// The grants on one (type, class), by contributor, sorted: most have one or a few (a
/// map's node took ten times the room).
#[derive(Debug, Default)]
struct Grants(Vec<(Contrib, Perms)>);

impl Grants {
    fn add(&mut self, who: Contrib, bits: Perms) {
        match self.0.binary_search_by_key(&who, |&(c, _)| c) {
            Ok(at) => {
                if let Some((_, ps)) = self.0.get_mut(at) {
                    *ps |= bits;
                }
            }
            Err(at) => self.0.insert(at, (who, bits)),
        }
    }

    /// The contributors and their permissions, in contributor order.
    fn iter(&self) -> impl Iterator<Item = (&Contrib, &Perms)> {
        self.0.iter().map(|(c, ps)| (c, ps))
    }

    fn values(&self) -> impl Iterator<Item = &Perms> {
        self.0.iter().map(|(_, ps)| ps)
    }
}

fn file_subject(i: usize) -> Subject {
    Subject::Rule {
        list: RuleListKind::File,
        index: i,
    }
}

struct Ctx<'a> {
    p: &'a Policy,
    lab: Labeller,
    /// Canonical glob text per file rule.
    globs: Vec<String>,
    domain: String,
    /// (type, class) → grants with their contributors (domain as source), the
    /// permissions as bits of `perm_names`: 10,000 rules make about 100,000 of them, a
    /// set of names each took 23 MB.
    granted: BTreeMap<(String, FileClass), Grants>,
    /// The permission of each bit of [`Perms`], in the order first granted.
    perm_names: Vec<&'static str>,
    fc_given: bool,
    unresolved: Vec<Unresolved>,
    /// [`Ctx::union_for`] of each right, effect and object kind asked already: it is
    /// asked once per rule, and building it reads every rule (10,000 rules took minutes).
    unions: Vec<((Right, Effect, bool), Option<usize>)>,
    /// [`Ctx::kernel_types`] of each class and permissions asked since the last grant:
    /// the deny rules ask it for each of their rights.
    kernel: BTreeMap<(FileClass, Vec<&'static str>), BTreeSet<Label>>,
}

impl Ctx<'_> {
    fn grant(
        &mut self,
        out: &mut Out,
        ty: &str,
        class: FileClass,
        perms: &[&'static str],
        who: Contrib,
    ) {
        if perms.is_empty() {
            return;
        }
        out.allow(&self.domain, ty, class.class(), perms, None);
        if let Contrib::Rule(i, _) = who {
            if self.p.files.get(i).is_some_and(|f| f.audit) {
                out.auditallow(&self.domain, ty, class.class(), perms, None);
            }
        }
        let mut bits = 0;
        for p in perms {
            let at = match self.perm_names.iter().position(|n| n == p) {
                Some(at) => at,
                None => {
                    self.perm_names.push(p);
                    self.perm_names.len() - 1
                }
            };
            // a class has fewer than 64 permissions (file: 27)
            bits |= 1u64
                .checked_shl(u32::try_from(at).unwrap_or(u32::MAX))
                .unwrap_or(0);
        }
        self.granted
            .entry((ty.to_string(), class))
            .or_default()
            .add(who, bits);
        self.kernel.clear();
    }

    /// The bits of `perms` granted so far, and whether every one of them has a bit
    /// (a permission nothing grants has none).
    fn bits(&self, perms: &[&str]) -> (Perms, bool) {
        let mut bits = 0;
        let mut all = true;
        for p in perms {
            match self.perm_names.iter().position(|n| n == p) {
                Some(at) => {
                    bits |= 1u64
                        .checked_shl(u32::try_from(at).unwrap_or(u32::MAX))
                        .unwrap_or(0)
                }
                None => all = false,
            }
        }
        (bits, all)
    }

    /// The union of the globs of the rules of `effect` that hold `r` and apply to
    /// directories (`dir`) or to the other objects (directory-only rules do not).
    fn union_for(&mut self, r: Right, effect: Effect, dir: bool) -> Option<usize> {
        let key = (r, effect, dir);
        if let Some((_, m)) = self.unions.iter().find(|(k, _)| *k == key) {
            return *m;
        }
        let gs: Vec<String> = self
            .p
            .files
            .iter()
            .zip(&self.globs)
            .filter(|(f, _)| f.effect == effect && f.rights.contains(r) && (dir || !f.dir_only))
            .map(|(_, g)| g.clone())
            .collect();
        let m = self.lab.union(&gs);
        self.unions.push((key, m));
        m
    }

    fn too_big(&self, i: usize) -> Error {
        Error::TooComplex(self.globs.get(i).cloned().unwrap_or_default())
    }

    /// Types (as label codes) whose grants on `class` hold all of `perms`.
    fn kernel_types(&mut self, class: FileClass, perms: &[&'static str]) -> BTreeSet<Label> {
        let key = (class, perms.to_vec());
        if let Some(known) = self.kernel.get(&key) {
            return known.clone();
        }
        let (want, known) = self.bits(perms);
        let found: BTreeSet<Label> = self
            .granted
            .iter()
            .filter(|((_, c), _)| *c == class)
            .filter(|(_, by)| {
                !perms.is_empty() && known && {
                    let all = by.values().fold(0, |a, ps| a | ps);
                    want & !all == 0
                }
            })
            .filter_map(|((t, _), _)| self.lab.type_label(t))
            .collect();
        self.kernel.insert(key, found.clone());
        found
    }

    /// The grants that make `perms` hold on (`ty`, `class`): those of right `r` when
    /// there are some, else those that contribute the most of the permissions.
    fn contributors(&self, ty: &str, class: FileClass, perms: &[&str], r: Right) -> Vec<Contrib> {
        let Some(by) = self.granted.get(&(ty.to_string(), class)) else {
            return Vec::new();
        };
        let (want, _) = self.bits(perms);
        let cover = |ps: &Perms| (want & ps).count_ones();
        let same: Vec<Contrib> = by
            .iter()
            .filter(|(c, ps)| matches!(c, Contrib::Rule(_, r2) if *r2 == r) && cover(ps) > 0)
            .map(|(c, _)| *c)
            .collect();
        if !same.is_empty() {
            return same;
        }
        let best = by.values().map(cover).max().unwrap_or(0);
        if best == 0 {
            return Vec::new();
        }
        by.iter()
            .filter(|(_, ps)| cover(ps) == best)
            .map(|(c, _)| *c)
            .collect()
    }
}

fn canonical(fc: Option<&FileContexts>, text: &str) -> String {
    fc.and_then(|fc| fc.substitute(text))
        .unwrap_or_else(|| text.to_string())
}

/// The file contexts a lowering labels paths with: a policy adds its own types (`owns`,
/// carve-outs, `attach`) to the target's; a child policy, which has none, sees its
/// parent's (the same module labels the files).
pub(crate) enum Labels<'a> {
    /// The target's file contexts with this policy's types.
    Own,
    /// The parent's, as its lowering returned them.
    Parent(&'a [FcEntry]),
}

/// Lower the file rules, `owns` and `attach`; the file contexts in effect (the target's
/// with the module's types), for the lowering of the policy's children.
pub(crate) fn lower(
    p: &Policy,
    cfg: &Config,
    labels: Labels<'_>,
    out: &mut Out,
    findings: &mut Findings,
) -> Result<Vec<FcEntry>, Error> {
    let fc = cfg.file_contexts.as_ref();
    let block = out.block.clone();
    let globs: Vec<String> = p
        .files
        .iter()
        .map(|f| canonical(fc, f.glob.as_str()))
        .collect();
    // A child policy has no types of its own (nor `owns` or `attach`, E0191).
    let own = matches!(labels, Labels::Own);
    let OwnTypes {
        owned,
        carves,
        attach,
        added,
    } = own_types(p, fc, own, &globs, out)?;
    let entries = match labels {
        Labels::Own => {
            let empty = FileContexts::default();
            effective_order(fc.unwrap_or(&empty), added, &format!("{block}."))
        }
        Labels::Parent(entries) => entries.to_vec(),
    };
    let mut all_globs: BTreeSet<String> = globs.iter().cloned().collect();
    all_globs.extend(owned.iter().cloned());
    all_globs.extend(attach.iter().cloned());
    let lab = Labeller::new(&entries, &all_globs, glob_re);
    let mut cx = Ctx {
        p,
        lab,
        globs,
        domain: out.domain.clone(),
        granted: BTreeMap::new(),
        perm_names: Vec::new(),
        fc_given: fc.is_some(),
        unresolved: Vec::new(),
        unions: Vec::new(),
        kernel: BTreeMap::new(),
    };

    if attach.is_some() {
        let entry = qualified(&block, "entry");
        cx.grant(
            out,
            &entry,
            FileClass::File,
            &["entrypoint", "execute", "getattr", "map", "read"],
            Contrib::Attach,
        );
    }
    rule_grants(&mut cx, out, findings, &block)?;
    if !cx.unresolved.is_empty() {
        return Err(Error::NeedsFileContexts(std::mem::take(&mut cx.unresolved)));
    }

    owner_rules(p, findings);
    widening(&mut cx, findings);
    deny_rules(&mut cx, findings)?;
    owns_and_attach(
        &mut cx,
        findings,
        &owned,
        &carves,
        attach.as_deref(),
        &block,
    )?;
    Ok(entries)
}

/// The types a policy gives its own paths, with the file-context entries that label them.
struct OwnTypes {
    /// The owned globs, canonical (`owned_N` in order).
    owned: Vec<String>,
    /// The deny rules inside owned paths that get a type of their own (`denied_N`).
    carves: Vec<usize>,
    /// The attach path, canonical (type `entry`).
    attach: Option<String>,
    /// The entries labelling them.
    added: Vec<FcEntry>,
}

/// The owned types, the deny carve-outs inside owned paths and the entrypoint type
/// (none for a child policy, `own` false), declared in the module with their
/// `filecon`s.
fn own_types(
    p: &Policy,
    fc: Option<&FileContexts>,
    own: bool,
    globs: &[String],
    out: &mut Out,
) -> Result<OwnTypes, Error> {
    let block = out.block.clone();
    let owned: Vec<String> = p
        .owns
        .iter()
        .filter(|_| own)
        .map(|o| canonical(fc, o.glob.as_str()))
        .collect();
    let mut added: Vec<FcEntry> = Vec::new();
    let add_type = |out: &mut Out,
                    local: &str,
                    regex: String,
                    mode: Option<FileClass>,
                    added: &mut Vec<FcEntry>| {
        if let Ok(e) = FcEntry::new(&regex, mode, FcLabel::Type(qualified(&block, local)), 0) {
            added.push(e);
            if !out.types.iter().any(|(t, _)| t == local) {
                out.types.push((local.to_string(), OBJECT_ROLE));
            }
            out.filecons.push((regex, mode, local.to_string()));
        }
    };
    for (i, g) in owned.iter().enumerate() {
        add_type(
            out,
            &format!("owned_{i}"),
            glob_to_fc_regex(g),
            None,
            &mut added,
        );
    }
    let carves = carve_outs(p, globs, &owned).map_err(|_| Error::TooComplex(owned.join(", ")))?;
    for j in &carves {
        if let Some(g) = globs.get(*j) {
            add_type(
                out,
                &format!("denied_{j}"),
                glob_to_fc_regex(g),
                None,
                &mut added,
            );
        }
    }
    let attach = p
        .attach
        .as_ref()
        .filter(|_| own)
        .map(|a| canonical(fc, &a.path));
    if let Some(a) = &attach {
        add_type(
            out,
            "entry",
            glob_to_fc_regex(a),
            Some(FileClass::File),
            &mut added,
        );
    }
    Ok(OwnTypes {
        owned,
        carves,
        attach,
        added,
    })
}

/// The grants of the allow rules, right by right: first the execs that transition to
/// another domain, then everything else (so a plain exec knows which types transition
/// elsewhere); then the plain execs, settled once every rule is in.
fn rule_grants(
    cx: &mut Ctx<'_>,
    out: &mut Out,
    findings: &mut Findings,
    block: &str,
) -> Result<(), Error> {
    let p = cx.p;
    let mut execs = Execs::default();
    for pass in [true, false] {
        for (i, rule) in p.files.iter().enumerate() {
            if rule.effect != Effect::Allow {
                continue;
            }
            let transition = crate::exec_modes::target(p, block, rule);
            let no_exec = crate::exec_modes::skips_exec(p, rule);
            if pass {
                crate::exec_modes::report_rule(findings, p, i, rule);
            }
            let rights: Vec<Right> = rule
                .rights
                .iter()
                .filter(|r| !(no_exec && *r == Right::Exec))
                .filter(|r| (*r == Right::Exec && transition.is_some()) == pass)
                .collect();
            for r in rights {
                lower_right(cx, out, findings, (i, r), transition.as_ref(), &mut execs)?;
            }
        }
    }
    // A plain exec of a type that transitions elsewhere cannot be expressed.
    for (i, types) in execs.plain {
        for t in types {
            if let Some((x, j)) = execs.transitions.get(&t) {
                findings.add(
                    file_subject(i),
                    Some(Right::Exec),
                    Fidelity::Unsupported,
                    format!("files of type `{t}` are executed under `{}` (rule {j}); executing them in this domain cannot be expressed", x.shown),
                );
            } else {
                cx.grant(
                    out,
                    &t,
                    FileClass::File,
                    object_perms(Right::Exec, FileClass::File),
                    Contrib::Rule(i, Right::Exec),
                );
            }
        }
    }
    Ok(())
}

/// The exec grants gathered across the file rules, settled once every rule is lowered.
#[derive(Default)]
struct Execs {
    /// Type → the domain its files transition to, and the rule that says so.
    transitions: BTreeMap<String, (Target, usize)>,
    /// Per rule, the types it executes in this domain.
    plain: Vec<(usize, BTreeSet<String>)>,
}

/// Right `r` of file rule `i`: traversal of the directories leading to its paths, the
/// permissions on the paths' and their parents' types, and for `exec` the transition
/// (`as`) or the plain exec to settle later.
fn lower_right(
    cx: &mut Ctx<'_>,
    out: &mut Out,
    findings: &mut Findings,
    (i, r): (usize, Right),
    transition: Option<&Target>,
    execs: &mut Execs,
) -> Result<(), Error> {
    let subject = file_subject(i);
    findings.touch(subject, Some(r));
    if r == Right::Link {
        // The policy speaks of the new name; SELinux checks `link` on the existing file,
        // whose type the new name keeps.
        findings.add(
            subject,
            Some(r),
            Fidelity::Narrowed,
            "SELinux checks `link` on the type of the file being linked: linking a file of a type the module grants no `link` on is refused",
        );
    }
    let g = cx.globs.get(i).cloned().unwrap_or_default();
    if cx.lab.glob(&g).is_none() {
        return Ok(());
    };
    // A directory-only rule is about the `dir` class alone.
    let dir_only = cx.p.files.get(i).is_some_and(|f| f.dir_only);
    let classes: Vec<FileClass> = classes(r)
        .iter()
        .copied()
        .filter(|c| !dir_only || *c == FileClass::Dir)
        .collect();
    let allow = cx.union_for(r, Effect::Allow, dir_only);
    let deny = cx.union_for(r, Effect::Deny, dir_only);
    let facts = cx
        .lab
        .facts(&g, allow, deny, uses_parent(r))
        .map_err(|TooBig| cx.too_big(i))?;
    let mut right = RightLowering {
        i,
        r,
        subject,
        classes,
        facts,
        unresolved_example: None,
    };
    right.grant_traversal(cx, out, findings);
    let exec_types = right.grant_paths(cx, out, findings);
    right.grant_parents(cx, out, findings);
    right.report_unresolved(cx);
    if r == Right::Exec {
        match transition {
            Some(x) => transition_to(cx, out, findings, i, x, exec_types, &mut execs.transitions),
            None => execs.plain.push((i, exec_types)),
        }
    }
    Ok(())
}

/// One right of one file rule being lowered: what the steps share.
struct RightLowering {
    /// The file rule.
    i: usize,
    r: Right,
    subject: Subject,
    /// The object classes the rule is about (a directory-only rule: `dir` alone).
    classes: Vec<FileClass>,
    /// The labels of the rule's paths, their parents and ancestors.
    facts: Facts,
    /// What kind of paths first went unresolved for want of the target's file contexts.
    unresolved_example: Option<String>,
}

impl RightLowering {
    /// `search` on the types of the directories leading to the paths; narrowed when
    /// some have no type to grant it on.
    fn grant_traversal(&self, cx: &mut Ctx<'_>, out: &mut Out, findings: &mut Findings) {
        let mut untraversable = false;
        for &l in &self.facts.ancestors {
            match cx.lab.type_name(l).map(str::to_string) {
                Some(t) => cx.grant(out, &t, FileClass::Dir, &["search"], Contrib::Traversal),
                None => untraversable = true,
            }
        }
        if untraversable {
            let why = if cx.fc_given {
                "some directories leading to these paths have no fixed type (`<<none>>` or no file context): the domain may not be able to traverse them"
            } else {
                "without the target's file contexts the directories leading to these paths are not resolved: the domain may not be able to traverse them"
            };
            findings.add(self.subject, Some(self.r), Fidelity::Narrowed, why);
        }
    }

    /// Paths (`what`) of label `l` that have no type: unresolved without file
    /// contexts (remembered for the error), else narrowed (`<<none>>` or no context).
    fn note_missing(&mut self, cx: &Ctx<'_>, findings: &mut Findings, l: Label, what: &str) {
        let (subject, r) = (self.subject, self.r);
        if l == UNLABELLED && !cx.fc_given {
            if self.unresolved_example.is_none() {
                self.unresolved_example = Some(what.to_string());
            }
        } else if l == NONE {
            findings.add(subject, Some(r), Fidelity::Narrowed, format!("some {what} have no fixed type (`<<none>>` in file_contexts): nothing is granted on them"));
        } else {
            findings.add(
                subject,
                Some(r),
                Fidelity::Narrowed,
                format!("some {what} match no file context: nothing is granted on them"),
            );
        }
    }

    /// The right's permissions on the types of the allowed paths (none for `create`,
    /// granted on the parents); for `exec`, the types to execute, granted by the caller.
    fn grant_paths(
        &mut self,
        cx: &mut Ctx<'_>,
        out: &mut Out,
        findings: &mut Findings,
    ) -> BTreeSet<String> {
        let (i, r) = (self.i, self.r);
        let mut exec_types = BTreeSet::new();
        if r == Right::Create {
            return exec_types;
        }
        let allowed: Vec<(FileClass, Label)> = self
            .classes
            .iter()
            .flat_map(|&c| {
                self.facts
                    .labels
                    .iter()
                    .filter(move |(&(fc, _), &allowed)| fc == c && allowed)
                    .map(|(&k, _)| k)
            })
            .collect();
        for (c, l) in allowed {
            let Some(t) = cx.lab.type_name(l).map(str::to_string) else {
                self.note_missing(cx, findings, l, "of these paths");
                continue;
            };
            if r == Right::Exec {
                exec_types.insert(t);
            } else {
                cx.grant(out, &t, c, object_perms(r, c), Contrib::Rule(i, r));
            }
        }
        exec_types
    }

    /// For a right checked on the parent directory: its permissions on the types of
    /// the allowed paths' parents, and for `create` the creation of each class there
    /// (a new object takes the type of its directory).
    fn grant_parents(&mut self, cx: &mut Ctx<'_>, out: &mut Out, findings: &mut Findings) {
        let (i, r) = (self.i, self.r);
        if !uses_parent(r) {
            return;
        }
        let allowed: Vec<Label> = self
            .facts
            .parents
            .iter()
            .filter(|(_, &allowed)| allowed)
            .map(|(&l, _)| l)
            .collect();
        for l in allowed {
            let Some(t) = cx.lab.type_name(l).map(str::to_string) else {
                self.note_missing(cx, findings, l, "parent directories of these paths");
                continue;
            };
            cx.grant(
                out,
                &t,
                FileClass::Dir,
                parent_perms(r),
                Contrib::Rule(i, r),
            );
            if r == Right::Create {
                for &c in &self.classes {
                    cx.grant(out, &t, c, &["create"], Contrib::Rule(i, r));
                }
            }
        }
    }

    /// A rule with paths unresolved for want of file contexts joins the error that
    /// asks for them, with an example.
    fn report_unresolved(self, cx: &mut Ctx<'_>) {
        let Some(ex) = self.unresolved_example else {
            return;
        };
        let rule = cx.p.files.get(self.i);
        cx.unresolved.push(crate::Unresolved {
            rule: rule.map(file_rule_text).unwrap_or_default(),
            origins: rule
                .map(|f| f.origins.iter().map(|o| o.origin.clone()).collect())
                .unwrap_or_default(),
            example: format!(
                "{} ({ex})",
                cx.globs.get(self.i).cloned().unwrap_or_default()
            ),
        });
    }
}

/// `exec ... as x` of rule `i` on `exec_types`: each type transitions to `x`'s domain
/// with what a domain transition needs; a type that already transitions elsewhere is
/// unsupported (one type has one transition).
fn transition_to(
    cx: &mut Ctx<'_>,
    out: &mut Out,
    findings: &mut Findings,
    i: usize,
    x: &Target,
    exec_types: BTreeSet<String>,
    transitions: &mut BTreeMap<String, (Target, usize)>,
) {
    for t in exec_types {
        if let Some((y, j)) = transitions.get(&t) {
            if y.domain != x.domain {
                findings.add(
                    file_subject(i),
                    Some(Right::Exec),
                    Fidelity::Unsupported,
                    format!("files of type `{t}` already transition to `{}` (rule {j}): one type has one transition", y.shown),
                );
                continue;
            }
        }
        transitions.insert(t.clone(), (x.clone(), i));
        cx.grant(
            out,
            &t,
            FileClass::File,
            &["execute", "getattr", "map", "open", "read"],
            Contrib::Rule(i, Right::Exec),
        );
        let dom = cx.domain.clone();
        domain_transition(out, &dom, &t, x);
    }
}

/// Where an exec `as` enters: another policy's domain (`X.domain`, in X's module) or a
/// child policy's sub-domain in this module.
#[derive(Clone, Debug)]
pub(crate) struct Target {
    /// The domain entered (full name).
    pub(crate) domain: String,
    /// Its own entrypoint type, which needs no `entrypoint` grant from this module.
    pub(crate) entry: Option<String>,
    /// The module the domain is declared in, when it is another policy's.
    pub(crate) requires: Option<PolicyName>,
    /// How the report names it.
    pub(crate) shown: String,
}

impl Target {
    /// Another policy's domain.
    pub(crate) fn policy(x: &PolicyName) -> Target {
        let xb = block_name(x);
        Target {
            domain: qualified(&xb, "domain"),
            entry: Some(qualified(&xb, "entry")),
            requires: Some(x.clone()),
            shown: x.to_string(),
        }
    }
}

/// The transition from `dom` to `x`'s domain on executing files of type `t`, with
/// what every domain transition needs besides entering (as the reference policy's
/// domain_transition_pattern): the new program uses the descriptors and pipes it
/// inherits from the caller, and the caller learns when it exits; `t` becomes an
/// entrypoint of `x` unless it is `x`'s own entry type.
fn domain_transition(out: &mut Out, dom: &str, t: &str, x: &Target) {
    let (xdom, req) = (&x.domain, x.requires.as_ref());
    out.allow(dom, xdom, "process", &["transition"], req);
    out.transitions.insert((
        dom.to_string(),
        t.to_string(),
        "process".into(),
        xdom.clone(),
        x.requires.clone(),
    ));
    out.allow(xdom, dom, "fd", &["use"], req);
    out.allow(
        xdom,
        dom,
        "fifo_file",
        &["append", "getattr", "ioctl", "lock", "read", "write"],
        req,
    );
    out.allow(xdom, dom, "process", &["sigchld"], req);
    if x.entry.as_deref() != Some(t) {
        out.allow(
            xdom,
            t,
            "file",
            &["entrypoint", "execute", "getattr", "map", "read"],
            req,
        );
    }
}

/// SELinux cannot condition a rule on the file's owner: an `owner` rule is lowered as
/// if it applied to every file of its paths.
fn owner_rules(p: &Policy, findings: &mut Findings) {
    for (i, rule) in p.files.iter().enumerate().filter(|(_, f)| f.owner) {
        let (fidelity, why) = match rule.effect {
            Effect::Allow => (
                Fidelity::Widened,
                "SELinux cannot condition on the file's owner: granted on these paths whoever owns the file",
            ),
            Effect::Deny => (
                Fidelity::Narrowed,
                "SELinux cannot condition on the file's owner: refused on these paths whoever owns the file",
            ),
        };
        for r in rule.rights.iter() {
            findings.add(file_subject(i), Some(r), fidelity, why);
        }
    }
}

/// Every right whose permissions the grants give on a type must be allowed on every path
/// of that type; otherwise the granting rules are widened.
/// A type whose search goes past its budget is reported as widening (never an error).
fn widening(cx: &mut Ctx<'_>, findings: &mut Findings) {
    #[cfg(test)]
    let saved = tests::WIDENING_BUDGET
        .with(std::cell::Cell::get)
        .map(|b| cx.lab.replace_budget(b));
    for r in Right::ALL {
        if r != Right::Create {
            widened_objects(cx, findings, r);
        }
        if uses_parent(r) && r != Right::Delete {
            widened_parents(cx, findings, r);
        }
    }
    #[cfg(test)]
    if let Some(b) = saved {
        cx.lab.replace_budget(b);
    }
}

/// The widening of right `r` on the objects themselves: for each class and each type
/// holding its core permissions, a path of that type the policy does not allow (for a
/// right that also needs the parent, only when some parent grant lets it through).
fn widened_objects(cx: &mut Ctx<'_>, findings: &mut Findings, r: Right) {
    // once a search of this right has gone past its budget, the classes after it are
    // not searched either (see `outside_of`)
    let mut over = false;
    for &c in classes(r) {
        // Directory-only rules allow (and deny) on the `dir` class only.
        let dir = c == FileClass::Dir;
        let allow = cx.union_for(r, Effect::Allow, dir);
        let deny = cx.union_for(r, Effect::Deny, dir);
        let core = core_perms(r, c);
        let ks = cx.kernel_types(c, core);
        // every type's first path at once; label by label past that search's budget
        let at_once = if over {
            None
        } else {
            outside_at_once(cx, On::Path(c), &ks, (allow, deny))
        };
        // whether some parent grant lets a path through (asked once)
        let mut parents_open: Option<bool> = None;
        for l in ks {
            let w = match outside_of(
                cx,
                at_once.as_ref(),
                On::Path(c),
                l,
                (allow, deny),
                &mut over,
            ) {
                Some(w) => w,
                None => continue,
            };
            if uses_parent(r) {
                // the kernel also needs the parent's permissions: if no parent
                // grant lets the witness through, the rule stays exact
                let open = match parents_open {
                    Some(open) => open,
                    None => {
                        let parents = parent_kernel_types(cx, r, c);
                        // past the search's budget, as if one did (widened, never
                        // exact by default)
                        let open = cx
                            .lab
                            .witness(On::Parent, &parents, None, allow, deny, true)
                            .map_or(true, |pw| pw.is_some());
                        parents_open = Some(open);
                        open
                    }
                };
                if !open {
                    continue;
                }
            }
            let t = cx.lab.type_name(l).unwrap_or("").to_string();
            report_widened(cx, findings, r, c, &t, core, &w);
        }
    }
}

/// The widening of right `r` through the parent directory (create, link, rename-to):
/// any path whose directory the domain may write, for the classes whose object
/// permissions some type grants.
fn widened_parents(cx: &mut Ctx<'_>, findings: &mut Findings, r: Right) {
    // create / link / rename-to: any path whose directory the domain may write,
    // for the classes whose object permissions some type grants (directory-only
    // rules grant the `dir` class alone).
    let granted_classes: Vec<FileClass> = classes(r)
        .iter()
        .copied()
        .filter(|c| {
            let (want, known) = cx.bits(object_perms(r, *c));
            known
                && cx.granted.iter().any(|((_, gc), by)| {
                    let all = by.values().fold(0, |a, ps| a | ps);
                    gc == c && want & !all == 0
                })
        })
        .collect();
    // Beyond create, the parent's permissions do not depend on the class: one
    // class is judged, a class other than `dir` when one is granted.
    let judged: Vec<FileClass> = if r == Right::Create {
        granted_classes
    } else {
        granted_classes
            .iter()
            .copied()
            .find(|c| *c != FileClass::Dir)
            .or_else(|| granted_classes.first().copied())
            .into_iter()
            .collect()
    };
    let mut over = false;
    for c in judged {
        let dir = c == FileClass::Dir;
        let allow = cx.union_for(r, Effect::Allow, dir);
        let deny = cx.union_for(r, Effect::Deny, dir);
        let ks = parent_kernel_types(cx, r, c);
        let at_once = if over {
            None
        } else {
            outside_at_once(cx, On::Parent, &ks, (allow, deny))
        };
        for l in ks {
            let w = match outside_of(
                cx,
                at_once.as_ref(),
                On::Parent,
                l,
                (allow, deny),
                &mut over,
            ) {
                Some(w) => w,
                None => continue,
            };
            let t = cx.lab.type_name(l).unwrap_or("").to_string();
            report_widened(cx, findings, r, FileClass::Dir, &t, parent_perms(r), &w);
        }
    }
}

/// For each label of `labels` (its paths' own or their parents', `on`), a path outside
/// `allow` or inside `deny`, in one search ([`Labeller::witnesses`]); `None` past its
/// budget.
fn outside_at_once(
    cx: &mut Ctx<'_>,
    on: On,
    labels: &BTreeSet<Label>,
    (allow, deny): (Option<usize>, Option<usize>),
) -> Option<BTreeMap<Label, String>> {
    let q = Query {
        on,
        labels,
        within: None,
        allow,
        deny,
        outside: true,
    };
    cx.lab.witnesses(&q, Until::All)
}

/// A path of label `l` (its own or its parent's, `on`) outside `allow` or inside `deny`:
/// the one the search of all the labels found (`at_once`, when it stayed within its
/// budget), else that of the label's own search.
fn witness_of(
    cx: &mut Ctx<'_>,
    at_once: Option<&BTreeMap<Label, String>>,
    on: On,
    l: Label,
    (allow, deny): (Option<usize>, Option<usize>),
) -> Result<Option<String>, TooBig> {
    match at_once {
        Some(found) => Ok(found.get(&l).cloned()),
        None => cx
            .lab
            .witness(on, &crate::labels::one_label(l), None, allow, deny, true),
    }
}

/// What [`witness_of`] finds for the widening check, `None` when no path of label `l` is
/// outside the policy. Once one label's search has gone past its budget (`over`), the
/// labels after it (of the same right, in this class and the next) are not searched:
/// each such search would cost the whole budget again, and they are reported undecided,
/// so widened. A policy none of whose searches goes past the budget is unaffected.
fn outside_of(
    cx: &mut Ctx<'_>,
    at_once: Option<&BTreeMap<Label, String>>,
    on: On,
    l: Label,
    unions: (Option<usize>, Option<usize>),
    over: &mut bool,
) -> Option<Outside> {
    if *over && at_once.is_none() {
        return Some(Outside::Undecided);
    }
    match witness_of(cx, at_once, on, l, unions) {
        Ok(w) => w.map(Outside::Path),
        Err(TooBig) => {
            *over = true;
            Some(Outside::Undecided)
        }
    }
}

/// Directory types on which the grants allow `r`'s parent permissions (and, for create,
/// creating an object of class `c`, which takes the directory's type).
fn parent_kernel_types(cx: &mut Ctx<'_>, r: Right, c: FileClass) -> BTreeSet<Label> {
    let dirs = cx.kernel_types(FileClass::Dir, parent_perms(r));
    if r == Right::Create {
        let creatable = cx.kernel_types(c, &["create"]);
        dirs.intersection(&creatable).copied().collect()
    } else {
        dirs
    }
}

/// What the widening check found outside the policy for a type: a path, or nothing
/// decided because the search went past its budget (then the grants are reported
/// widened, never exact).
enum Outside {
    Path(String),
    Undecided,
}

fn report_widened(
    cx: &Ctx<'_>,
    findings: &mut Findings,
    r: Right,
    c: FileClass,
    t: &str,
    perms: &[&str],
    w: &Outside,
) {
    for who in cx.contributors(t, c, perms, r) {
        if let Contrib::Rule(i, r2) = who {
            let reason = match w {
                Outside::Path(w) if r2 == r => format!(
                    "type `{t}` also labels `{w}`, which the policy does not allow to {}",
                    verb(r)
                ),
                Outside::Path(w) => format!(
                    "granting {} on type `{t}` also lets the domain {} `{w}`",
                    r2,
                    verb(r)
                ),
                // one reason for every type left undecided, not one per type
                Outside::Undecided => format!(
                    "granting {r2} on the types of these paths may also let the domain {} \
                     paths the policy does not allow: the search for them went past its \
                     budget, so the rule is reported widened",
                    verb(r)
                ),
            };
            findings.add(file_subject(i), Some(r2), Fidelity::Widened, reason);
        } else if who == Contrib::Attach {
            findings.add(
                Subject::Attach,
                None,
                Fidelity::Widened,
                match w {
                    Outside::Path(w) => format!("entering the domain needs `entrypoint execute map read` on its executable: the domain may also {} `{w}`", verb(r)),
                    Outside::Undecided => format!("entering the domain needs `entrypoint execute map read` on its executable: the domain may also {} paths the policy does not allow (their search went past its budget)", verb(r)),
                },
            );
        }
    }
}

/// The first label of `labels` (in order) that labels a path of glob `gm` (of rule `i`),
/// for a path's own label or its parent's (`on`), with its first such path: one search
/// for all the labels ([`Labeller::witnesses`]), or one per label when that one goes over
/// its budget.
fn first_witness(
    cx: &mut Ctx<'_>,
    on: On,
    labels: &BTreeSet<Label>,
    gm: usize,
    i: usize,
) -> Result<Option<(Label, String)>, Error> {
    let too_big = |cx: &Ctx<'_>| Error::TooComplex(cx.globs.get(i).cloned().unwrap_or_default());
    let q = Query {
        on,
        labels,
        within: Some(gm),
        allow: None,
        deny: None,
        outside: false,
    };
    if let Some(found) = cx.lab.witnesses(&q, Until::First) {
        return Ok(found.into_iter().next());
    }
    for &l in labels {
        let w = cx
            .lab
            .witness(
                on,
                &crate::labels::one_label(l),
                Some(gm),
                None,
                None,
                false,
            )
            .map_err(|TooBig| too_big(cx))?;
        if let Some(w) = w {
            return Ok(Some((l, w)));
        }
    }
    Ok(None)
}

/// A deny is enforced only when no type the domain is granted labels its paths.
fn deny_rules(cx: &mut Ctx<'_>, findings: &mut Findings) -> Result<(), Error> {
    let p = cx.p;
    for (i, rule) in p.files.iter().enumerate() {
        if rule.effect != Effect::Deny {
            continue;
        }
        let subject = file_subject(i);
        let Some(gm) = cx.globs.get(i).and_then(|g| cx.lab.glob(g)) else {
            continue;
        };
        // A directory-only deny is about the `dir` class alone.
        for r in rule.rights.iter() {
            findings.touch(subject, Some(r));
            let rule_classes: Vec<FileClass> = classes(r)
                .iter()
                .copied()
                .filter(|c| !rule.dir_only || *c == FileClass::Dir)
                .collect();
            // the first type, in order, that labels one of the rule's paths
            let mut found: Option<(String, String)> = None;
            for &c in &rule_classes {
                let (on, ks) = if r == Right::Create {
                    (On::Parent, parent_kernel_types(cx, r, c))
                } else {
                    (On::Path(c), cx.kernel_types(c, core_perms(r, c)))
                };
                if let Some((l, w)) = first_witness(cx, on, &ks, gm, i)? {
                    found = Some((cx.lab.type_name(l).unwrap_or("").to_string(), w));
                    break;
                }
            }
            if let Some((t, w)) = found {
                findings.add(
                    subject,
                    Some(r),
                    Fidelity::Widened,
                    format!(
                        "not enforced: `{w}` has type `{t}`, on which the domain may {}",
                        verb(r)
                    ),
                );
            }
        }
    }
    Ok(())
}

fn owns_and_attach(
    cx: &mut Ctx<'_>,
    findings: &mut Findings,
    owned: &[String],
    carves: &[usize],
    attach: Option<&str>,
    block: &str,
) -> Result<(), Error> {
    let mut ours: BTreeSet<Label> = BTreeSet::new();
    for (i, _) in owned.iter().enumerate() {
        ours.extend(cx.lab.type_label(&qualified(block, &format!("owned_{i}"))));
    }
    for j in carves {
        ours.extend(cx.lab.type_label(&qualified(block, &format!("denied_{j}"))));
    }
    let entry = cx.lab.type_label(&qualified(block, "entry"));
    ours.extend(entry);
    for (i, g) in owned.iter().enumerate() {
        let subject = Subject::Owns { index: i };
        findings.touch(subject, None);
        let Some(m) = cx.lab.glob(g) else { continue };
        if let Some(w) = cx
            .lab
            .witness_label_not_in(m, &ours)
            .map_err(|TooBig| Error::TooComplex(g.clone()))?
        {
            findings.add(
                subject,
                None,
                Fidelity::Narrowed,
                format!("`{w}` keeps the type of a more specific file context of the target"),
            );
        }
    }
    if let (Some(a), Some(entry)) = (attach, entry) {
        findings.touch(Subject::Attach, None);
        if cx.lab.glob(a).is_some() {
            let facts = cx
                .lab
                .facts(a, None, None, false)
                .map_err(|TooBig| Error::TooComplex(a.to_string()))?;
            let other = facts
                .labels
                .keys()
                .any(|(c, l)| *c == FileClass::File && *l != entry);
            if other {
                findings.add(
                    Subject::Attach,
                    None,
                    Fidelity::Narrowed,
                    "a more specific file context of the target labels the executable: it may not enter the domain",
                );
            }
        }
    }
    Ok(())
}

/// Deny rules whose paths lie inside an owned glob get a type of their own (a carve-out),
/// so that the allow rules covering the owned paths do not cover them.
fn carve_outs(p: &Policy, globs: &[String], owned: &[String]) -> Result<Vec<usize>, TooBig> {
    let denies: Vec<usize> = p
        .files
        .iter()
        .enumerate()
        .filter(|(_, f)| f.effect == Effect::Deny)
        .map(|(i, _)| i)
        .collect();
    if denies.is_empty() || owned.is_empty() {
        return Ok(Vec::new());
    }
    let mut all: BTreeSet<String> = owned.iter().cloned().collect();
    for &j in &denies {
        all.extend(globs.get(j).cloned());
    }
    let mut lab = Labeller::new(&[], &all, glob_re);
    let mut out = Vec::new();
    for j in denies {
        let Some(d) = globs.get(j).and_then(|g| lab.glob(g)) else {
            continue;
        };
        let mut inside = false;
        for o in owned {
            if let Some(om) = lab.glob(o) {
                if !lab.escapes(d, om)? {
                    inside = true;
                    break;
                }
            }
        }
        // A deny whose glob is an owned glob needs no type of its own: the owned type
        // labels exactly its paths (and a second file context with the same regex would
        // leave the label to the order of equal entries, which nothing defines).
        let regex = globs.get(j).map(|g| glob_to_fc_regex(g));
        let owned_exactly = owned.iter().any(|o| Some(glob_to_fc_regex(o)) == regex);
        if inside && !owned_exactly && !out.iter().any(|k: &usize| globs.get(*k) == globs.get(j)) {
            out.push(j);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
    use crate::ir_support::from_lines;
    use crate::{compile, Config, FileContexts};
    use polc_lang::fidelity::Fidelity;

    thread_local! {
        /// The budget of the widening check's searches in this thread's compilations
        /// (`None`: the engine's own): a small one takes, on small inputs, the path of
        /// searches past their budget.
        pub(super) static WIDENING_BUDGET: std::cell::Cell<Option<usize>> =
            const { std::cell::Cell::new(None) };
    }

    /// `a_t` labels `/x/aa`, which the deny takes from the allow of everything: the
    /// widening check finds it by searching, and no sample path of an entry shows it
    /// (with the real budget: `tests/debian.rs`,
    /// `a_type_whose_entry_paths_others_label_is_left_to_the_whole_search`).
    const FC: &str = "/.* system_u:object_r:default_t:s0\n\
                      /x(/.*)? system_u:object_r:a_t:s0\n\
                      /x/[^/] system_u:object_r:b_t:s0\n";

    /// The allow rule's report entry, with the widening check's searches given `budget`
    /// product states (`None`: the real budget).
    fn allow_entry(budget: Option<usize>) -> (Fidelity, String) {
        let policy = from_lines(
            "org.example.undecided",
            &[r#"allow read "/**""#, r#"deny read "/x/*""#],
        );
        let cfg = Config {
            file_contexts: Some(FileContexts::parse(FC).unwrap()),
            ..Config::default()
        };
        WIDENING_BUDGET.with(|b| b.set(budget));
        let compiled = compile(&policy, &cfg);
        WIDENING_BUDGET.with(|b| b.set(None));
        let c = compiled.expect("compiles");
        let e = c
            .report
            .entries
            .iter()
            .find(|e| e.rule.starts_with("allow read"))
            .unwrap();
        (e.fidelity, e.reason.clone())
    }

    /// When the searches of the widening check (the type's entries', then the labelling
    /// machine's) go past their budget, the type is undecided: the rule is reported
    /// widened, never exact, and the reason says the search gave up.
    #[test]
    fn a_type_the_widening_search_cannot_decide_within_its_budget_is_reported_widened() {
        let (fidelity, reason) = allow_entry(Some(3));
        assert_eq!(fidelity, Fidelity::Widened, "{reason}");
        assert_eq!(
            reason,
            "granting read on the types of these paths may also let the domain read paths \
             the policy does not allow: the search for them went past its budget, so the \
             rule is reported widened"
        );
    }
}
