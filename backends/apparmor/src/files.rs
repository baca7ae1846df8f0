//! File rules: polc rights → AppArmor permissions on a glob's file and directory forms,
//! and how exactly each right is enforced.
//!
//! The model behind the fidelity: every polc right is a set of kernel operations, each of
//! which AppArmor checks as a set of permission bits on one path form (see the tables in
//! `docs/backends/apparmor.md`). An allow rule is *widened* for a right when its AppArmor
//! permissions allow some operation of a right the rule does not grant, and *narrowed*
//! when they do not allow every operation of a right it grants. A deny rule is *narrowed*
//! when it refuses an operation of a right it does not name, and *widened* when it does
//! not refuse every operation of a right it names.

use polc_lang::rights::{Right, Rights};

/// AppArmor file permission letters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Letters(u8);

impl Letters {
    pub const R: Letters = Letters(1);
    pub const W: Letters = Letters(1 << 1);
    pub const A: Letters = Letters(1 << 2);
    pub const L: Letters = Letters(1 << 3);
    pub const K: Letters = Letters(1 << 4);
    pub const M: Letters = Letters(1 << 5);
    pub const X: Letters = Letters(1 << 6);
    const ALL: [(Letters, char); 7] = [
        (Letters::R, 'r'),
        (Letters::W, 'w'),
        (Letters::A, 'a'),
        (Letters::L, 'l'),
        (Letters::K, 'k'),
        (Letters::M, 'm'),
        (Letters::X, 'x'),
    ];

    pub fn union(self, o: Letters) -> Letters {
        Letters(self.0 | o.0)
    }

    pub fn contains(self, o: Letters) -> bool {
        self.0 & o.0 == o.0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The letters as a line writes them: without `a` when `w` is present, which covers
    /// it (see [`Letters::mode`]).
    pub fn written(self) -> Letters {
        if self.contains(Letters::W) {
            self.minus(Letters::A)
        } else {
            self
        }
    }

    /// The letters of `self` that `o` does not hold.
    pub fn minus(self, o: Letters) -> Letters {
        Letters(self.0 & !o.0)
    }

    /// Lock, link and map-exec: the letters no allow line of polc's gives a directory
    /// form ([`allow_letters`]). In an enforced profile, what no allow line grants is
    /// refused anyway, so a deny of these letters on a directory changes no operation's
    /// outcome there (flock and fcntl locks on a directory's descriptor, linking a
    /// directory, mapping one executable: the kernel test of the directory rules checks
    /// each against AppArmor) and a deny line may carry them onto directories.
    pub const NOT_ON_DIRECTORIES: Letters = Letters(Letters::L.0 | Letters::K.0 | Letters::M.0);

    /// The letters in AppArmor's usual order, without `x` (written with its qualifier by the
    /// caller) and without `a` when `w` is present (AppArmor refuses `wa`; `w` covers it).
    pub fn mode(self) -> String {
        Letters::ALL
            .iter()
            .filter(|(l, _)| self.contains(*l) && *l != Letters::X)
            .filter(|(l, _)| !(*l == Letters::A && self.contains(Letters::W)))
            .map(|(_, c)| *c)
            .collect()
    }

    /// The kernel permission bits the letters grant (`w` includes append, create and
    /// delete, as AppArmor's permission mapping does).
    fn bits(self) -> u16 {
        let mut b = 0;
        if self.contains(Letters::R) {
            b |= B_READ;
        }
        if self.contains(Letters::W) {
            b |= B_WRITE | B_APPEND | B_CREATE | B_DELETE;
        }
        if self.contains(Letters::A) {
            b |= B_APPEND;
        }
        if self.contains(Letters::L) {
            b |= B_LINK;
        }
        if self.contains(Letters::K) {
            b |= B_LOCK;
        }
        if self.contains(Letters::M) {
            b |= B_MMAP;
        }
        if self.contains(Letters::X) {
            b |= B_EXEC;
        }
        b
    }
}

const B_READ: u16 = 1;
const B_WRITE: u16 = 1 << 1;
const B_APPEND: u16 = 1 << 2;
const B_CREATE: u16 = 1 << 3;
const B_DELETE: u16 = 1 << 4;
const B_LINK: u16 = 1 << 5;
const B_LOCK: u16 = 1 << 6;
const B_MMAP: u16 = 1 << 7;
const B_EXEC: u16 = 1 << 8;

/// Letters on the file form and on the directory form of a glob.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct FormLetters {
    pub file: Letters,
    pub dir: Letters,
}

impl FormLetters {
    const fn new(file: Letters, dir: Letters) -> Self {
        FormLetters { file, dir }
    }

    pub fn union(self, o: FormLetters) -> FormLetters {
        FormLetters::new(self.file.union(o.file), self.dir.union(o.dir))
    }

    fn describe(self) -> String {
        let f = self.file.mode()
            + if self.file.contains(Letters::X) {
                "x"
            } else {
                ""
            };
        let d = self.dir.mode();
        match (f.is_empty(), d.is_empty()) {
            (false, true) => format!("`{f}`"),
            (true, false) => format!("`{d}` on the directory (`PATH/`)"),
            (false, false) if f == d => format!("`{f}` on the file and the directory (`PATH/`)"),
            (false, false) => format!("`{f}` on the file and `{d}` on the directory (`PATH/`)"),
            (true, true) => "nothing".into(),
        }
    }
}

const NONE: Letters = Letters(0);

/// The AppArmor permissions an allow rule emits for one right. `inherit`: an allowed exec
/// stays in the profile (`ix`), which AppArmor's parser always compiles as `mix`.
pub(crate) fn allow_letters(r: Right, inherit: bool) -> FormLetters {
    let w = Letters::W;
    match r {
        Right::Read => FormLetters::new(Letters::R, NONE),
        Right::Write => FormLetters::new(w, NONE),
        Right::Append => FormLetters::new(Letters::A, NONE),
        Right::Create | Right::Delete => FormLetters::new(w, w),
        Right::Rename => FormLetters::new(Letters::R.union(w), Letters::R.union(w)),
        Right::List => FormLetters::new(NONE, Letters::R),
        Right::Exec if inherit => FormLetters::new(Letters::X.union(Letters::M), NONE),
        Right::Exec => FormLetters::new(Letters::X, NONE),
        Right::MapExec => FormLetters::new(Letters::M, NONE),
        Right::Lock => FormLetters::new(Letters::K, NONE),
        Right::Link => FormLetters::new(Letters::L, NONE),
    }
}

/// The AppArmor permissions a deny rule emits for one right: the fewest that refuse every
/// operation of the right.
pub(crate) fn deny_letters(r: Right) -> FormLetters {
    let w = Letters::W;
    match r {
        Right::Create | Right::Delete | Right::Rename => FormLetters::new(w, w),
        other => allow_letters(other, false),
    }
}

#[derive(Clone, Copy)]
enum Form {
    File,
    Dir,
}

/// One kernel operation: the permission bits AppArmor requires on one form of the path.
#[derive(Clone, Copy)]
struct Op(Form, u16);

/// The kernel operations of a right on a path (see the docs for each one).
fn ops(r: Right) -> &'static [Op] {
    use Form::{Dir, File};
    match r {
        Right::Read => &[Op(File, B_READ)],
        Right::Write => &[Op(File, B_WRITE)],
        Right::Append => &[Op(File, B_APPEND)],
        Right::Create => &[Op(File, B_CREATE), Op(Dir, B_CREATE)],
        Right::Delete => &[Op(File, B_DELETE), Op(Dir, B_DELETE)],
        // Renaming from the path needs read, write and delete on it; renaming to it needs
        // write and create.
        Right::Rename => &[
            Op(File, B_READ | B_WRITE | B_DELETE),
            Op(Dir, B_READ | B_WRITE | B_DELETE),
            Op(File, B_WRITE | B_CREATE),
            Op(Dir, B_WRITE | B_CREATE),
        ],
        Right::List => &[Op(Dir, B_READ)],
        Right::Exec => &[Op(File, B_EXEC)],
        Right::MapExec => &[Op(File, B_MMAP)],
        // Read locks need the lock permission; write locks also need write.
        Right::Lock => &[Op(File, B_LOCK), Op(File, B_LOCK | B_WRITE)],
        Right::Link => &[Op(File, B_LINK)],
    }
}

fn form_bits(fl: FormLetters, f: Form) -> u16 {
    match f {
        Form::File => fl.file.bits(),
        Form::Dir => fl.dir.bits(),
    }
}

fn op_allowed(op: Op, fl: FormLetters) -> bool {
    form_bits(fl, op.0) & op.1 == op.1
}

fn op_blocked(op: Op, fl: FormLetters) -> bool {
    form_bits(fl, op.0) & op.1 != 0
}

/// How much of a right some letters allow (or refuse).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Share {
    None,
    Part,
    All,
}

/// How much of a right's operations `pred` holds for: of all of them, or for a
/// directory-only rule of those on the directory form only.
fn share(r: Right, dir_only: bool, pred: impl Fn(Op) -> bool) -> Share {
    let ops: Vec<Op> = ops(r)
        .iter()
        .copied()
        .filter(|o| !dir_only || matches!(o.0, Form::Dir))
        .collect();
    let n = ops.iter().filter(|o| pred(**o)).count();
    if n == 0 {
        Share::None
    } else if n == ops.len() {
        Share::All
    } else {
        Share::Part
    }
}

/// The fidelity of some of a rule's rights.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Part {
    pub rights: Rights,
    pub fidelity: polc_lang::fidelity::Fidelity,
    pub reason: String,
}

fn list(rights: &[(Right, Share)]) -> String {
    let names: Vec<String> = rights
        .iter()
        .map(|(r, s)| match s {
            Share::Part => format!("part of {r}"),
            _ => r.to_string(),
        })
        .collect();
    match names.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

/// The fidelity of each of an allow rule's rights, grouped. A directory-only rule
/// (`dir_only`) emits its directory form only and is judged on directories only.
pub(crate) fn allow_parts(rights: Rights, inherit: bool, dir_only: bool) -> Vec<Part> {
    use polc_lang::fidelity::Fidelity;
    let allow_letters = |r: Right| only_dirs(allow_letters(r, inherit), dir_only);
    let all: FormLetters = rights
        .iter()
        .map(allow_letters)
        .fold(FormLetters::default(), FormLetters::union);
    let extras = |fl: FormLetters| -> Vec<(Right, Share)> {
        Right::ALL
            .into_iter()
            .filter(|s| !rights.contains(*s))
            .map(|s| (s, share(s, dir_only, |o| op_allowed(o, fl))))
            .filter(|(_, sh)| *sh != Share::None)
            .collect()
    };
    // Operations only the rule's rights together allow are charged to every right.
    let each: Vec<Right> = extras(all).iter().map(|(r, _)| *r).collect();
    let by_one: Vec<Right> = rights
        .iter()
        .flat_map(|r| extras(allow_letters(r)))
        .map(|(r, _)| r)
        .collect();
    let joint: Vec<Right> = each.into_iter().filter(|r| !by_one.contains(r)).collect();

    let mut parts: Vec<Part> = Vec::new();
    for r in rights.iter() {
        let fl = allow_letters(r);
        let mut ex = extras(fl);
        for j in &joint {
            if !ex.iter().any(|(x, _)| x == j) {
                ex.push((*j, share(*j, dir_only, |o| op_allowed(o, all))));
            }
        }
        ex.sort_by_key(|(x, _)| *x);
        let part = if !ex.is_empty() {
            let grants = if r == Right::Exec && inherit {
                "`ix` (compiled by AppArmor as `mix`)".to_string()
            } else {
                fl.describe()
            };
            Part {
                rights: Rights::one(r),
                fidelity: Fidelity::Widened,
                reason: format!("AppArmor grants {grants}, which also allows {}", list(&ex)),
            }
        } else if r == Right::Link {
            Part {
                rights: Rights::one(r),
                fidelity: Fidelity::Narrowed,
                reason: "AppArmor refuses a hard link whose other permissions exceed the target's"
                    .into(),
            }
        } else if share(r, dir_only, |o| op_allowed(o, all)) != Share::All {
            let reason = if r == Right::Lock {
                "AppArmor also requires `w` for write locks: only read locks are allowed".into()
            } else {
                format!(
                    "AppArmor grants {}, which allows only part of {r}",
                    all.describe()
                )
            };
            Part {
                rights: Rights::one(r),
                fidelity: Fidelity::Narrowed,
                reason,
            }
        } else {
            Part {
                rights: Rights::one(r),
                fidelity: Fidelity::Exact,
                reason: String::new(),
            }
        };
        merge_part(&mut parts, part);
    }
    parts
}

/// The fidelity of each of a deny rule's rights, grouped (`dir_only`: as for
/// [`allow_parts`]).
pub(crate) fn deny_parts(rights: Rights, dir_only: bool) -> Vec<Part> {
    use polc_lang::fidelity::Fidelity;
    let deny_letters = |r: Right| only_dirs(deny_letters(r), dir_only);
    let all: FormLetters = rights
        .iter()
        .map(deny_letters)
        .fold(FormLetters::default(), FormLetters::union);
    let mut parts: Vec<Part> = Vec::new();
    for r in rights.iter() {
        let fl = deny_letters(r);
        let ex: Vec<(Right, Share)> = Right::ALL
            .into_iter()
            .filter(|s| !rights.contains(*s))
            .map(|s| (s, share(s, dir_only, |o| op_blocked(o, fl))))
            .filter(|(_, sh)| *sh != Share::None)
            .collect();
        let part = if share(r, dir_only, |o| op_blocked(o, all)) != Share::All {
            Part {
                rights: Rights::one(r),
                fidelity: Fidelity::Widened,
                reason: format!("AppArmor cannot refuse all of {r}"),
            }
        } else if !ex.is_empty() {
            Part {
                rights: Rights::one(r),
                fidelity: Fidelity::Narrowed,
                reason: format!(
                    "AppArmor refuses {}, which also refuses {}",
                    fl.describe(),
                    list(&ex)
                ),
            }
        } else {
            Part {
                rights: Rights::one(r),
                fidelity: Fidelity::Exact,
                reason: String::new(),
            }
        };
        merge_part(&mut parts, part);
    }
    parts
}

fn merge_part(parts: &mut Vec<Part>, p: Part) {
    match parts
        .iter_mut()
        .find(|q| q.fidelity == p.fidelity && q.reason == p.reason)
    {
        Some(q) => q.rights = q.rights.union(p.rights),
        None => parts.push(p),
    }
}

/// The permissions a rule with these rights emits (a directory-only rule: on the
/// directory form only).
pub(crate) fn letters(
    effect_deny: bool,
    rights: Rights,
    inherit: bool,
    dir_only: bool,
) -> FormLetters {
    let fl = rights
        .iter()
        .map(|r| {
            if effect_deny {
                deny_letters(r)
            } else {
                allow_letters(r, inherit)
            }
        })
        .fold(FormLetters::default(), FormLetters::union);
    only_dirs(fl, dir_only)
}

/// The letters of the directory form only, for a directory-only rule.
fn only_dirs(fl: FormLetters, dir_only: bool) -> FormLetters {
    if dir_only {
        FormLetters::new(NONE, fl.dir)
    } else {
        fl
    }
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
    use polc_lang::fidelity::Fidelity;

    fn rs(names: &[&str]) -> Rights {
        names
            .iter()
            .map(|n| Rights::from_keyword(n).unwrap())
            .fold(Rights::EMPTY, Rights::union)
    }

    fn summary(parts: &[Part]) -> Vec<(String, Fidelity)> {
        parts
            .iter()
            .map(|p| (p.rights.to_string(), p.fidelity))
            .collect()
    }

    /// The premise of [`Letters::NOT_ON_DIRECTORIES`]: no allow rule gives a directory
    /// form lock, link or map-exec.
    #[test]
    fn no_allow_gives_a_directory_lock_link_or_map_exec() {
        for r in Right::ALL {
            for inherit in [false, true] {
                let dir = allow_letters(r, inherit).dir;
                assert_eq!(dir.minus(Letters::NOT_ON_DIRECTORIES), dir, "{r}");
            }
        }
    }

    #[test]
    fn single_rights() {
        use Fidelity::*;
        let cases: &[(&str, Fidelity, Fidelity)] = &[
            ("read", Exact, Narrowed),
            ("append", Exact, Exact),
            ("list", Exact, Narrowed),
            ("exec", Exact, Exact),
            ("map-exec", Exact, Exact),
            ("lock", Narrowed, Exact),
            ("link", Narrowed, Exact),
            ("create", Widened, Narrowed),
            ("delete", Widened, Narrowed),
            ("rename", Widened, Narrowed),
        ];
        for (r, allow, deny) in cases {
            let a = allow_parts(rs(&[r]), false, false);
            assert_eq!(a.len(), 1, "{r}");
            assert_eq!(a[0].fidelity, *allow, "allow {r}: {}", a[0].reason);
            let d = deny_parts(rs(&[r]), false);
            assert_eq!(d[0].fidelity, *deny, "deny {r}: {}", d[0].reason);
        }
        // `write` implies `append`.
        assert_eq!(
            summary(&allow_parts(rs(&["write"]), false, false)),
            vec![
                ("write".to_string(), Widened),
                ("append".to_string(), Exact)
            ]
        );
    }

    #[test]
    fn reasons_name_the_extra_rights() {
        let p = allow_parts(rs(&["create"]), false, false);
        assert_eq!(
            p[0].reason,
            "AppArmor grants `w` on the file and the directory (`PATH/`), which also allows \
             write, append, delete and part of rename"
        );
        let p = deny_parts(rs(&["read"]), false);
        assert_eq!(
            p[0].reason,
            "AppArmor refuses `r`, which also refuses part of rename"
        );
    }

    #[test]
    fn inherited_exec_also_maps() {
        let p = allow_parts(rs(&["exec"]), true, false);
        assert_eq!(p[0].fidelity, Fidelity::Widened);
        assert_eq!(
            p[0].reason,
            "AppArmor grants `ix` (compiled by AppArmor as `mix`), which also allows map-exec"
        );
        let p = allow_parts(rs(&["exec", "map-exec"]), true, false);
        assert_eq!(
            summary(&p),
            vec![("exec map-exec".to_string(), Fidelity::Exact)]
        );
    }

    #[test]
    fn manage_is_exact_but_for_link() {
        let p = allow_parts(rs(&["manage"]), false, false);
        assert_eq!(
            summary(&p),
            vec![
                (
                    "read write append create delete list lock rename".to_string(),
                    Fidelity::Exact
                ),
                ("link".to_string(), Fidelity::Narrowed),
            ]
        );
    }

    #[test]
    fn lock_with_write_is_exact() {
        let p = allow_parts(
            rs(&["lock"]).union(rs(&["write", "create", "delete", "rename", "read"])),
            false,
            false,
        );
        assert!(p
            .iter()
            .any(|x| x.rights.contains(Right::Lock) && x.fidelity == Fidelity::Exact));
    }

    /// Every subset of rights: the parts cover the rule's rights exactly once, and a rule is
    /// reported without widening only if its permissions allow (or, for a deny, refuse) no
    /// operation of another right.
    #[test]
    fn parts_are_sound_for_every_subset() {
        for bits in 1u32..(1 << Right::ALL.len()) {
            let rights: Rights = Right::ALL
                .iter()
                .enumerate()
                .filter(|(i, _)| bits & (1 << i) != 0)
                .map(|(_, r)| *r)
                .collect();
            let kinds = [
                (false, false, false),
                (false, true, false),
                (true, false, false),
                (false, false, true),
                (true, false, true),
            ];
            for (deny, inherit, dir_only) in kinds {
                if dir_only && !rights.is_subset(Rights::ON_DIRECTORIES) {
                    continue;
                }
                let parts = if deny {
                    deny_parts(rights, dir_only)
                } else {
                    allow_parts(rights, inherit, dir_only)
                };
                let covered = parts.iter().fold(Rights::EMPTY, |a, p| a.union(p.rights));
                assert_eq!(covered, rights);
                let fl = letters(deny, rights, inherit, dir_only);
                if dir_only {
                    assert!(
                        fl.file.is_empty(),
                        "{rights}: a file form for a directory rule"
                    );
                }
                for s in Right::ALL {
                    let touched = if deny {
                        share(s, dir_only, |o| op_blocked(o, fl))
                    } else {
                        share(s, dir_only, |o| op_allowed(o, fl))
                    };
                    if rights.contains(s) {
                        let ok = if deny {
                            touched == Share::All
                        } else {
                            touched == Share::All && s != Right::Link
                        };
                        let rep = parts.iter().find(|p| p.rights.contains(s)).unwrap();
                        if !ok {
                            assert_ne!(rep.fidelity, Fidelity::Exact, "{rights} {s} deny={deny}");
                        }
                    } else if touched != Share::None {
                        let worst = parts.iter().map(|p| p.fidelity).max().unwrap();
                        let expect = if deny {
                            Fidelity::Narrowed
                        } else {
                            Fidelity::Widened
                        };
                        assert!(worst >= expect, "{rights}: {s} deny={deny}");
                    }
                }
            }
        }
    }
}
