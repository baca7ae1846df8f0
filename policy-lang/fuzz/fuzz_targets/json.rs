//! Read any input as the JSON form without panicking: every diagnostic is a
//! one-line message located inside the text on character boundaries; what is read writes
//! back (`to_json_form`) to JSON that reads to the same tree; and the loader takes the JSON
//! form to the IR (or to located diagnostics) without panicking either.
#![no_main]

use libfuzzer_sys::fuzz_target;
use polc_lang::json::{to_ast, to_json_form};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    match to_ast("fuzz.json", &text) {
        Err(diags) => {
            assert!(!diags.is_empty());
            for d in &diags {
                assert!(!d.message.is_empty() && !d.message.contains('\n'), "{d:?}");
                let l = d.primary.as_ref().expect("a JSON diagnostic is located");
                assert!(l.span.start <= l.span.end && l.span.end <= text.len());
                assert!(text.is_char_boundary(l.span.start) && text.is_char_boundary(l.span.end));
            }
        }
        Ok(file) => {
            if let Ok(json) = to_json_form(&file) {
                let back = to_ast("back.json", &json)
                    .unwrap_or_else(|d| panic!("{text:?} wrote {json:?}, which reads as {d:?}"));
                assert_eq!(back, file, "{text:?} wrote {json:?}");
            }
            let loaded = polc_lang::load(
                &polc_lang::Source::new("fuzz.json", text.as_ref()),
                &polc_lang::LoadOptions::default(),
            );
            match loaded {
                Ok(l) => {
                    // The IR is deterministic.
                    assert_eq!(l.policy.to_json(), l.policy.clone().to_json());
                }
                Err(f) => {
                    for d in &f.diagnostics {
                        assert!(!d.message.contains('\n'), "{d:?}");
                    }
                }
            }
        }
    }
});
