//! The rules of a profile: which constructs of the table each uses, and the polc
//! statements it becomes.

use super::lex::{Pos, Stmt, Word};
use super::read::{
    collapse_slashes, first_alternative, is_path, polc_name, quote, unquote, Reader,
};
use super::ImportError;
use polc_lang::rights::Right;
use std::collections::{BTreeMap, BTreeSet};

impl Reader<'_> {
    /// The constructs a rule uses and its polc statements.
    pub(super) fn classify(
        &self,
        file: &str,
        s: &Stmt,
        own: &str,
    ) -> Result<(Vec<&'static str>, Vec<String>), ImportError> {
        let mut words: &[Word] = &s.words;
        let mut ids: Vec<&'static str> = Vec::new();
        let mut audit = false;
        let mut deny = false;
        let mut owner = false;
        loop {
            match words.first().map(|w| w.text.as_str()) {
                Some("audit") => audit = true,
                Some("deny") => deny = true,
                Some("allow") => {}
                Some("owner") => owner = true,
                Some("other") => owner = true,
                _ => break,
            }
            words = words.get(1..).unwrap_or_default();
        }
        if audit {
            ids.push("audit");
        }
        let q = Qual {
            audit,
            effect: if deny { "deny" } else { "allow" },
            owner,
        };
        let kw = words.first().map(|w| w.text.as_str()).unwrap_or_default();
        let rest: Vec<&str> = words.iter().skip(1).map(|w| w.text.as_str()).collect();
        let polc = match kw {
            "capability" => {
                let names: Vec<&str> = rest
                    .iter()
                    .flat_map(|w| w.split(|c: char| c == ',' || c.is_whitespace()))
                    .filter(|w| !w.is_empty())
                    .collect();
                if owner {
                    ids.push("owner");
                }
                if names.is_empty() {
                    ids.push("capability-all");
                    vec![format!(
                        "{}{} capability {}",
                        q.audit_prefix(),
                        q.effect,
                        polc_lang::ir::CAPABILITIES.join(", ")
                    )]
                } else if names
                    .iter()
                    .all(|n| polc_lang::ir::CAPABILITIES.contains(n))
                {
                    ids.push("capability");
                    vec![format!(
                        "{}{} capability {}",
                        q.audit_prefix(),
                        q.effect,
                        names.join(", ")
                    )]
                } else {
                    ids.push("other");
                    Vec::new()
                }
            }
            "network" => network(&rest, &q, &mut ids),
            "signal" => {
                let (perms, set, peer) = signal_parts(&rest);
                // Signal names are words (`term`, `rtmin+3`); anything else cannot be
                // written as a polc signal name.
                if set.iter().any(|n| {
                    n.is_empty() || !n.chars().all(|c| c.is_ascii_alphanumeric() || c == '+')
                }) {
                    ids.push("other");
                    return Ok((ids, Vec::new()));
                }
                // A name polc does not know (a real-time signal, `emt`) cannot be
                // stated; `exists` (signal 0) is one of polc's.
                if set.iter().any(|n| !polc_lang::ir::is_signal(n)) {
                    ids.push("signal-unknown");
                    return Ok((ids, Vec::new()));
                }
                let (class, polc_peer) = self.peer(file, s.pos, peer.as_deref(), own)?;
                match class {
                    Peer::Any | Peer::Unconfined => ids.push("signal-any"),
                    Peer::Glob => ids.push("signal-peer-glob"),
                    Peer::Named | Peer::Own => {}
                }
                let sigs = set.join(", ");
                let mut v = Vec::new();
                let dirs: Vec<&str> = if perms.is_empty() {
                    vec!["send", "receive"]
                } else {
                    perms
                        .iter()
                        .map(|p| match p.as_str() {
                            "r" | "receive" | "read" => "receive",
                            _ => "send",
                        })
                        .collect()
                };
                let mut seen = BTreeSet::new();
                for d in dirs {
                    if !seen.insert(d) {
                        continue;
                    }
                    let prep = if d == "send" { "to" } else { "from" };
                    let sp = if sigs.is_empty() {
                        String::new()
                    } else {
                        format!(" {sigs}")
                    };
                    v.push(format!(
                        "{}{} signal {d}{sp} {prep} {polc_peer}",
                        q.audit_prefix(),
                        q.effect
                    ));
                }
                if !ids.contains(&"signal")
                    && !ids.contains(&"signal-any")
                    && !ids.contains(&"signal-peer-glob")
                {
                    ids.push("signal");
                }
                v
            }
            "ptrace" if audit => {
                ids.push("ipc-audit");
                Vec::new()
            }
            "ptrace" => self.ptrace(file, s.pos, &rest, own, &q, &mut ids)?,
            "dbus" => self.dbus(file, s.pos, &rest, own, &q, &mut ids)?,
            "unix" if audit => {
                ids.push("ipc-audit");
                Vec::new()
            }
            "unix" => self.unix(file, s.pos, &rest, own, &q, &mut ids)?,
            "mount" | "umount" | "remount" | "pivot_root" => {
                ids.push("mount");
                Vec::new()
            }
            "change_profile" => {
                ids.push("change-profile");
                Vec::new()
            }
            "set" => {
                ids.push("rlimit");
                Vec::new()
            }
            "link" => {
                ids.push("link-target");
                Vec::new()
            }
            "file" if rest.is_empty() => {
                ids.push("file-all");
                if owner {
                    ids.push("owner");
                }
                vec![format!(
                    "{}{}{} all \"/**\"",
                    q.audit_prefix(),
                    q.effect,
                    q.owner_word()
                )]
            }
            _ => {
                let fw: Vec<&Word> = if kw == "file" {
                    words.iter().skip(1).collect()
                } else {
                    words.iter().collect()
                };
                match self.file_rule(file, s.pos, &fw, own, &q, &mut ids)? {
                    Some(v) => v,
                    None => {
                        ids.push("other");
                        Vec::new()
                    }
                }
            }
        };
        Ok((ids, polc))
    }

    /// A peer as polc names it, from an AppArmor label (variables expanded, `None`: no
    /// peer given).
    fn peer(
        &self,
        file: &str,
        pos: Pos,
        label: Option<&str>,
        own: &str,
    ) -> Result<(Peer, String), ImportError> {
        let Some(label) = label else {
            return Ok((Peer::Any, "any".to_string()));
        };
        let label = self
            .expand(file, pos, label, own)?
            .into_iter()
            .next()
            .unwrap_or_default();
        let label = label.trim_matches('"');
        Ok(match label {
            "unconfined" => (Peer::Unconfined, "unconfined".to_string()),
            l if l == own => (Peer::Own, "self".to_string()),
            l if l.contains(['*', '?', '{', '[']) => (Peer::Glob, "any".to_string()),
            l => (Peer::Named, polc_name(l)),
        })
    }

    /// A unix or D-Bus rule's ` peer NAME` for its `peer=(label=...)` (nothing for every
    /// peer); a label glob becomes every peer, counted under `glob_id`.
    fn peer_clause(
        &self,
        file: &str,
        pos: Pos,
        label: Option<&String>,
        own: &str,
        glob_id: &'static str,
        ids: &mut Vec<&'static str>,
    ) -> Result<String, ImportError> {
        let (class, peer) = self.peer(file, pos, label.map(String::as_str), own)?;
        if class == Peer::Glob {
            ids.push(glob_id);
        }
        Ok(if class == Peer::Any {
            String::new()
        } else {
            format!(" peer {peer}")
        })
    }

    /// `ptrace [(PERMS)] [peer=LABEL]`: `read`/`r` and `trace`/`w` reach the peer (`to`),
    /// `readby` and `tracedby` come from it (`from`); no permission means all four.
    fn ptrace(
        &self,
        file: &str,
        pos: Pos,
        rest: &[&str],
        own: &str,
        q: &Qual,
        ids: &mut Vec<&'static str>,
    ) -> Result<Vec<String>, ImportError> {
        let (perms, conds) = ipc_parts(rest);
        if conds.keys().any(|k| k != "peer") {
            ids.push("other");
            return Ok(Vec::new());
        }
        let (class, peer) = self.peer(file, pos, conds.get("peer").map(String::as_str), own)?;
        ids.push(if class == Peer::Glob {
            "ptrace-peer-glob"
        } else {
            "ptrace"
        });
        let mut to: BTreeSet<&str> = BTreeSet::new();
        let mut from: BTreeSet<&str> = BTreeSet::new();
        for p in &perms {
            match p.as_str() {
                "r" | "read" => drop(to.insert("read")),
                "w" | "trace" => drop(to.insert("trace")),
                "rw" => to.extend(["read", "trace"]),
                "readby" => drop(from.insert("read")),
                "tracedby" => drop(from.insert("trace")),
                _ => {
                    ids.push("other");
                    return Ok(Vec::new());
                }
            }
        }
        if perms.is_empty() {
            to.extend(["read", "trace"]);
            from.extend(["read", "trace"]);
        }
        let e = q.effect;
        let mut out = Vec::new();
        for (dir, access) in [("to", to), ("from", from)] {
            if !access.is_empty() {
                let a: Vec<&str> = access.into_iter().collect();
                out.push(format!("{e} ptrace {} {dir} {peer}", a.join(", ")));
            }
        }
        Ok(out)
    }

    /// `unix [(PERMS)] [type=T] [addr=A] [peer=(label=L, addr=A)]`: the operations polc
    /// names, the type, one address and the peer. Never exact: polc's AppArmor backend
    /// writes `create, getattr, getopt, setopt, shutdown` beside every allowed unix rule,
    /// and its `send`/`receive` match the address at either end.
    fn unix(
        &self,
        file: &str,
        pos: Pos,
        rest: &[&str],
        own: &str,
        q: &Qual,
        ids: &mut Vec<&'static str>,
    ) -> Result<Vec<String>, ImportError> {
        let (perms, conds) = ipc_parts(rest);
        if conds
            .keys()
            .any(|k| !matches!(k.as_str(), "type" | "addr" | "peer.label" | "peer.addr"))
        {
            ids.push("other");
            return Ok(Vec::new());
        }
        let mut ops: BTreeSet<&str> = BTreeSet::new();
        for p in &perms {
            match p.as_str() {
                "r" | "receive" => drop(ops.insert("receive")),
                "w" | "send" => drop(ops.insert("send")),
                "rw" => ops.extend(["send", "receive"]),
                p if UNIX_HOUSEKEEPING.contains(&p) => {}
                p => match UNIX_OPS.iter().find(|o| **o == p) {
                    Some(o) => drop(ops.insert(o)),
                    None => {
                        ids.push("other");
                        return Ok(Vec::new());
                    }
                },
            }
        }
        if perms.is_empty() {
            // Every permission; with a peer conditional, those that have a peer
            // (`apparmor_parser` leaves out bind, listen and the housekeeping ones).
            if conds.keys().any(|k| k.starts_with("peer.")) {
                ops.extend(["connect", "send", "receive", "accept"]);
            } else {
                ops.extend(UNIX_OPS);
            }
        }
        if ops.is_empty() {
            ids.push("unix-housekeeping");
            return Ok(Vec::new());
        }
        ids.push("unix");
        let ty = match conds.get("type").map(String::as_str) {
            None => String::new(),
            Some(t @ ("stream" | "dgram" | "seqpacket")) => format!(" {t}"),
            Some(_) => {
                ids.push("other");
                return Ok(Vec::new());
            }
        };
        // One address: the peer's for connect, else the socket's own.
        let addr = conds
            .get("peer.addr")
            .filter(|_| ops.contains("connect") || !conds.contains_key("addr"))
            .or(conds.get("addr"));
        let addr = match addr {
            None => String::new(),
            Some(a) => {
                let a = self
                    .expand(file, pos, a, own)?
                    .into_iter()
                    .next()
                    .unwrap_or_default();
                if a == "none" {
                    ops.retain(|o| matches!(*o, "send" | "receive"));
                    if ops.is_empty() {
                        ids.push("other");
                        return Ok(Vec::new());
                    }
                    " anonymous".to_string()
                } else if let Some(name) = a.strip_prefix('@') {
                    if name.contains(['*', '?', '{', '[', '"', '\\']) || name.is_empty() {
                        ids.push("unix-addr-glob");
                        " abstract".to_string()
                    } else {
                        format!(" abstract {}", quote(&a))
                    }
                } else if is_path(&a) {
                    format!(" path {}", quote(&a))
                } else {
                    ids.push("other");
                    return Ok(Vec::new());
                }
            }
        };
        let peer = self.peer_clause(
            file,
            pos,
            conds.get("peer.label"),
            own,
            "unix-peer-glob",
            ids,
        )?;
        let ops: Vec<&str> = UNIX_OPS
            .iter()
            .copied()
            .filter(|o| ops.contains(o))
            .collect();
        Ok(vec![format!(
            "{} unix {}{ty}{addr}{peer}",
            q.effect,
            ops.join(", ")
        )])
    }

    /// `dbus [(PERMS)] [bus=B] [path=P] [interface=I] [member=M] [name=N]
    /// [peer=(name=N, label=L)]`: `send`/`w`, `receive`/`r` become one polc rule with
    /// the peer's name, `bind` another with the name owned; no permission means all of
    /// them (and `eavesdrop`, which polc does not have).
    fn dbus(
        &self,
        file: &str,
        pos: Pos,
        rest: &[&str],
        own: &str,
        q: &Qual,
        ids: &mut Vec<&'static str>,
    ) -> Result<Vec<String>, ImportError> {
        let (perms, conds) = ipc_parts(rest);
        const KEYS: [&str; 7] = [
            "bus",
            "path",
            "interface",
            "member",
            "name",
            "peer.name",
            "peer.label",
        ];
        if conds.keys().any(|k| !KEYS.contains(&k.as_str())) {
            ids.push("other");
            return Ok(Vec::new());
        }
        let mut ops: BTreeSet<&str> = BTreeSet::new();
        let mut eavesdrop = perms.is_empty();
        for p in &perms {
            match p.as_str() {
                "r" | "read" | "receive" => drop(ops.insert("receive")),
                "w" | "write" | "send" => drop(ops.insert("send")),
                "rw" => ops.extend(["send", "receive"]),
                "bind" => drop(ops.insert("bind")),
                "eavesdrop" => eavesdrop = true,
                _ => {
                    ids.push("other");
                    return Ok(Vec::new());
                }
            }
        }
        let message_conds = ["path", "interface", "member", "peer.name", "peer.label"];
        if perms.is_empty() {
            ops.extend(["send", "receive"]);
            // `bind` has no message conditionals: a rule with them does not grant it.
            if !conds.keys().any(|k| message_conds.contains(&k.as_str())) {
                ops.insert("bind");
            }
        }
        if ops.is_empty() {
            // `eavesdrop` alone.
            ids.push("other");
            return Ok(Vec::new());
        }
        if eavesdrop {
            ids.push("dbus-eavesdrop");
        }
        // A conditional's value as a polc pattern: its expansions as braces.
        let value = |key: &str| -> Result<Option<String>, ImportError> {
            let Some(v) = conds.get(key) else {
                return Ok(None);
            };
            let all = self.expand(file, pos, v, own)?;
            Ok(Some(match all.as_slice() {
                [one] => one.clone(),
                many => format!("{{{}}}", many.join(",")),
            }))
        };
        let bus = value("bus")?;
        let prefix = format!("{}{} dbus", q.audit_prefix(), q.effect);
        let mut out = Vec::new();
        let messages: Vec<&str> = ["send", "receive"]
            .into_iter()
            .filter(|o| ops.contains(o))
            .collect();
        if !messages.is_empty() {
            let path = value("path")?;
            let (interface, member, name) =
                (value("interface")?, value("member")?, value("peer.name")?);
            let names_ok = [&interface, &member, &name]
                .into_iter()
                .flatten()
                .all(|v| polc_lang::ir::dbus::name_glob(v).is_some());
            let path_ok = path
                .as_deref()
                .is_none_or(|p| polc_lang::glob::Glob::parse(p).is_ok());
            if !names_ok || !path_ok {
                ids.push("other");
                return Ok(Vec::new());
            }
            let peer = self.peer_clause(
                file,
                pos,
                conds.get("peer.label"),
                own,
                "dbus-peer-glob",
                ids,
            )?;
            out.push(format!(
                "{prefix} {}{}{peer}",
                messages.join(", "),
                polc_lang::ir::dbus::fields_text(
                    bus.as_deref(),
                    path.as_deref(),
                    interface.as_deref(),
                    member.as_deref(),
                    name.as_deref()
                )
            ));
        }
        if ops.contains("bind") {
            let name = value("name")?;
            if name
                .as_deref()
                .is_some_and(|n| polc_lang::ir::dbus::name_glob(n).is_none())
            {
                ids.push("other");
                return Ok(Vec::new());
            }
            out.push(format!(
                "{prefix} bind{}",
                polc_lang::ir::dbus::fields_text(bus.as_deref(), None, None, None, name.as_deref())
            ));
        }
        ids.push("dbus");
        Ok(out)
    }

    /// A file rule: `[file] PATH PERMS [-> TARGET]` or `PERMS PATH [-> TARGET]`. `None`
    /// when the words are not a file rule.
    fn file_rule(
        &self,
        file: &str,
        pos: Pos,
        words: &[&Word],
        own: &str,
        q: &Qual,
        ids: &mut Vec<&'static str>,
    ) -> Result<Option<Vec<String>>, ImportError> {
        let texts: Vec<&str> = words.iter().map(|w| w.text.as_str()).collect();
        let (path, perms, target) = match texts.as_slice() {
            [a, b] if is_path(a) => (*a, *b, None),
            [a, b] if is_path(b) => (*b, *a, None),
            [a, b, "->", t] if is_path(a) => (*a, *b, Some(*t)),
            [a, b, "->", t] if is_path(b) => (*b, *a, Some(*t)),
            _ => return Ok(None),
        };
        let Some(perm) = Perms::parse(perms) else {
            return Ok(None);
        };
        if q.owner {
            ids.push("owner");
        }
        let raw = unquote(path);
        if raw.contains('\\') {
            ids.push("path-escape");
            return Ok(Some(Vec::new()));
        }
        let paths = self.expand(file, pos, &raw, own)?;
        if paths.iter().any(|p| p.contains('[')) {
            ids.push("char-class");
        }
        if target.is_some() && perm.letters.contains(&'l') {
            ids.push("link-target");
            return Ok(Some(Vec::new()));
        }
        // The exec part: its mode and the transition it writes.
        let mut exec_suffix = String::new();
        if let Some(x) = &perm.exec {
            let t = target.map(|t| polc_name(&unquote(t)));
            let first = paths
                .first()
                .map(|p| first_alternative(p).0)
                .unwrap_or_default();
            match x.as_str() {
                "i" => ids.push("exec-inherit"),
                "p" | "P" => match &t {
                    Some(t) => {
                        ids.push(if x == "p" {
                            "exec-named"
                        } else {
                            "exec-named-scrub"
                        });
                        exec_suffix = format!(" as {t}");
                    }
                    None => {
                        ids.push("exec-attached");
                        exec_suffix = format!(" as {}", polc_name(&first));
                    }
                },
                "c" | "C" => {
                    ids.push("exec-child");
                    let name = t.unwrap_or_else(|| polc_name(&first));
                    exec_suffix = format!(" as child {name}");
                }
                "u" | "U" => {
                    ids.push("exec-unconfined");
                    exec_suffix = " as unconfined".into();
                }
                _ => {
                    // pix, Pix, cix, pux, PUx, ...: polc has `as NAME else inherit` only.
                    if x.ends_with('i') && !x.starts_with(['c', 'C']) {
                        ids.push("exec-fallback");
                    } else {
                        ids.push("exec-fallback-other");
                    }
                    let name = t.unwrap_or_else(|| polc_name(&first));
                    let fb = if x.ends_with('i') {
                        "inherit"
                    } else {
                        "unconfined"
                    };
                    let kw = if x.starts_with(['c', 'C']) {
                        "child "
                    } else {
                        ""
                    };
                    exec_suffix = format!(" as {kw}{name} else {fb}");
                }
            }
        }
        if q.effect == "deny" {
            exec_suffix.clear();
        }
        // Each path by the forms it names: files, directories (`/x/`), or both (`/x/**`).
        let mut groups: BTreeMap<Form, Vec<String>> = BTreeMap::new();
        for p in &paths {
            for (form, path) in split_forms(p) {
                let g = groups.entry(form).or_default();
                if !g.contains(&path) {
                    g.push(path);
                }
            }
        }
        let mut out = Vec::new();
        for (form, gpaths) in groups {
            let mut rights: Vec<Right> = perm
                .letters
                .iter()
                .filter_map(|c| letter_right(*c))
                .collect();
            let mut suffix = "";
            let mut shown: Vec<String> = gpaths.clone();
            match form {
                Form::Dir => {
                    let only_r = perm.letters.iter().all(|c| *c == 'r') && perm.exec.is_none();
                    if only_r {
                        ids.push("file-dir-list");
                        rights = vec![Right::List];
                    } else {
                        // A path ending in `/` denotes directories only, where `r` is
                        // list and `w` is mkdir and rmdir; `a`, `k`, `l`, `m` and `x`
                        // allow no operation on a directory.
                        ids.push("file-dir-other");
                        rights = Vec::new();
                        if perm.letters.contains(&'r') {
                            rights.push(Right::List);
                        }
                        if perm.letters.contains(&'w') {
                            rights.push(Right::Create);
                            rights.push(Right::Delete);
                        }
                        // The root is written `/` (of any type: nothing creates or
                        // removes it).
                        shown = gpaths
                            .iter()
                            .map(|p| if p == "/" { p.clone() } else { format!("{p}/") })
                            .collect();
                    }
                }
                Form::Tree => {
                    if perm.letters.contains(&'r') {
                        rights.push(Right::List);
                    }
                    if perm.letters.contains(&'w') {
                        rights.push(Right::Create);
                        rights.push(Right::Delete);
                    }
                    // `a`, `k`, `l`, `m` and `x` on a directory allow no operation: only
                    // `r` (list) and `w` (mkdir, rmdir) count there.
                    ids.push("file-tree");
                    if perm.exec.is_some() {
                        rights.push(Right::Exec);
                        suffix = &exec_suffix;
                    }
                }
                Form::File => {
                    ids.push("file");
                    if perm.exec.is_some() {
                        rights.push(Right::Exec);
                        suffix = &exec_suffix;
                    }
                }
            }
            let names: Vec<&str> = Right::ALL
                .into_iter()
                .filter(|r| rights.contains(r))
                .map(Right::name)
                .collect();
            if names.is_empty() {
                continue;
            }
            let plist: Vec<String> = shown.iter().map(|p| quote(p)).collect();
            out.push(format!(
                "{}{}{} {} {}{}",
                q.audit_prefix(),
                q.effect,
                q.owner_word(),
                names.join(" "),
                plist.join(", "),
                suffix
            ));
        }
        ids.dedup();
        Ok(Some(out))
    }
}

/// The forms of paths a glob names in AppArmor: files (no trailing `/`), directories
/// (a trailing `/`), or both (ending in `**`, which matches directories' `/` too).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Form {
    File,
    Dir,
    Tree,
}

fn form_of(p: &str) -> Form {
    if p.ends_with('/') {
        Form::Dir
    } else if p.ends_with("**") {
        Form::Tree
    } else {
        Form::File
    }
}

/// The most brace expansions computed to tell a path's forms apart.
const MAX_SPLIT: usize = 256;

/// A path as polc paths by form: kept whole when all its expansions have one form, else
/// split into its expansions. Directory paths lose their trailing `/`.
fn split_forms(p: &str) -> Vec<(Form, String)> {
    let exps = match brace_expand(p, MAX_SPLIT) {
        Some(e) => e,
        None => return vec![(form_of(p), p.trim_end_matches('/').to_string())],
    };
    let first_form = exps.first().map(|e| form_of(e)).unwrap_or(Form::File);
    // An empty alternative between two slashes (`/{a,}/b`) leaves an empty component in
    // the glob, which polc refuses: AppArmor collapses the `//` of that expansion, so the
    // path is split into its expansions, each collapsed.
    let empty_component = exps.iter().any(|e| e.contains("//"));
    if !empty_component && exps.iter().all(|e| form_of(e) == first_form) {
        let whole = form_of(p) == first_form && (first_form != Form::Dir || p.ends_with('/'));
        if whole {
            let t = if first_form == Form::Dir && p.len() > 1 {
                p.strip_suffix('/').unwrap_or(p)
            } else {
                p
            };
            return vec![(first_form, t.to_string())];
        }
    }
    exps.into_iter()
        .map(|e| {
            let f = form_of(&e);
            let t = collapse_slashes(&e);
            let t = if f == Form::Dir && t.len() > 1 {
                t.trim_end_matches('/').to_string()
            } else {
                t
            };
            (f, t)
        })
        .collect()
}

/// Every expansion of the `{a,b}` alternatives of a glob (character classes kept), or
/// `None` beyond `limit` expansions or on unbalanced braces.
fn brace_expand(p: &str, limit: usize) -> Option<Vec<String>> {
    let chars: Vec<char> = p.chars().collect();
    let Some(open) = chars.iter().position(|c| *c == '{') else {
        return Some(vec![p.to_string()]);
    };
    let mut depth = 0usize;
    let mut parts: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut close = None;
    for (i, c) in chars.iter().enumerate().skip(open) {
        match c {
            '{' => {
                depth += 1;
                if depth > 1 {
                    cur.push(*c);
                }
            }
            '}' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    parts.push(std::mem::take(&mut cur));
                    close = Some(i);
                    break;
                }
                cur.push(*c);
            }
            ',' if depth == 1 => parts.push(std::mem::take(&mut cur)),
            _ => cur.push(*c),
        }
    }
    let close = close?;
    let head: String = chars.get(..open)?.iter().collect();
    let tail: String = chars.get(close + 1..)?.iter().collect();
    let mut out = Vec::new();
    for part in parts {
        for e in brace_expand(&format!("{head}{part}{tail}"), limit)? {
            out.push(e);
            if out.len() > limit {
                return None;
            }
        }
    }
    Some(out)
}

struct Qual {
    audit: bool,
    effect: &'static str,
    owner: bool,
}

impl Qual {
    fn audit_prefix(&self) -> &'static str {
        if self.audit {
            "audit "
        } else {
            ""
        }
    }
    fn owner_word(&self) -> &'static str {
        if self.owner {
            " owner"
        } else {
            ""
        }
    }
}

/// File permissions: the letters other than exec, and the exec mode (`i`, `p`, `P`,
/// `c`, `C`, `u`, `U`, or a fallback such as `pi`, `Pi`, `pu`).
struct Perms {
    letters: Vec<char>,
    exec: Option<String>,
}

impl Perms {
    fn parse(s: &str) -> Option<Perms> {
        if s.is_empty() {
            return None;
        }
        let mut letters = Vec::new();
        let mut qual = String::new();
        let mut exec = None;
        for c in s.chars() {
            match c {
                'r' | 'w' | 'a' | 'l' | 'k' | 'm' => {
                    if !letters.contains(&c) {
                        letters.push(c);
                    }
                }
                'i' | 'p' | 'P' | 'c' | 'C' | 'u' | 'U' => qual.push(c),
                'x' => {
                    let q = if qual.is_empty() {
                        "i".to_string()
                    } else {
                        std::mem::take(&mut qual)
                    };
                    // `ix`, `px`, `Pix` (fallback written `Pi`), `PUx`...
                    let norm = match q.as_str() {
                        "i" | "p" | "P" | "c" | "C" | "u" | "U" => q,
                        other => {
                            let mut o: String = other.chars().filter(|c| *c != 'i').collect();
                            if other.contains('i') {
                                o.push('i');
                            }
                            if o.len() > 1 {
                                o
                            } else {
                                other.to_string()
                            }
                        }
                    };
                    exec = Some(norm);
                }
                _ => return None,
            }
        }
        if !qual.is_empty() {
            return None;
        }
        Some(Perms { letters, exec })
    }
}

fn letter_right(c: char) -> Option<Right> {
    match c {
        'r' => Some(Right::Read),
        'w' => Some(Right::Write),
        'a' => Some(Right::Append),
        'l' => Some(Right::Link),
        'k' => Some(Right::Lock),
        'm' => Some(Right::MapExec),
        _ => None,
    }
}

/// A `network` rule's constructs and statements.
fn network(rest: &[&str], q: &Qual, ids: &mut Vec<&'static str>) -> Vec<String> {
    let words: Vec<&str> = rest
        .iter()
        .flat_map(|w| w.split(',').map(str::trim))
        .filter(|w| !w.is_empty() && !w.starts_with('('))
        .collect();
    let family = words.first().copied();
    let ty = words.get(1).copied();
    let p = q.audit_prefix();
    let e = q.effect;
    // `tcp`, `udp` (both IP versions) or `tcp4`, `udp6`... (the family's one).
    let both = |proto: &str| {
        vec![
            format!("{p}{e} net connect {proto}"),
            format!("{p}{e} net bind {proto}"),
        ]
    };
    let version = |fam: &str| if fam == "inet6" { "6" } else { "4" };
    let (tcp, udp) = (|| both("tcp"), || both("udp"));
    match (family, ty) {
        (Some(fam @ ("inet" | "inet6")), Some("stream" | "tcp")) => {
            ids.push("network-inet");
            both(&format!("tcp{}", version(fam)))
        }
        (Some(fam @ ("inet" | "inet6")), Some("dgram" | "udp")) => {
            ids.push("network-inet");
            both(&format!("udp{}", version(fam)))
        }
        (Some("tcp"), None) => {
            ids.push("network-inet");
            tcp()
        }
        (Some("udp"), None) => {
            ids.push("network-inet");
            udp()
        }
        (Some("unix"), _) if q.audit => {
            ids.push("ipc-audit");
            Vec::new()
        }
        (Some("unix"), _) => {
            ids.push("network-unix");
            let ty = match ty {
                Some(t @ ("stream" | "dgram" | "seqpacket")) => format!(" {t}"),
                _ => String::new(),
            };
            vec![format!("{e} unix {}{ty}", UNIX_OPS.join(", "))]
        }
        // Netlink and packet sockets by type (`raw`, `dgram`), raw IP by family.
        (Some(fam @ ("netlink" | "packet")), ty @ (None | Some("raw" | "dgram"))) => {
            ids.push("network-family");
            let ty = ty.map(|t| format!(" {t}")).unwrap_or_default();
            vec![format!("{p}{e} net {fam}{ty}")]
        }
        (Some(fam @ ("inet" | "inet6")), Some("raw")) => {
            ids.push("network-family");
            vec![format!("{p}{e} net raw{}", version(fam))]
        }
        (Some(fam @ ("netlink" | "packet")), _) => {
            ids.push("network-other");
            vec![format!("{p}{e} net {fam}")]
        }
        _ => {
            ids.push("network-other");
            let mut v = tcp();
            v.extend(udp());
            v.push(format!("{p}{e} net raw"));
            v
        }
    }
}

/// polc's unix-socket operations, in the order `polc fmt` writes them.
const UNIX_OPS: [&str; 6] = ["connect", "send", "receive", "bind", "listen", "accept"];

/// AppArmor's unix permissions that polc grants with every allowed unix rule of the
/// type (its AppArmor backend writes them on one line) and cannot state alone.
const UNIX_HOUSEKEEPING: [&str; 6] = [
    "create", "getattr", "setattr", "getopt", "setopt", "shutdown",
];

/// How a rule names its peer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Peer {
    /// No peer: every process (`any`).
    Any,
    /// `unconfined`.
    Unconfined,
    /// The profile itself (`self`).
    Own,
    /// Another profile, by name.
    Named,
    /// A glob of profile names: written as `any` (wider).
    Glob,
}

/// The words of an IPC rule (`unix`, `ptrace`): the permissions (in parentheses or bare)
/// and the `key=value` conditionals, a value in parentheses being a nested list
/// (`peer=(label=x, addr=y)` gives `peer.label` and `peer.addr`).
fn ipc_parts(rest: &[&str]) -> (Vec<String>, BTreeMap<String, String>) {
    let text = rest.join(" ");
    let mut perms = Vec::new();
    let mut conds = BTreeMap::new();
    // Inside `key=( ... )`: `key.`.
    let mut prefix = String::new();
    let mut it = text.chars().peekable();
    while let Some(c) = it.next() {
        match c {
            c if c.is_whitespace() || c == ',' => {}
            '(' => {
                let inner: String = it.by_ref().take_while(|c| *c != ')').collect();
                perms.extend(
                    inner
                        .split([',', ' '])
                        .filter(|p| !p.is_empty())
                        .map(str::to_string),
                );
            }
            ')' => prefix.clear(),
            c => {
                let mut word = String::from(c);
                let mut quoted = c == '"';
                // Inside `{a,b}` (an alternation, `member={A,B}`) a `,` is the value's.
                let mut braces = usize::from(c == '{');
                while let Some(&n) = it.peek() {
                    if !quoted && braces == 0 && (n.is_whitespace() || n == ',' || n == ')') {
                        break;
                    }
                    match n {
                        '"' => quoted = !quoted,
                        '{' if !quoted => braces += 1,
                        '}' if !quoted => braces = braces.saturating_sub(1),
                        _ => {}
                    }
                    word.push(n);
                    it.next();
                    if !quoted && word.ends_with("=(") {
                        break;
                    }
                }
                if let Some(key) = word.strip_suffix("=(") {
                    prefix = format!("{key}.");
                } else if let Some((k, v)) = word.split_once('=') {
                    conds.insert(format!("{prefix}{k}"), v.trim_matches('"').to_string());
                } else if prefix.is_empty() {
                    perms.push(word);
                }
            }
        }
    }
    (perms, conds)
}

/// A signal rule's permissions, signal set and peer.
fn signal_parts(rest: &[&str]) -> (Vec<String>, Vec<String>, Option<String>) {
    let mut perms = Vec::new();
    let mut set = Vec::new();
    let mut peer = None;
    let list = |s: &str| -> Vec<String> {
        s.trim_start_matches('(')
            .trim_end_matches(')')
            .split([',', ' '])
            .filter(|x| !x.is_empty())
            .map(|x| x.trim_matches('"').to_string())
            .collect()
    };
    for w in rest {
        if let Some(v) = w.strip_prefix("set=") {
            set.extend(list(v));
        } else if let Some(v) = w.strip_prefix("peer=") {
            peer = Some(v.trim_start_matches('(').trim_end_matches(')').to_string());
        } else if w.starts_with('(') {
            perms.extend(list(w));
        } else {
            perms.push((*w).to_string());
        }
    }
    // AppArmor's signal names → polc's (`stp` is polc's `tstp`; others are equal).
    let set = set
        .into_iter()
        .map(|s| if s == "stp" { "tstp".to_string() } else { s })
        .collect();
    (perms, set, peer)
}
