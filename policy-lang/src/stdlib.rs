//! Built-in abstractions, written in the language itself.
//!
//! Each file `policy-lang/stdlib/NAME.pol` defines `abstraction NAME` and is embedded in
//! the library. A policy pulls one in with `use NAME` (or `use NAME@VERSION`); an
//! abstraction of the same name in the policy's own file or in an `--abstractions`
//! directory takes precedence. Diagnostics and origins name these files `stdlib:NAME`.
//!
//! | name | what it grants |
//! | --- | --- |
//! | `base` | what a dynamically linked program needs to start on Debian 12 (x86-64) |
//! | `network-client` | TCP and UDP connect, name resolution, CA certificates |
//! | `network-server` | TCP and UDP bind |
//! | `tmp` | files under `/tmp` and `/var/tmp` |
//!
//! ```
//! let text = polc_lang::stdlib::get("tmp").unwrap();
//! assert!(text.contains("abstraction tmp"));
//! assert_eq!(polc_lang::stdlib::all().len(), 4);
//! ```

const ALL: [(&str, &str); 4] = [
    ("base", include_str!("../stdlib/base.pol")),
    (
        "network-client",
        include_str!("../stdlib/network-client.pol"),
    ),
    (
        "network-server",
        include_str!("../stdlib/network-server.pol"),
    ),
    ("tmp", include_str!("../stdlib/tmp.pol")),
];

/// Every built-in abstraction as (name, source text), sorted by name.
pub fn all() -> &'static [(&'static str, &'static str)] {
    &ALL
}

/// The source text of the built-in abstraction `name`.
pub fn get(name: &str) -> Option<&'static str> {
    ALL.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

/// The file name diagnostics and origins use for the built-in abstraction `name`.
pub fn source_name(name: &str) -> String {
    format!("stdlib:{name}")
}
