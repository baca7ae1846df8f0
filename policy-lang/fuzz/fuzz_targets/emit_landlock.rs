//! Random policies (see `src/lib.rs`) planned for Landlock (every ABI, strict and best
//! effort) against a small tree: never a panic; the plan's JSON is the same on a second
//! plan.
#![no_main]

use libfuzzer_sys::arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;
use polc_landlock::{plan, Compatibility, Config, MAX_ABI};
use std::path::PathBuf;
use std::sync::OnceLock;

/// A small tree under the temporary directory, made once per process.
fn root() -> &'static PathBuf {
    static R: OnceLock<PathBuf> = OnceLock::new();
    R.get_or_init(|| {
        let r = std::env::temp_dir().join(format!("polc-fuzz-landlock-{}", std::process::id()));
        for d in ["etc/a", "usr/bin", "a/b", "tmp"] {
            std::fs::create_dir_all(r.join(d)).expect("the tree is made");
        }
        for f in ["etc/a.conf", "etc/a/b", "usr/bin/x", "a/b/c"] {
            std::fs::write(r.join(f), "x").expect("the tree is made");
        }
        r
    })
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let abi = u.int_in_range(1..=MAX_ABI).unwrap_or(MAX_ABI);
    let compatibility = if u.ratio(1, 2).unwrap_or(false) {
        Compatibility::Strict
    } else {
        Compatibility::BestEffort
    };
    let Some(policy) = polc_lang_fuzz::load(&mut u) else {
        return;
    };
    let config = Config {
        abi,
        compatibility,
        root: root().clone(),
    };
    if let Ok(p) = plan(&policy, &config) {
        let json = p.to_json();
        let again = plan(&policy, &config).expect("the second plan succeeds too");
        assert_eq!(again.to_json(), json);
    }
});
