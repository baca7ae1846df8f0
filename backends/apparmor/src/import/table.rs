//! The one table of the importer: every AppArmor construct, its polc form, and how
//! faithfully it imports. A source rule's class is the worst class of the constructs it
//! uses, and its note names each construct that is not exact.
//!
//! Constructs that polc's language v2 adds have the status [`Status::NeedsV2`]: the reader
//! already writes their polc statements in the v2 syntax, but they are reported "not
//! importable (needs language v2: ...)" and written as comments until the row's status is
//! changed to what the language then supports.

use std::fmt::Write as _;

/// How a construct imports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// The polc form, compiled for AppArmor, decides as the source does.
    Exact,
    /// The polc form differs in the way the note says.
    Approximated,
    /// polc has no form for it; the note says why.
    NotImportable,
    /// polc's language v2 has (or will have) a form for it: the named construct.
    NeedsV2(&'static str),
}

/// One row of the table.
#[derive(Clone, Copy, Debug)]
pub struct Construct {
    /// A stable id (used in reports).
    pub id: &'static str,
    /// The AppArmor syntax, as an example.
    pub apparmor: &'static str,
    /// The polc form it becomes.
    pub polc: &'static str,
    /// How it imports.
    pub status: Status,
    /// How it is approximated, or why it cannot be imported (empty when exact).
    pub note: &'static str,
}

/// Every construct the importer knows, in the order of the documentation.
pub const TABLE: &[Construct] = &[
    Construct { id: "include", apparmor: "include <abstractions/base>", polc: "the included rules, in place (each reported on its own)", status: Status::Exact, note: "" },
    Construct { id: "variable", apparmor: "@{HOME}/.ssh/** r,", polc: "one path per value of the variables: \"/home/*/.ssh/**\", \"/root/.ssh/**\"", status: Status::Exact, note: "" },
    Construct { id: "profile-name", apparmor: "profile ping /usr/bin/ping {", polc: "policy ping { ... } (the name made a valid polc name)", status: Status::Exact, note: "" },
    Construct { id: "attach", apparmor: "/usr/sbin/sshd {", polc: "attach \"/usr/sbin/sshd\"", status: Status::Exact, note: "" },
    Construct { id: "attach-glob", apparmor: "/{usr/,}bin/ping {", polc: "attach \"/usr/bin/ping\"", status: Status::Approximated, note: "polc attaches one executable: the first alternative of the glob" },
    Construct { id: "flags-complain", apparmor: "flags=(complain)", polc: "mode complain", status: Status::Exact, note: "" },
    Construct { id: "flags-other", apparmor: "flags=(attach_disconnected)", polc: "(none)", status: Status::NotImportable, note: "polc has no profile flags besides the mode" },
    Construct { id: "file", apparmor: "/etc/foo rw, deny /x w,", polc: "allow read write \"/etc/foo\"; deny write \"/x\" (r read, w write, a append, m map-exec, k lock, l link)", status: Status::Exact, note: "" },
    Construct { id: "file-dir-list", apparmor: "/srv/ r,", polc: "allow list \"/srv\"", status: Status::Exact, note: "" },
    Construct { id: "file-dir-other", apparmor: "/srv/ w,", polc: "allow create delete \"/srv/\" (a path ending in `/` is for directories only; `r` there is list, `w` mkdir and rmdir, the other letters allow nothing on a directory)", status: Status::Exact, note: "" },
    Construct { id: "file-tree", apparmor: "/srv/** rw,", polc: "allow read write create delete list \"/srv/**\" (`r` and `w` apply to the directories below too: listing, mkdir, rmdir; other letters allow nothing on a directory)", status: Status::Exact, note: "" },
    Construct { id: "file-all", apparmor: "file,", polc: "allow all \"/**\"", status: Status::Approximated, note: "executables run under this policy (`ix`)" },
    Construct { id: "owner", apparmor: "owner /x r,", polc: "allow owner read \"/x\"", status: Status::Exact, note: "" },
    Construct { id: "audit", apparmor: "audit /x r,", polc: "audit allow read \"/x\"", status: Status::Exact, note: "" },
    Construct { id: "char-class", apparmor: "/dev/tty[0-9]* rw,", polc: "\"/dev/tty[0-9]*\"", status: Status::Exact, note: "" },
    Construct { id: "path-escape", apparmor: "\"/a\\ b\" r,", polc: "(none)", status: Status::NotImportable, note: "escape sequences in AppArmor paths are not read" },
    Construct { id: "exec-inherit", apparmor: "/usr/bin/x ix,", polc: "allow exec \"/usr/bin/x\"", status: Status::Exact, note: "" },
    Construct { id: "exec-named", apparmor: "/usr/bin/x px -> other,", polc: "allow exec \"/usr/bin/x\" as other", status: Status::Exact, note: "" },
    Construct { id: "exec-named-scrub", apparmor: "/usr/bin/x Px -> other,", polc: "allow exec \"/usr/bin/x\" as other", status: Status::Approximated, note: "the environment is not scrubbed (polc emits `px`)" },
    Construct { id: "exec-attached", apparmor: "/usr/bin/x Px,", polc: "allow exec \"/usr/bin/x\" as usr.bin.x", status: Status::Approximated, note: "AppArmor finds the target profile by attachment, polc names it (the path made a polc name) and does not scrub the environment" },
    Construct { id: "exec-transition-limit", apparmor: "/usr/bin/x13 Px, (the 13th named target of a profile)", polc: "(none)", status: Status::NotImportable, note: "AppArmor holds at most 12 named exec targets per profile, and polc names every target (`Px` finds its own by attachment)" },
    Construct { id: "exec-child", apparmor: "/usr/bin/x Cx -> helper,", polc: "allow exec \"/usr/bin/x\" as child helper", status: Status::Exact, note: "" },
    Construct { id: "exec-unconfined", apparmor: "/bin/sh Ux,", polc: "allow exec \"/bin/sh\" as unconfined", status: Status::Exact, note: "" },
    Construct { id: "exec-fallback", apparmor: "/usr/bin/x Pix,", polc: "allow exec \"/usr/bin/x\" as usr.bin.x else inherit", status: Status::Exact, note: "" },
    Construct { id: "link-target", apparmor: "link /a -> /b, /a l -> /b,", polc: "(none)", status: Status::NotImportable, note: "polc's `link` right has no target" },
    Construct { id: "capability", apparmor: "capability setuid, net_raw,", polc: "allow capability setuid, net_raw", status: Status::Exact, note: "" },
    Construct { id: "capability-all", apparmor: "capability,", polc: "allow capability (every capability)", status: Status::Exact, note: "" },
    Construct { id: "network-inet", apparmor: "network inet stream, network inet6 dgram, network tcp,", polc: "allow net connect tcp4; allow net bind tcp4 (`udp6`, `tcp` for both versions)", status: Status::Exact, note: "" },
    Construct { id: "network-family", apparmor: "network inet raw, network netlink raw, network packet dgram,", polc: "allow net raw4; allow net netlink raw; allow net packet dgram", status: Status::Exact, note: "" },
    Construct { id: "network-other", apparmor: "network, network inet, network netlink seqpacket,", polc: "allow net connect/bind tcp and udp; allow net raw (`net netlink` for another netlink type)", status: Status::Approximated, note: "a family or type polc has no rule for, or every family: the wider rules polc has stand for it" },
    Construct { id: "network-unix", apparmor: "network unix stream,", polc: "allow unix connect, send, receive, bind, listen, accept stream", status: Status::Approximated, note: "polc's unix rules do not grant setattr" },
    Construct { id: "unix", apparmor: "unix (connect, send, receive) type=stream peer=(label=srv, addr=\"@app\"),", polc: "allow unix connect, send, receive stream abstract \"@app\" peer srv", status: Status::Approximated, note: "polc grants create, getattr, getopt, setopt and shutdown beside it, matches send and receive at either end, and keeps one address" },
    Construct { id: "unix-housekeeping", apparmor: "unix (create), unix (getattr, getopt, setopt, shutdown),", polc: "(none)", status: Status::NotImportable, note: "polc grants create, getattr, getopt, setopt and shutdown with every allowed unix rule of the type, never alone" },
    Construct { id: "unix-addr-glob", apparmor: "unix (connect) peer=(addr=\"@/tmp/.X11-unix/X[0-9]*\"),", polc: "allow unix connect abstract", status: Status::Approximated, note: "an abstract address glob becomes every abstract address: wider" },
    Construct { id: "unix-peer-glob", apparmor: "unix (receive) peer=(label=/usr/sbin/*),", polc: "allow unix receive peer any", status: Status::Approximated, note: "a peer glob becomes `any`: wider" },
    Construct { id: "ipc-audit", apparmor: "audit unix, audit ptrace,", polc: "(none)", status: Status::NotImportable, note: "polc's `audit` qualifier is not carried by unix and ptrace rules yet" },
    Construct { id: "signal", apparmor: "signal (send) set=(term, exists) peer=other,", polc: "allow signal send term, exists to other", status: Status::Exact, note: "" },
    Construct { id: "signal-any", apparmor: "signal (receive) peer=unconfined,", polc: "allow signal receive from unconfined", status: Status::Exact, note: "" },
    Construct { id: "signal-unknown", apparmor: "signal (send) set=(rtmin+3),", polc: "(none)", status: Status::NotImportable, note: "polc has no such signal (real-time signals, `emt`)" },
    Construct { id: "signal-peer-glob", apparmor: "signal (receive) peer=/usr/sbin/*,", polc: "allow signal receive from any", status: Status::Approximated, note: "a peer glob becomes `any`: wider" },
    Construct { id: "exec-fallback-other", apparmor: "/usr/bin/x PUx, /usr/bin/y cix,", polc: "(none)", status: Status::NotImportable, note: "polc's exec fallback is `as NAME else inherit` only" },
    Construct { id: "ptrace", apparmor: "ptrace (read, tracedby) peer=unconfined,", polc: "allow ptrace read to unconfined; allow ptrace trace from unconfined", status: Status::Exact, note: "" },
    Construct { id: "ptrace-peer-glob", apparmor: "ptrace (read) peer=/usr/sbin/*,", polc: "allow ptrace read to any", status: Status::Approximated, note: "a peer glob becomes `any`: wider" },
    Construct { id: "dbus", apparmor: "dbus send bus=system path=/org/x member={A,B} peer=(name=org.x, label=srv),", polc: "allow dbus send bus system path \"/org/x\" member \"{A,B}\" name \"org.x\" peer srv", status: Status::Exact, note: "" },
    Construct { id: "dbus-eavesdrop", apparmor: "dbus eavesdrop bus=session, dbus bus=session,", polc: "allow dbus send, receive bus session; allow dbus bind bus session", status: Status::Approximated, note: "polc has no eavesdrop (dbus-daemon deprecated it for `BecomeMonitor`, a method call): narrower" },
    Construct { id: "dbus-peer-glob", apparmor: "dbus receive peer=(label=/usr/sbin/*),", polc: "allow dbus receive peer any", status: Status::Approximated, note: "a peer glob becomes `any`: wider" },
    Construct { id: "child-profile", apparmor: "profile helper { ... } and ^hat { ... }", polc: "child helper { ... } / hat name { ... }", status: Status::Exact, note: "" },
    Construct { id: "mount", apparmor: "mount, umount, remount, pivot_root,", polc: "(none)", status: Status::NotImportable, note: "polc has no mount rules" },
    Construct { id: "change-profile", apparmor: "change_profile -> other,", polc: "(none)", status: Status::NotImportable, note: "polc has no change_profile" },
    Construct { id: "rlimit", apparmor: "set rlimit nofile <= 1024,", polc: "(none)", status: Status::NotImportable, note: "polc does not set resource limits" },
    Construct { id: "alias", apparmor: "alias /usr/ -> /mnt/usr/,", polc: "(none)", status: Status::NotImportable, note: "polc does not rewrite paths" },
    Construct { id: "conditional", apparmor: "if ${BOOL} { ... }", polc: "(none)", status: Status::NotImportable, note: "conditional rules are not read" },
    Construct { id: "other", apparmor: "mqueue, userns, io_uring, ...", polc: "(none)", status: Status::NotImportable, note: "polc has no rule of this kind" },
];

/// The row of an id.
pub fn row(id: &str) -> Option<&'static Construct> {
    TABLE.iter().find(|c| c.id == id)
}

/// The class and the note of a rule that uses these constructs: the worst status wins;
/// the note names every construct that is not exact.
pub fn judge(ids: &[&'static str]) -> (super::Class, String) {
    let mut class = super::Class::Exact;
    let mut notes: Vec<String> = Vec::new();
    for id in ids {
        let Some(c) = row(id) else { continue };
        let (cl, note) = match c.status {
            Status::Exact => continue,
            Status::Approximated => (super::Class::Approximated, c.note.to_string()),
            Status::NotImportable => (super::Class::NotImportable, c.note.to_string()),
            Status::NeedsV2(what) => (
                super::Class::NotImportable,
                format!("needs language v2: {what}"),
            ),
        };
        class = class.max(cl);
        if !notes.contains(&note) {
            notes.push(note);
        }
    }
    (class, notes.join("; "))
}

/// The table as Markdown (docs/import.md shows it; a test compares).
pub fn markdown() -> String {
    let mut s =
        String::from("| construct | AppArmor | polc | import |\n| --- | --- | --- | --- |\n");
    for c in TABLE {
        let status = match c.status {
            Status::Exact => "exact".to_string(),
            Status::Approximated => format!("approximated: {}", c.note),
            Status::NotImportable => format!("not importable: {}", c.note),
            Status::NeedsV2(what) => format!("not importable (needs language v2: {what})"),
        };
        let _ = writeln!(
            s,
            "| `{}` | `{}` | {} | {} |",
            c.id,
            c.apparmor.replace('|', "\\|"),
            c.polc.replace('|', "\\|"),
            status
        );
    }
    s
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use crate::import::Class;

    #[test]
    fn ids_are_unique_and_notes_present() {
        for (i, c) in TABLE.iter().enumerate() {
            assert!(TABLE[..i].iter().all(|d| d.id != c.id), "{} twice", c.id);
            let needs_note = matches!(c.status, Status::Approximated | Status::NotImportable);
            assert_eq!(needs_note, !c.note.is_empty(), "{}", c.id);
        }
    }

    #[test]
    fn the_worst_status_wins() {
        assert_eq!(judge(&["file"]), (Class::Exact, String::new()));
        let (class, note) = judge(&["file", "owner", "exec-named-scrub"]);
        assert_eq!(class, Class::Approximated);
        assert_eq!(note, "the environment is not scrubbed (polc emits `px`)");
        let (class, note) = judge(&["file", "ptrace", "dbus", "mount", "exec-named-scrub"]);
        assert_eq!(class, Class::NotImportable);
        assert_eq!(
            note,
            "polc has no mount rules; the environment is not scrubbed (polc emits `px`)"
        );
    }
}
