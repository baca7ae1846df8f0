//! Parse any input without panicking; when it has no syntax error, formatting it and
//! parsing the result gives the same tree, and formatting is idempotent.
#![no_main]

use libfuzzer_sys::fuzz_target;
use polc_lang::fmt::format;
use polc_lang::syntax::parse;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (file, diags) = parse("fuzz.pol", &text);
    for d in &diags {
        if let Some(l) = &d.primary {
            assert!(l.span.start <= l.span.end && l.span.end <= text.len());
            assert!(text.is_char_boundary(l.span.start) && text.is_char_boundary(l.span.end));
        }
        assert!(!d.message.contains('\n'));
    }
    if diags.is_empty() {
        let out = format(&file);
        let (back, more) = parse("fuzz.pol", &out);
        assert!(more.is_empty(), "{text:?} formatted to {out:?}: {more:?}");
        assert_eq!(back, file, "{text:?} formatted to {out:?}");
        assert_eq!(format(&back), out);
    }
});
