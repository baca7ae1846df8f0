//! Hostile strings in every field that reaches a Landlock plan (paths, `--var` values,
//! exec targets, abstraction files, the JSON form; the names and the attachment are
//! checked too, though a plan does not hold them): the plan's JSON parses, and its path
//! rules hold exactly the paths the policy names, byte for byte.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "../../../policy-lang/tests/hostile/mod.rs"]
mod hostile;

use polc_landlock::{plan, Compatibility, Config, MAX_ABI};
use std::collections::BTreeSet;

/// Hostile cases whose plan must be checked (the cases are fixed: measured 152 of 297, the
/// rest refused by the front end; one fewer since `[` starts a class and a `--var` value
/// holding it for a variable whose default is no glob is refused, E0106).
const MIN_REACHED: usize = 152;

#[test]
fn hostile_strings_in_every_field_give_plans_of_exactly_the_given_paths() {
    let mut counts = hostile::Counts::default();
    let mut wrong = Vec::new();
    for case in hostile::cases() {
        let Some(policy) = hostile::load(&case) else {
            counts.add(case.field, hostile::FRONT);
            continue;
        };
        // The paths exist under the plan's root (a plan resolves them there).
        let root = tempfile::tempdir().unwrap();
        for p in &case.paths {
            let at = root.path().join(p.trim_start_matches('/'));
            std::fs::create_dir_all(at.parent().unwrap()).unwrap();
            std::fs::write(&at, "x").unwrap();
        }
        let config = Config {
            abi: MAX_ABI,
            compatibility: Compatibility::BestEffort,
            root: root.path().to_path_buf(),
        };
        let what = format!("{} {:?}", case.field, case.hostile);
        let p = match plan(&policy, &config) {
            Ok(p) => p,
            Err(_) => {
                counts.add(case.field, hostile::BACKEND);
                continue;
            }
        };
        let json: serde_json::Value = serde_json::from_str(&p.to_json())
            .unwrap_or_else(|e| panic!("{what}: the plan is not JSON ({e}):\n{}", p.to_json()));
        let held: BTreeSet<String> = json["paths"]
            .as_array()
            .unwrap_or_else(|| panic!("{what}: no `paths` in\n{json:#}"))
            .iter()
            .map(|r| r["path"].as_str().unwrap().to_string())
            .collect();
        let want: BTreeSet<String> = case.paths.iter().cloned().collect();
        if held != want {
            wrong.push(format!("{what}: the plan holds {held:?}, not {want:?}"));
        }
        counts.add(case.field, hostile::ORACLE);
    }
    eprintln!(
        "landlock: {} hostile cases, {} plans checked\n{}",
        counts.total(),
        counts.reached(),
        counts.table()
    );
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert!(
        counts.reached() >= MIN_REACHED,
        "only {} hostile cases reached a plan (at least {MIN_REACHED} wanted)\n{}",
        counts.reached(),
        counts.table()
    );
}
