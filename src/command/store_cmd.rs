//! `polc install|rollback|remove|list|show`: the transactional store from the command line.

use super::check::load_policy_below;
use super::{
    render, report, Ctx, GlobalArgs, InstallArgs, ListArgs, NameArgs, OutputFormat, StoreArgs,
};
use super::{EXIT_FINDINGS, EXIT_OK, EXIT_USAGE};
use crate::store::{
    AppArmorLoader, Loader, Lsm, NullLoader, Package, PolicyInfo, SeLinuxLoader, Store,
    StoreConfig, StoreError,
};
use crate::PolicyName;

fn loaders() -> Vec<Box<dyn Loader>> {
    vec![
        Box::new(AppArmorLoader::default()),
        Box::new(SeLinuxLoader::default()),
        Box::new(NullLoader::new(Lsm::Landlock)),
    ]
}

pub(super) fn open(args: &StoreArgs, ctx: &mut Ctx<'_>) -> Result<Store, u8> {
    Store::open(StoreConfig::new(&args.root), loaders()).map_err(|e| store_error(&e, ctx))
}

/// `list` and `show` never write: no repair, nothing created.
pub(super) fn open_read_only(args: &StoreArgs, ctx: &mut Ctx<'_>) -> Result<Store, u8> {
    Store::open_read_only(StoreConfig::new(&args.root)).map_err(|e| store_error(&e, ctx))
}

pub(super) fn store_error(e: &StoreError, ctx: &mut Ctx<'_>) -> u8 {
    ctx.say(format_args!("error: {e}"));
    match e {
        StoreError::Load { .. } => {
            ctx.say("help: the store and the kernel stay on the previous generation");
            EXIT_FINDINGS
        }
        StoreError::NotInstalled(_) | StoreError::NoPrevious(_) => EXIT_FINDINGS,
        StoreError::NotAStore { .. } => {
            ctx.say("help: name a polc store, or an empty or missing directory, with --root");
            EXIT_USAGE
        }
        StoreError::Corrupt { .. } => {
            ctx.say("help: the other policies of the store stay usable; `polc list` shows which are damaged");
            EXIT_FINDINGS
        }
        _ => EXIT_USAGE,
    }
}

pub(super) fn name(s: &str, ctx: &mut Ctx<'_>) -> Result<PolicyName, u8> {
    PolicyName::new(s).map_err(|e| {
        ctx.say(format_args!(
            "error: `{}` is not a policy name: {e}",
            s.escape_default()
        ));
        EXIT_USAGE
    })
}

/// `polc install FILE`: compile for the LSM, load, and record a new generation.
pub fn install(args: &InstallArgs, global: &GlobalArgs, ctx: &mut Ctx<'_>) -> u8 {
    // The host's LSM as `polc run` chooses it.
    let securityfs = std::path::Path::new("/sys/kernel/security");
    let lsm = match args.target.map(Lsm::from) {
        Some(l) => l,
        None => match crate::confine::active_lsm(securityfs) {
            Ok(l) => l,
            Err(e) => {
                ctx.say(format_args!("error: {e}"));
                ctx.say("help: name the LSM with --target");
                return EXIT_USAGE;
            }
        },
    };
    // Loading into an LSM the kernel does not run can only fail, with the loader's noise.
    if matches!(lsm, Lsm::AppArmor | Lsm::SeLinux)
        && !crate::confine::lsm_is_active(securityfs, lsm)
    {
        let name = match lsm {
            Lsm::SeLinux => "SELinux",
            _ => "AppArmor",
        };
        ctx.say(format_args!("error: {name} is not active on this kernel"));
        ctx.say(format_args!(
            "help: install on a system that runs {name}, or compile the policy with \
             `polc compile --target {lsm}` and load it there"
        ));
        return EXIT_USAGE;
    }
    // An app finds the frameworks of the policies installed in the store.
    let installed = match open_read_only(&args.store, ctx)
        .and_then(|s| crate::connect::installed_frameworks(&s).map_err(|e| store_error(&e, ctx)))
    {
        Ok(dir) => dir,
        Err(code) => return code,
    };
    let loaded = match load_policy_below(&args.file, global, Some(installed), ctx) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let opts = match report::options(&args.backend, ctx) {
        Ok(o) => o,
        Err(code) => return code,
    };
    let artifact = match crate::compile::compile(&loaded.policy, lsm, &opts) {
        Ok(a) => a,
        Err(e) => return report::error(&e, &args.backend, &args.report_file, None, global, ctx),
    };
    let code = report::print(
        &artifact.report,
        &args.backend,
        &args.report_file,
        None,
        global,
        ctx,
    );
    report::say_summary(
        &artifact.report,
        &super::input::source_name(&args.file),
        global.error_format,
        ctx,
    );
    if code != EXIT_OK {
        return code;
    }
    let source_name = super::input::source_name(&args.file);
    let mut pkg = Package::new(&loaded, &source_name, artifact);
    pkg.vars = global.vars.iter().cloned().collect();
    let store = match open(&args.store, ctx) {
        Ok(s) => s,
        Err(code) => return code,
    };
    match store.install(&pkg) {
        Ok(generation) => {
            let _ = writeln!(
                ctx.stdout,
                "installed {} generation {generation} for {lsm}",
                pkg.name
            );
            EXIT_OK
        }
        Err(e) => store_error(&e, ctx),
    }
}

/// `polc rollback NAME`.
pub fn rollback(args: &NameArgs, ctx: &mut Ctx<'_>) -> u8 {
    let (store, name) = match open(&args.store, ctx).and_then(|s| Ok((s, name(&args.name, ctx)?))) {
        Ok(x) => x,
        Err(code) => return code,
    };
    match store.rollback(&name) {
        Ok(g) => {
            let _ = writeln!(ctx.stdout, "{name} is back at generation {g}");
            EXIT_OK
        }
        Err(e) => store_error(&e, ctx),
    }
}

/// `polc remove NAME`.
pub fn remove(args: &NameArgs, global: &GlobalArgs, ctx: &mut Ctx<'_>) -> u8 {
    let (store, name) = match open(&args.store, ctx).and_then(|s| Ok((s, name(&args.name, ctx)?))) {
        Ok(x) => x,
        Err(code) => return code,
    };
    match crate::connect::remove(&store, &name) {
        Ok(()) => {
            let _ = writeln!(ctx.stdout, "removed {name}");
            EXIT_OK
        }
        Err(e) => super::connect::connect_error(&e, global, ctx),
    }
}

fn print_info(info: &PolicyInfo, out: &mut String) {
    if let Some(why) = &info.damaged {
        out.push_str(&format!("{}  damaged: {why}\n", info.name));
        return;
    }
    let lsm = info
        .generations
        .iter()
        .find(|g| g.generation == info.current)
        .map_or("?".to_string(), |g| g.lsm.to_string());
    let gens: Vec<String> = info
        .generations
        .iter()
        .map(|g| g.generation.to_string())
        .collect();
    out.push_str(&format!(
        "{}  current {}  {lsm}  generations {}\n",
        info.name,
        info.current,
        gens.join(",")
    ));
    if let Some(p) = &info.pending {
        out.push_str(&format!(
            "  pending: {p} (the next change to the store repairs it)\n"
        ));
    }
}

pub(super) fn emit_json<T: serde::Serialize>(v: &T, ctx: &mut Ctx<'_>) -> u8 {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    let _ = ctx.stdout.write_all(s.as_bytes());
    EXIT_OK
}

/// `polc list`: every policy, a damaged one reported as such (exit 1) after the others.
pub fn list(args: &ListArgs, ctx: &mut Ctx<'_>) -> u8 {
    let store = match open_read_only(&args.store, ctx) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let all = match store.list() {
        Ok(all) => all,
        Err(e) => return store_error(&e, ctx),
    };
    let code = if args.format == OutputFormat::Json {
        emit_json(&all, ctx)
    } else {
        let mut out = String::new();
        for info in &all {
            print_info(info, &mut out);
        }
        let _ = ctx.stdout.write_all(out.as_bytes());
        EXIT_OK
    };
    let damaged = all.iter().filter(|i| i.damaged.is_some()).count();
    if damaged > 0 {
        ctx.say(format_args!(
            "error: {damaged} damaged polic{} in the store",
            if damaged == 1 { "y" } else { "ies" }
        ));
        return EXIT_FINDINGS;
    }
    code
}

/// `polc show NAME`.
pub fn show(args: &NameArgs, ctx: &mut Ctx<'_>) -> u8 {
    let (store, name) =
        match open_read_only(&args.store, ctx).and_then(|s| Ok((s, name(&args.name, ctx)?))) {
            Ok(x) => x,
            Err(code) => return code,
        };
    match store.show(&name) {
        Ok(info) if args.format == OutputFormat::Json => emit_json(&info, ctx),
        Ok(info) => {
            let mut out = String::new();
            print_info(&info, &mut out);
            // File names and metadata come from the store's files: one line each.
            let line = |s: &str| render::sanitize_line(s);
            for g in &info.generations {
                out.push_str(&format!(
                    "  generation {}: {} from {} ({}), polc {}\n",
                    g.generation,
                    g.lsm,
                    line(&g.source_name),
                    line(&g.artifact_file),
                    line(&g.polc_version)
                ));
            }
            out.push_str(&format!(
                "  path: {}\n",
                line(&info.path.display().to_string())
            ));
            let _ = ctx.stdout.write_all(out.as_bytes());
            EXIT_OK
        }
        Err(e) => store_error(&e, ctx),
    }
}
