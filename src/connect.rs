//! Connections of installed apps: `polc connect`, `polc disconnect`, `polc connections`.
//!
//! An app's grants from a framework's interface reach it only when its plug is
//! connected ([Frameworks and apps](../docs/language.md#frameworks-and-apps)). Each connect
//! or disconnect is a new generation of the app in the [store](crate::store): the current
//! generation's source is loaded again with the new set of connections, compiled for the
//! generation's LSM and installed, so the kernel holds the new effective policy before the
//! store calls it current, and [`Store::rollback`] brings back the previous connections
//! together with the previous kernel policy. Frameworks are found on the abstraction
//! search path given in [`LoadOptions`], as when the app was installed.
//!
//! ```
//! use polc::compile::CompileOptions;
//! use polc::connect::{connect, connections, disconnect};
//! use polc::store::{Lsm, NullLoader, Package, Store, StoreConfig};
//! use polc::{load, LoadOptions, Source};
//!
//! let app = Source::new("app.pol", r#"
//! framework org.example.fw {
//!     provides secrets { allow read "/srv/secrets/**" }
//! }
//! policy org.example.app {
//!     app
//!     plugs secrets
//!     allow read "/srv/secrets/**"
//! }
//! "#);
//! let dir = std::env::temp_dir().join(format!("polc-connect-doc-{}", std::process::id()));
//! let store = Store::open(StoreConfig::new(&dir), vec![Box::new(NullLoader::new(Lsm::Landlock))])?;
//! let loaded = load(&app, &LoadOptions::default()).map_err(|f| format!("{:?}", f.diagnostics))?;
//! let artifact = polc::compile::compile(&loaded.policy, Lsm::Landlock, &CompileOptions::default())?;
//! store.install(&Package::new(&loaded, "app.pol", artifact))?;
//! let name = loaded.policy.name.clone();
//! assert!(!connections(&store, &name)?.plugs[0].connected);
//!
//! let done = connect(&store, &name, "secrets", &LoadOptions::default(), &CompileOptions::default())?;
//! assert_eq!(done.generation, Some(2));
//! assert_eq!(connections(&store, &name)?.plugs[0].since, Some(2));
//! disconnect(&store, &name, "secrets", &LoadOptions::default(), &CompileOptions::default())?;
//! assert_eq!(store.rollback(&name)?, 2); // connected again, with generation 2's policy
//! # drop(store); std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::compile::{compile, CompileError, CompileOptions};
use crate::store::{Connection, Current, Package, Store, StoreError};
use polc_lang::fidelity::FidelityReport;
use polc_lang::ir::{Origin, Policy, PolicyName};
use polc_lang::{load, Failed, LoadOptions, Source};

/// An app's connections as its current generation records them.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Connections {
    /// The app.
    pub app: String,
    /// Its current generation.
    pub generation: u64,
    /// Each interface it plugs, in the order written.
    pub plugs: Vec<Connection>,
}

/// What a connect or disconnect did.
#[derive(Debug)]
pub struct Changed {
    /// The new generation, or `None` when the plug already was as asked (nothing changed).
    pub generation: Option<u64>,
    /// The fidelity report of the new generation's artifact (`None` when nothing changed).
    pub report: Option<FidelityReport>,
    /// The connections after the change.
    pub connections: Connections,
}

/// Why a connection could not be changed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectError {
    /// The store failed (or its loader rejected the new generation: the app stays on the
    /// previous one).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The installed policy is not an app.
    #[error("`{0}` is not an app: it plugs no interfaces")]
    NotAnApp(String),
    /// The app does not plug this interface.
    #[error("app `{app}` plugs no interface `{plug}`{}", plugs_hint(.plugs))]
    UnknownPlug {
        /// The app.
        app: String,
        /// The name asked for.
        plug: String,
        /// The interfaces it plugs.
        plugs: Vec<String>,
    },
    /// The interface is provided by another framework than the one named.
    #[error("plug `{plug}` of app `{app}` is provided by `{found}`, not `{asked}`")]
    WrongFramework {
        /// The app.
        app: String,
        /// The plug.
        plug: String,
        /// The framework named by the caller.
        asked: String,
        /// The framework that provides it.
        found: String,
    },
    /// An `auto` interface cannot be disconnected.
    #[error("`{plug}` of `{framework}` is connected automatically to every app that plugs it")]
    Auto {
        /// The plug.
        plug: String,
        /// Its framework.
        framework: String,
    },
    /// The installed source no longer loads (e.g. its framework is gone from the search
    /// path): the diagnostics say why.
    #[error("the installed source of `{app}` does not load")]
    Load {
        /// The app.
        app: String,
        /// The diagnostics and sources.
        failed: Box<Failed>,
    },
    /// The new effective policy could not be compiled.
    #[error(transparent)]
    Compile(#[from] CompileError),
    /// The policy declares a framework that installed apps have connected.
    #[error("`{policy}` provides {} that {} connected: {}", frameworks.join(", "), if users.len() == 1 { "an app has" } else { "apps have" }, users.join(", "))]
    FrameworkInUse {
        /// The policy asked to be removed.
        policy: String,
        /// The frameworks it declares.
        frameworks: Vec<String>,
        /// The connected plugs, as `APP:PLUG`.
        users: Vec<String>,
    },
}

fn plugs_hint(plugs: &[String]) -> String {
    if plugs.is_empty() {
        String::new()
    } else {
        format!(" (it plugs {})", plugs.join(", "))
    }
}

impl ConnectError {
    /// Advice for the user.
    pub fn help(&self) -> Option<&'static str> {
        match self {
            ConnectError::NotAnApp(_) => {
                Some("only an app's plugs connect; its policy grants what it grants")
            }
            ConnectError::UnknownPlug { .. } => {
                Some("`polc connections APP` lists the interfaces the app plugs")
            }
            ConnectError::WrongFramework { .. } => {
                Some("name the framework that provides the interface, or leave it out")
            }
            ConnectError::Auto { .. } => Some(
                "an `auto` interface is part of the app's policy; remove the plug from the app \
                 and install it again",
            ),
            ConnectError::Load { .. } => Some(
                "give the abstraction directories the app was installed with \
                 (--abstractions DIR), where its frameworks are",
            ),
            ConnectError::FrameworkInUse { .. } => Some(
                "disconnect those plugs first (`polc disconnect APP:PLUG`), or remove the apps; \
                 an `auto` plug goes with its app",
            ),
            ConnectError::Store(_) | ConnectError::Compile(_) => None,
        }
    }
}

/// The connections of an installed app's current generation.
pub fn connections(store: &Store, app: &PolicyName) -> Result<Connections, ConnectError> {
    let current = store.current(app)?;
    let plugs = current
        .plugs
        .ok_or_else(|| ConnectError::NotAnApp(app.to_string()))?;
    Ok(Connections {
        app: app.to_string(),
        generation: current.info.generation,
        plugs,
    })
}

/// The frameworks a policy source declares (`framework NAME { ... }` items), by name.
pub fn declared_frameworks(source_name: &str, text: &str) -> Vec<String> {
    // Most sources declare none: no parse for them (every install reads them all).
    if !text.contains("framework") {
        return Vec::new();
    }
    let file = if source_name.ends_with(".json") {
        polc_lang::json::to_ast(source_name, text).ok()
    } else {
        Some(polc_lang::syntax::parse(source_name, text).0)
    };
    file.map(|f| {
        f.items
            .iter()
            .filter(|i| i.kind == polc_lang::ast::ItemKind::Framework)
            .map(|i| i.name.node.clone())
            .collect()
    })
    .unwrap_or_default()
}

/// The current generation of every installed policy that is not damaged, by name.
fn installed(store: &Store) -> Result<Vec<(PolicyName, Current)>, StoreError> {
    let mut out = Vec::new();
    for info in store.list()?.iter().filter(|i| i.damaged.is_none()) {
        if let Ok(name) = PolicyName::new(&info.name) {
            let current = store.current(&name)?;
            out.push((name, current));
        }
    }
    Ok(out)
}

/// The connections of every installed app, sorted by name.
pub fn all_connections(store: &Store) -> Result<Vec<Connections>, StoreError> {
    Ok(installed(store)?
        .into_iter()
        .filter_map(|(name, current)| {
            Some(Connections {
                app: name.to_string(),
                generation: current.info.generation,
                plugs: current.plugs?,
            })
        })
        .collect())
}

/// The sources of the installed policies that declare frameworks (a framework package
/// installs its daemon's policy and its `framework` in one file), each named
/// `installed:NAME`: the lowest-precedence directory of the search path when an app is
/// installed or connected, so an app finds the frameworks installed in its store.
pub fn installed_frameworks(store: &Store) -> Result<polc_lang::AbstractionDir, StoreError> {
    let files = installed(store)?
        .into_iter()
        .filter(|(_, c)| !declared_frameworks(&c.info.source_name, &c.source).is_empty())
        .map(|(name, c)| {
            let ext = if c.info.source_name.ends_with(".json") {
                ".json"
            } else {
                ""
            };
            Source::new(format!("installed:{name}{ext}"), c.source)
        })
        .collect();
    Ok(polc_lang::AbstractionDir {
        name: format!("the policies installed in {}", store.root().display()),
        files,
    })
}

/// The plugs of `frameworks` that installed apps other than `except` have connected, as
/// `APP:PLUG`: what keeps a framework's package from being removed.
fn connected_users(
    store: &Store,
    frameworks: &[String],
    except: &PolicyName,
) -> Result<Vec<String>, StoreError> {
    Ok(all_connections(store)?
        .into_iter()
        .filter(|c| c.app != except.as_str())
        .flat_map(|c| {
            c.plugs
                .into_iter()
                .filter(|p| p.connected && frameworks.contains(&p.framework))
                .map(move |p| format!("{}:{}", c.app, p.interface))
        })
        .collect())
}

/// Remove an installed policy, refused ([`ConnectError::FrameworkInUse`]) while it
/// declares a framework that an installed app has connected: disconnect (or remove) those
/// apps first. The check and the removal hold the store's lock together.
pub fn remove(store: &Store, name: &PolicyName) -> Result<(), ConnectError> {
    // A damaged policy can still be removed: the store's removal says what it can do.
    let current = match store.current(name) {
        Ok(c) => c,
        Err(StoreError::Corrupt { .. }) => return Ok(store.remove(name)?),
        Err(e) => return Err(e.into()),
    };
    let frameworks = declared_frameworks(&current.info.source_name, &current.source);
    if !frameworks.is_empty() {
        let users = connected_users(store, &frameworks, name)?;
        if !users.is_empty() {
            return Err(ConnectError::FrameworkInUse {
                policy: name.to_string(),
                frameworks,
                users,
            });
        }
    }
    Ok(store.remove(name)?)
}

/// The effective policy of an installed policy's current generation (its stored IR, what
/// the artifact was compiled from) with the generation. For an app, the grant of each
/// connected interface names the generation that connected it: `explain` then says
/// `via plug docker of io.docker.engine, connected in generation 4`.
pub fn installed_policy(store: &Store, name: &PolicyName) -> Result<(Current, Policy), StoreError> {
    let current = store.current(name)?;
    let mut policy: Policy =
        serde_json::from_str(&current.ir_json).map_err(|e| StoreError::Corrupt {
            path: store.root().join(name.as_str()),
            detail: format!(
                "the IR of generation {} does not read: {e}",
                current.info.generation
            ),
        })?;
    if let Some(plugs) = &current.plugs {
        name_connections(&mut policy, plugs);
    }
    Ok((current, policy))
}

/// Add to each `via plug IFACE of FRAMEWORK` the generation that connected it.
fn name_connections(policy: &mut Policy, plugs: &[Connection]) {
    let mark = |o: &mut Origin| {
        let Some(first) = o.via.first_mut() else {
            return;
        };
        if let Some(g) = plugs.iter().find_map(|p| {
            (p.connected && *first == polc_lang::ir::plug_via(&p.interface, &p.framework))
                .then_some(p.since)
                .flatten()
        }) {
            first.push_str(&format!(", connected in generation {g}"));
        }
    };
    for r in &mut policy.files {
        r.origins.iter_mut().for_each(|o| mark(&mut o.origin));
    }
    for r in &mut policy.net {
        r.origins.iter_mut().for_each(mark);
    }
    for r in &mut policy.capabilities {
        r.origins.iter_mut().for_each(mark);
    }
    for r in &mut policy.signals {
        r.origins.iter_mut().for_each(mark);
    }
    for r in &mut policy.unix {
        r.origins.iter_mut().for_each(mark);
    }
    for r in &mut policy.net_families {
        r.origins.iter_mut().for_each(mark);
    }
    for r in &mut policy.ptrace {
        r.origins.iter_mut().for_each(mark);
    }
    for r in &mut policy.dbus {
        r.origins.iter_mut().for_each(mark);
    }
}

/// Connect the app's plug `plug` (optionally checking that `framework` provides it): a new
/// generation with the interface's grants, loaded into the kernel, made current. Nothing
/// changes when it is connected already.
pub fn connect(
    store: &Store,
    app: &PolicyName,
    plug: &str,
    load_opts: &LoadOptions,
    compile_opts: &CompileOptions,
) -> Result<Changed, ConnectError> {
    change(store, app, plug, None, true, load_opts, compile_opts)
}

/// [`connect`], checking that the plug's interface is provided by `framework`.
pub fn connect_to(
    store: &Store,
    app: &PolicyName,
    plug: &str,
    framework: &str,
    load_opts: &LoadOptions,
    compile_opts: &CompileOptions,
) -> Result<Changed, ConnectError> {
    change(
        store,
        app,
        plug,
        Some(framework),
        true,
        load_opts,
        compile_opts,
    )
}

/// Disconnect the app's plug `plug`: a new generation without the interface's grants.
/// Nothing changes when it is not connected; an `auto` interface is refused.
pub fn disconnect(
    store: &Store,
    app: &PolicyName,
    plug: &str,
    load_opts: &LoadOptions,
    compile_opts: &CompileOptions,
) -> Result<Changed, ConnectError> {
    change(store, app, plug, None, false, load_opts, compile_opts)
}

fn change(
    store: &Store,
    app: &PolicyName,
    plug: &str,
    framework: Option<&str>,
    on: bool,
    load_opts: &LoadOptions,
    compile_opts: &CompileOptions,
) -> Result<Changed, ConnectError> {
    let current = store.current(app)?;
    let before = current
        .plugs
        .clone()
        .ok_or_else(|| ConnectError::NotAnApp(app.to_string()))?;
    let Some(p) = before.iter().find(|p| p.interface == plug) else {
        return Err(ConnectError::UnknownPlug {
            app: app.to_string(),
            plug: plug.to_string(),
            plugs: before.iter().map(|p| p.interface.clone()).collect(),
        });
    };
    if let Some(f) = framework.filter(|f| *f != p.framework) {
        return Err(ConnectError::WrongFramework {
            app: app.to_string(),
            plug: plug.to_string(),
            asked: f.to_string(),
            found: p.framework.clone(),
        });
    }
    if !on && p.auto {
        return Err(ConnectError::Auto {
            plug: plug.to_string(),
            framework: p.framework.clone(),
        });
    }
    if p.connected == on {
        return Ok(Changed {
            generation: None,
            report: None,
            connections: Connections {
                app: app.to_string(),
                generation: current.info.generation,
                plugs: before.clone(),
            },
        });
    }
    let mut connect: Vec<String> = before
        .iter()
        .filter(|p| p.connected && !p.auto && p.interface != plug)
        .map(|p| p.interface.clone())
        .collect();
    if on {
        connect.push(plug.to_string());
    }
    // The variables the app was installed with, so that only the connection changes;
    // the frameworks installed in the store below the search path given.
    let mut opts = LoadOptions {
        connect,
        vars: current.info.vars.clone(),
        ..load_opts.clone()
    };
    opts.search_path.insert(0, installed_frameworks(store)?);
    let src = Source::new(current.info.source_name.clone(), current.source.clone());
    let loaded = load(&src, &opts).map_err(|failed| ConnectError::Load {
        app: app.to_string(),
        failed: Box::new(failed),
    })?;
    // The installed source names the app: a source that lowers to another name is damage.
    if loaded.policy.name != *app {
        return Err(StoreError::Corrupt {
            path: store.root().join(app.as_str()),
            detail: format!("the current source is policy `{}`", loaded.policy.name),
        }
        .into());
    }
    let artifact = compile(&loaded.policy, current.info.lsm, compile_opts)?;
    let report = artifact.report.clone();
    let mut pkg = Package::new(&loaded, &current.info.source_name, artifact);
    pkg.vars = current.info.vars.clone();
    let generation = store.install(&pkg)?;
    Ok(Changed {
        generation: Some(generation),
        report: Some(report),
        connections: connections(store, app)?,
    })
}
