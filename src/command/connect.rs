//! `polc connect|disconnect|connections`: an installed app's plugs, from the command line
//! (the library's [`crate::connect`]).

use super::check::prepare;
use super::store_cmd::{emit_json, name, open, open_read_only, store_error};
use super::{
    render, report, ConnectArgs, ConnectionsArgs, Ctx, GlobalArgs, OutputFormat, PlugArgs,
};
use super::{EXIT_FINDINGS, EXIT_OK, EXIT_USAGE};
use crate::connect::{self as lib, Changed, ConnectError, Connections};
use crate::PolicyName;

/// `APP:PLUG` (or `FRAMEWORK:INTERFACE`) split at its last `:`.
fn split<'a>(s: &'a str, what: &str, ctx: &mut Ctx<'_>) -> Result<(&'a str, &'a str), u8> {
    match s.rsplit_once(':') {
        Some((a, b)) if !a.is_empty() && !b.is_empty() => Ok((a, b)),
        _ => {
            ctx.say(format_args!(
                "error: `{}` is not {what}",
                s.escape_default()
            ));
            ctx.say(format_args!(
                "help: write {what}, e.g. org.example.app:docker"
            ));
            Err(EXIT_USAGE)
        }
    }
}

/// Report a refused connection change (or removal): the store's errors as the store
/// commands report them, the installed source's diagnostics when it no longer loads.
pub(super) fn connect_error(e: &ConnectError, global: &GlobalArgs, ctx: &mut Ctx<'_>) -> u8 {
    match e {
        ConnectError::Store(s) => return store_error(s, ctx),
        ConnectError::Load { failed, .. } => {
            render::emit(
                ctx,
                global.error_format,
                &failed.diagnostics,
                &failed.sources,
            );
        }
        _ => {}
    }
    ctx.say(format_args!("error: {e}"));
    if let ConnectError::Compile(c) = e {
        if let Some(h) = c.help() {
            ctx.say(format_args!("help: {h}"));
        }
    }
    if let Some(h) = e.help() {
        ctx.say(format_args!("help: {h}"));
    }
    if matches!(e, ConnectError::Load { .. } | ConnectError::Compile(_)) {
        ctx.say("help: the app stays at its current generation");
    }
    EXIT_FINDINGS
}

/// `polc connect APP:PLUG [FRAMEWORK:INTERFACE]`.
pub fn connect(args: &ConnectArgs, global: &GlobalArgs, ctx: &mut Ctx<'_>) -> u8 {
    let framework = match &args.slot {
        Some(slot) => match split(slot, "FRAMEWORK:INTERFACE", ctx) {
            Ok((f, iface)) => {
                if args.plug.plug.rsplit_once(':').map(|(_, p)| p) != Some(iface) {
                    ctx.say(format_args!(
                        "error: interface `{}` is not the plug `{}`",
                        iface.escape_default(),
                        args.plug.plug.escape_default()
                    ));
                    ctx.say("help: an app's plug connects to the interface of the same name");
                    return EXIT_USAGE;
                }
                Some(f)
            }
            Err(code) => return code,
        },
        None => None,
    };
    change(&args.plug, framework, true, global, ctx)
}

/// `polc disconnect APP:PLUG`.
pub fn disconnect(args: &PlugArgs, global: &GlobalArgs, ctx: &mut Ctx<'_>) -> u8 {
    change(args, None, false, global, ctx)
}

fn change(
    args: &PlugArgs,
    framework: Option<&str>,
    on: bool,
    global: &GlobalArgs,
    ctx: &mut Ctx<'_>,
) -> u8 {
    let (app, plug) = match split(&args.plug, "APP:PLUG", ctx) {
        Ok(x) => x,
        Err(code) => return code,
    };
    if !global.vars.is_empty() || !global.connect.is_empty() {
        ctx.say("error: --var and --connect do not apply here");
        ctx.say(
            "help: a connection reuses the variables recorded at install and the app's \
             other connections; install the app again to change them",
        );
        return EXIT_USAGE;
    }
    let app = match name(app, ctx) {
        Ok(n) => n,
        Err(code) => return code,
    };
    let load_opts = match prepare(global, ctx) {
        Ok(o) => o,
        Err(code) => return code,
    };
    let compile_opts = match report::options(&args.backend, ctx) {
        Ok(o) => o,
        Err(code) => return code,
    };
    let store = match open(&args.store, ctx) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let done = match (on, framework) {
        (true, Some(f)) => lib::connect_to(&store, &app, plug, f, &load_opts, &compile_opts),
        (true, None) => lib::connect(&store, &app, plug, &load_opts, &compile_opts),
        (false, _) => lib::disconnect(&store, &app, plug, &load_opts, &compile_opts),
    };
    match done {
        Ok(changed) => said(&changed, &app, plug, on, args, global, ctx),
        Err(e) => connect_error(&e, global, ctx),
    }
}

/// What a change did: the report of the new generation, then one line.
fn said(
    changed: &Changed,
    app: &PolicyName,
    plug: &str,
    on: bool,
    args: &PlugArgs,
    global: &GlobalArgs,
    ctx: &mut Ctx<'_>,
) -> u8 {
    let framework = changed
        .connections
        .plugs
        .iter()
        .find(|p| p.interface == plug)
        .map_or("?", |p| p.framework.as_str());
    let verb = if on { "connected" } else { "disconnected" };
    let Some(generation) = changed.generation else {
        let _ = writeln!(
            ctx.stdout,
            "{app}:{plug} is already {verb} ({framework}:{plug}); generation {} stays current",
            changed.connections.generation
        );
        return EXIT_OK;
    };
    if let Some(r) = &changed.report {
        let code = report::print(r, &args.backend, &args.report_file, None, global, ctx);
        report::say_summary(r, app.as_str(), global.error_format, ctx);
        if code != EXIT_OK {
            return code;
        }
    }
    let _ = writeln!(
        ctx.stdout,
        "{verb} {app}:{plug} {} {framework}:{plug}: generation {generation}",
        if on { "to" } else { "from" }
    );
    EXIT_OK
}

fn print_connections(c: &Connections, out: &mut String) {
    out.push_str(&format!("{}  generation {}\n", c.app, c.generation));
    for p in &c.plugs {
        let state = match (p.connected, p.since) {
            (true, Some(g)) => format!("connected since generation {g}"),
            (true, None) => "connected".to_string(),
            (false, _) => "not connected".to_string(),
        };
        out.push_str(&format!(
            "  {:<20} {}:{}{}  {state}\n",
            p.interface,
            p.framework,
            p.interface,
            if p.auto { " (auto)" } else { "" },
        ));
    }
}

/// `polc connections [APP]`.
pub fn connections(args: &ConnectionsArgs, global: &GlobalArgs, ctx: &mut Ctx<'_>) -> u8 {
    let store = match open_read_only(&args.store, ctx) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let all: Vec<Connections> = match &args.name {
        Some(n) => {
            let n = match name(n, ctx) {
                Ok(n) => n,
                Err(code) => return code,
            };
            match lib::connections(&store, &n) {
                Ok(c) => vec![c],
                Err(e) => return connect_error(&e, global, ctx),
            }
        }
        None => match lib::all_connections(&store) {
            Ok(all) => all,
            Err(e) => return store_error(&e, ctx),
        },
    };
    if args.format == OutputFormat::Json {
        // One app: its object (as `polc show`); every app: a list (as `polc list`).
        return match (&args.name, all.first()) {
            (Some(_), Some(one)) => emit_json(one, ctx),
            _ => emit_json(&all, ctx),
        };
    }
    let mut out = String::new();
    for c in &all {
        print_connections(c, &mut out);
    }
    if all.is_empty() {
        out.push_str("no apps installed\n");
    }
    let _ = ctx.stdout.write_all(render::sanitize(&out).as_bytes());
    EXIT_OK
}
