//! Install-time labelling of SELinux generations, on the host, under fault injection.
//!
//! Real policies are compiled by polc's SELinux backend; the files live in a temporary
//! tree; the labels are kept by a stand-in for the kernel's `security.selinux` attribute
//! (the real attribute is exercised in the kernel harness, `enforce_selinux`, and its
//! round trip below). Every step of install, upgrade, rollback and removal is made to fail,
//! once (the store repairs at once) or from then on (as if the process died there; the next
//! open repairs): afterwards the files carry exactly the labels of the generation the store
//! calls current, or their original labels when the policy is not installed.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use polc::lang::ir::{Policy, PolicyName};
use polc::lang::{load, LoadOptions, Source};
use polc::store::{
    FaultInjector, Labeler, Lsm, NullLoader, Package, Step, Store, StoreConfig, StoreError, Xattrs,
};
use polc_selinux::{FcLabel, FileClass, FileContexts};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// Labels in memory: path → label; every path starts with `base`.
#[derive(Default)]
struct FakeLabels {
    map: Mutex<BTreeMap<PathBuf, Option<String>>>,
}

const BASE: &str = "system_u:object_r:default_t";

impl Labeler for FakeLabels {
    fn get(&self, path: &Path) -> std::io::Result<Option<String>> {
        if std::fs::symlink_metadata(path).is_err() {
            return Err(std::io::ErrorKind::NotFound.into());
        }
        Ok(self
            .map
            .lock()
            .unwrap()
            .get(path)
            .cloned()
            .unwrap_or(Some(BASE.to_string())))
    }
    fn set(&self, path: &Path, label: Option<&str>) -> std::io::Result<()> {
        self.map
            .lock()
            .unwrap()
            .insert(path.to_path_buf(), label.map(str::to_string));
        Ok(())
    }
    fn mls(&self) -> std::io::Result<bool> {
        Ok(false)
    }
}

/// Fails the `at`-th step, and every later one when `sticky` (a crash).
struct Faults {
    at: usize,
    sticky: bool,
    seen: AtomicUsize,
    fired: AtomicUsize,
}

impl FaultInjector for Faults {
    fn before(&self, _step: Step) -> std::io::Result<()> {
        let n = self.seen.fetch_add(1, Ordering::SeqCst);
        if n == self.at || (self.sticky && n > self.at) {
            self.fired.fetch_add(1, Ordering::SeqCst);
            return Err(std::io::Error::other("injected fault"));
        }
        Ok(())
    }
}

struct Version {
    policy: Policy,
    fc: String,
    pkg: Package,
}

struct Env {
    base: PathBuf,
    labels: Arc<FakeLabels>,
    versions: Vec<Version>,
    files: Vec<(PathBuf, FileClass)>,
}

fn unique() -> usize {
    static N: AtomicUsize = AtomicUsize::new(0);
    N.fetch_add(1, Ordering::SeqCst)
}

fn version(root: &Path, source: &str) -> Version {
    let policy = load(&Source::new("app.pol", source), &LoadOptions::default())
        .map_err(|f| format!("{f:?}"))
        .unwrap()
        .policy;
    let config = polc_selinux::Config {
        file_contexts: Some(FileContexts::parse("/.*\tsystem_u:object_r:default_t:s0\n").unwrap()),
        ..polc_selinux::Config::default()
    };
    let c = polc_selinux::compile(&policy, &config).unwrap();
    let _ = root;
    Version {
        pkg: Package {
            name: policy.name.clone(),
            lsm: Lsm::SeLinux,
            source_name: "app.pol".into(),
            source: source.into(),
            ir_json: policy.to_json(),
            artifact_file: format!("{}.cil", c.module_name),
            artifact: c.cil.into_bytes(),
            plugs: None,
            vars: Default::default(),
        },
        fc: c.file_contexts,
        policy,
    }
}

impl Env {
    fn new() -> Env {
        let base =
            std::env::temp_dir().join(format!("polc-labels-{}-{}", std::process::id(), unique()));
        let _ = std::fs::remove_dir_all(&base);
        let t = base.join("tree");
        let mut files = Vec::new();
        for d in ["owned/sub", "more", "other", "bin"] {
            std::fs::create_dir_all(t.join(d)).unwrap();
        }
        for f in ["owned/a", "owned/sub/b", "more/c", "other/d", "bin/app"] {
            std::fs::write(t.join(f), f).unwrap();
            files.push((t.join(f), FileClass::File));
        }
        std::os::unix::fs::symlink("a", t.join("owned/link")).unwrap();
        files.push((t.join("owned/link"), FileClass::Symlink));
        for d in ["owned", "owned/sub", "more", "other"] {
            files.push((t.join(d), FileClass::Dir));
        }
        let tt = t.display();
        let v1 = format!(
            "policy org.example.app {{\n attach \"{tt}/bin/app\"\n owns \"{tt}/owned/**\"\n allow read exec map-exec \"{tt}/bin/app\"\n allow read \"{tt}/owned/**\"\n}}\n"
        );
        let v2 = format!(
            "policy org.example.app {{\n version 2\n attach \"{tt}/bin/app\"\n owns \"{tt}/more/**\", \"{tt}/owned/**\"\n allow read exec map-exec \"{tt}/bin/app\"\n allow read \"{tt}/owned/**\", \"{tt}/more/**\"\n deny read \"{tt}/owned/sub/**\"\n}}\n"
        );
        Env {
            labels: Arc::new(FakeLabels::default()),
            versions: vec![version(&t, &v1), version(&t, &v2)],
            files,
            base,
        }
    }

    /// Back to nothing installed, every file with its base label.
    fn reset(&mut self) {
        let _ = std::fs::remove_dir_all(self.base.join("store"));
        self.labels = Arc::new(FakeLabels::default());
    }

    fn open(&self, faults: Option<Arc<dyn FaultInjector>>) -> Result<Store, StoreError> {
        let mut cfg = StoreConfig::new(self.base.join("store"));
        cfg.faults = faults;
        cfg.labeler = Some(self.labels.clone());
        Store::open(cfg, vec![Box::new(NullLoader::new(Lsm::SeLinux))])
    }

    /// Labels of every followed file when version `v` (0-based) is current, or none is.
    fn expected(&self, v: Option<usize>) -> BTreeMap<PathBuf, String> {
        let mut out = BTreeMap::new();
        let ver = v.map(|i| &self.versions[i]);
        let mut labeller = ver.map(|v| FileContexts::parse(&v.fc).unwrap().labeller());
        for (p, class) in &self.files {
            let s = p.to_str().unwrap();
            let mine = ver.is_some_and(|v| {
                v.policy.owns.iter().any(|o| o.glob.matches(s))
                    || v.policy.attach.as_ref().is_some_and(|a| a.path == s)
            });
            let label = match (&mut labeller, mine) {
                (Some(l), true) => match l.label(s, *class) {
                    Some(FcLabel::Type(t)) => format!("system_u:object_r:{t}"),
                    other => panic!("{s}: {other:?}"),
                },
                _ => BASE.to_string(),
            };
            out.insert(p.clone(), label);
        }
        out
    }

    fn actual(&self) -> BTreeMap<PathBuf, String> {
        self.files
            .iter()
            .map(|(p, _)| (p.clone(), self.labels.get(p).unwrap().unwrap()))
            .collect()
    }

    /// Which version the store calls current (by its version number), if any.
    fn current(&self, store: &Store) -> Option<usize> {
        let name = PolicyName::new("org.example.app").unwrap();
        match store.show(&name) {
            Ok(info) => {
                let ir = std::fs::read_to_string(info.path.join("ir.json")).unwrap();
                self.versions.iter().position(|v| v.pkg.ir_json == ir)
            }
            Err(StoreError::NotInstalled(_)) => None,
            Err(e) => panic!("show: {e}"),
        }
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.base);
    }
}

#[derive(Clone, Copy, Debug)]
enum Op {
    Install1,
    Upgrade2,
    Rollback,
    Remove,
}

fn prepare(env: &Env, op: Op) {
    let s = env.open(None).unwrap();
    match op {
        Op::Install1 => {}
        Op::Upgrade2 => {
            s.install(&env.versions[0].pkg).unwrap();
        }
        Op::Rollback | Op::Remove => {
            s.install(&env.versions[0].pkg).unwrap();
            s.install(&env.versions[1].pkg).unwrap();
        }
    }
}

fn apply(s: &Store, env: &Env, op: Op) -> Result<(), StoreError> {
    let name = PolicyName::new("org.example.app").unwrap();
    match op {
        Op::Install1 => s.install(&env.versions[0].pkg).map(|_| ()),
        Op::Upgrade2 => s.install(&env.versions[1].pkg).map(|_| ()),
        Op::Rollback => s.rollback(&name).map(|_| ()),
        Op::Remove => s.remove(&name),
    }
}

/// (before, after) the operation, as versions.
fn states(op: Op) -> (Option<usize>, Option<usize>) {
    match op {
        Op::Install1 => (None, Some(0)),
        Op::Upgrade2 => (Some(0), Some(1)),
        Op::Rollback => (Some(1), Some(0)),
        Op::Remove => (Some(1), None),
    }
}

#[test]
fn labels_follow_the_current_generation() {
    let env = Env::new();
    let s = env.open(None).unwrap();
    assert_eq!(env.actual(), env.expected(None));
    s.install(&env.versions[0].pkg).unwrap();
    assert_eq!(env.actual(), env.expected(Some(0)));
    // The owned files and the attach executable changed; the rest did not.
    let a = env.actual();
    let t = env.base.join("tree");
    assert!(
        a[&t.join("owned/a")].contains("org_example_app.owned_"),
        "{a:?}"
    );
    assert_eq!(
        a[&t.join("bin/app")],
        "system_u:object_r:org_example_app.entry"
    );
    assert_eq!(a[&t.join("other/d")], BASE);
    assert_eq!(
        a[&t.join("owned")],
        BASE,
        "`/owned/**` does not own the directory"
    );
    let name = PolicyName::new("org.example.app").unwrap();
    let rec = s.labels(&name).unwrap();
    assert!(
        rec.iter().all(|e| e.previous.as_deref() == Some(BASE)),
        "{rec:?}"
    );
    s.install(&env.versions[1].pkg).unwrap();
    assert_eq!(env.actual(), env.expected(Some(1)));
    assert_ne!(env.expected(Some(1)), env.expected(Some(0)));
    let rec = s.labels(&name).unwrap();
    assert!(
        rec.iter().all(|e| e.original.as_deref() == Some(BASE)),
        "{rec:?}"
    );
    s.rollback(&name).unwrap();
    assert_eq!(env.actual(), env.expected(Some(0)));
    s.install(&env.versions[1].pkg).unwrap();
    s.remove(&name).unwrap();
    assert_eq!(env.actual(), env.expected(None));
}

#[test]
fn every_failed_step_leaves_the_labels_of_the_current_generation() {
    let mut env = Env::new();
    for op in [Op::Install1, Op::Upgrade2, Op::Rollback, Op::Remove] {
        for sticky in [false, true] {
            let mut at = 0;
            loop {
                env.reset();
                prepare(&env, op);
                let faults = Arc::new(Faults {
                    at,
                    sticky,
                    seen: AtomicUsize::new(0),
                    fired: AtomicUsize::new(0),
                });
                let r = {
                    let s = env.open(Some(faults.clone())).unwrap();
                    apply(&s, &env, op)
                };
                let fired = faults.fired.load(Ordering::SeqCst) > 0;
                let s = env.open(None).unwrap();
                let cur = env.current(&s);
                let (before, after) = states(op);
                assert!(
                    cur == before || cur == after,
                    "{op:?} fault at {at} (sticky {sticky}): current {cur:?}"
                );
                if r.is_ok() {
                    assert_eq!(cur, after, "{op:?}: success must reach the new state");
                }
                assert_eq!(
                    env.actual(),
                    env.expected(cur),
                    "{op:?} fault at step {at} (sticky {sticky}): labels differ from the current generation {cur:?}"
                );
                if !fired {
                    assert!(r.is_ok(), "{op:?}: no fault but {r:?}");
                    break;
                }
                at += 1;
            }
            assert!(at > 3, "{op:?} has too few steps ({at})");
        }
    }
}

#[test]
fn the_kernel_attribute_round_trips() {
    // As root on a filesystem with extended attributes (the test machine's), the
    // `security.selinux` attribute is stored even without SELinux.
    let dir = std::env::temp_dir().join(format!("polc-xattr-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("f");
    std::fs::write(&f, "x").unwrap();
    std::os::unix::fs::symlink("f", dir.join("l")).unwrap();
    let x = Xattrs::default();
    x.set(&f, Some("system_u:object_r:etc_t"))
        .unwrap_or_else(|e| {
            panic!("setting security.selinux needs root (CAP_SYS_ADMIN) and xattr support: {e}")
        });
    assert_eq!(
        x.get(&f).unwrap().as_deref(),
        Some("system_u:object_r:etc_t")
    );
    // The link is labelled itself, not its target.
    x.set(&dir.join("l"), Some("system_u:object_r:lnk_t"))
        .unwrap();
    assert_eq!(
        x.get(&f).unwrap().as_deref(),
        Some("system_u:object_r:etc_t")
    );
    x.set(&f, None).unwrap();
    assert_eq!(x.get(&f).unwrap(), None);
    x.set(&f, None).unwrap();
    assert_eq!(
        x.get(&dir.join("missing")).unwrap_err().kind(),
        std::io::ErrorKind::NotFound
    );
    let _ = std::fs::remove_dir_all(&dir);
}
