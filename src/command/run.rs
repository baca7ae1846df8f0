//! `polc run FILE -- CMD ARGS...`: start a command confined by a policy.
//!
//! Exit status: the command's own (128 + the signal that killed it), or, as `env` and
//! `timeout` do, 125 when polc itself fails (the policy has errors, it cannot be
//! confined as asked), 126 when the command cannot be executed and 127 when it is not
//! found. The command is never started unconfined.

use super::check::load_policy;
use super::{render, report, Ctx, GlobalArgs, OutputFormat, RunArgs};
use crate::confine::{self, Error, Options};

/// polc's own failure.
pub const EXIT_POLC: u8 = 125;
/// The command exists but cannot be executed.
pub const EXIT_CANNOT_EXEC: u8 = 126;
/// The command is not found.
pub const EXIT_NOT_FOUND: u8 = 127;

/// Run the command confined; returns the exit code described above.
///
/// `--report json` writes the confinement status as one JSON document on one line of
/// stderr, without the `polc: ` prefix, before the command starts (the command's own
/// stderr follows); `--report human` writes what confines the command and the fidelity
/// report: for Landlock, of what the running kernel enforces; for AppArmor and SELinux,
/// of the policy compiled with the same options (what `polc install` loads).
pub fn run(args: &RunArgs, global: &GlobalArgs, ctx: &mut Ctx<'_>) -> u8 {
    let (policy, installed_lsm) = match (&args.installed, &args.file) {
        (Some(name), _) => match installed(name, args, ctx) {
            Ok(x) => x,
            Err(code) => return code,
        },
        (None, Some(file)) => match load_policy(file, global, ctx) {
            Ok(l) => (l.policy, None),
            Err(_) => return EXIT_POLC,
        },
        (None, None) => {
            ctx.say("error: name a policy file or --installed NAME");
            return EXIT_POLC;
        }
    };
    let compile_opts = match report::options(&args.backend, ctx) {
        Ok(o) => o,
        Err(_) => return EXIT_POLC,
    };
    let mut options = Options {
        lsm: args.lsm.map(Into::into).or(installed_lsm),
        pass_fds: args.pass_fds.clone(),
        ..Options::default()
    };
    options.landlock = crate::compile::landlock_config(&compile_opts);
    options.landlock_enforce.log_denials = !args.no_log_denials;
    let (mut cmd, status) = match confine::command(&policy, &args.command, &options) {
        Ok(x) => x,
        Err(e) => return fail(&e, ctx),
    };
    if let confine::Detail::Landlock(l) = &status.detail {
        if !l.denials_logged && !args.no_log_denials && l.kernel_abi > 0 {
            ctx.say(format_args!(
                "note: this kernel's Landlock (ABI {}) cannot log denials after exec (ABI {} \
                 can): the command's denials are not logged",
                l.kernel_abi,
                polc_landlock::LOG_DENIALS_ABI
            ));
        }
    }
    if let Some(format) = args.backend.report {
        let text = report_text(&status, &policy, &compile_opts, format);
        let _ = ctx.stderr.write_all(text.as_bytes());
    }
    let _ = ctx.stderr.flush();
    let program = args
        .command
        .first()
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default();
    match confine::spawn_and_wait(&mut cmd) {
        Ok(exit) => {
            let ran = confine::Ran { status, exit };
            u8::try_from(ran.code()).unwrap_or(EXIT_POLC)
        }
        Err(source) => fail(&Error::Spawn { program, source }, ctx),
    }
}

/// The effective policy of an installed policy's current generation and its LSM.
fn installed(
    name: &str,
    args: &RunArgs,
    ctx: &mut Ctx<'_>,
) -> Result<(polc_lang::ir::Policy, Option<crate::Lsm>), u8> {
    let fail = |ctx: &mut Ctx<'_>, e: &dyn std::fmt::Display| {
        ctx.say(format_args!("error: {e}"));
        EXIT_POLC
    };
    let name = crate::PolicyName::new(name).map_err(|e| fail(ctx, &e))?;
    let store =
        crate::store::Store::open_read_only(crate::store::StoreConfig::new(&args.store.root))
            .map_err(|e| fail(ctx, &e))?;
    let (current, policy) =
        crate::connect::installed_policy(&store, &name).map_err(|e| fail(ctx, &e))?;
    if let Some(l) = args.lsm.map(crate::Lsm::from) {
        if l != current.info.lsm {
            ctx.say(format_args!(
                "error: `{name}` is installed for {}, not {l}",
                current.info.lsm
            ));
            return Err(EXIT_POLC);
        }
    }
    Ok((policy, Some(current.info.lsm)))
}

/// What `--report FORMAT` prints before the command starts (see [`run`]).
pub fn report_text(
    status: &confine::Status,
    policy: &polc_lang::ir::Policy,
    compile_opts: &crate::compile::CompileOptions,
    format: OutputFormat,
) -> String {
    if format == OutputFormat::Json {
        let mut text = serde_json::to_string(status).unwrap_or_default();
        text.push('\n');
        return text;
    }
    let mut text = format!(
        "confined by {} as `{}` ({})\n",
        status.lsm,
        render::sanitize(&status.name),
        if status.enforcing {
            "enforcing"
        } else {
            "not enforcing: violations are only logged"
        }
    );
    if let confine::Detail::Landlock(l) = &status.detail {
        text.push_str(&report::human(&l.report));
    } else {
        // The kernel holds the installed profile or module: the report is that of the
        // policy compiled now with the same options, which is what `polc install` loads.
        match crate::compile::compile(policy, status.lsm, compile_opts) {
            Ok(a) => text.push_str(&report::human(&a.report)),
            Err(e) => text.push_str(&format!(
                "no fidelity report: {}\n",
                render::sanitize(&e.to_string())
            )),
        }
    }
    text
}

fn fail(e: &Error, ctx: &mut Ctx<'_>) -> u8 {
    ctx.say(format_args!("error: {e}"));
    if let Some(h) = e.advice() {
        ctx.say(format_args!("help: {h}"));
    }
    match e {
        Error::NotFound { .. } => EXIT_NOT_FOUND,
        Error::ExecDenied { .. } => EXIT_CANNOT_EXEC,
        Error::Spawn { source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
            EXIT_NOT_FOUND
        }
        Error::Spawn { source, .. } if source.kind() == std::io::ErrorKind::PermissionDenied => {
            EXIT_CANNOT_EXEC
        }
        _ => EXIT_POLC,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use crate::confine::{Detail, Status};
    use crate::Lsm;

    #[test]
    fn the_human_report_under_apparmor_has_the_fidelity_report() {
        let src = polc_lang::Source::new(
            "t.pol",
            "policy org.example.app {\n    allow read \"/srv/**\"\n    allow net bind tcp 8080\n}\n",
        );
        let policy = polc_lang::load(&src, &polc_lang::LoadOptions::default())
            .map_err(|_| "errors")
            .unwrap()
            .policy;
        let status = Status {
            lsm: Lsm::AppArmor,
            name: "org.example.app".into(),
            enforcing: true,
            detail: Detail::AppArmor(polc_apparmor::ExecStatus {
                profile: "org.example.app".into(),
                mode: "enforce".into(),
                interface: "/proc/thread-self/attr/apparmor/exec".into(),
            }),
        };
        let opts = crate::compile::CompileOptions::default();
        let text = report_text(&status, &policy, &opts, OutputFormat::Human);
        assert!(
            text.starts_with(
                "confined by apparmor as `org.example.app` (enforcing)\nfidelity (apparmor "
            ),
            "{text}"
        );
        assert!(
            text.contains("widened     allow net bind tcp 8080"),
            "{text}"
        );
        let json = report_text(&status, &policy, &opts, OutputFormat::Json);
        let v: serde_json::Value = serde_json::from_str(json.trim_end()).unwrap();
        assert_eq!(v["detail"]["mode"], "enforce");
        assert_eq!(json.lines().count(), 1);
    }
}
