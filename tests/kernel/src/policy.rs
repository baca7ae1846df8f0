//! Policies for the kernel tests, written as statements of the language (one per line)
//! and lowered to the IR the way the front end does: file rules merged by (effect, glob,
//! transition) with their rights unioned, network, capability and signal rules merged by
//! subject, every list sorted.
//!
//! Only the statements the tests use are understood: `attach`, `mode`, `owns`, file
//! rules with one path, `net`, `capability` and `signal` rules. The text is kept, so a
//! mismatch report can show the policy as written.

use polc_lang::glob::Glob;
use polc_lang::ir::Effect;
use polc_lang::ir::{
    Attach, CapRule, FileRule, Mode, NetOp, NetRule, Origin, Owned, Policy, PolicyName, PortRange,
    Proto, RightsOrigin, SignalDir, SignalRule,
};
use polc_lang::rights::Rights;
use polc_lang::span::Span;
use std::collections::BTreeSet;

/// A statement the builder does not understand.
#[derive(Debug, thiserror::Error)]
#[error("line {line} `{text}`: {why}")]
pub struct PolicyError {
    /// 1-based line.
    pub line: usize,
    /// The statement.
    pub text: String,
    /// What is wrong.
    pub why: String,
}

/// A policy with the text it was built from.
#[derive(Clone, Debug)]
pub struct TestPolicy {
    /// The IR.
    pub ir: Policy,
    /// The statements, one per line, as given.
    pub text: String,
}

impl TestPolicy {
    /// The policy as source text (for reports).
    pub fn source(&self) -> String {
        let body: String = self.text.lines().map(|l| format!("    {l}\n")).collect();
        format!("policy {} {{\n{body}}}", self.ir.name)
    }
}

fn words(line: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut rest = line.trim();
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('"') {
            let end = r.find('"').ok_or("no closing quote")?;
            out.push(format!("\"{}", r.get(..end).unwrap_or("")));
            rest = r.get(end + 1..).unwrap_or("").trim_start();
        } else {
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            let w = rest.get(..end).unwrap_or("");
            // `a, b` lists: the comma belongs to no word.
            for part in w.split(',').filter(|p| !p.is_empty()) {
                out.push(part.to_string());
            }
            rest = rest.get(end..).unwrap_or("").trim_start();
        }
    }
    Ok(out)
}

fn origin(line: usize) -> Origin {
    Origin {
        file: "test.pol".into(),
        line,
        column: 5,
        span: Span::new(0, 0),
        via: Vec::new(),
        accepts: Vec::new(),
    }
}

fn name(s: &str) -> Result<PolicyName, String> {
    PolicyName::new(s).map_err(|e| format!("bad name `{s}`: {e}"))
}

fn string(w: Option<&String>) -> Result<String, String> {
    w.and_then(|w| w.strip_prefix('"'))
        .map(str::to_string)
        .ok_or_else(|| "expected a string".to_string())
}

fn glob(w: Option<&String>) -> Result<Glob, String> {
    let g = string(w)?;
    Glob::parse(&g).map_err(|e| format!("bad glob `{g}`: {e:?}"))
}

/// Build a policy named `policy_name` from statements, one per line (`#` comments and
/// blank lines allowed).
pub fn build(policy_name: &str, text: &str) -> Result<TestPolicy, PolicyError> {
    let pname = name(policy_name).map_err(|why| PolicyError {
        line: 0,
        text: policy_name.into(),
        why,
    })?;
    let mut p = Policy {
        name: pname.clone(),
        version: None,
        attach: None,
        mode: Mode::Enforce,
        uses: Vec::new(),
        owns: Vec::new(),
        files: Vec::new(),
        net: Vec::new(),
        capabilities: Vec::new(),
        signals: Vec::new(),
        unix: Vec::new(),
        net_families: Vec::new(),
        ptrace: Vec::new(),
        children: Vec::new(),
    };
    for (n, line) in text.lines().enumerate() {
        let stmt = line.split('#').next().unwrap_or("").trim();
        if stmt.is_empty() {
            continue;
        }
        let result = if is_socket_rule(stmt) {
            socket_rule(&mut p, &pname, stmt, n + 1)
        } else {
            statement(&mut p, &pname, stmt, n + 1)
        };
        result.map_err(|why| PolicyError {
            line: n + 1,
            text: stmt.into(),
            why,
        })?;
    }
    sort(&mut p);
    Ok(TestPolicy {
        ir: p,
        text: text.trim().to_string(),
    })
}

fn statement(p: &mut Policy, me: &PolicyName, stmt: &str, line: usize) -> Result<(), String> {
    let w = words(stmt)?;
    let at = |i: usize| w.get(i).map(String::as_str).unwrap_or("");
    let o = origin(line);
    match at(0) {
        "attach" => {
            p.attach = Some(Attach {
                path: string(w.get(1))?,
                origin: o,
            });
            return Ok(());
        }
        "mode" => {
            p.mode = match at(1) {
                "complain" => Mode::Complain,
                "enforce" => Mode::Enforce,
                m => return Err(format!("unknown mode `{m}`")),
            };
            return Ok(());
        }
        "owns" => {
            for g in w.iter().skip(1) {
                p.owns.push(Owned {
                    glob: glob(Some(g))?,
                    origins: vec![o.clone()],
                });
            }
            return Ok(());
        }
        _ => {}
    }
    let effect = match at(0) {
        "allow" => Effect::Allow,
        "deny" => Effect::Deny,
        k => return Err(format!("unknown statement `{k}`")),
    };
    match at(1) {
        "net" => {
            let op = match at(2) {
                "connect" => NetOp::Connect,
                "bind" => NetOp::Bind,
                x => return Err(format!("unknown net op `{x}`")),
            };
            let proto = match at(3) {
                "tcp" => Proto::Tcp,
                "udp" => Proto::Udp,
                x => return Err(format!("unknown protocol `{x}`")),
            };
            let ports = match w.get(4) {
                None => PortRange::ALL,
                Some(s) => {
                    let (lo, hi) = s.split_once('-').unwrap_or((s, s));
                    let num = |x: &str| x.parse::<u16>().map_err(|e| format!("port `{x}`: {e}"));
                    PortRange {
                        lo: num(lo)?,
                        hi: num(hi)?,
                    }
                }
            };
            match p
                .net
                .iter_mut()
                .find(|r| r.effect == effect && r.op == op && r.proto == proto && r.ports == ports)
            {
                Some(r) => r.origins.push(o),
                None => p.net.push(NetRule {
                    audit: false,
                    effect,
                    op,
                    proto,
                    ports,
                    origins: vec![o],
                }),
            }
        }
        "capability" => {
            for c in w.iter().skip(2) {
                match p
                    .capabilities
                    .iter_mut()
                    .find(|r| r.effect == effect && &r.capability == c)
                {
                    Some(r) => r.origins.push(o.clone()),
                    None => p.capabilities.push(CapRule {
                        audit: false,
                        effect,
                        capability: c.clone(),
                        origins: vec![o.clone()],
                    }),
                }
            }
        }
        "signal" => {
            let direction = match at(2) {
                "send" => SignalDir::Send,
                "receive" => SignalDir::Receive,
                x => return Err(format!("unknown direction `{x}`")),
            };
            let k = w
                .iter()
                .position(|x| x == "to" || x == "from")
                .ok_or("expected `to` or `from`")?;
            let signals: BTreeSet<String> = w.get(3..k).unwrap_or(&[]).iter().cloned().collect();
            let peer = match at(k + 1) {
                "self" => me.clone(),
                n => name(n)?,
            };
            p.signals.push(SignalRule {
                audit: false,
                effect,
                direction,
                peer: polc_lang::ir::Peer::Policy(peer),
                signals,
                origins: vec![o],
            });
        }
        _ => {
            let q = w
                .iter()
                .position(|x| x.starts_with('"'))
                .ok_or("expected a path")?;
            let mut rights = Rights::EMPTY;
            for k in w.get(1..q).unwrap_or(&[]) {
                rights =
                    rights.union(Rights::from_keyword(k).ok_or(format!("unknown right `{k}`"))?);
            }
            let g = glob(w.get(q))?;
            let exec_as = match at(q + 1) {
                "as" => Some(name(at(q + 2))?),
                "" => None,
                x => return Err(format!("unexpected `{x}`")),
            };
            let ro = RightsOrigin { rights, origin: o };
            match p
                .files
                .iter_mut()
                .find(|f| f.effect == effect && f.glob == g && f.exec_as == exec_as)
            {
                Some(f) => {
                    f.rights = f.rights.union(rights);
                    f.origins.push(ro);
                }
                None => p.files.push(FileRule {
                    audit: false,
                    owner: false,
                    effect,
                    glob: g,
                    rights,
                    exec_as,
                    origins: vec![ro],
                    exec_mode: Default::default(),
                }),
            }
        }
    }
    Ok(())
}

/// `allow|deny unix ...` and `allow|deny net netlink|raw|packet ...`.
fn is_socket_rule(stmt: &str) -> bool {
    let w: Vec<&str> = stmt.split_whitespace().take(3).collect();
    matches!(
        w.as_slice(),
        ["allow" | "deny", "unix", ..] | ["allow" | "deny", "net", "netlink" | "raw" | "packet"]
    )
}

/// A unix or network-family statement, read by polc's own front end (`polc_lang::load`
/// on a one-statement policy), its rules appended with the statement's line.
fn socket_rule(p: &mut Policy, me: &PolicyName, stmt: &str, line: usize) -> Result<(), String> {
    let text = format!("policy {me} {{\n    {stmt}\n}}\n");
    let loaded = polc_lang::load(
        &polc_lang::Source::new("test.pol", text),
        &Default::default(),
    )
    .map_err(|f| {
        f.diagnostics
            .iter()
            .map(|d| d.message.clone())
            .collect::<Vec<_>>()
            .join("; ")
    })?;
    for mut r in loaded.policy.unix {
        r.origins = vec![origin(line)];
        p.unix.push(r);
    }
    for mut r in loaded.policy.net_families {
        r.origins = vec![origin(line)];
        p.net_families.push(r);
    }
    Ok(())
}

fn sort(p: &mut Policy) {
    p.files.sort_by(|a, b| {
        (a.effect, a.glob.as_str(), &a.exec_as).cmp(&(b.effect, b.glob.as_str(), &b.exec_as))
    });
    p.net.sort_by(|a, b| {
        (a.effect, a.op, a.proto, a.ports).cmp(&(b.effect, b.op, b.proto, b.ports))
    });
    p.capabilities
        .sort_by(|a, b| (a.effect, &a.capability).cmp(&(b.effect, &b.capability)));
    p.signals.sort_by(|a, b| {
        (a.effect, a.direction, &a.peer, &a.signals).cmp(&(
            b.effect,
            b.direction,
            &b.peer,
            &b.signals,
        ))
    });
    p.owns.sort_by(|a, b| a.glob.as_str().cmp(b.glob.as_str()));
    for f in &mut p.files {
        f.origins.sort();
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;
    use polc_lang::eval::{evaluate, Request};
    use polc_lang::rights::Right;

    #[test]
    fn statements_lower_and_merge() {
        let t = build(
            "org.test.a",
            "attach \"/usr/bin/a\"\nallow read \"/d/**\"\nallow write \"/d/**\"\ndeny read \"/d/s\"\n\
             allow exec \"/x\" as org.test.b\nallow net connect tcp 80-81\nallow capability setgid, sys_admin\n\
             allow signal send cont, winch to self\nmode complain\nowns \"/d{,/**}\"",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let p = &t.ir;
        assert_eq!(p.files.len(), 3);
        assert_eq!(p.capabilities.len(), 2);
        assert_eq!(p.signals.first().map(|s| s.signals.len()), Some(2));
        assert_eq!(p.mode, Mode::Complain);
        assert!(evaluate(p, &Request::file("/d/f", Right::Append)).allowed);
        assert!(!evaluate(p, &Request::file("/d/s", Right::Read)).allowed);
        assert_eq!(
            evaluate(p, &Request::file("/x", Right::Exec))
                .exec_as
                .map(|n| n.to_string()),
            Some("org.test.b".into())
        );
        assert!(t.source().starts_with("policy org.test.a {\n    attach"));
    }

    #[test]
    fn bad_statements_are_errors() {
        assert!(build("org.test.a", "allow frobnicate \"/x\"").is_err());
        assert!(build("org.test.a", "allow read \"relative\"").is_err());
        assert!(build("Bad", "").is_err());
    }
}
