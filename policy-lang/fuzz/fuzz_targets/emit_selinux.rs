//! Random policies (see `src/lib.rs`) compiled to a SELinux CIL module against a small
//! target's file and port contexts: never a panic; the module is one balanced form outside
//! its quoted strings, with no raw control character, and the same on a second compile.
//! (`secilc` judges the output in `backends/selinux/tests/generated.rs`.)
#![no_main]

use libfuzzer_sys::arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;
use polc_selinux::{compile, Config, FileContexts, PortContexts};
use std::sync::OnceLock;

fn config() -> &'static Config {
    static C: OnceLock<Config> = OnceLock::new();
    C.get_or_init(|| Config {
        file_contexts: Some(
            FileContexts::parse(polc_lang_fuzz::FILE_CONTEXTS).expect("the file contexts parse"),
        ),
        port_contexts: Some(
            PortContexts::parse(polc_lang_fuzz::PORT_CONTEXTS).expect("the port contexts parse"),
        ),
        ..Config::default()
    })
}

/// The number of top-level forms, outside `"..."` strings and `;` comments (which run to
/// the end of the line at any depth, and may quote the policy's text); `None` when a
/// parenthesis closes nothing or a string is left open.
fn top_level_forms(cil: &str) -> Option<usize> {
    let (mut depth, mut forms, mut quoted, mut comment) = (0usize, 0usize, false, false);
    for c in cil.chars() {
        match (quoted, comment, c) {
            (_, true, '\n') => comment = false,
            (_, true, _) => {}
            (true, _, '"') => quoted = false,
            (true, _, _) => {}
            (false, _, '"') => quoted = true,
            (false, _, ';') => comment = true,
            (false, _, '(') => depth += 1,
            (false, _, ')') => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    forms += 1;
                }
            }
            _ => {}
        }
    }
    (!quoted && depth == 0).then_some(forms)
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Some(policy) = polc_lang_fuzz::load(&mut u) else {
        return;
    };
    if let Ok(out) = compile(&policy, config()) {
        assert!(
            !out.cil.chars().any(|c| c.is_control() && c != '\n'),
            "raw control character in\n{}",
            out.cil
        );
        assert!(
            top_level_forms(&out.cil).is_some(),
            "unbalanced module\n{}",
            out.cil
        );
        let again = compile(&policy, config()).expect("the second compile succeeds too");
        assert_eq!(again.cil, out.cil);
    }
});
