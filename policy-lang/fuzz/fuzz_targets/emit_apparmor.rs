//! Random policies (a structured generator over hostile strings: see `src/lib.rs`), loaded
//! and compiled to AppArmor: never a panic; the profile is the same on a second compile
//! and holds no raw control character. (`apparmor_parser` judges the output in
//! `backends/apparmor/tests/generated.rs`: too slow to run per fuzz input.)
#![no_main]

use libfuzzer_sys::arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;
use polc_apparmor::{compile, Config};

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Some(policy) = polc_lang_fuzz::load(&mut u) else {
        return;
    };
    let config = Config::default();
    if let Ok(out) = compile(&policy, &config) {
        assert!(
            !out.text.chars().any(|c| c.is_control() && c != '\n'),
            "raw control character in\n{}",
            out.text
        );
        let again = compile(&policy, &config).expect("the second compile succeeds too");
        assert_eq!(again.text, out.text);
    }
});
