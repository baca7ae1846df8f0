//! Every policy of the corpus (`tests/corpus/ok/*.pol`) and every example
//! (`examples/*.pol`): loaded by the front end, compiled against the minimal base's
//! contexts, snapshotted (CIL and fidelity report), accepted by secilc in one batch, and
//! checked with sesearch: the binary policy holds exactly the promised allow rules.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use polc_selinux::compile;

#[test]
fn corpus_and_examples_compile_and_secilc_accepts_them() {
    let cfg = base_config();
    let mut compiled = Vec::new();
    for rel in policy_files() {
        let Some(policy) = load_policy(&rel) else {
            continue;
        };
        let c = compile(&policy, &cfg).unwrap_or_else(|e| panic!("{rel}: {e}"));
        let snap = rel.replace(['/', '.'], "_");
        insta::assert_snapshot!(format!("{snap}.cil"), c.cil);
        insta::assert_snapshot!(format!("{snap}.report"), report_text(&c));
        compiled.push((policy.name.to_string(), c));
    }
    assert!(compiled.len() >= 10, "only {} policies", compiled.len());
    // the corpus reuses names: one secilc batch per distinct name set
    let mut batches: Vec<Vec<&(String, polc_selinux::Compiled)>> = Vec::new();
    for c in &compiled {
        match batches.iter_mut().find(|b| b.iter().all(|x| x.0 != c.0)) {
            Some(b) => b.push(c),
            None => batches.push(vec![c]),
        }
    }
    for batch in batches {
        let modules: Vec<(String, String)> = batch
            .iter()
            .map(|(_, c)| (c.module_name.clone(), c.cil.clone()))
            .collect();
        let (_dir, pol) = secilc_batch(&modules);
        let rules = sesearch_allows(&pol);
        let names: Vec<&str> = batch.iter().map(|(n, _)| n.as_str()).collect();
        let promised_all = promised(batch.iter().map(|(_, c)| c), &names);
        for (_, c) in &batch {
            assert_eq!(
                of_block(&rules, &c.module_name),
                of_block(&promised_all, &c.module_name),
                "{}",
                c.module_name
            );
        }
    }
}
