//! Read any input as the JSON form without panicking; every diagnostic is an E0300 that
//! points inside the input, and a document read without error writes back to a text
//! that reads into the same document.
#![no_main]

use libfuzzer_sys::fuzz_target;
use polc_lang::diagnostics::Code;
use polc_lang::json::{to_ast, Document};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    match to_ast("fuzz.json", &text) {
        Err(diags) => {
            assert!(!diags.is_empty());
            for d in &diags {
                assert_eq!(d.code, Code::InvalidJson);
                assert!(!d.message.is_empty() && !d.message.contains('\n'));
                if let Some(l) = &d.primary {
                    assert!(l.span.start <= l.span.end && l.span.end <= text.len());
                    assert!(
                        text.is_char_boundary(l.span.start) && text.is_char_boundary(l.span.end)
                    );
                }
            }
        }
        Ok(file) => {
            if let Ok(doc) = Document::from_ast(&file) {
                let again = doc.to_json_string();
                let back = to_ast("fuzz.json", &again)
                    .unwrap_or_else(|d| panic!("{text:?} wrote {again:?}, which fails: {d:?}"));
                assert_eq!(Document::from_ast(&back).ok(), Some(doc), "{text:?}");
            }
        }
    }
});
