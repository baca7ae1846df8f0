//! Shared parts of polc-lang's fuzz targets: a structured generator of policy text (valid
//! far more often than random bytes, hostile strings included) and the SELinux target's
//! contexts.

use libfuzzer_sys::arbitrary::{Result, Unstructured};
use polc_lang::ir::text::quote as literal;

/// Path components: plain, glob syntax, and the bytes that mean something to AppArmor
/// (quotes, commas, braces, `@{`), CIL (parentheses, semicolons) or a shell.
const COMPONENTS: &[&str] = &[
    "a",
    "b",
    "etc",
    "usr",
    "*",
    "**",
    "?",
    "a*",
    "*.conf",
    "{a,b}",
    "{x,y{z,w}}",
    "@{HOME}",
    "a b",
    "a\"b",
    "a\\\\b",
    "(x)",
    "x;y",
    "x,y",
    "[ab]",
    "^x",
    "x#y",
    "-x",
    "x=y",
    "$x",
    "${d}",
    "${missing}",
    "é",
    "\u{202e}",
    "x\u{0}y",
    "\u{7}",
    "..",
    ".",
    "",
    "x)",
    "(",
    "\"\"",
    "x{",
    "}",
    "a,b}",
    "{,a}",
    "x\ty",
    "%s",
    "x\ny",
];
const RIGHTS: &[&str] = &[
    "read", "write", "append", "create", "delete", "list", "exec", "map-exec", "lock", "link",
    "rename", "rw", "bogus",
];
const NAMES: &[&str] = &[
    "org.example.app",
    "org.example.other",
    "self",
    "a",
    "org.example.a-b_c",
    "org..x",
    "org.example.app",
    "x\"y",
    "org.example.(x)",
];
const CAPS: &[&str] = &[
    "chown",
    "setuid",
    "net_bind_service",
    "sys_admin",
    "kill",
    "nope",
];
const SIGNALS: &[&str] = &["term", "hup", "kill", "usr1", "stop", "exists", "nope"];

fn glob(u: &mut Unstructured<'_>) -> Result<String> {
    let n = u.int_in_range(0..=4)?;
    let mut s = String::new();
    if u.ratio(1, 8)? {
        s.push_str("${d}");
    }
    for _ in 0..n {
        s.push('/');
        s.push_str(u.choose(COMPONENTS)?);
    }
    if s.is_empty() {
        s.push('/');
    }
    // A trailing `/`: a directory-only rule in a file rule, E0122 elsewhere.
    if u.ratio(1, 6)? {
        s.push('/');
    }
    Ok(s)
}

fn statement(u: &mut Unstructured<'_>) -> Result<String> {
    let effect = if u.ratio(2, 3)? { "allow" } else { "deny" };
    Ok(match u.int_in_range(0..=12)? {
        0..=5 => {
            let n = u.int_in_range(1..=3)?;
            let rights: Vec<&str> = (0..n)
                .map(|_| u.choose(RIGHTS).copied())
                .collect::<Result<_>>()?;
            let k = u.int_in_range(1..=3)?;
            let globs: Vec<String> = (0..k)
                .map(|_| glob(u).map(|g| literal(&g)))
                .collect::<Result<_>>()?;
            let target = if u.ratio(1, 5)? {
                format!(" as {}", u.choose(NAMES)?)
            } else {
                String::new()
            };
            format!("{effect} {} {}{target}", rights.join(" "), globs.join(", "))
        }
        6 => {
            let op = u.choose(&["connect", "bind", "listen"])?;
            let proto = u.choose(&["tcp", "udp", "tcp6", "udp4", "icmp"])?;
            let lo: u32 = u.int_in_range(0..=70000)?;
            let ports = match u.int_in_range(0..=2)? {
                0 => String::new(),
                1 => format!(" {lo}"),
                _ => format!(" {lo}-{}", u.int_in_range(0..=70000u32)?),
            };
            format!("{effect} net {op} {proto}{ports}")
        }
        7 => {
            let n = u.int_in_range(1..=3)?;
            let caps: Vec<&str> = (0..n)
                .map(|_| u.choose(CAPS).copied())
                .collect::<Result<_>>()?;
            format!("{effect} capability {}", caps.join(", "))
        }
        8 => {
            let n = u.int_in_range(0..=2)?;
            let sigs: Vec<&str> = (0..n)
                .map(|_| u.choose(SIGNALS).copied())
                .collect::<Result<_>>()?;
            let (dir, word) = *u.choose(&[("send", "to"), ("receive", "from")])?;
            format!(
                "{effect} signal {dir} {} {word} {}",
                sigs.join(", "),
                u.choose(NAMES)?
            )
        }
        9 => format!("owns {}", literal(&glob(u)?)),
        10 => format!("var d = {}", literal(&glob(u)?)),
        11 => format!("mode {}", u.choose(&["enforce", "complain", "kill"])?),
        _ => format!(
            "use {}",
            u.choose(&["base", "network-client", "tmp@1", "nope", "shared"])?
        ),
    })
}

/// A policy file: mostly valid statements over small vocabularies with hostile strings,
/// and an abstraction file it may use (`shared`).
pub fn policy_text(u: &mut Unstructured<'_>) -> Result<(String, String)> {
    let mut text = format!("policy {} {{\n", u.choose(NAMES)?);
    if u.ratio(1, 2)? {
        text.push_str(&format!("    attach {}\n", literal(&glob(u)?)));
    }
    let n = u.int_in_range(0..=24)?;
    for _ in 0..n {
        text.push_str("    ");
        text.push_str(&statement(u)?);
        text.push('\n');
    }
    text.push_str("}\n");
    let mut shared = String::from("abstraction shared {\n    version 1\n");
    for _ in 0..u.int_in_range(0..=4)? {
        let s = statement(u)?;
        if !s.starts_with("use") && !s.starts_with("var") && !s.starts_with("mode") {
            shared.push_str(&format!("    {s}\n"));
        }
    }
    shared.push_str("}\n");
    Ok((text, shared))
}

/// Load what [`policy_text`] generates (with `--var d=...` sometimes given).
pub fn load(u: &mut Unstructured<'_>) -> Option<polc_lang::ir::Policy> {
    let (text, shared) = policy_text(u).ok()?;
    let mut opts = polc_lang::LoadOptions {
        abstractions: vec![polc_lang::Source::new("shared.pol", shared)],
        ..polc_lang::LoadOptions::default()
    };
    if u.ratio(1, 4).ok()? {
        let value = glob(u).ok()?;
        opts.vars.insert("d".to_string(), value);
    }
    polc_lang::load(&polc_lang::Source::new("fuzz.pol", text), &opts)
        .ok()
        .map(|l| l.policy)
}

/// File contexts of a small target policy (Debian's layout, shortened).
pub const FILE_CONTEXTS: &str = "\
/.*\tsystem_u:object_r:default_t:s0
/etc(/.*)?\tsystem_u:object_r:etc_t:s0
/usr(/.*)?\tsystem_u:object_r:usr_t:s0
/usr/bin(/.*)?\tsystem_u:object_r:bin_t:s0
/tmp(/.*)?\tsystem_u:object_r:tmp_t:s0
/var/lib(/.*)?\tsystem_u:object_r:var_lib_t:s0
";

/// Port contexts of the same target (`seinfo --portcon -x`).
pub const PORT_CONTEXTS: &str = "\
portcon tcp 80 system_u:object_r:http_port_t:s0
portcon tcp 443 system_u:object_r:http_port_t:s0
portcon udp 53 system_u:object_r:dns_port_t:s0
portcon tcp 1024-32767 system_u:object_r:unreserved_port_t:s0
portcon udp 1024-32767 system_u:object_r:unreserved_port_t:s0
";
