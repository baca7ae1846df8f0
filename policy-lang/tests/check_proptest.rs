//! `load` never panics, whatever the text.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use polc_lang::{load, LoadOptions, Source};
use proptest::prelude::*;

fn words() -> impl Strategy<Value = String> {
    let word = prop_oneof![
        Just("policy".to_string()),
        Just("abstraction".to_string()),
        Just("allow".to_string()),
        Just("deny".to_string()),
        Just("use".to_string()),
        Just("var".to_string()),
        Just("version".to_string()),
        Just("attach".to_string()),
        Just("mode".to_string()),
        Just("owns".to_string()),
        Just("net".to_string()),
        Just("capability".to_string()),
        Just("signal".to_string()),
        Just("read".to_string()),
        Just("exec".to_string()),
        Just("as".to_string()),
        Just("to".to_string()),
        Just("from".to_string()),
        Just("self".to_string()),
        Just("tmp".to_string()),
        Just("base".to_string()),
        Just("{".to_string()),
        Just("}".to_string()),
        Just(",".to_string()),
        Just("@".to_string()),
        Just("=".to_string()),
        "[a-z][a-z0-9._-]{0,8}",
        "[0-9]{1,6}(-[0-9]{1,6})?",
        "\"[/a-z.*?{},${}\\\\\"\\t]{0,12}\"",
    ];
    prop::collection::vec(word, 0..40).prop_map(|w| w.join(" "))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn load_never_panics_on_arbitrary_text(text in any::<String>()) {
        let _ = load(&Source::new("a.pol", text.clone()), &LoadOptions::default());
        let _ = load(&Source::new("a.json", text), &LoadOptions::default());
    }

    #[test]
    fn load_never_panics_on_policy_like_text(body in words(), var in "[ -~\\t]{0,8}") {
        let text = format!("policy org.a {{ {body} }}\nabstraction h {{ version 1 {body} }}");
        let mut opts = LoadOptions::default();
        opts.vars.insert("d".into(), var);
        opts.abstractions.push(Source::new("x.pol", body.clone()));
        let _ = load(&Source::new("a.pol", text), &opts);
        let _ = load(&Source::new("b.pol", body), &opts);
    }
}
