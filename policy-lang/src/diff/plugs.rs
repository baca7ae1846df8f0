//! Changes of an app's plugs and connections between two loads: privilege changes that
//! the rules' diff does not show (a plug added but not connected grants nothing yet, but
//! an administrator can connect it; a policy that stops being an app is no longer bounded).

use crate::load::Plug;
use serde::Serialize;

/// What changed about one plug, or about the policy being an app.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PlugChangeKind {
    /// NEW plugs an interface OLD did not: a privilege it may be given.
    Added,
    /// NEW no longer plugs it.
    Removed,
    /// Its grants reach NEW and did not reach OLD.
    Connected,
    /// Its grants reached OLD and do not reach NEW.
    Disconnected,
    /// Another framework provides it now.
    Framework,
    /// NEW is an app and OLD was not: its rules are now bounded by its plugs.
    BecameApp,
    /// OLD was an app and NEW is not: its rules are no longer bounded.
    NoLongerApp,
}

/// One change of plugs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PlugChange {
    /// What changed.
    pub kind: PlugChangeKind,
    /// The interface (empty for `became-app` and `no-longer-app`).
    pub interface: String,
    /// The framework that provides it (NEW's, or OLD's when removed).
    pub framework: String,
    /// Whether it is connected in NEW (false when removed).
    pub connected: bool,
    /// NEW may get more privileges through this change.
    pub broadens: bool,
}

/// The plug changes from OLD's plugs to NEW's (`None`: not an app), in NEW's order, then
/// the removed ones.
pub fn plug_changes(old: Option<&[Plug]>, new: Option<&[Plug]>) -> Vec<PlugChange> {
    let whole = |kind, broadens| PlugChange {
        kind,
        interface: String::new(),
        framework: String::new(),
        connected: false,
        broadens,
    };
    let (old_plugs, new_plugs) = match (old, new) {
        (None, None) => return Vec::new(),
        (Some(_), None) => return vec![whole(PlugChangeKind::NoLongerApp, true)],
        (None, Some(n)) => (&[][..], n),
        (Some(o), Some(n)) => (o, n),
    };
    let mut out = Vec::new();
    if old.is_none() {
        out.push(whole(PlugChangeKind::BecameApp, false));
    }
    let change = |kind, p: &Plug, broadens| PlugChange {
        kind,
        interface: p.interface.clone(),
        framework: p.framework.clone(),
        connected: p.connected,
        broadens,
    };
    for n in new_plugs {
        match old_plugs.iter().find(|o| o.interface == n.interface) {
            None => out.push(change(PlugChangeKind::Added, n, true)),
            Some(o) => {
                if o.framework != n.framework {
                    out.push(change(PlugChangeKind::Framework, n, true));
                }
                if !o.connected && n.connected {
                    out.push(change(PlugChangeKind::Connected, n, true));
                } else if o.connected && !n.connected {
                    out.push(change(PlugChangeKind::Disconnected, n, false));
                }
            }
        }
    }
    for o in old_plugs {
        if !new_plugs.iter().any(|n| n.interface == o.interface) {
            let mut c = change(PlugChangeKind::Removed, o, false);
            c.connected = false;
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    fn plug(interface: &str, framework: &str, connected: bool) -> Plug {
        Plug {
            interface: interface.into(),
            framework: framework.into(),
            auto: false,
            connected,
        }
    }

    #[test]
    fn each_kind_of_change_is_reported_with_its_direction() {
        let old = [
            plug("a", "f", false),
            plug("b", "f", true),
            plug("c", "f", false),
        ];
        let new = [
            plug("a", "f", true),
            plug("b", "f", false),
            plug("d", "f", false),
            plug("c", "g", false),
        ];
        let changes = plug_changes(Some(&old), Some(&new));
        let got: Vec<(PlugChangeKind, &str, bool)> = changes
            .iter()
            .map(|c| (c.kind, c.interface.as_str(), c.broadens))
            .collect();
        assert_eq!(
            got,
            vec![
                (PlugChangeKind::Connected, "a", true),
                (PlugChangeKind::Disconnected, "b", false),
                (PlugChangeKind::Added, "d", true),
                (PlugChangeKind::Framework, "c", true),
            ]
        );
        let gone = plug_changes(Some(&old), Some(&old[..1]));
        assert_eq!(gone.len(), 2);
        assert!(gone
            .iter()
            .all(|c| c.kind == PlugChangeKind::Removed && !c.broadens));
        assert_eq!(plug_changes(Some(&old), Some(&old)), vec![]);
        assert_eq!(plug_changes(None, None), vec![]);
        let lifted = plug_changes(Some(&old), None);
        assert_eq!(lifted[0].kind, PlugChangeKind::NoLongerApp);
        assert!(lifted[0].broadens);
        let bounded = plug_changes(None, Some(&new[..1]));
        assert_eq!(bounded[0].kind, PlugChangeKind::BecameApp);
        assert_eq!(bounded[1].kind, PlugChangeKind::Added);
    }
}
