//! `polc explain FILE (--path PATH --access RIGHT | --net OP:PROTO:PORT |
//! --capability NAME | --signal DIR:SIGNAL:PEER)`: the decision and the rules behind it.

use super::check::load_policy;
use super::compile::write_output;
use super::{explain_ext, render, Ctx, ExplainArgs, GlobalArgs, OutputFormat, EXIT_USAGE};
use crate::request::{self, RequestError};
use crate::text::explain::{human, human_enforcements, WithTargets};
use crate::{explain, Request};

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
            human_enforcements(&targets, "  ")
        )),
        OutputFormat::Json => {
            let out = WithTargets {
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
    if let Some(spec) = &args.dbus {
        return request::dbus(spec, own_name);
    }
    // clap makes one of the four forms required.
    request::signal(args.signal.as_deref().unwrap_or_default(), own_name)
}
