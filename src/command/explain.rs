//! `polc explain FILE (--path PATH --access RIGHT | --net OP:PROTO:PORT |
//! --capability NAME | --signal DIR:SIGNAL:PEER)`: the decision and the rules behind it.

use super::check::load_policy;
use super::compile::write_output;
use super::{explain_ext, render, Ctx, ExplainArgs, GlobalArgs, OutputFormat, EXIT_USAGE};
use crate::request::{self, RequestError};
use crate::{explain, ExplainedRule, Explanation, Reason, Request};
use polc_lang::ir::{NetOp, SignalDir};
use polc_lang::rights::Right;
use std::fmt::Write;

/// Explain one request; exit 0 when explained (whatever the decision), 1 when the
/// policy has errors, 2 on usage or I/O errors.
pub fn run(args: &ExplainArgs, global: &GlobalArgs, ctx: &mut Ctx<'_>) -> u8 {
    let (policy, file) = match (&args.installed, &args.file) {
        (Some(name), _) => match installed(name, args, ctx) {
            Ok(p) => (p, format!("installed {name}")),
            Err(code) => return code,
        },
        (None, Some(file)) => {
            if args.denial.as_deref() == Some("-") && super::input::is_stdin(file) {
                ctx.say(
                    "error: the policy and --denial cannot both be `-`: standard input is read once",
                );
                return EXIT_USAGE;
            }
            match load_policy(file, global, ctx) {
                Ok(l) => (l.policy, super::input::source_name(file)),
                Err(code) => return code,
            }
        }
        (None, None) => {
            ctx.say("error: name a policy file or --installed NAME");
            return EXIT_USAGE;
        }
    };
    if let Some(line) = &args.denial {
        return explain_ext::run_denial(line, &policy, &file, args, global, ctx);
    }
    let request = match build_request(args, policy.name.as_str()) {
        Ok(r) => r,
        Err(e) => {
            ctx.say(e);
            return EXIT_USAGE;
        }
    };
    let ex = match &args.child {
        None => explain(&policy, &request),
        Some(name) => match policy.child(name) {
            Some(c) => explain(&c.policy, &request),
            None => {
                let names: Vec<&str> = policy
                    .children
                    .iter()
                    .map(|c| c.policy.name.as_str())
                    .collect();
                ctx.say(render::sanitize(&format!(
                    "error: policy `{}` has no child or hat `{name}` (it has: {})",
                    policy.name,
                    if names.is_empty() {
                        "none".to_string()
                    } else {
                        names.join(", ")
                    }
                )));
                return EXIT_USAGE;
            }
        },
    };
    let targets = match explain_ext::reports(&policy, &args.target, ctx) {
        Ok(r) => explain_ext::enforcements(&policy, &request, &r),
        Err(code) => return code,
    };
    let text = match args.format {
        OutputFormat::Human if targets.is_empty() => render::sanitize(&human(&ex)),
        OutputFormat::Human => render::sanitize(&format!(
            "{}\nenforcement:\n{}",
            human(&ex),
            explain_ext::human_enforcements(&targets, "  ")
        )),
        OutputFormat::Json => {
            let out = explain_ext::WithTargets {
                explanation: &ex,
                targets: &targets,
            };
            serde_json::to_string_pretty(&out).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
                + "\n"
        }
    };
    write_output(None, text.as_bytes(), global, ctx)
}

/// The effective policy of an installed policy's current generation.
fn installed(
    name: &str,
    args: &ExplainArgs,
    ctx: &mut Ctx<'_>,
) -> Result<polc_lang::ir::Policy, u8> {
    let name = match crate::PolicyName::new(name) {
        Ok(n) => n,
        Err(e) => {
            ctx.say(format_args!(
                "error: `{}` is not a policy name: {e}",
                name.escape_default()
            ));
            return Err(EXIT_USAGE);
        }
    };
    crate::store::Store::open_read_only(crate::store::StoreConfig::new(&args.store.root))
        .and_then(|store| crate::connect::installed_policy(&store, &name))
        .map(|(_, policy)| policy)
        .map_err(|e| {
            ctx.say(format_args!("error: {e}"));
            match e {
                crate::store::StoreError::NotInstalled(_) => super::EXIT_FINDINGS,
                _ => EXIT_USAGE,
            }
        })
}

fn build_request(args: &ExplainArgs, own_name: &str) -> Result<Request, RequestError> {
    if let (Some(path), Some(access)) = (&args.path, &args.access) {
        if args.owner {
            return request::owned_file(path, access);
        }
        return request::file(path, access);
    }
    if let Some(net) = &args.net {
        return request::net(net);
    }
    if let Some(cap) = &args.capability {
        return request::capability(cap);
    }
    if let Some(spec) = &args.unix {
        return request::unix(spec, own_name);
    }
    if let Some(spec) = &args.net_family {
        return request::family(spec);
    }
    // clap makes one of the four forms required.
    request::signal(args.signal.as_deref().unwrap_or_default(), own_name)
}

/// The request in words: `read /etc/passwd`, `net connect tcp 443`, ...
pub fn describe_request(r: &Request) -> String {
    match r {
        Request::File {
            path,
            right,
            owner: false,
        } => format!("{right} {path}"),
        Request::File { path, right, .. } => format!("{right} {path} (owned by the process)"),
        Request::Net {
            op,
            proto,
            family,
            port,
        } => {
            let op = match op {
                NetOp::Connect => "connect",
                NetOp::Bind => "bind",
            };
            let proto = polc_lang::ir::text::proto_word(*proto, *family);
            format!("net {op} {proto} {port}")
        }
        Request::Capability { name } => format!("capability {name}"),
        Request::Signal {
            direction,
            peer,
            signal,
        } => match direction {
            SignalDir::Send => format!("signal send {signal} to {peer}"),
            SignalDir::Receive => format!("signal receive {signal} from {peer}"),
        },
        Request::Unix {
            op,
            sock_type,
            addr,
            peer,
        } => {
            let addr = match addr {
                polc_lang::eval::UnixRequestAddr::Path(p) => p.clone(),
                polc_lang::eval::UnixRequestAddr::Abstract(n) => n.clone(),
                polc_lang::eval::UnixRequestAddr::Anonymous => "anonymous".to_string(),
            };
            let peer = match peer {
                polc_lang::eval::RequestPeer::Policy(p) => p.as_str(),
                polc_lang::eval::RequestPeer::Unconfined => "unconfined",
            };
            format!(
                "unix {} {} {addr} peer {peer}",
                op.keyword(),
                sock_type.keyword()
            )
        }
        Request::NetFamily {
            family,
            ip,
            protocol,
            sock_type,
        } => polc_lang::ir::unix::family_text(*family, *ip, protocol.as_deref(), *sock_type),
        Request::Ptrace {
            direction,
            access,
            peer,
        } => format!("ptrace {} {} {peer}", access.keyword(), direction.keyword()),
    }
}

/// The explanation for people.
pub fn human(ex: &Explanation) -> String {
    let mut s = String::new();
    let verdict = if ex.allowed { "allowed" } else { "denied" };
    let _ = writeln!(s, "{verdict}: {}", describe_request(&ex.request));
    let _ = writeln!(s, "policy: {}", ex.policy);
    let why = match ex.reason {
        Reason::Allowed => "an allow rule matches and no deny rule does",
        Reason::Denied => "a deny rule matches (deny wins over allow)",
        Reason::DefaultDeny => "no rule matches (default deny)",
    };
    let _ = writeln!(s, "reason: {why}");
    if ex.audited {
        let _ = writeln!(s, "audited: yes (an `audit` rule decides)");
    }
    if ex.allowed {
        if let Request::File {
            right: Right::Exec, ..
        } = ex.request
        {
            use polc_lang::ir::ExecMode;
            match (&ex.exec_as, ex.exec_mode) {
                (_, ExecMode::Unconfined) => {
                    let _ = writeln!(s, "runs as: unconfined (no confinement)");
                }
                (Some(to), ExecMode::Child) => {
                    let _ = writeln!(s, "runs as: {}//{to} (child policy)", ex.policy);
                }
                (Some(to), ExecMode::Fallback) => {
                    let _ = writeln!(
                        s,
                        "runs as: {to} (transition), or {} when {to} is not loaded",
                        ex.policy
                    );
                }
                (Some(to), _) => {
                    let _ = writeln!(s, "runs as: {to} (transition)");
                }
                (None, _) => {
                    let _ = writeln!(s, "runs as: {} (no transition)", ex.policy);
                }
            }
        }
    }
    rules(&mut s, "deciding rule", &ex.deciding);
    rules(&mut s, "overridden allow rule", &ex.overridden);
    s
}

fn rules(s: &mut String, title: &str, rules: &[ExplainedRule]) {
    if rules.is_empty() {
        return;
    }
    let plural = if rules.len() == 1 { "" } else { "s" };
    let _ = writeln!(s, "\n{title}{plural}:");
    for r in rules {
        let _ = writeln!(s, "  {}", r.rule);
        for o in &r.origins {
            // A file name may hold a newline: keep each origin on its line.
            let _ = writeln!(s, "      at {}", render::sanitize_line(&o.to_string()));
        }
        if r.origins.is_empty() {
            let _ = writeln!(s, "      (no source location)");
        }
    }
}
