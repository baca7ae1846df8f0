//! The JSON form of policies, for installers that generate policies programmatically.
//!
//! A JSON document holds what a source file holds: at most one policy, whose fields are
//! at the top level, and any number of abstractions. [`to_ast`] reads it into the same
//! [`ast::File`] the parser builds for the equivalent text, with the span of each JSON
//! value on the corresponding node, so the checker, its diagnostics and the lowering
//! treat both forms alike. [`to_json_form`] writes a syntax tree back as JSON. The schema
//! is documented in `docs/json.md`; the types of this module are that schema, so a Rust
//! program can also build a [`Document`] and serialize it.
//!
//! ```
//! use polc_lang::json::to_ast;
//! use polc_lang::ast::StmtKind;
//!
//! let file = to_ast("app.json", r#"{
//!     "policy": "org.example.app",
//!     "rules": [ {"effect": "allow", "rights": ["read"], "paths": ["/etc/app/**"]} ]
//! }"#).map_err(|d| d[0].message.clone()).unwrap();
//! let policy = &file.items[0];
//! assert_eq!(policy.name.node, "org.example.app");
//! assert!(matches!(policy.body[0].kind, StmtKind::File { .. }));
//! ```
//!
//! Malformed JSON and documents that do not fit the schema give one diagnostic with code
//! `E0300`, located at the offending value and naming its place in the document (`at
//! `rules[2].net`: missing field `proto``). Everything the schema accepts as a string
//! (names, rights, modes, paths...) is checked later by the checker, with the same codes
//! as for text.

use crate::ast::{self, Effect, File};
use crate::diagnostics::Diagnostic;
use serde::de::{self, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

mod convert;
mod dbus;
mod spans;
mod unix;

pub use dbus::Dbus;
pub use unix::{NetFamily, Unix};

/// A JSON policy document: a policy (when `policy` is present) and abstractions.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct Document {
    /// The policy's name; absent in a document that only defines abstractions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    /// `version N`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u64>,
    /// `attach "PATH"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attach: Option<String>,
    /// `mode NAME`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    /// `use NAME, NAME@V`.
    #[serde(rename = "use", default, skip_serializing_if = "Vec::is_empty")]
    pub uses: Vec<UseSpec>,
    /// `var NAME = "VALUE"`, in order.
    #[serde(default, skip_serializing_if = "Vars::is_empty")]
    pub vars: Vars,
    /// `owns "GLOB", ...`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub owns: Vec<String>,
    /// The rules.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<Rule>,
    /// Child policies and hats written in the policy (`child NAME { ... }`, `hat NAME { ... }`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<ChildDoc>,
    /// `app`: the policy is an app, bounded by what it owns, the safe abstractions and
    /// the interfaces it plugs.
    #[serde(default, skip_serializing_if = "is_false")]
    pub app: bool,
    /// `plugs IFACE, ...`: the interfaces an app plugs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub plugs: Vec<String>,
    /// Abstractions defined in the document.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub abstractions: Vec<Abstraction>,
    /// Frameworks defined in the document.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub frameworks: Vec<FrameworkDoc>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// A framework: `{"framework": "NAME", "version": N, "provides": [...]}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrameworkDoc {
    /// The framework's name.
    pub framework: String,
    /// `version N`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u64>,
    /// Its interfaces, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub provides: Vec<InterfaceDoc>,
}

/// An interface of a framework: `{"interface": "NAME", "auto": true, "rules": [...]}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InterfaceDoc {
    /// The interface's name.
    pub interface: String,
    /// `auto`: connected to every app that plugs it.
    #[serde(default, skip_serializing_if = "is_false")]
    pub auto: bool,
    /// What it grants.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<Rule>,
}

/// An abstraction: a name and the same body fields as a policy.
///
/// `attach`, `mode` and `owns` are accepted here so that the checker reports them as it
/// does for text (E0134).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct Abstraction {
    /// The abstraction's name.
    pub abstraction: String,
    /// `version N` (required by the checker).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u64>,
    /// `attach "PATH"` (not allowed in an abstraction: E0134).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attach: Option<String>,
    /// `mode NAME` (not allowed in an abstraction: E0134).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    /// `use NAME, NAME@V`.
    #[serde(rename = "use", default, skip_serializing_if = "Vec::is_empty")]
    pub uses: Vec<UseSpec>,
    /// `var NAME = "VALUE"`, in order.
    #[serde(default, skip_serializing_if = "Vars::is_empty")]
    pub vars: Vars,
    /// `owns "GLOB", ...` (not allowed in an abstraction: E0134).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub owns: Vec<String>,
    /// The rules.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<Rule>,
}

/// A child policy or hat: `{"child": "NAME", "rules": [...]}` or `{"hat": "NAME", ...}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChildDoc {
    /// `child NAME { ... }`: the child's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub child: Option<String>,
    /// `hat NAME { ... }`: the hat's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hat: Option<String>,
    /// Its rules.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<Rule>,
}

/// A reference to an abstraction: `"NAME"` or `"NAME@VERSION"` in JSON.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UseSpec {
    /// The abstraction's name.
    pub name: String,
    /// The required version, if any.
    pub version: Option<u64>,
}

/// Variables with their default values, in document order (a JSON object of strings).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Vars(pub Vec<(String, String)>);

impl Vars {
    /// True when there is no variable.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// One rule: an effect and what it is about.
///
/// In JSON, an object with `effect` and exactly one of `paths` (with `rights` and
/// optionally `as`), `net`, `capabilities` or `signal`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(into = "RawRule")]
pub struct Rule {
    /// Allow or deny.
    pub effect: Effect,
    /// What the rule is about.
    pub target: Target,
    /// `"audit": true`: the accesses the rule decides are logged.
    pub audit: bool,
    /// `"owner": true` (rules with `paths` only): the rule applies to files the process owns.
    pub owner: bool,
    /// `"accept": {...}`: the rule is in an `accept` block of its own.
    pub accept: Option<Accept>,
}

/// `accept FIDELITY, ... on BACKEND, ... "REASON"` on one rule:
/// `{"fidelities": ["widened"], "on": ["selinux"], "reason": "..."}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct Accept {
    /// `widened`, `unsupported`.
    pub fidelities: Vec<String>,
    /// `apparmor`, `selinux`, `landlock`.
    pub on: Vec<String>,
    /// Why the widening is acceptable.
    pub reason: String,
}

/// What a rule is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// `rights` on `paths`, with an optional transition (`as`).
    Files {
        /// Right and group keywords.
        rights: Vec<String>,
        /// Path globs.
        paths: Vec<String>,
        /// `as NAME`.
        exec_as: Option<String>,
        /// `exec`: how the executable runs (`inherit`, `child`, `fallback`, `unconfined`;
        /// absent for no `as` or `as NAME`).
        exec_mode: ast::ExecMode,
    },
    /// A network rule.
    Net(Net),
    /// Capability names.
    Capabilities(Vec<String>),
    /// A signal rule.
    Signal(Signal),
    /// A unix-socket rule.
    Unix(Unix),
    /// A rule on a network family beyond inet.
    NetFamily(NetFamily),
    /// A ptrace rule.
    Ptrace(Ptrace),
    /// A D-Bus rule.
    Dbus(Dbus),
}

/// `net OP PROTO [PORTS]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct Net {
    /// `connect` or `bind`.
    pub op: String,
    /// `tcp` or `udp`.
    pub proto: String,
    /// The port or range; absent means every port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ports: Option<Ports>,
}

/// A port (`443`, or `"443"`) or an inclusive range (`"8000-8080"`) in JSON.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ports {
    /// First port.
    pub lo: u64,
    /// Last port.
    pub hi: u64,
}

/// `signal DIRECTION [SIGNALS] to|from PEER`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct Signal {
    /// `send` or `receive`.
    pub direction: String,
    /// Signal names; absent or empty means every signal.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub signals: Vec<String>,
    /// The peer policy, or `self`.
    pub peer: String,
}

/// `ptrace [ACCESS] to|from PEER`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct Ptrace {
    /// `read`, `trace`; absent or empty means both.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub access: Vec<String>,
    /// `to` or `from`.
    pub direction: String,
    /// A policy name, `self`, `any` or `unconfined`.
    pub peer: String,
}

/// The JSON object of a rule, before its shape is checked.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    audit: bool,
    effect: Effect,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    owner: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    rights: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    paths: Option<Vec<String>>,
    #[serde(rename = "as", default, skip_serializing_if = "Option::is_none")]
    exec_as: Option<String>,
    #[serde(
        rename = "exec",
        default,
        skip_serializing_if = "ast::ExecMode::is_plain"
    )]
    exec_mode: ast::ExecMode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    net: Option<Net>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    capabilities: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    signal: Option<Signal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    unix: Option<Unix>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    net_family: Option<NetFamily>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ptrace: Option<Ptrace>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    dbus: Option<Dbus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    accept: Option<Accept>,
}

impl TryFrom<RawRule> for Rule {
    type Error = String;

    fn try_from(r: RawRule) -> Result<Rule, String> {
        if let Some(a) = &r.accept {
            if a.fidelities.is_empty() {
                return Err("`fidelities` of `accept` is empty".into());
            }
            if a.on.is_empty() {
                return Err("`on` of `accept` is empty".into());
            }
        }
        let given: Vec<&str> = [
            ("paths", r.paths.is_some()),
            ("net", r.net.is_some()),
            ("capabilities", r.capabilities.is_some()),
            ("signal", r.signal.is_some()),
            ("unix", r.unix.is_some()),
            ("net_family", r.net_family.is_some()),
            ("ptrace", r.ptrace.is_some()),
            ("dbus", r.dbus.is_some()),
        ]
        .into_iter()
        .filter_map(|(k, present)| present.then_some(k))
        .collect();
        match given.as_slice() {
            [] if r.rights.is_some() => return Err("a rule with `rights` needs `paths`".into()),
            [] => {
                return Err("a rule needs one of `paths`, `net`, `capabilities` or `signal`".into())
            }
            [_] => {}
            many => {
                return Err(format!(
                    "a rule has {}: give exactly one of `paths`, `net`, `capabilities` or `signal`",
                    many.iter()
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(" and ")
                ))
            }
        }
        if r.paths.is_none() {
            if r.rights.is_some() {
                return Err("`rights` belongs to a rule with `paths`".into());
            }
            if r.exec_as.is_some() {
                return Err("`as` belongs to a rule with `paths`".into());
            }
            if !r.exec_mode.is_plain() {
                return Err("`exec` belongs to a rule with `paths`".into());
            }
            if r.owner {
                return Err("`owner` belongs to a rule with `paths`".into());
            }
        }
        let nonempty = |field: &str, v: Vec<String>| {
            if v.is_empty() {
                Err(format!("`{field}` is empty"))
            } else {
                Ok(v)
            }
        };
        if let Some(u) = r.unix {
            u.validate()?;
            return Ok(Rule {
                effect: r.effect,
                target: Target::Unix(u),
                audit: r.audit,
                owner: r.owner,
                accept: r.accept,
            });
        }
        if let Some(d) = r.dbus {
            d.validate()?;
            return Ok(Rule {
                effect: r.effect,
                target: Target::Dbus(d),
                audit: r.audit,
                owner: r.owner,
                accept: r.accept,
            });
        }
        if let Some(n) = r.net_family {
            return Ok(Rule {
                effect: r.effect,
                target: Target::NetFamily(n),
                audit: r.audit,
                owner: r.owner,
                accept: r.accept,
            });
        }
        if let (None, None, None, None, Some(ptrace)) =
            (&r.paths, &r.net, &r.capabilities, &r.signal, &r.ptrace)
        {
            return Ok(Rule {
                effect: r.effect,
                target: Target::Ptrace(ptrace.clone()),
                audit: r.audit,
                owner: r.owner,
                accept: r.accept,
            });
        }
        let target = match (r.paths, r.net, r.capabilities, r.signal) {
            (Some(paths), ..) => Target::Files {
                rights: nonempty(
                    "rights",
                    r.rights.ok_or("a rule with `paths` needs `rights`")?,
                )?,
                paths: nonempty("paths", paths)?,
                exec_as: r.exec_as,
                exec_mode: r.exec_mode,
            },
            (None, Some(net), ..) => Target::Net(net),
            (None, None, Some(caps), _) => Target::Capabilities(nonempty("capabilities", caps)?),
            (None, None, None, Some(signal)) => Target::Signal(signal),
            (None, None, None, None) => {
                return Err("a rule needs one of `paths`, `net`, `capabilities` or `signal`".into())
            }
        };
        Ok(Rule {
            effect: r.effect,
            target,
            audit: r.audit,
            owner: r.owner,
            accept: r.accept,
        })
    }
}

impl From<Rule> for RawRule {
    fn from(r: Rule) -> RawRule {
        let mut raw = RawRule {
            audit: r.audit,
            owner: r.owner,
            effect: r.effect,
            rights: None,
            paths: None,
            exec_as: None,
            exec_mode: ast::ExecMode::Plain,
            net: None,
            capabilities: None,
            signal: None,
            unix: None,
            net_family: None,
            ptrace: None,
            dbus: None,
            accept: r.accept,
        };
        match r.target {
            Target::Files {
                rights,
                paths,
                exec_as,
                exec_mode,
            } => {
                raw.rights = Some(rights);
                raw.paths = Some(paths);
                raw.exec_as = exec_as;
                raw.exec_mode = exec_mode;
            }
            Target::Net(n) => raw.net = Some(n),
            Target::Capabilities(c) => raw.capabilities = Some(c),
            Target::Signal(s) => raw.signal = Some(s),
            Target::Unix(u) => raw.unix = Some(u),
            Target::NetFamily(n) => raw.net_family = Some(n),
            Target::Ptrace(s) => raw.ptrace = Some(s),
            Target::Dbus(d) => raw.dbus = Some(d),
        }
        raw
    }
}

/// Serde for a struct that is a JSON object only: the derived impls (made inherent with
/// `remote = "Self"`) also accept a sequence of field values, which the schema does not.
macro_rules! object_only {
    ($t:ident, $what:literal) => {
        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                $t::serialize(self, s)
            }
        }

        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> Visitor<'de> for V {
                    type Value = $t;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str($what)
                    }
                    fn visit_map<A: MapAccess<'de>>(self, m: A) -> Result<$t, A::Error> {
                        $t::deserialize(de::value::MapAccessDeserializer::new(m))
                    }
                }
                d.deserialize_map(V)
            }
        }
    };
}

object_only!(Document, "a policy document (a JSON object)");
object_only!(Abstraction, "an abstraction object");
object_only!(Net, "a `net` object");
object_only!(Signal, "a `signal` object");
object_only!(Ptrace, "a `ptrace` object");
object_only!(Accept, "an `accept` object");

impl<'de> Deserialize<'de> for Rule {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Rule;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a rule object")
            }
            fn visit_map<A: MapAccess<'de>>(self, m: A) -> Result<Rule, A::Error> {
                let raw = RawRule::deserialize(de::value::MapAccessDeserializer::new(m))?;
                Rule::try_from(raw).map_err(de::Error::custom)
            }
        }
        d.deserialize_map(V)
    }
}

impl Serialize for UseSpec {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.version {
            Some(v) => s.serialize_str(&format!("{}@{v}", self.name)),
            None => s.serialize_str(&self.name),
        }
    }
}

impl<'de> Deserialize<'de> for UseSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = UseSpec;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an abstraction name, `NAME` or `NAME@VERSION`")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<UseSpec, E> {
                match s.rsplit_once('@') {
                    None => Ok(UseSpec {
                        name: s.to_string(),
                        version: None,
                    }),
                    Some((name, v)) => match v.parse::<u64>() {
                        Ok(version) if v.bytes().all(|b| b.is_ascii_digit()) => Ok(UseSpec {
                            name: name.to_string(),
                            version: Some(version),
                        }),
                        _ => Err(E::custom(format!(
                            "invalid version `{v}` in `{s}`: write `NAME` or `NAME@VERSION`"
                        ))),
                    },
                }
            }
        }
        d.deserialize_str(V)
    }
}

impl Serialize for Ports {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.lo == self.hi {
            s.serialize_u64(self.lo)
        } else {
            s.serialize_str(&format!("{}-{}", self.lo, self.hi))
        }
    }
}

impl<'de> Deserialize<'de> for Ports {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Ports;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a port (`443`) or a port range (`\"8000-8080\"`)")
            }
            fn visit_u64<E: de::Error>(self, p: u64) -> Result<Ports, E> {
                Ok(Ports { lo: p, hi: p })
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Ports, E> {
                let num = |t: &str| {
                    t.bytes()
                        .all(|b| b.is_ascii_digit())
                        .then(|| t.parse::<u64>().ok())
                        .flatten()
                };
                let parsed = match s.split_once('-') {
                    None => num(s).map(|p| Ports { lo: p, hi: p }),
                    Some((lo, hi)) => num(lo).zip(num(hi)).map(|(lo, hi)| Ports { lo, hi }),
                };
                parsed.ok_or_else(|| {
                    E::custom(format!(
                        "invalid ports `{s}`: write a port (`443`) or a range (`\"8000-8080\"`)"
                    ))
                })
            }
        }
        d.deserialize_any(V)
    }
}

impl Serialize for Vars {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

impl<'de> Deserialize<'de> for Vars {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Vars;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of variable names to string values")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Vars, A::Error> {
                let mut v = Vec::new();
                while let Some(entry) = m.next_entry::<String, String>()? {
                    v.push(entry);
                }
                Ok(Vars(v))
            }
        }
        d.deserialize_map(V)
    }
}

/// Read the JSON form of a policy into a syntax tree that the checker and lowering treat
/// like parsed text.
///
/// Statements come out in a fixed order (version, attach, mode, use, vars, owns, then
/// the rules in document order); the policy item comes before the abstractions. Each
/// node's span is the span of its JSON value. Malformed JSON or a document that does not
/// fit the schema gives one `E0300` diagnostic.
pub fn to_ast(name: &str, text: &str) -> Result<File, Vec<Diagnostic>> {
    convert::to_ast(name, text)
}

/// Why a syntax tree has no JSON form.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ToJsonError {
    /// A JSON document holds at most one policy.
    #[error("the file holds {0} policies; a JSON document holds at most one")]
    ManyPolicies(usize),
    /// `version`, `attach` or `mode` written twice in one item.
    #[error("`{keyword}` is declared more than once in `{item}`")]
    Repeated {
        /// The statement keyword.
        keyword: &'static str,
        /// The item's name.
        item: String,
    },
    /// An abstraction holds a child policy or hat (the checker refuses it: E0191).
    #[error("abstraction `{0}` holds a child policy; only a policy can")]
    ChildInAbstraction(String),
    /// A child policy or hat holds something else than rules.
    #[error("`{keyword}` in child `{child}` has no JSON form; a child holds rules only")]
    InChild {
        /// The statement keyword.
        keyword: &'static str,
        /// The child's name.
        child: String,
    },
    /// `app` or `plugs` in an abstraction, `provides` outside a framework, or anything but
    /// rules in a `provides` block (all refused by the checker): no JSON form.
    #[error("`{keyword}` in `{item}` has no JSON form; the checker refuses it there")]
    NoJsonForm {
        /// The keyword.
        keyword: &'static str,
        /// The item's name.
        item: String,
    },
    /// An `accept` block holds something else than rules, or another block.
    #[error("`{keyword}` in an `accept` block of `{item}` has no JSON form; an `accept` block holds rules only")]
    InAccept {
        /// The statement keyword.
        keyword: &'static str,
        /// The item's name.
        item: String,
    },
}

impl Document {
    /// The JSON form of a syntax tree (comments and layout are not kept).
    pub fn from_ast(file: &File) -> Result<Document, ToJsonError> {
        convert::from_ast(file)
    }

    /// The document as pretty-printed JSON with a trailing newline.
    pub fn to_json_string(&self) -> String {
        let mut s = serde_json::to_string_pretty(self)
            .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
        s.push('\n');
        s
    }
}

/// Write a syntax tree in the JSON form (the inverse of [`to_ast`], without comments).
pub fn to_json_form(file: &ast::File) -> Result<String, ToJsonError> {
    Document::from_ast(file).map(|d| d.to_json_string())
}
