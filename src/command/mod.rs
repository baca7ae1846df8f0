//! The `polc` command-line tool: its arguments and one function per subcommand.
//!
//! `main` parses the arguments and calls [`run`]; each subcommand is a function taking
//! its arguments and a [`Ctx`] (standard streams and rendering choices), returning the
//! exit code, so tests can call them directly with in-memory streams.
//!
//! Exit codes: [`EXIT_OK`] (0) success, [`EXIT_FINDINGS`] (1) the policy has errors (or
//! `fmt --check` found files to reformat), [`EXIT_USAGE`] (2) bad usage or an I/O error.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

pub mod abstractions;
pub mod audit;
pub mod check;
pub mod compile;
pub mod connect;
pub mod deploy;
pub mod diff;
pub mod explain;
pub mod explain_ext;
pub mod fmt;
pub mod gen_bench;
pub mod import;
pub mod input;
pub mod learn;
pub mod progress;
pub mod render;
pub mod report;
pub mod run;
pub mod shell;
pub mod store_cmd;
pub mod suggest;
pub mod trace;

/// Success (warnings do not change it).
pub const EXIT_OK: u8 = 0;
/// Errors found in a policy, or files `fmt --check` would change.
pub const EXIT_FINDINGS: u8 = 1;
/// Bad usage, or a file that cannot be read or written.
pub const EXIT_USAGE: u8 = 2;

const ABOUT: &str = "Check, format, explain and compile mandatory-access-control policies";

const LONG_ABOUT: &str = "\
polc compiles one policy language for AppArmor, SELinux and Landlock.

A policy says what a program may do: which paths it may read, write or execute,
which ports it may connect to or bind, which capabilities and signals it may use.
Everything not allowed is denied, and a `deny` wins over any `allow`.";

const EXAMPLES: &str = "\
Examples:
  Check policies (exit 1 on errors; warnings do not fail):
    polc check examples/webapp.pol examples/converter.pol
  Same, with machine-readable diagnostics, one JSON object per line on stderr:
    polc --error-format json check examples/webapp.pol
  Reformat in place, or list the files that are not formatted:
    polc fmt examples/*.pol
    polc fmt --check examples/*.pol
  Why may the app read this file? Which rule decides, and where is it written?
    polc explain examples/webapp.pol --path /etc/ssl/private/key.pem --access read
    polc explain examples/webapp.pol --net connect:tcp:443
  Give an install-time variable a value and add a directory of abstractions:
    polc check --var state_dir=/srv/webapp --abstractions ./site app.pol
  Which abstractions can a policy use, and what does one grant on each backend?
    polc abstractions list
    polc abstractions show network-client
  What does the new version allow that the old one did not? (exit 1 when it grants more)
    polc diff --fail-on broaden v1/webapp.pol v2/webapp.pol
  Which rule made the kernel log this denial, and what rule would allow it?
    polc explain examples/webapp.pol --denial 'apparmor=\"DENIED\" operation=\"open\" ...'
  Propose rules from an audit log, or learn them by running the program under Landlock:
    journalctl -k | polc suggest --from-log - app.pol
    polc learn --iterations 3 --write app.pol -- app --serve /srv/app
  Compile to the IR, the backend-neutral model, as stable JSON:
    polc compile examples/webapp.pol --target ir -o webapp.ir.json

Shell completions and manual pages:
    polc completions bash > /usr/share/bash-completion/completions/polc
    polc man | man -l -

Exit status: 0 success (warnings allowed), 1 errors in a policy or files to
reformat, 2 bad usage or a file that cannot be read or written.
Documentation: `man polc` and `man polc-COMMAND`; the guides (cli.md, language.md)
are in share/doc/polc/ where polc is installed, and in docs/ of polc's source.";

/// The `polc` command line.
#[derive(Debug, Parser)]
#[command(
    name = "polc",
    version,
    about = ABOUT,
    long_about = LONG_ABOUT,
    after_help = EXAMPLES,
    propagate_version = true
)]
pub struct Cli {
    /// Options every subcommand takes.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// The subcommand.
    #[command(subcommand)]
    pub command: Command,
}

/// Options every subcommand takes.
#[derive(Debug, Clone, Default, Args)]
pub struct GlobalArgs {
    /// How to print diagnostics on stderr: `human` (drawn with the source snippet) or
    /// `json` (one object per line).
    #[arg(long, global = true, value_enum, default_value_t = ErrorFormat::Human)]
    pub error_format: ErrorFormat,

    /// Give an install-time variable a value, overriding its `var` default
    /// (repeatable).
    #[arg(long = "var", global = true, value_name = "NAME=VALUE", value_parser = parse_var)]
    pub vars: Vec<(String, String)>,

    /// Connect an app's plugged interface, by the name it plugs (repeatable; `auto`
    /// interfaces are connected without it).
    #[arg(long = "connect", global = true, value_name = "PLUG")]
    pub connect: Vec<String>,

    /// Read the `*.pol` abstraction files of DIR, which override the built-in ones and
    /// those of /usr/share/polc/abstractions and /etc/polc/abstractions (repeatable; a
    /// later DIR overrides an earlier one).
    #[arg(long = "abstractions", global = true, value_name = "DIR")]
    pub abstractions: Vec<PathBuf>,

    /// When to colour diagnostics on stderr: `auto` (only on a terminal, and not when
    /// NO_COLOR is set), `always` or `never`
    #[arg(long, global = true, value_enum, value_name = "WHEN", default_value_t = ColorWhen::Auto)]
    pub color: ColorWhen,

    /// Standard error is a terminal (set by `main`, not an option): progress lines are
    /// drawn only then.
    #[arg(skip)]
    pub stderr_is_terminal: bool,
}

/// When to colour output (`--color`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum ColorWhen {
    /// On a terminal, unless NO_COLOR is set to a non-empty value
    #[default]
    Auto,
    /// Always, even in a pipe or with NO_COLOR
    Always,
    /// Never
    Never,
}

impl ColorWhen {
    /// Colour or not, given whether the stream is a terminal and the value of NO_COLOR
    /// (<https://no-color.org>: set and non-empty turns colours off; an explicit
    /// `--color always` wins over it).
    pub fn resolve(self, terminal: bool, no_color: Option<&std::ffi::OsStr>) -> bool {
        match self {
            ColorWhen::Always => true,
            ColorWhen::Never => false,
            ColorWhen::Auto => terminal && no_color.is_none_or(|v| v.is_empty()),
        }
    }

    /// The `--color` of a raw command line, before clap parses it (so clap's own help
    /// and errors follow it too); `auto` when absent or not understood.
    pub fn from_args(args: impl IntoIterator<Item = std::ffi::OsString>) -> ColorWhen {
        let mut when = ColorWhen::Auto;
        let mut args = args.into_iter();
        while let Some(a) = args.next() {
            let value = match a.to_str() {
                Some("--") => break,
                Some("--color") => args.next(),
                Some(s) => match s.strip_prefix("--color=") {
                    Some(v) => Some(v.into()),
                    None => continue,
                },
                None => continue,
            };
            if let Some(v) = value.as_ref().and_then(|v| v.to_str()) {
                when = ColorWhen::from_str(v, false).unwrap_or(when);
            }
        }
        when
    }
}

/// Diagnostic output formats.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum ErrorFormat {
    /// Drawn for people, with the source snippet; colours only on a terminal.
    #[default]
    Human,
    /// One JSON object per diagnostic, one per line.
    Json,
}

/// Output formats of `explain`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Text for people.
    #[default]
    Human,
    /// One JSON document.
    Json,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check policies: report every error and warning
    #[command(after_help = "Example:\n  polc check examples/webapp.pol\n\n\
        Exit status: 0 no errors (warnings allowed), 1 errors, 2 usage or I/O error.")]
    Check(CheckArgs),
    /// Format policies in the canonical style, in place
    #[command(after_help = "Examples:\n  polc fmt examples/webapp.pol\n  \
        polc fmt --check examples/*.pol\n  polc fmt - < app.pol > app.formatted.pol\n\n\
        Files are replaced atomically (a temporary file in the same directory, then a rename);\n\
        a device or FIFO is written in place.\n\
        Exit status: 0 done, 1 syntax errors or (with --check) files to reformat, 2 usage or I/O error.")]
    Fmt(FmtArgs),
    /// Explain why a request is allowed or denied, and by which rules
    #[command(after_help = "Examples:\n  \
        polc explain examples/webapp.pol --path /etc/ssl/private/key.pem --access read\n  \
        polc explain examples/webapp.pol --path /usr/bin/convert --access exec\n  \
        polc explain examples/webapp.pol --net bind:tcp:8081\n  \
        polc explain examples/webapp.pol --capability setuid\n  \
        polc explain --installed org.example.dockerctl --path /run/docker.sock --access write\n  \
        polc explain examples/webapp.pol --signal send:kill:self --format json\n  \
        polc explain examples/webapp.pol --path /etc/ssl/certs/ca.pem --access read --target apparmor\n  \
        polc explain examples/webapp.pol --denial 'type=AVC msg=audit(...): avc:  denied  { read } ...'\n  \
        ausearch -m AVC,1423 | polc explain examples/webapp.pol --denial -\n\n\
        Exit status: 0 explained (allowed or not), 1 the policy has errors, 2 usage or I/O error.")]
    Explain(ExplainArgs),
    /// Compare the meaning of two policies: what NEW grants that OLD did not, and the reverse
    #[command(after_help = "Examples:\n  \
        polc diff v1/webapp.pol v2/webapp.pol\n  \
        polc diff --fail-on broaden --format json v1/webapp.pol v2/webapp.pol\n  \
        polc diff --target apparmor --target landlock v1/webapp.pol v2/webapp.pol\n\n\
        Reformatting, reordering, splitting or merging rules, or moving them into an\n\
        abstraction changes nothing. See docs/diff.md.\n\
        Exit status: 0 same meaning, 1 different (with --fail-on broaden: NEW grants more),\n\
        2 a policy has errors, usage or I/O error.")]
    Diff(diff::DiffArgs),
    /// Compile a policy for a target
    #[command(
        after_help = "Examples:\n  polc compile examples/webapp.pol --target ir -o webapp.ir.json\n  \
        polc compile examples/webapp.pol --target apparmor --report human\n  \
        polc compile examples/webapp.pol --target apparmor --apparmor-abi 4.0 --strict\n  \
        polc compile examples/webapp.pol --target landlock --report json\n  \
        polc compile examples/webapp.pol --target spo-apparmor --report human\n  \
        polc compile examples/webapp.pol --target systemd --lsm landlock\n\n\
        Exit status: 0 compiled, 1 the policy has errors or strict mode refused it, 2 usage or I/O error."
    )]
    Compile(CompileArgs),
    /// Run a command confined by a policy
    #[command(
        after_help = "Examples:\n  polc run examples/viewer.pol -- cat /usr/share/doc/README\n  \
        polc run --lsm apparmor examples/webapp.pol -- /usr/bin/webapp\n  \
        polc run --installed org.example.dockerctl -- dockerctl ps\n\n\
        Landlock confines the command directly from the policy. AppArmor and SELinux start it\n\
        under the installed profile or domain (`polc install` first); if that is not loaded,\n\
        the command is not started. Exit status: the command's own; 125 when polc fails,\n\
        126 when the command cannot be executed, 127 when it is not found."
    )]
    Run(RunArgs),
    /// Compile a policy for the host's LSM, load it, and record it as a new generation
    #[command(after_help = "Examples:\n  polc install examples/webapp.pol\n  \
        polc install examples/webapp.pol --target apparmor --root /var/lib/polc\n\n\
        An upgrade is an install of a policy already installed: the previous generation stays\n\
        for `polc rollback`. If the kernel rejects the new generation, the old one stays loaded\n\
        and current. Exit status: 0 installed, 1 the policy has errors or was refused, 2 usage\n\
        or I/O error.")]
    Install(InstallArgs),
    /// Make the previous generation of an installed policy current again, reloading it
    #[command(after_help = "Example:\n  polc rollback org.example.webapp")]
    Rollback(NameArgs),
    /// Unload an installed policy and delete its generations
    #[command(after_help = "Example:\n  polc remove org.example.webapp")]
    Remove(NameArgs),
    /// Connect an installed app's plug: a new generation that holds the interface's grants
    #[command(after_help = "Examples:\n  \
        polc --abstractions examples/abstractions connect org.example.dockerctl:docker\n  \
        polc connect org.example.dockerctl:docker io.docker.engine:docker --root /var/lib/polc\n\n\
        The app's installed source is loaded again with the connection (frameworks are found on\n\
        the search path, as at install; the install-time variables are the recorded ones),\n\
        compiled for the generation's LSM, loaded, and made current: `polc rollback` restores\n\
        the previous connections with the previous kernel policy. Connecting a connected plug\n\
        changes nothing. Exit status: 0 connected (or already), 1 refused (not an app, no such\n\
        plug, another framework, the source no longer loads, the loader rejected it), 2 usage\n\
        or I/O error.")]
    Connect(ConnectArgs),
    /// Disconnect an installed app's plug: a new generation without the interface's grants
    #[command(after_help = "Example:\n  \
        polc --abstractions examples/abstractions disconnect org.example.dockerctl:docker\n\n\
        An `auto` interface cannot be disconnected. Disconnecting a plug that is not connected\n\
        changes nothing. Exit status as `polc connect`.")]
    Disconnect(PlugArgs),
    /// List an installed app's plugs: framework, interface, connected since which generation
    #[command(after_help = "Examples:\n  polc connections org.example.dockerctl\n  \
        polc connections --format json\n\n\
        Without a name, every installed app. Exit status: 0 listed, 1 not installed or not an\n\
        app, 2 usage or I/O error.")]
    Connections(ConnectionsArgs),
    /// List installed policies
    #[command(after_help = "Example:\n  polc list --root /var/lib/polc --format json")]
    List(ListArgs),
    /// Show an installed policy's generations
    #[command(after_help = "Example:\n  polc show org.example.webapp")]
    Show(NameArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell)
    #[command(after_help = "Examples:\n  \
        polc completions bash > ~/.local/share/bash-completion/completions/polc\n  \
        polc completions zsh > ~/.zfunc/_polc\n  \
        polc completions fish > ~/.config/fish/completions/polc.fish")]
    Completions(shell::CompletionsArgs),
    /// Print the manual page polc(1), or write every page into a directory
    #[command(after_help = "Examples:\n  polc man | man -l -\n  \
        polc man --dir /usr/local/share/man/man1")]
    Man(shell::ManArgs),
    /// List the abstractions on the search path, or show what one grants and how each
    /// backend enforces it
    #[command(after_help = "Examples:\n  polc abstractions list\n  \
        polc abstractions show tmp\n  \
        polc --abstractions ./site abstractions show site-logging --format json\n\n\
        Search path, later overrides earlier: the built-in abstractions,\n\
        /usr/share/polc/abstractions, /etc/polc/abstractions (POLC_ABSTRACTIONS_PATH, `:`\n\
        separated, replaces these two), then each --abstractions DIR in order.")]
    Abstractions(abstractions::AbstractionsArgs),
    /// Import a profile written for another system as a polc policy
    #[command(
        after_help = "Examples:\n  polc import apparmor /etc/apparmor.d/usr.sbin.dnsmasq -o dnsmasq.pol\n  \
        polc import apparmor -I /etc/apparmor.d --report json --strict profile\n\n\
        Every source rule (includes expanded) is reported: exact, approximated (how) or not\n\
        importable (why); see docs/import.md.\n\
        Exit status: 0 imported, 1 the profile cannot be read as AppArmor syntax, the result\n\
        does not check, or (with --strict) a rule is not exact, 2 usage or I/O error."
    )]
    Import(import::ImportArgs),
    /// Propose rules for the denials of an audit log (AppArmor, SELinux, Landlock)
    #[command(
        after_help = "Examples:\n  polc suggest --from-log /var/log/audit/audit.log app.pol\n  \
        ausearch -m AVC,1423 -i | polc suggest --from-log - app.pol\n  \
        journalctl -k | polc suggest --from-log - app.pol --write\n\n\
        Proposes rules, not raw paths: rights merged per path, /proc/PID as /proc/${pid}, a\n\
        home directory as ${home}, library versions and temporary names as globs, a\n\
        package's tree for reads in it, DIR/** for a directory the program creates in,\n\
        DIR/* past 4 entries of one directory; never /**, a top-level directory or every\n\
        capability. What a deny rule refuses is named (FILE:LINE), not proposed; what polc\n\
        cannot express and records of other policies are listed. --write adds the rules as\n\
        a commented block at the end of the policy and prints the polc diff. See docs/cli.md.\n\
        Exit status: 0 proposed (or written), 1 the policy has errors, 2 usage or I/O error\n\
        or no denial record in the log."
    )]
    Suggest(suggest::SuggestArgs),
    /// Run a command under Landlock with a policy and propose rules for what it was refused
    #[command(
        after_help = "Examples:\n  polc learn app.pol -- tar -cf /tmp/a.tar -C /srv/data .\n  \
        polc learn --iterations 3 --write app.pol -- git -C /tmp/repo commit -m x\n\n\
        Each run is `polc run --lsm landlock` with denial logging; the kernel's audit records\n\
        of the run's Landlock domain are read from the audit netlink socket (polc enables the\n\
        audit for the run when it is off; root needed) and turned into rules as `polc suggest`\n\
        does. With --iterations N the command runs again under the rules learned so far, until\n\
        a run has no denial or nothing new is learned. The command's stdout goes to stderr.\n\
        Exit status: 0 the command's last run succeeded, 1 it still failed or the policy has\n\
        errors, 2 usage or I/O error, or the host cannot show Landlock denials (no Landlock,\n\
        an ABI below 7, no access to the audit records)."
    )]
    Learn(learn::LearnArgs),
    /// Write a generated policy of N rules (for benchmarks)
    #[command(hide = true)]
    GenBench(GenBenchArgs),
}

/// `polc check FILE...`
#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    /// Policy files (`.pol` text or `.json` form)
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

/// `polc fmt [--check] FILE...`
#[derive(Debug, Clone, Args)]
pub struct FmtArgs {
    /// Do not write: print the files that would change and exit 1 if there are any
    #[arg(long)]
    pub check: bool,
    /// Policy files; `-` reads standard input and writes standard output
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

/// `polc explain FILE (--path PATH --access RIGHT | --net SPEC | --capability NAME | --signal SPEC)`
#[derive(Debug, Clone, Args)]
#[command(group(
    clap::ArgGroup::new("request")
        .required(true)
        .args(["path", "net", "capability", "signal", "unix", "net_family", "dbus", "denial"])
))]
pub struct ExplainArgs {
    /// The policy file
    #[arg(value_name = "FILE", required_unless_present = "installed")]
    pub file: Option<PathBuf>,
    /// Explain with the current generation of an installed policy instead of a file: its
    /// effective policy, an app's connections named with the generation that made them
    #[arg(long, value_name = "NAME", conflicts_with = "file")]
    pub installed: Option<String>,
    /// The store (with --installed).
    #[command(flatten)]
    pub store: StoreArgs,
    /// An absolute path to ask about (with --access)
    #[arg(long, value_name = "PATH", requires = "access")]
    pub path: Option<String>,
    /// The right asked for on --path: read, write, append, create, delete, list, exec,
    /// map-exec, lock, link or rename
    #[arg(long, value_name = "RIGHT", requires = "path")]
    pub access: Option<String>,
    /// The process owns the file at --path (its fsuid is the file's owner): `owner`
    /// rules apply
    #[arg(long, requires = "path")]
    pub owner: bool,
    /// A network operation, OP:PROTO:PORT (e.g. connect:tcp:443, bind:udp6:53; tcp and udp ask for IPv4 and IPv6)
    #[arg(long, value_name = "OP:PROTO:PORT")]
    pub net: Option<String>,
    /// A capability, lowercase without CAP_ (e.g. net_bind_service)
    #[arg(long, value_name = "NAME")]
    pub capability: Option<String>,
    /// A signal, DIRECTION:SIGNAL:PEER (e.g. send:term:org.example.worker,
    /// receive:hup:self)
    #[arg(long, value_name = "DIR:SIGNAL:PEER")]
    pub signal: Option<String>,
    /// A unix-socket operation, OP:TYPE:PEER:ADDRESS (e.g.
    /// connect:stream:self:/run/app.sock, send:dgram:unconfined:@app); ADDRESS is a
    /// path, @name or anonymous
    #[arg(long, value_name = "OP:TYPE:PEER:ADDRESS")]
    pub unix: Option<String>,
    /// A socket of a network family beyond inet, FAMILY[:PROTOCOL[:TYPE]] (e.g.
    /// netlink:route, netlink:route:dgram, raw6:icmpv6, packet)
    #[arg(long, value_name = "FAMILY[:PROTOCOL[:TYPE]]")]
    pub net_family: Option<String>,
    /// A D-Bus message, OP:BUS:PEER:PATH:INTERFACE:MEMBER:NAME (OP send or receive; an
    /// empty INTERFACE for a message without one; NAME the peer's bus name), or a name
    /// owned, bind:BUS:NAME
    #[arg(long, value_name = "OP:BUS:PEER:PATH:INTERFACE:MEMBER:NAME")]
    pub dbus: Option<String>,
    /// Kernel denial log lines (AppArmor `apparmor="DENIED"`, SELinux `avc:  denied`,
    /// Landlock `type=1423 ... blockers=`), one per line, `-` to read them from standard
    /// input: which rule refused each, and the rule to add. Other lines of an audit log
    /// are skipped
    #[arg(long, value_name = "LOG LINES")]
    pub denial: Option<String>,
    /// Decide the request in the child policy or hat NAME of the policy
    #[arg(long, value_name = "NAME", conflicts_with_all = ["denial", "targets"])]
    pub child: Option<String>,
    /// Output format
    #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
    pub format: OutputFormat,
    /// Backends
    #[command(flatten)]
    pub target: diff::TargetArgs,
}

/// Compilation targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Target {
    /// The IR: the backend-neutral model, as stable JSON
    Ir,
    /// An AppArmor profile (text for apparmor_parser)
    #[value(name = "apparmor")]
    AppArmor,
    /// An SELinux CIL module (for secilc or semodule)
    #[value(name = "selinux")]
    SeLinux,
    /// A Landlock ruleset plan (JSON)
    Landlock,
    /// A Kubernetes Security Profiles Operator AppArmorProfile (YAML; docs/deploy.md)
    #[value(name = "spo-apparmor")]
    SpoAppArmor,
    /// A Security Profiles Operator RawSelinuxProfile (YAML)
    #[value(name = "spo-selinux")]
    SpoSeLinux,
    /// A Pod whose securityContext uses the SPO profile of --lsm (YAML)
    #[value(name = "k8s-pod")]
    K8sPod,
    /// An SPO ProfileBinding of the AppArmorProfile to --image (YAML)
    ProfileBinding,
    /// An OCI runtime-spec process fragment for --lsm (JSON)
    Oci,
    /// docker/podman run options for --lsm
    SecurityOpt,
    /// A systemd unit drop-in for --lsm
    Systemd,
}

/// The LSMs a policy can be installed for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LsmArg {
    /// AppArmor, loaded with apparmor_parser
    #[value(name = "apparmor")]
    AppArmor,
    /// SELinux, loaded with semodule
    #[value(name = "selinux")]
    SeLinux,
    /// Landlock, applied when the program is started (`polc run`)
    Landlock,
}

impl From<LsmArg> for crate::Lsm {
    fn from(l: LsmArg) -> Self {
        match l {
            LsmArg::AppArmor => crate::Lsm::AppArmor,
            LsmArg::SeLinux => crate::Lsm::SeLinux,
            LsmArg::Landlock => crate::Lsm::Landlock,
        }
    }
}

/// Options of the backends.
#[derive(Debug, Clone, Args)]
pub struct BackendArgs {
    /// Fail when a rule would be widened or unsupported by the backend
    #[arg(long)]
    pub strict: bool,
    /// AppArmor ABI to target: 3.0 (Debian 12's parser and kernel) or 4.0 (port rules)
    #[arg(long, value_name = "ABI", default_value = "3.0")]
    pub apparmor_abi: String,
    /// Landlock ABI to plan for (1 to 7)
    #[arg(long, value_name = "N", default_value_t = polc_landlock::MAX_ABI)]
    pub landlock_abi: u8,
    /// Directory the Landlock plan resolves globs and denies against
    #[arg(long, value_name = "DIR", default_value = "/")]
    pub landlock_root: PathBuf,
    /// The target system's SELinux file_contexts file, to which paths the policy does
    /// not own resolve (Debian: /etc/selinux/default/contexts/files/file_contexts)
    #[arg(long, value_name = "PATH")]
    pub selinux_file_contexts: Option<PathBuf>,
    /// The target system's SELinux port contexts, as `seinfo --portcon -x POLICY` prints
    /// them, to which network rules resolve
    #[arg(long, value_name = "PATH")]
    pub selinux_port_contexts: Option<PathBuf>,
    /// A domain of the target that starts the program into the policy's SELinux domain,
    /// as TYPE:ROLE (repeatable; e.g. unconfined_t:unconfined_r on the reference policy).
    /// Executing the `attach` executable from it then enters the domain by itself
    #[arg(long, value_name = "TYPE:ROLE")]
    pub selinux_launcher: Vec<polc_selinux::Launcher>,
    /// An attribute of the target the module's types join, as KIND=ATTRIBUTE with KIND
    /// domain, file or port (repeatable; the reference policy: domain=domain,
    /// file=file_type, port=port_type). A domain attribute is reported as widening
    #[arg(long, value_name = "KIND=ATTRIBUTE")]
    pub selinux_attribute: Vec<polc_selinux::Attribute>,
    /// Print the per-rule fidelity report: human or json (compile and install: on
    /// stderr, or on stdout when -o names a file, or to --report-file)
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub report: Option<OutputFormat>,
}

/// Where `compile` and `install` write the fidelity report.
#[derive(Debug, Clone, Default, Args)]
pub struct ReportFileArgs {
    /// Write the fidelity report to PATH (`-`: stdout), apart from the diagnostics; in
    /// --report's format, json when --report is not given
    #[arg(long, value_name = "PATH")]
    pub report_file: Option<PathBuf>,
}

/// `polc compile FILE --target TARGET [-o OUT]`
#[derive(Debug, Clone, Args)]
pub struct CompileArgs {
    /// The policy file
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// What to produce
    #[arg(long, value_enum)]
    pub target: Target,
    /// Write here instead of standard output (a regular file atomically, a device or
    /// FIFO in place); `-` is standard output
    #[arg(short, long, value_name = "OUT")]
    pub output: Option<PathBuf>,
    /// Backend options.
    #[command(flatten)]
    pub backend: BackendArgs,
    /// Options of the deployment targets.
    #[command(flatten)]
    pub deploy: deploy::DeployArgs,
    /// The report's destination.
    #[command(flatten)]
    pub report_file: ReportFileArgs,
}

/// `polc run [--lsm LSM] FILE -- CMD ARGS...`
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// The LSM to confine with (default: the host's active LSM; Landlock when it is the
    /// only one)
    #[arg(long, value_enum)]
    pub lsm: Option<LsmArg>,
    /// The policy file
    #[arg(value_name = "FILE", required_unless_present = "installed")]
    pub file: Option<PathBuf>,
    /// Run under the current generation of an installed policy instead of a file: its
    /// effective policy (for an app, with its connections) as the store recorded it
    #[arg(long, value_name = "NAME", conflicts_with = "file")]
    pub installed: Option<String>,
    /// The store (with --installed).
    #[command(flatten)]
    pub store: StoreArgs,
    /// Backend options (`--report` prints what confines the child before it starts).
    #[command(flatten)]
    pub backend: BackendArgs,
    /// Keep file descriptor N open in the command (repeatable); every descriptor but
    /// 0, 1, 2 and these is closed
    #[arg(long = "pass-fd", value_name = "N")]
    pub pass_fds: Vec<i32>,
    /// Landlock: do not ask the kernel to log the command's denials (by default polc
    /// asks for them where Landlock ABI >= 7 can log denials after exec)
    #[arg(long)]
    pub no_log_denials: bool,
    /// The command and its arguments, after `--`
    #[arg(last = true, required = true, value_name = "CMD")]
    pub command: Vec<std::ffi::OsString>,
}

/// The store root option.
#[derive(Debug, Clone, Args)]
pub struct StoreArgs {
    /// The store's root directory
    #[arg(long, value_name = "DIR", default_value = crate::store::DEFAULT_ROOT)]
    pub root: PathBuf,
}

/// `polc install FILE [--root DIR] [--target LSM]`
#[derive(Debug, Clone, Args)]
pub struct InstallArgs {
    /// The policy file
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// The LSM to compile and load for (default: the host's active LSM)
    #[arg(long, value_enum)]
    pub target: Option<LsmArg>,
    /// The store.
    #[command(flatten)]
    pub store: StoreArgs,
    /// Backend options.
    #[command(flatten)]
    pub backend: BackendArgs,
    /// The report's destination.
    #[command(flatten)]
    pub report_file: ReportFileArgs,
}

/// `polc rollback|remove|show NAME [--root DIR]`
#[derive(Debug, Clone, Args)]
pub struct NameArgs {
    /// The policy's name (e.g. org.example.webapp)
    #[arg(value_name = "NAME")]
    pub name: String,
    /// The store.
    #[command(flatten)]
    pub store: StoreArgs,
    /// Output format
    #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
    pub format: OutputFormat,
}

/// `polc disconnect APP:PLUG`, and what `polc connect` takes too.
#[derive(Debug, Clone, Args)]
pub struct PlugArgs {
    /// The app and its plug, e.g. org.example.dockerctl:docker
    #[arg(value_name = "APP:PLUG")]
    pub plug: String,
    /// The store.
    #[command(flatten)]
    pub store: StoreArgs,
    /// Backend options.
    #[command(flatten)]
    pub backend: BackendArgs,
    /// The report's destination.
    #[command(flatten)]
    pub report_file: ReportFileArgs,
}

/// `polc connect APP:PLUG [FRAMEWORK:INTERFACE]`
#[derive(Debug, Clone, Args)]
pub struct ConnectArgs {
    /// The plug, the store and the backend options.
    #[command(flatten)]
    pub plug: PlugArgs,
    /// The framework's interface it connects to, e.g. io.docker.engine:docker (checked
    /// against the framework that provides the plug)
    #[arg(value_name = "FRAMEWORK:INTERFACE")]
    pub slot: Option<String>,
}

/// `polc connections [APP]`
#[derive(Debug, Clone, Args)]
pub struct ConnectionsArgs {
    /// The app (default: every installed app)
    #[arg(value_name = "APP")]
    pub name: Option<String>,
    /// The store.
    #[command(flatten)]
    pub store: StoreArgs,
    /// Output format
    #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
    pub format: OutputFormat,
}

/// `polc list [--root DIR]`
#[derive(Debug, Clone, Args)]
pub struct ListArgs {
    /// The store.
    #[command(flatten)]
    pub store: StoreArgs,
    /// Output format
    #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
    pub format: OutputFormat,
}

/// `polc gen-bench [--rules N] [-o OUT]`
#[derive(Debug, Clone, Args)]
pub struct GenBenchArgs {
    /// Number of rule statements
    #[arg(long, default_value_t = 10_000)]
    pub rules: usize,
    /// Write here (atomically) instead of standard output
    #[arg(short, long, value_name = "OUT")]
    pub output: Option<PathBuf>,
}

fn parse_var(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((name, value)) if !name.is_empty() => Ok((name.to_string(), value.to_string())),
        _ => Err(format!("`{s}` is not NAME=VALUE")),
    }
}

/// The world a subcommand runs in: its standard streams and how to render.
pub struct Ctx<'a> {
    /// Standard input (`fmt -`).
    pub stdin: &'a mut dyn Read,
    /// Standard output: the command's product.
    pub stdout: &'a mut dyn Write,
    /// Standard error: diagnostics and messages.
    pub stderr: &'a mut dyn Write,
    /// Draw human diagnostics in colour.
    pub color: bool,
    /// Width of human diagnostics, in columns.
    pub width: usize,
}

impl Ctx<'_> {
    /// Say something to the user on stderr (`polc: ...`), on one line: file names and
    /// other untrusted text in it cannot start a line of their own ([`render::sanitize_line`]).
    /// A failed write is ignored, since there is nowhere else to say it.
    pub fn say(&mut self, msg: impl std::fmt::Display) {
        let _ = writeln!(
            self.stderr,
            "polc: {}",
            render::sanitize_line(&msg.to_string())
        );
    }
}

/// Set by [`exit_after_run`].
static EXIT_AFTER_RUN: AtomicBool = AtomicBool::new(false);

/// Declare that the process exits as soon as [`run`] returns (the `polc` binary's `main`
/// calls it; tests and other callers of [`run`] do not). Then the last policy a command
/// loads is left to the exit instead of being freed ([`leave_to_exit`]).
pub fn exit_after_run() {
    EXIT_AFTER_RUN.store(true, Ordering::Relaxed);
}

/// Give up a value without freeing it when the process exits next ([`exit_after_run`]),
/// and drop it otherwise. The operating system takes back the memory at once when the
/// process exits, where freeing a loaded policy walks every one of its allocations (for
/// 10,000 rules, a twentieth of `polc check`'s instructions). Only for values that hold
/// memory and nothing else (no file, lock or buffered output to close or flush), and only
/// for the last one a command loads, so that memory never accumulates.
pub(crate) fn leave_to_exit<T>(value: T) {
    if EXIT_AFTER_RUN.load(Ordering::Relaxed) {
        std::mem::forget(value);
    } else {
        drop(value);
    }
}

/// Run a parsed command line.
pub fn run(cli: &Cli, ctx: &mut Ctx<'_>) -> u8 {
    match &cli.command {
        Command::Check(a) => check::run(a, &cli.global, ctx),
        Command::Fmt(a) => fmt::run(a, &cli.global, ctx),
        Command::Explain(a) => explain::run(a, &cli.global, ctx),
        Command::Diff(a) => diff::run(a, &cli.global, ctx),
        Command::Compile(a) => compile::run(a, &cli.global, ctx),
        Command::Run(a) => run::run(a, &cli.global, ctx),
        Command::Install(a) => store_cmd::install(a, &cli.global, ctx),
        Command::Rollback(a) => store_cmd::rollback(a, ctx),
        Command::Remove(a) => store_cmd::remove(a, &cli.global, ctx),
        Command::Connect(a) => connect::connect(a, &cli.global, ctx),
        Command::Disconnect(a) => connect::disconnect(a, &cli.global, ctx),
        Command::Connections(a) => connect::connections(a, &cli.global, ctx),
        Command::List(a) => store_cmd::list(a, ctx),
        Command::Show(a) => store_cmd::show(a, ctx),
        Command::Completions(a) => shell::completions(a, ctx),
        Command::Man(a) => shell::man(a, &cli.global, ctx),
        Command::Import(a) => import::run(a, &cli.global, ctx),
        Command::Abstractions(a) => abstractions::run(a, &cli.global, ctx),
        Command::Suggest(a) => suggest::run(a, &cli.global, ctx),
        Command::Learn(a) => learn::run(a, &cli.global, ctx),
        Command::GenBench(a) => gen_bench::run(a, ctx),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn color_follows_the_option_then_the_terminal_and_no_color() {
        use std::ffi::OsStr;
        let set = Some(OsStr::new("1"));
        let empty = Some(OsStr::new(""));
        assert!(ColorWhen::Auto.resolve(true, None));
        assert!(ColorWhen::Auto.resolve(true, empty));
        assert!(!ColorWhen::Auto.resolve(true, set));
        assert!(!ColorWhen::Auto.resolve(false, None));
        assert!(ColorWhen::Always.resolve(false, set));
        assert!(!ColorWhen::Never.resolve(true, None));
    }

    #[test]
    fn the_color_option_is_found_before_parsing() {
        let when = |args: &[&str]| ColorWhen::from_args(args.iter().map(|a| (*a).into()));
        assert_eq!(
            when(&["polc", "--color", "never", "check"]),
            ColorWhen::Never
        );
        assert_eq!(
            when(&["polc", "check", "--color=always"]),
            ColorWhen::Always
        );
        assert_eq!(when(&["polc", "check", "x.pol"]), ColorWhen::Auto);
        assert_eq!(
            when(&["polc", "run", "p", "--", "ls", "--color=never"]),
            ColorWhen::Auto
        );
        assert_eq!(when(&["polc", "--color", "bogus"]), ColorWhen::Auto);
    }
}
