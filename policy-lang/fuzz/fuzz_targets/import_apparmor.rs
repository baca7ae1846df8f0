//! Import any text as an AppArmor profile without panicking; when it imports, every
//! importable rule's statements are polc syntax, and an error is located inside the text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use polc_apparmor::import::{
    import, Class, ImportOptions, IncludeRequest, Resolved, Resolver,
};
use polc_lang::syntax::parse;

/// `tunables/global` defines the usual variables; `self` includes itself.
struct Files;

impl Resolver for Files {
    fn resolve(&self, req: &IncludeRequest<'_>) -> Resolved {
        match req.name {
            "tunables/global" => Resolved::File {
                name: "tunables/global".into(),
                text: "@{HOME}=/home/*/ /root/\n@{PROC}=/proc/\n@{pid}={[1-9],[1-9][0-9]}\n".into(),
            },
            "self" => Resolved::File {
                name: "self".into(),
                text: "include <self>\n/x r,\n".into(),
            },
            _ => Resolved::Missing,
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    match import("fuzz", &text, &Files, &ImportOptions::default()) {
        Ok(imp) => {
            let mut body = String::new();
            for e in &imp.entries {
                if e.class != Class::NotImportable && e.child.is_none() {
                    for l in &e.polc {
                        body.push_str(l);
                        body.push('\n');
                    }
                }
            }
            let policy = format!("policy {} {{\n{body}}}\n", imp.name);
            let (_, diags) = parse("imported.pol", &policy);
            assert!(diags.is_empty(), "{text:?} imported as {policy:?}");
        }
        Err(e) => {
            assert!(!e.message.contains('\n'));
            if e.file == "fuzz" {
                assert!(e.line as usize <= text.lines().count() + 1);
            }
        }
    }
});
