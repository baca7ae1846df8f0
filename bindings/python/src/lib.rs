//! `polc._native`: the extension module under the `polc` Python package.
//!
//! It is thin on purpose: every function calls the polc library (`polc::load`,
//! `polc::compile::compile`, `polc::explain`, the diff, the store, `polc::confine`) and
//! hands results back as JSON text (the same JSON the CLI prints with `--format json`),
//! which `polc/__init__.py` turns into typed Python objects. Errors are raised as the
//! exceptions below, each carrying a one-line message; the Python layer maps them to
//! its public exception classes.

use polc_facade::compile::{
    compile, read_selinux_file_contexts, read_selinux_port_contexts, Artifact, CompileOptions,
};
use polc_facade::confine::{self, Options};
use polc_facade::lang::diff::Report;
use polc_facade::sources;
use polc_facade::store::{
    AppArmorLoader, Loader, NullLoader, Package, SeLinuxLoader, Store as CoreStore, StoreConfig,
};
use polc_facade::text::diagnostic::{self as diagnostic_text, sanitize};
use polc_facade::text::{diff as diff_text, explain as explain_text};
use polc_facade::{explain, request, Diagnostic, LoadOptions, Loaded, Lsm, PolicyName, Source};
use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use std::collections::{BTreeMap, HashMap};
use std::ffi::OsString;
use std::path::Path;
use std::str::FromStr;

create_exception!(
    _native,
    NativeError,
    PyException,
    "Any failure of the polc library."
);
create_exception!(
    _native,
    LoadFailed,
    NativeError,
    "The policy did not load; args[0] is the JSON array of its diagnostics."
);
create_exception!(
    _native,
    InvalidArgument,
    NativeError,
    "An argument is malformed."
);
create_exception!(
    _native,
    CompileFailed,
    NativeError,
    "A backend refused the policy."
);
create_exception!(
    _native,
    StrictRefused,
    CompileFailed,
    "Strict mode refused widened or unsupported rules."
);
create_exception!(
    _native,
    StoreFailed,
    NativeError,
    "A store operation failed."
);
create_exception!(
    _native,
    NotInstalled,
    StoreFailed,
    "The store has no such policy, or no previous generation."
);
create_exception!(
    _native,
    ConfineFailed,
    NativeError,
    "A program could not be started confined."
);

/// One line: the error and, when the library has advice, `(help: ...)`.
fn with_help(e: &dyn std::fmt::Display, help: Option<&str>) -> String {
    match help {
        Some(h) => format!("{e} (help: {h})"),
        None => e.to_string(),
    }
}

/// The diagnostics as a JSON array, each with its line and column in its own file.
fn diagnostics_json(diags: &[Diagnostic], sources: &polc_facade::SourceMap) -> String {
    let items: Vec<String> = diags
        .iter()
        .map(|d| diagnostic_text::json(d, sources.get(&d.file)))
        .collect();
    format!("[{}]", items.join(","))
}

fn load_options(
    vars: HashMap<String, String>,
    abstraction_dirs: Vec<String>,
) -> PyResult<LoadOptions> {
    let mut opts = LoadOptions {
        vars: vars.into_iter().collect::<BTreeMap<_, _>>(),
        ..LoadOptions::default()
    };
    // The command line's search: the default directories (or POLC_ABSTRACTIONS_PATH),
    // then these, a later one overriding an earlier one.
    let dirs: Vec<std::path::PathBuf> = abstraction_dirs.iter().map(Into::into).collect();
    let read = sources::abstraction_search_path(&dirs)
        .map_err(|e| InvalidArgument::new_err(e.to_string()))?;
    opts.search_path = sources::search_path(&read);
    Ok(opts)
}

/// A loaded policy: its meaning (the IR), its warnings and the sources it came from.
#[pyclass(frozen, module = "polc._native")]
struct Policy {
    loaded: Loaded,
    source_name: String,
    /// The variables it was loaded with (recorded by the store on install).
    vars: std::collections::BTreeMap<String, String>,
}

/// Load a policy from its text (`name` ending in `.json`: the JSON form).
#[pyfunction]
#[pyo3(signature = (text, name, vars, abstraction_dirs))]
fn load(
    text: &str,
    name: &str,
    vars: HashMap<String, String>,
    abstraction_dirs: Vec<String>,
) -> PyResult<Policy> {
    let opts = load_options(vars, abstraction_dirs)?;
    let src = Source::new(name, text);
    match polc_facade::load(&src, &opts) {
        Ok(loaded) => Ok(Policy {
            loaded,
            source_name: name.to_string(),
            vars: opts.vars.clone(),
        }),
        Err(failed) => Err(LoadFailed::new_err(diagnostics_json(
            &failed.diagnostics,
            &failed.sources,
        ))),
    }
}

/// Every diagnostic of a source, errors and warnings, as a JSON array.
#[pyfunction]
#[pyo3(signature = (text, name, vars, abstraction_dirs))]
fn check(
    text: &str,
    name: &str,
    vars: HashMap<String, String>,
    abstraction_dirs: Vec<String>,
) -> PyResult<String> {
    let opts = load_options(vars, abstraction_dirs)?;
    let checked = polc_facade::check(&Source::new(name, text), &opts);
    Ok(diagnostics_json(&checked.diagnostics, &checked.sources))
}

fn lsm_arg(target: &str) -> PyResult<Lsm> {
    Lsm::from_str(target).map_err(|e| InvalidArgument::new_err(e.to_string()))
}

fn list_arg<T: FromStr>(items: Vec<String>, what: &str) -> PyResult<Vec<T>>
where
    T::Err: std::fmt::Display,
{
    items
        .iter()
        .map(|i| {
            i.parse()
                .map_err(|e| InvalidArgument::new_err(format!("`{what}`: {e}")))
        })
        .collect()
}

/// The compile options of the keyword arguments shared by `compile` and `install`.
fn compile_options(
    strict: bool,
    apparmor_abi: &str,
    landlock_abi: Option<u8>,
    selinux_file_contexts: Option<String>,
    selinux_port_contexts: Option<String>,
    selinux_launchers: Vec<String>,
    selinux_attributes: Vec<String>,
) -> PyResult<CompileOptions> {
    let defaults = CompileOptions::default();
    let contexts_err =
        |e: polc_facade::compile::ReadContextsError| InvalidArgument::new_err(e.to_string());
    Ok(CompileOptions {
        strict,
        apparmor_abi: apparmor_abi.parse().map_err(|_| {
            InvalidArgument::new_err(format!(
                "`{apparmor_abi}` is not an AppArmor ABI (`3.0` or `4.0`)"
            ))
        })?,
        landlock_abi: landlock_abi.unwrap_or(defaults.landlock_abi),
        selinux_file_contexts: selinux_file_contexts
            .map(|p| read_selinux_file_contexts(Path::new(&p)))
            .transpose()
            .map_err(contexts_err)?,
        selinux_port_contexts: selinux_port_contexts
            .map(|p| read_selinux_port_contexts(Path::new(&p)))
            .transpose()
            .map_err(contexts_err)?,
        selinux_launchers: list_arg(selinux_launchers, "selinux_launchers")?,
        selinux_attributes: list_arg(selinux_attributes, "selinux_attributes")?,
        ..defaults
    })
}

fn compiled(p: &Policy, target: &str, opts: &CompileOptions) -> PyResult<Artifact> {
    let lsm = lsm_arg(target)?;
    compile(&p.loaded.policy, lsm, opts).map_err(compile_err)
}

fn compile_err(e: polc_facade::compile::CompileError) -> PyErr {
    let msg = with_help(&e, e.help().as_deref());
    if e.is_strict() {
        StrictRefused::new_err(msg)
    } else {
        CompileFailed::new_err(msg)
    }
}

#[pymethods]
impl Policy {
    /// The policy's name.
    #[getter]
    fn name(&self) -> String {
        self.loaded.policy.name.as_str().to_string()
    }

    /// The warnings of the load, as a JSON array of diagnostics.
    fn warnings(&self) -> String {
        diagnostics_json(&self.loaded.warnings, &self.loaded.sources)
    }

    /// The IR as JSON (`polc compile --target ir`).
    fn ir_json(&self) -> String {
        self.loaded.policy.to_json()
    }

    /// Compile for `target`; returns (artifact text, artifact file name, fidelity report JSON).
    #[pyo3(signature = (target, strict, apparmor_abi, landlock_abi, selinux_file_contexts,
        selinux_port_contexts, selinux_launchers, selinux_attributes))]
    #[expect(
        clippy::too_many_arguments,
        reason = "the keyword arguments of the Python API, one each"
    )]
    fn compile(
        &self,
        target: &str,
        strict: bool,
        apparmor_abi: &str,
        landlock_abi: Option<u8>,
        selinux_file_contexts: Option<String>,
        selinux_port_contexts: Option<String>,
        selinux_launchers: Vec<String>,
        selinux_attributes: Vec<String>,
    ) -> PyResult<(String, String, String)> {
        let opts = compile_options(
            strict,
            apparmor_abi,
            landlock_abi,
            selinux_file_contexts,
            selinux_port_contexts,
            selinux_launchers,
            selinux_attributes,
        )?;
        let a = compiled(self, target, &opts)?;
        let report = serde_json::to_string(&a.report)
            .map_err(|e| NativeError::new_err(format!("cannot encode the report: {e}")))?;
        Ok((a.text, a.file_name, report))
    }

    /// Decide a request (`read /etc/hosts`, `net connect:tcp:443`, `capability chown`,
    /// `signal send:term:self`); returns (explanation JSON, the text `polc explain` prints).
    fn explain(&self, request: &str) -> PyResult<(String, String)> {
        let policy = &self.loaded.policy;
        let req = request::parse(request, policy.name.as_str())
            .map_err(|e| InvalidArgument::new_err(e.to_string()))?;
        let ex = explain(policy, &req);
        let json = serde_json::to_string(&ex)
            .map_err(|e| NativeError::new_err(format!("cannot encode the explanation: {e}")))?;
        Ok((json, sanitize(&explain_text::human(&ex))))
    }
}

/// What `new` grants that `old` did not, and the reverse: (JSON, text, changed).
#[pyfunction]
fn diff_policies(old: &Policy, new: &Policy) -> PyResult<(String, String, bool)> {
    let report = Report::of(&old.loaded, &new.loaded);
    let json = serde_json::to_string(&report)
        .map_err(|e| NativeError::new_err(format!("cannot encode the diff: {e}")))?;
    let text = sanitize(&diff_text::human(
        &report,
        &old.source_name,
        &new.source_name,
    ));
    Ok((json, text, report.differs()))
}

fn store_err(e: polc_facade::store::StoreError) -> PyErr {
    use polc_facade::store::StoreError as E;
    match e {
        E::NotInstalled(_) | E::NoPrevious(_) => NotInstalled::new_err(e.to_string()),
        _ => StoreFailed::new_err(e.to_string()),
    }
}

fn connect_err(e: polc_facade::connect::ConnectError) -> PyErr {
    use polc_facade::connect::ConnectError as E;
    match e {
        E::Store(e) => store_err(e),
        E::Load { failed, .. } => {
            LoadFailed::new_err(diagnostics_json(&failed.diagnostics, &failed.sources))
        }
        E::Compile(c) => compile_err(c),
        e => InvalidArgument::new_err(with_help(&e, e.help())),
    }
}

fn policy_name(name: &str) -> PyResult<PolicyName> {
    PolicyName::new(name).map_err(|e| {
        InvalidArgument::new_err(format!(
            "`{}` is not a policy name: {e}",
            name.escape_default()
        ))
    })
}

/// The transactional store: generations on disk, loaded into the kernel by the
/// backends' loaders (`apparmor_parser`, `semodule`; Landlock loads nothing). An open
/// store holds the store's lock (exclusive, or shared when read-only) until `close`.
#[pyclass(unsendable, module = "polc._native")]
struct Store {
    store: Option<CoreStore>,
}

impl Store {
    fn open(&self) -> PyResult<&CoreStore> {
        self.store
            .as_ref()
            .ok_or_else(|| StoreFailed::new_err("the store is closed"))
    }
}

#[pymethods]
impl Store {
    #[new]
    #[pyo3(signature = (root, read_only))]
    fn new(root: &str, read_only: bool) -> PyResult<Store> {
        let config = StoreConfig::new(root);
        let store = if read_only {
            CoreStore::open_read_only(config)
        } else {
            let loaders: Vec<Box<dyn Loader>> = vec![
                Box::new(AppArmorLoader::default()),
                Box::new(SeLinuxLoader::default()),
                Box::new(NullLoader::new(Lsm::Landlock)),
            ];
            CoreStore::open(config, loaders)
        }
        .map_err(store_err)?;
        Ok(Store { store: Some(store) })
    }

    /// Compile and install as a new generation, transactionally; returns its number.
    #[pyo3(signature = (policy, target, strict, apparmor_abi, landlock_abi,
        selinux_file_contexts, selinux_port_contexts, selinux_launchers, selinux_attributes))]
    #[expect(
        clippy::too_many_arguments,
        reason = "the keyword arguments of the Python API, one each"
    )]
    fn install(
        &self,
        policy: &Policy,
        target: &str,
        strict: bool,
        apparmor_abi: &str,
        landlock_abi: Option<u8>,
        selinux_file_contexts: Option<String>,
        selinux_port_contexts: Option<String>,
        selinux_launchers: Vec<String>,
        selinux_attributes: Vec<String>,
    ) -> PyResult<u64> {
        let opts = compile_options(
            strict,
            apparmor_abi,
            landlock_abi,
            selinux_file_contexts,
            selinux_port_contexts,
            selinux_launchers,
            selinux_attributes,
        )?;
        let a = compiled(policy, target, &opts)?;
        let mut pkg = Package::new(&policy.loaded, &policy.source_name, a);
        pkg.vars = policy.vars.clone();
        self.open()?.install(&pkg).map_err(store_err)
    }

    /// Connect (`on`) or disconnect an installed app's plug: a new generation, or none
    /// when the plug already is as asked; returns the connections as JSON.
    #[pyo3(signature = (name, plug, on, abstraction_dirs, strict, apparmor_abi, landlock_abi,
        selinux_file_contexts, selinux_port_contexts, selinux_launchers, selinux_attributes))]
    #[expect(
        clippy::too_many_arguments,
        reason = "the keyword arguments of the Python API, one each"
    )]
    fn set_plug(
        &self,
        name: &str,
        plug: &str,
        on: bool,
        abstraction_dirs: Vec<String>,
        strict: bool,
        apparmor_abi: &str,
        landlock_abi: Option<u8>,
        selinux_file_contexts: Option<String>,
        selinux_port_contexts: Option<String>,
        selinux_launchers: Vec<String>,
        selinux_attributes: Vec<String>,
    ) -> PyResult<String> {
        let opts = compile_options(
            strict,
            apparmor_abi,
            landlock_abi,
            selinux_file_contexts,
            selinux_port_contexts,
            selinux_launchers,
            selinux_attributes,
        )?;
        let load = load_options(HashMap::new(), abstraction_dirs)?;
        let (store, app) = (self.open()?, policy_name(name)?);
        let changed = if on {
            polc_facade::connect::connect(store, &app, plug, &load, &opts)
        } else {
            polc_facade::connect::disconnect(store, &app, plug, &load, &opts)
        }
        .map_err(connect_err)?;
        serde_json::to_string(&changed.connections)
            .map_err(|e| NativeError::new_err(format!("cannot encode the connections: {e}")))
    }

    /// An installed app's plugs and connections, as JSON (`polc connections APP`).
    fn connections(&self, name: &str) -> PyResult<String> {
        let c = polc_facade::connect::connections(self.open()?, &policy_name(name)?)
            .map_err(connect_err)?;
        serde_json::to_string(&c)
            .map_err(|e| NativeError::new_err(format!("cannot encode the connections: {e}")))
    }

    /// Make the previous generation current again; returns its number.
    fn rollback(&self, name: &str) -> PyResult<u64> {
        self.open()?
            .rollback(&policy_name(name)?)
            .map_err(store_err)
    }

    /// Unload and delete every generation of a policy.
    fn remove(&self, name: &str) -> PyResult<()> {
        polc_facade::connect::remove(self.open()?, &policy_name(name)?).map_err(connect_err)
    }

    /// Release the store's lock; every later call fails. Closing twice is harmless.
    fn close(&mut self) {
        self.store = None;
    }

    /// Every installed policy, as JSON (`polc list --format json`).
    fn list(&self) -> PyResult<String> {
        let all = self.open()?.list().map_err(store_err)?;
        serde_json::to_string(&all)
            .map_err(|e| NativeError::new_err(format!("cannot encode the list: {e}")))
    }

    /// One installed policy with its generations, as JSON (`polc show --format json`).
    fn show(&self, name: &str) -> PyResult<String> {
        let info = self.open()?.show(&policy_name(name)?).map_err(store_err)?;
        serde_json::to_string(&info)
            .map_err(|e| NativeError::new_err(format!("cannot encode the policy: {e}")))
    }
}

/// Start `argv` confined under `policy` (as `polc run` does); returns (pid, status JSON).
/// The caller reaps the child (`os.waitpid`).
#[pyfunction]
#[pyo3(signature = (policy, argv, env, lsm, strict))]
fn spawn(
    policy: &Policy,
    argv: Vec<String>,
    env: Option<Vec<(String, String)>>,
    lsm: Option<&str>,
    strict: bool,
) -> PyResult<(u32, String)> {
    // As `polc run`: Landlock plans strictly only when asked to.
    let landlock = polc_facade::compile::landlock_config(&CompileOptions {
        strict,
        ..CompileOptions::default()
    });
    let options = Options {
        lsm: lsm.map(lsm_arg).transpose()?,
        landlock,
        ..Options::default()
    };
    let args: Vec<OsString> = argv.iter().map(OsString::from).collect();
    let confine_err =
        |e: confine::Error| ConfineFailed::new_err(with_help(&e, e.advice().as_deref()));
    let (mut cmd, status) =
        confine::command(&policy.loaded.policy, &args, &options).map_err(|e| match e {
            confine::Error::NoCommand => InvalidArgument::new_err(e.to_string()),
            e => confine_err(e),
        })?;
    if let Some(env) = env {
        cmd.env_clear();
        cmd.envs(env);
    }
    let child = cmd.spawn().map_err(|source| {
        confine_err(confine::Error::Spawn {
            program: argv.first().cloned().unwrap_or_default(),
            source,
        })
    })?;
    let status = serde_json::to_string(&status)
        .map_err(|e| NativeError::new_err(format!("cannot encode the status: {e}")))?;
    Ok((child.id(), status))
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add_function(wrap_pyfunction!(load, m)?)?;
    m.add_function(wrap_pyfunction!(check, m)?)?;
    m.add_function(wrap_pyfunction!(diff_policies, m)?)?;
    m.add_function(wrap_pyfunction!(spawn, m)?)?;
    m.add_class::<Policy>()?;
    m.add_class::<Store>()?;
    m.add("NativeError", py.get_type::<NativeError>())?;
    m.add("LoadFailed", py.get_type::<LoadFailed>())?;
    m.add("InvalidArgument", py.get_type::<InvalidArgument>())?;
    m.add("CompileFailed", py.get_type::<CompileFailed>())?;
    m.add("StrictRefused", py.get_type::<StrictRefused>())?;
    m.add("StoreFailed", py.get_type::<StoreFailed>())?;
    m.add("NotInstalled", py.get_type::<NotInstalled>())?;
    m.add("ConfineFailed", py.get_type::<ConfineFailed>())?;
    m.add("ABI_VERSION", 1)?;
    Ok(())
}
