//! Landlock audit records (ABI 7, kernel 6.15+): type 1423, `LANDLOCK_ACCESS`:
//! `domain=ID blockers=fs.read_file,... path="..." dev="..." ino=N`.

use super::fields;
use super::{trim_dir, Access, Denial, DenialError, Lsm, PathHint};
use crate::ir::{NetOp, Proto, SignalDir};
use crate::rights::Right;

pub(super) fn parse(line: &str) -> Result<Denial, DenialError> {
    let f = fields::parse(line);
    let blockers = f.get("blockers").ok_or(DenialError::MissingField {
        lsm: Lsm::Landlock,
        field: "blockers",
    })?;
    let permissions: Vec<String> = blockers
        .split(',')
        .filter(|b| !b.is_empty())
        .map(str::to_string)
        .collect();
    let path = f.get("path").map(|p| trim_dir(p).0.to_string());
    let port = |k: &str| {
        f.get(k)
            .and_then(|p| p.parse::<u16>().ok())
            .filter(|&p| p > 0)
    };
    let mut notes = Vec::new();
    let mut accesses = Vec::new();
    let mut child_note = false;
    for b in &permissions {
        let file = |right: Right, child: bool| -> Access {
            match &path {
                Some(p) if child => Access::File {
                    path: PathHint::ChildOf(p.clone()),
                    right,
                },
                Some(p) => Access::File {
                    path: PathHint::Exact(p.clone()),
                    right,
                },
                None => Access::Unmapped {
                    permission: b.clone(),
                    reason: "the record has no `path` field".into(),
                },
            }
        };
        let mut push = |a: Access| {
            if !accesses.contains(&a) {
                accesses.push(a);
            }
        };
        match b.as_str() {
            "fs.execute" => push(file(Right::Exec, false)),
            "fs.write_file" => push(file(Right::Write, false)),
            "fs.truncate" => push(file(Right::Write, false)),
            "fs.read_file" => push(file(Right::Read, false)),
            "fs.read_dir" => push(file(Right::List, false)),
            "fs.remove_dir" | "fs.remove_file" => {
                child_note = true;
                push(file(Right::Delete, true))
            }
            "fs.make_char" | "fs.make_dir" | "fs.make_reg" | "fs.make_sock" | "fs.make_fifo"
            | "fs.make_block" | "fs.make_sym" => {
                child_note = true;
                push(file(Right::Create, true))
            }
            "fs.refer" => {
                child_note = true;
                notes.push(
                    "`fs.refer` is a link or a rename across directories: both rights are listed"
                        .into(),
                );
                push(file(Right::Link, true));
                push(file(Right::Rename, true));
            }
            "net.bind_tcp" => push(Access::Net {
                op: Some(NetOp::Bind),
                proto: Proto::Tcp,
                family: None,
                port: port("src"),
            }),
            "net.connect_tcp" => push(Access::Net {
                op: Some(NetOp::Connect),
                proto: Proto::Tcp,
                family: None,
                port: port("dest"),
            }),
            "net.bind_udp" => push(Access::Net {
                op: Some(NetOp::Bind),
                proto: Proto::Udp,
                family: None,
                port: port("src"),
            }),
            "net.connect_send_udp" => push(Access::Net {
                op: Some(NetOp::Connect),
                proto: Proto::Udp,
                family: None,
                port: port("dest"),
            }),
            "scope.signal" => {
                notes.push(format!(
                    "Landlock refuses signals to processes outside the sandbox's domain; the target was pid {} ({})",
                    f.get("opid").unwrap_or("?"),
                    f.get("ocomm").unwrap_or("?")
                ));
                push(Access::Signal {
                    direction: SignalDir::Send,
                    peer: None,
                    signal: None,
                })
            }
            other => push(Access::Unmapped {
                permission: other.to_string(),
                reason: format!("Landlock blocker `{other}` has no counterpart in polc policies"),
            }),
        }
    }
    if child_note {
        notes.push(
            "for creation, removal and `fs.refer` Landlock logs the directory, not the entry"
                .into(),
        );
    }
    Ok(Denial {
        lsm: Lsm::Landlock,
        subject: f.get("domain").map(str::to_string),
        subject_policy: None,
        permissions,
        accesses,
        complain: false,
        notes,
        fields: f.map,
    })
}
