//! File rules → path-beneath grants, with an honest verdict per rule and right.
//!
//! Landlock only has allow rules on directory hierarchies (a rule on a directory covers
//! it and everything beneath it) or on single files. For each allow rule and right this
//! module chooses where to put the right and says how exactly that matches the rule:
//! see docs/backends/landlock.md for the table. Two principles: a grant never covers a
//! path that a `deny` refuses (the grant is split or dropped: narrowed), and every
//! widening is reported, unless the policy grants the extra access anyway ("absorbed").

use crate::access::{check_of, Check};
use crate::fsview::{FsView, Kind};
use crate::pattern::{has_meta, literal_glob, parent, shape, tree_glob, Shape};
use crate::Error;
use polc_lang::fidelity::Fidelity;
use polc_lang::glob::{Glob, PrefixIndex};
use polc_lang::ir::Effect;
use polc_lang::ir::{FileRule, Policy};
use polc_lang::rights::{Right, Rights};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::rc::Rc;

/// What a path rule expects to find at its path when the ruleset is built.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PathType {
    /// A directory: the rule covers it and everything beneath it.
    Dir,
    /// Anything but a directory: the rule covers that file only.
    File,
}

/// How exactly one right of one rule is enforced, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Verdict {
    pub fidelity: Fidelity,
    /// Shared, not copied, by the verdicts combined from this one and by each kernel's
    /// report: a large policy has many long reasons.
    pub reasons: Vec<Rc<str>>,
    /// The reasons that narrow, also when the verdict is widened as well: the report then
    /// has an entry for each direction, so that neither reads as a bound.
    pub narrowing: Vec<Rc<str>>,
}

impl Verdict {
    pub(crate) fn exact() -> Verdict {
        Verdict {
            fidelity: Fidelity::Exact,
            reasons: Vec::new(),
            narrowing: Vec::new(),
        }
    }

    pub(crate) fn new(fidelity: Fidelity, reason: impl Into<String>) -> Verdict {
        let reason: Rc<str> = reason.into().into();
        Verdict {
            fidelity,
            narrowing: if fidelity == Fidelity::Narrowed {
                vec![reason.clone()]
            } else {
                Vec::new()
            },
            reasons: vec![reason],
        }
    }

    /// Combine: the worse fidelity, with the reasons of everything not exact.
    pub(crate) fn and(&mut self, o: Verdict) {
        self.fidelity = self.fidelity.max(o.fidelity);
        for r in o.reasons {
            if !self.reasons.contains(&r) {
                self.reasons.push(r);
            }
        }
        for r in o.narrowing {
            if !self.narrowing.contains(&r) {
                self.narrowing.push(r);
            }
        }
    }

    /// The report's view: one (fidelity, reason) per direction. Narrowed and widened
    /// together give two; unsupported says it all.
    pub(crate) fn parts(&self) -> Vec<(Fidelity, String)> {
        if self.fidelity == Fidelity::Widened && !self.narrowing.is_empty() {
            let widening: Vec<&str> = self
                .reasons
                .iter()
                .filter(|r| !self.narrowing.contains(r))
                .map(|r| &**r)
                .collect();
            vec![
                (Fidelity::Narrowed, self.narrowing.join("; ")),
                (Fidelity::Widened, widening.join("; ")),
            ]
        } else {
            vec![(self.fidelity, self.reason())]
        }
    }

    pub(crate) fn reason(&self) -> String {
        self.reasons.join("; ")
    }
}

/// Grants: (path, type) → the rights each IR file rule contributes there.
pub(crate) type Grants = BTreeMap<(String, PathType), BTreeMap<usize, Rights>>;

/// A glob resolved against the filesystem at plan time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Expansion {
    pub rule: usize,
    pub glob: String,
}

/// The result of analysing the file rules (independent of the ABI).
#[derive(Debug, Default)]
pub(crate) struct FileAnalysis {
    pub grants: Grants,
    /// Per IR file rule, per right: the verdict.
    pub verdicts: Vec<Vec<(Right, Verdict)>>,
    pub expansions: Vec<Expansion>,
}

/// Rights whose grant, in Landlock, also allows these other rights of the language.
fn implied(r: Right) -> Rights {
    match r {
        Right::Append => Rights::one(Right::Write),
        Right::Write => Rights::one(Right::Append),
        Right::Create => Rights::one(Right::Link).insert(Right::Rename),
        Right::Delete => Rights::one(Right::Rename),
        Right::Link | Right::Rename => Rights::one(Right::Link).insert(Right::Rename),
        _ => Rights::EMPTY,
    }
}

struct Ctx<'a> {
    policy: &'a Policy,
    fs: &'a FsView,
    /// Every deny glob, with the symlink-resolved form of each alternative.
    denies: &'a [(Rights, Glob)],
    /// `denies` by literal prefix: the denies that can match a path or meet a glob.
    deny_index: PrefixIndex<'a>,
    /// The allow rules (positions in `policy.files`) by literal prefix: the allows that
    /// can meet or contain a glob.
    allow_index: PrefixIndex<'a>,
    grants: Grants,
    expansions: Vec<Expansion>,
}

/// Every deny glob of `policy`, with the symlink-resolved form of each alternative.
fn deny_globs(policy: &Policy, fs: &FsView) -> Vec<(Rights, Glob)> {
    let mut denies = Vec::new();
    for rule in policy.files.iter().filter(|f| f.effect == Effect::Deny) {
        denies.push((rule.rights, rule.glob.clone()));
        for alt in alternatives(&rule.glob) {
            if let Some(g) = canonical_alt(fs, &alt).and_then(|t| Glob::parse(&t).ok()) {
                denies.push((rule.rights, g));
            }
        }
    }
    denies
}

/// Analyse the file rules of `policy` against the filesystem seen by `fs`.
pub(crate) fn analyse(policy: &Policy, fs: &FsView) -> Result<FileAnalysis, Error> {
    let denies = deny_globs(policy, fs);
    let mut cx = Ctx::new(policy, fs, &denies);
    let mut verdicts = Vec::new();
    for (i, rule) in policy.files.iter().enumerate() {
        let v = match rule.effect {
            Effect::Allow => cx.allow_rule(i, rule)?,
            Effect::Deny => cx.deny_rule(rule),
        };
        verdicts.push(v);
    }
    Ok(FileAnalysis {
        grants: cx.grants,
        verdicts,
        expansions: cx.expansions,
    })
}

/// The brace expansions of a glob, parsed, without duplicates.
fn alternatives(g: &Glob) -> Vec<Glob> {
    let mut out: Vec<Glob> = Vec::new();
    for text in g.expansions() {
        if let Ok(alt) = Glob::parse(&text) {
            if !out.contains(&alt) {
                out.push(alt);
            }
        }
    }
    out
}

/// The alternative with its literal leading part's symlinks resolved, when that differs.
fn canonical_alt(fs: &FsView, alt: &Glob) -> Option<String> {
    let (lit, rest) = match shape(alt) {
        Shape::Literal(x) => (x, String::new()),
        Shape::Tree(x) => (x, "/**".to_string()),
        Shape::Wild { prefix } => {
            let rest = alt
                .as_str()
                .get(prefix.len()..)
                .unwrap_or_default()
                .to_string();
            (prefix, rest)
        }
    };
    let res = fs.resolve(&lit);
    if res.path == lit {
        return None;
    }
    let base = if res.path == "/" && !rest.is_empty() {
        String::new()
    } else {
        res.path
    };
    Some(format!("{base}{rest}"))
}

impl<'a> Ctx<'a> {
    fn new(policy: &'a Policy, fs: &'a FsView, denies: &'a [(Rights, Glob)]) -> Ctx<'a> {
        let deny_index = PrefixIndex::new(
            denies
                .iter()
                .enumerate()
                .map(|(k, (_, g))| (k, g.literal_prefix())),
        );
        let allow_index = PrefixIndex::new(
            policy
                .files
                .iter()
                .enumerate()
                .filter(|(_, f)| f.effect == Effect::Allow)
                .map(|(i, f)| (i, f.glob.literal_prefix())),
        );
        Ctx {
            policy,
            fs,
            denies,
            deny_index,
            allow_index,
            grants: Grants::new(),
            expansions: Vec::new(),
        }
    }
}

impl Ctx<'_> {
    fn deny_rights(r: Right) -> Rights {
        implied(r).insert(r)
    }

    /// The denies that can match a path starting with `prefix` (a glob's literal prefix,
    /// or a path): those whose literal prefix is related to it.
    fn denies_near(&self, prefix: &str) -> impl Iterator<Item = &(Rights, Glob)> {
        self.deny_index
            .related(prefix)
            .into_iter()
            .filter_map(|k| self.denies.get(k))
    }

    /// The allow rules that can meet a glob of literal prefix `prefix`.
    fn allows_near(&self, prefix: &str) -> impl Iterator<Item = &FileRule> {
        self.allow_index
            .related(prefix)
            .into_iter()
            .filter_map(|i| self.policy.files.get(i))
    }

    fn denied_path(&self, path: &str, r: Right) -> bool {
        let rs = Self::deny_rights(r);
        self.denies_near(path)
            .any(|(dr, g)| !dr.intersection(rs).is_empty() && g.matches(path))
    }

    /// True when a deny of `r` itself matches `path` (the evaluator refuses it).
    fn denied_exactly(&self, path: &str, r: Right) -> bool {
        self.denies_near(path)
            .any(|(dr, g)| dr.contains(r) && g.matches(path))
    }

    fn deny_intersects(&self, e: &Glob, r: Right) -> bool {
        let rs = Self::deny_rights(r);
        self.denies_near(e.literal_prefix())
            .any(|(dr, g)| !dr.intersection(rs).is_empty() && g.intersects(e))
    }

    /// True when the policy allows `r` on every path of `e` (one allow rule holds it
    /// all and no deny touches it).
    fn absorbed(&self, e: &Glob, r: Right) -> bool {
        // A directory-only allow covers directories only, not what a grant gives every
        // object of `e`.
        let holds = |f: &FileRule| {
            f.effect == Effect::Allow && !f.dir_only && f.rights.contains(r) && e.is_subset(&f.glob)
        };
        // Only a glob with a class can match no path (`/a/[.]`), and then every glob
        // holds it, whatever its prefix.
        let allowed = if e.as_str().contains('[') {
            self.policy.files.iter().any(holds)
        } else {
            self.allows_near(e.literal_prefix()).any(holds)
        };
        allowed
            && !self
                .denies_near(e.literal_prefix())
                .any(|(dr, g)| dr.contains(r) && g.intersects(e))
    }

    /// True when some allow rule grants `r` somewhere in `e`.
    fn possible(&self, e: &Glob, r: Right) -> bool {
        self.allows_near(e.literal_prefix())
            .any(|f| f.rights.contains(r) && f.glob.intersects(e))
    }

    fn grant(&mut self, rule: usize, path: &str, ty: PathType, rights: Rights) {
        let e = self
            .grants
            .entry((path.to_string(), ty))
            .or_default()
            .entry(rule)
            .or_default();
        *e = e.union(rights);
    }

    fn root(&self) -> String {
        self.fs.root().display().to_string()
    }

    fn allow_rule(&mut self, i: usize, rule: &FileRule) -> Result<Vec<(Right, Verdict)>, Error> {
        let alts = alternatives(&rule.glob);
        let both = Rights::one(Right::Link).insert(Right::Rename);
        let refer = if both.is_subset(rule.rights) {
            Some(self.place(i, Right::Link, both, &alts)?.0)
        } else {
            None
        };
        let mut out = Vec::new();
        for r in rule.rights.iter() {
            let mut v = match (check_of(r), r) {
                (Check::Never, _) => Verdict::exact(),
                (_, Right::Link | Right::Rename) => {
                    let mut v = Verdict::new(
                        Fidelity::Narrowed,
                        "a link or rename also needs `create` (and `delete` for a rename) in the \
                         directories involved; across directories Landlock needs its refer right \
                         on both and refuses to give the file more access than it had",
                    );
                    if let Some(gv) = &refer {
                        v.and(gv.clone());
                    } else {
                        v.and(Verdict::new(
                            Fidelity::Narrowed,
                            "Landlock's refer right serves links and renames alike, so it is only \
                             granted by a rule with both `link` and `rename`: links and renames \
                             across directories are refused",
                        ));
                    }
                    v
                }
                _ => {
                    let (mut v, cover) = self.place(i, r, Rights::one(r), &alts)?;
                    v.and(self.side_effects(r, &cover, rule.dir_only));
                    v
                }
            };
            if r == Right::Exec && rule.exec_mode != polc_lang::ir::ExecMode::Plain {
                v.and(crate::plan::exec_mode_verdict(rule));
            } else if r == Right::Exec {
                if let Some(to) = &rule.exec_as {
                    v.and(Verdict::new(
                        Fidelity::Narrowed,
                        format!(
                            "the executed program stays in this Landlock domain instead of \
                             switching to `{to}`: it gets at most this policy's access"
                        ),
                    ));
                }
            }
            out.push((r, v));
        }
        Ok(out)
    }

    /// Widenings that come from what Landlock's rights imply beyond the right itself. A
    /// directory-only rule's `create` is `make_dir` alone, which links no file.
    fn side_effects(&self, r: Right, cover: &[Glob], dir_only: bool) -> Verdict {
        let mut v = Verdict::exact();
        for c in cover {
            match r {
                Right::Append if !self.absorbed(c, Right::Write) => v.and(Verdict::new(
                    Fidelity::Widened,
                    "Landlock cannot make a file append-only: `append` is granted as write_file, \
                     which also allows overwriting",
                )),
                Right::Exec if !self.absorbed(c, Right::Read) => v.and(Verdict::new(
                    Fidelity::Narrowed,
                    "Landlock's execve also needs read_file on the file: where the policy does \
                     not grant `read` too, the file cannot be executed",
                )),
                Right::Create => {
                    if !dir_only && !self.absorbed(c, Right::Link) {
                        v.and(Verdict::new(
                            Fidelity::Widened,
                            "in Landlock, the right to create in a directory also allows \
                             hard-linking files of that directory into it; the policy does not \
                             grant `link` there",
                        ));
                    }
                    if self.possible(c, Right::Delete) && !self.absorbed(c, Right::Rename) {
                        v.and(rename_widening());
                    }
                }
                Right::Delete
                    if self.possible(c, Right::Create) && !self.absorbed(c, Right::Rename) =>
                {
                    v.and(rename_widening())
                }
                _ => {}
            }
        }
        v
    }

    /// Place right `r` of rule `i` for every alternative; returns the verdict and the
    /// globs the grants cover (for the side-effect checks).
    fn place(
        &mut self,
        i: usize,
        r: Right,
        rights: Rights,
        alts: &[Glob],
    ) -> Result<(Verdict, Vec<Glob>), Error> {
        let mut v = Verdict::exact();
        let mut cover = Vec::new();
        for alt in alts {
            let av = match shape(alt) {
                Shape::Literal(x) => self.literal(i, r, rights, &x, &mut cover),
                Shape::Tree(x) => self.tree(i, r, rights, alt, &x, &mut cover)?,
                Shape::Wild { prefix } => self.wild(i, r, rights, alt, &prefix, &mut cover)?,
            };
            v.and(av);
        }
        Ok((v, cover))
    }

    /// The verdict for granting on `canon`, the symlink-resolved form of `written`.
    fn through_symlink(&self, e: Option<Glob>, r: Right, written: &str, canon: &str) -> Verdict {
        match e {
            Some(e) if self.absorbed(&e, r) => Verdict::exact(),
            _ => Verdict::new(
                Fidelity::Widened,
                format!(
                    "`{written}` resolves to `{canon}` through a symlink: Landlock grants on \
                     `{canon}`, which is then reachable by that path too"
                ),
            ),
        }
    }

    fn missing(&self, path: &str) -> Verdict {
        Verdict::new(
            Fidelity::Narrowed,
            format!(
                "`{path}` does not exist under `{}` at plan time: nothing is granted unless it \
                 exists when the ruleset is built",
                self.root()
            ),
        )
    }

    fn literal(
        &mut self,
        i: usize,
        r: Right,
        rights: Rights,
        x: &str,
        cover: &mut Vec<Glob>,
    ) -> Verdict {
        if literal_glob(x).is_none() || self.denied_exactly(x, r) {
            // Nothing to grant: the path is not valid, or the evaluator refuses it too.
            return Verdict::exact();
        }
        if self.denied_path(x, r) {
            return Verdict::new(
                Fidelity::Narrowed,
                format!(
                    "in Landlock, `{r}` on `{x}` would also allow what the policy denies there: \
                     nothing is granted"
                ),
            );
        }
        let res = self.fs.resolve(x);
        let mut v = if res.path != x {
            self.through_symlink(literal_glob(&res.path), r, x, &res.path)
        } else {
            Verdict::exact()
        };
        match check_of(r) {
            Check::File => match res.kind {
                Kind::Dir => v.and(Verdict::new(
                    Fidelity::Narrowed,
                    format!(
                        "`{x}` is a directory: Landlock's file rights there would cover every \
                         file beneath it, so nothing is granted"
                    ),
                )),
                kind => {
                    self.grant(i, &res.path, PathType::File, rights);
                    cover.extend(literal_glob(&res.path));
                    if kind == Kind::Missing {
                        v.and(self.missing(x));
                    }
                }
            },
            Check::Dir => match res.kind {
                Kind::File | Kind::Symlink => {}
                kind => {
                    let extra = tree_glob(&res.path);
                    match extra {
                        Some(e) if !self.deny_intersects(&e, r) => {
                            self.grant(i, &res.path, PathType::Dir, rights);
                            if kind == Kind::Missing {
                                v.and(self.missing(x));
                            }
                            if !self.absorbed(&e, r) {
                                v.and(Verdict::new(
                                    Fidelity::Widened,
                                    format!(
                                        "Landlock's read_dir on `{x}` also covers every \
                                         directory beneath it"
                                    ),
                                ));
                            }
                        }
                        _ => v.and(Verdict::new(
                            Fidelity::Narrowed,
                            format!(
                                "listing `{x}` with Landlock would also allow listing beneath it, \
                                 where a deny applies: nothing is granted"
                            ),
                        )),
                    }
                }
            },
            Check::Parent => {
                if let Some(d) = parent(&res.path) {
                    let d = d.to_string();
                    v.and(self.on_parent(i, r, rights, &d, cover));
                }
            }
            Check::Never => {}
        }
        v
    }

    /// Grant a parent-checked right on directory `d` (covering everything beneath it).
    fn on_parent(
        &mut self,
        i: usize,
        r: Right,
        rights: Rights,
        d: &str,
        cover: &mut Vec<Glob>,
    ) -> Verdict {
        match tree_glob(d) {
            Some(e) if !self.deny_intersects(&e, r) => {
                self.grant(i, d, PathType::Dir, rights);
                let v = if self.absorbed(&e, r) {
                    Verdict::exact()
                } else {
                    Verdict::new(
                        Fidelity::Widened,
                        format!(
                            "Landlock checks `{r}` on the parent directory: granting it on `{d}` \
                             covers every path beneath `{d}`"
                        ),
                    )
                };
                cover.push(e);
                v
            }
            _ => Verdict::new(
                Fidelity::Narrowed,
                format!(
                    "Landlock checks `{r}` on the parent directory, and granting it on `{d}` \
                     would cover a denied path: nothing is granted"
                ),
            ),
        }
    }

    fn tree(
        &mut self,
        i: usize,
        r: Right,
        rights: Rights,
        alt: &Glob,
        x: &str,
        cover: &mut Vec<Glob>,
    ) -> Result<Verdict, Error> {
        let written = alt.clone();
        let res = self.fs.resolve(x);
        let target = if res.path != x {
            tree_glob(&res.path)
        } else {
            Some(written.clone())
        };
        let Some(target) = target else {
            return Ok(Verdict::new(
                Fidelity::Narrowed,
                format!(
                    "`{x}` resolves to `{}`, which no glob can name: nothing is granted",
                    res.path
                ),
            ));
        };
        let mut v = if res.path != x {
            self.through_symlink(Some(target.clone()), r, x, &res.path)
        } else {
            Verdict::exact()
        };
        let blocked = self.deny_intersects(&written, r)
            || self.deny_intersects(&target, r)
            || (check_of(r) == Check::Dir && self.denied_path(&res.path, r));
        if blocked {
            v.and(self.walk(i, r, rights, &target, &res.path, alt, cover)?);
            return Ok(v);
        }
        self.grant(i, &res.path, PathType::Dir, rights);
        cover.push(target);
        if res.kind == Kind::Missing {
            v.and(self.missing(x));
        }
        if check_of(r) == Check::Dir && x != "/" {
            let covered = literal_glob(x).is_some_and(|g| self.absorbed(&g, r));
            if !covered {
                v.and(Verdict::new(
                    Fidelity::Widened,
                    format!(
                        "Landlock's read_dir on `{x}` also covers `{x}` itself, which `{alt}` \
                         does not match"
                    ),
                ));
            }
        }
        Ok(v)
    }

    fn wild(
        &mut self,
        i: usize,
        r: Right,
        rights: Rights,
        alt: &Glob,
        prefix: &str,
        cover: &mut Vec<Glob>,
    ) -> Result<Verdict, Error> {
        let res = self.fs.resolve(prefix);
        if check_of(r) == Check::Parent && !alt.as_str().ends_with("/**") {
            return Ok(self.on_parent(i, r, rights, &res.path, cover));
        }
        let text = match canonical_alt(self.fs, alt) {
            Some(t) => t,
            None => alt.as_str().to_string(),
        };
        let Ok(target) = Glob::parse(&text) else {
            return Ok(Verdict::new(
                Fidelity::Narrowed,
                format!(
                    "`{prefix}` resolves to `{}`, which no glob can name: nothing is granted",
                    res.path
                ),
            ));
        };
        let mut v = if text != alt.as_str() {
            self.through_symlink(Some(target.clone()), r, prefix, &res.path)
        } else {
            Verdict::exact()
        };
        if self.accepts_widening(i, r) {
            if let Some(pv) = self.on_prefix(i, r, rights, alt, &res.path, res.kind, cover) {
                v.and(pv);
                return Ok(v);
            }
        }
        v.and(self.walk(i, r, rights, &target, &res.path, alt, cover)?);
        Ok(v)
    }

    /// True when every statement behind right `r` of rule `i` is in an `accept widened on
    /// landlock` block: the author has acknowledged that Landlock may grant more.
    fn accepts_widening(&self, i: usize, r: Right) -> bool {
        let Some(rule) = self.policy.files.get(i) else {
            return false;
        };
        let mut behind = rule
            .origins
            .iter()
            .filter(|o| o.rights.contains(r))
            .peekable();
        behind.peek().is_some()
            && behind.all(|o| {
                o.origin
                    .accepts
                    .iter()
                    .any(|a| a.covers(Fidelity::Widened, "landlock"))
            })
    }

    /// Grant `r` on `dir`, the longest literal directory of `alt` (symlinks resolved),
    /// instead of expanding `alt` against the file system: the plan then does not depend
    /// on what the planning machine holds beneath `dir`. Widened (every path beneath
    /// `dir`), unless the policy grants that anyway. `None` when it cannot be done without
    /// covering a denied path, or when `dir` is `/`: the caller expands instead.
    #[expect(
        clippy::too_many_arguments,
        reason = "the placement context of one alternative, as the other placers take it"
    )]
    fn on_prefix(
        &mut self,
        i: usize,
        r: Right,
        rights: Rights,
        alt: &Glob,
        dir: &str,
        kind: Kind,
        cover: &mut Vec<Glob>,
    ) -> Option<Verdict> {
        if dir == "/" || matches!(kind, Kind::File | Kind::Symlink) {
            return None;
        }
        let tree = tree_glob(dir)?;
        let check = check_of(r);
        if self.deny_intersects(&tree, r) || (check == Check::Dir && self.denied_path(dir, r)) {
            return None;
        }
        self.grant(i, dir, PathType::Dir, rights);
        cover.push(tree.clone());
        let mut v = if kind == Kind::Missing {
            self.missing(dir)
        } else {
            Verdict::exact()
        };
        let covered = self.absorbed(&tree, r)
            && (check != Check::Dir || literal_glob(dir).is_some_and(|g| self.absorbed(&g, r)));
        if !covered {
            v.and(Verdict::new(
                Fidelity::Widened,
                format!(
                    "`{alt}` is not expanded against the file system (its rule accepts widening \
                     on Landlock): it is granted on `{dir}`, its longest literal directory, and \
                     so on every path beneath `{dir}`"
                ),
            ));
        }
        Some(v)
    }

    /// Expand `target` against the filesystem from `start`, granting on whole subtrees
    /// where possible and on single files otherwise, never on a denied path.
    #[expect(
        clippy::too_many_arguments,
        reason = "the placement context of one alternative, as the other placers take it"
    )]
    fn walk(
        &mut self,
        i: usize,
        r: Right,
        rights: Rights,
        target: &Glob,
        start: &str,
        alt: &Glob,
        cover: &mut Vec<Glob>,
    ) -> Result<Verdict, Error> {
        self.expansions.push(Expansion {
            rule: i,
            glob: alt.as_str().to_string(),
        });
        let check = check_of(r);
        let mut granted = 0usize;
        let mut skipped = 0usize;
        let mut stack = vec![start.to_string()];
        while let Some(m) = stack.pop() {
            if self.fs.kind(&m) != Kind::Dir {
                continue;
            }
            // `M/**` holds paths of any depth: only a glob with `**` can hold them all.
            let whole = target.as_str().contains("**")
                && tree_glob(&m).is_some_and(|s| {
                    s.is_subset(target)
                        && !self.deny_intersects(&s, r)
                        && (check != Check::Dir || (target.matches(&m) && !self.denied_path(&m, r)))
                });
            if whole {
                self.grant(i, &m, PathType::Dir, rights);
                cover.extend(tree_glob(&m));
                granted += 1;
                continue;
            }
            let listing = self.fs.list(&m).map_err(|e| match e {
                Error::ExpansionTooLarge { root, limit, .. } => Error::ExpansionTooLarge {
                    root,
                    limit,
                    glob: Some(alt.as_str().to_string()),
                    origin: self
                        .policy
                        .files
                        .get(i)
                        .and_then(|r| r.origins.first())
                        .map(|o| Box::new(o.origin.clone())),
                },
                e => e,
            })?;
            skipped += listing.unnamed;
            for (p, kind) in listing.entries.into_iter().rev() {
                let below = has_meta(&p) || target.may_match_below(&p);
                match kind {
                    Kind::Dir if below => stack.push(p),
                    Kind::Dir if check == Check::Dir && target.matches(&p) => skipped += 1,
                    Kind::File
                        if check == Check::File
                            && target.matches(&p)
                            && !self.denied_path(&p, r) =>
                    {
                        self.grant(i, &p, PathType::File, rights);
                        cover.extend(literal_glob(&p));
                        granted += 1;
                    }
                    Kind::Symlink if below || target.matches(&p) => skipped += 1,
                    _ => {}
                }
            }
        }
        let mut reason = format!(
            "`{alt}` is expanded against the filesystem under `{}` at plan time ({granted} \
             rules); paths created later are not covered",
            self.root()
        );
        if skipped > 0 {
            reason.push_str(&format!(
                "; {skipped} symlinks, unnameable entries or directories that cannot be granted \
                 apart from their content are left out"
            ));
        }
        Ok(Verdict::new(Fidelity::Narrowed, reason))
    }

    fn deny_rule(&self, rule: &FileRule) -> Vec<(Right, Verdict)> {
        rule.rights
            .iter()
            .map(|r| {
                let v = match (check_of(r), r) {
                    (Check::Never, _) => Verdict::new(
                        Fidelity::Unsupported,
                        format!("Landlock cannot restrict `{r}`: it is allowed everywhere"),
                    ),
                    _ if rule.dir_only => Verdict::new(
                        Fidelity::Narrowed,
                        format!(
                            "Landlock refuses by not granting: `{r}` is withheld on these paths \
                             for every type of file, not for directories only"
                        ),
                    ),
                    _ => Verdict::exact(),
                };
                (r, v)
            })
            .collect()
    }
}

fn rename_widening() -> Verdict {
    Verdict::new(
        Fidelity::Widened,
        "with both create and delete rights in a directory, Landlock also allows renaming \
         within it; the policy does not grant `rename` there",
    )
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
    use crate::ir_support::{at, file_rule, policy, rights};
    use proptest::prelude::*;

    /// The reference: every deny and every allow rule asked, as before the indexes.
    impl Ctx<'_> {
        fn denied_path_scan(&self, path: &str, r: Right) -> bool {
            let rs = Self::deny_rights(r);
            self.denies
                .iter()
                .any(|(dr, g)| !dr.intersection(rs).is_empty() && g.matches(path))
        }

        fn denied_exactly_scan(&self, path: &str, r: Right) -> bool {
            self.denies
                .iter()
                .any(|(dr, g)| dr.contains(r) && g.matches(path))
        }

        fn deny_intersects_scan(&self, e: &Glob, r: Right) -> bool {
            let rs = Self::deny_rights(r);
            self.denies
                .iter()
                .any(|(dr, g)| !dr.intersection(rs).is_empty() && g.intersects(e))
        }

        fn absorbed_scan(&self, e: &Glob, r: Right) -> bool {
            self.policy.files.iter().any(|f| {
                f.effect == Effect::Allow
                    && !f.dir_only
                    && f.rights.contains(r)
                    && e.is_subset(&f.glob)
            }) && !self
                .denies
                .iter()
                .any(|(dr, g)| dr.contains(r) && g.intersects(e))
        }

        fn possible_scan(&self, e: &Glob, r: Right) -> bool {
            self.policy
                .files
                .iter()
                .any(|f| f.effect == Effect::Allow && f.rights.contains(r) && f.glob.intersects(e))
        }
    }

    /// Glob text over a few names, so that rules often contain, overlap or duplicate one
    /// another and their literal prefixes are often prefixes of one another; classes
    /// included, some matching no path (`[.]` alone is a `.` component).
    fn glob_text() -> impl Strategy<Value = String> {
        let component = prop_oneof![
            4 => Just("a"),
            3 => Just("b"),
            2 => Just("ab"),
            3 => Just("*"),
            3 => Just("**"),
            1 => Just("?"),
            2 => Just("a*"),
            1 => Just("*b"),
            2 => Just("{a,b}"),
            1 => Just("a{,b}"),
            1 => Just("{b/a,a}"),
            1 => Just("[ab]"),
            1 => Just("a[b]+"),
            1 => Just("[.]"),
        ];
        prop::collection::vec(component, 0..4).prop_map(|cs| format!("/{}", cs.join("/")))
    }

    fn glob() -> impl Strategy<Value = Glob> {
        glob_text().prop_filter_map("a valid glob", |t| Glob::parse(&t).ok())
    }

    /// A literal path over the same names.
    fn path() -> impl Strategy<Value = String> {
        prop::collection::vec(prop_oneof![Just("a"), Just("b"), Just("ab")], 0..4)
            .prop_map(|cs| format!("/{}", cs.join("/")))
    }

    fn right() -> impl Strategy<Value = Right> {
        prop::sample::select(Right::ALL.to_vec())
    }

    /// (allow, glob, rights, directory-only)
    fn rule() -> impl Strategy<Value = (bool, Glob, Vec<&'static str>, bool)> {
        (
            prop::bool::weighted(0.6),
            glob(),
            prop::sample::subsequence(
                vec![
                    "read", "write", "append", "create", "delete", "list", "link", "rename",
                ],
                1..4,
            ),
            prop::bool::weighted(0.2),
        )
    }

    proptest! {
        /// The candidates the prefix indexes give decide every question as asking every
        /// rule does.
        #[test]
        fn indexed_answers_equal_the_scan(
            rules in prop::collection::vec(rule(), 0..24),
            globs in prop::collection::vec((glob(), right()), 1..12),
            paths in prop::collection::vec((path(), right()), 1..12),
        ) {
            let mut p = policy("org.example.p");
            for (n, (allow, g, words, dir_only)) in rules.into_iter().enumerate() {
                let effect = if allow { Effect::Allow } else { Effect::Deny };
                let mut f = file_rule(effect, g.as_str(), rights(&words), None, at("t.pol", n + 1));
                f.dir_only = dir_only;
                p.files.push(f);
            }
            let root = tempfile::tempdir().unwrap();
            let fs = FsView::new(root.path());
            let denies = deny_globs(&p, &fs);
            let cx = Ctx::new(&p, &fs, &denies);
            for (e, r) in &globs {
                prop_assert_eq!(cx.absorbed(e, *r), cx.absorbed_scan(e, *r), "absorbed {} {}", e, r);
                prop_assert_eq!(cx.possible(e, *r), cx.possible_scan(e, *r), "possible {} {}", e, r);
                prop_assert_eq!(
                    cx.deny_intersects(e, *r),
                    cx.deny_intersects_scan(e, *r),
                    "deny_intersects {} {}", e, r
                );
            }
            for (x, r) in &paths {
                prop_assert_eq!(cx.denied_path(x, *r), cx.denied_path_scan(x, *r), "denied_path {} {}", x, r);
                prop_assert_eq!(
                    cx.denied_exactly(x, *r),
                    cx.denied_exactly_scan(x, *r),
                    "denied_exactly {} {}", x, r
                );
            }
        }
    }
}
