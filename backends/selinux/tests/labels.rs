//! The file_contexts model against libselinux itself: for a shortest path matched by every
//! entry of Debian's reference policy (and of its home-directory entries), the label polc
//! predicts equals what `matchpathcon` answers, for every kind of file.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{debian_fc, run, tool, DEBIAN_FC};
use polc_selinux::{FcLabel, FileClass};
use std::process::Command;

const FC: &str = DEBIAN_FC;

fn matchpathcon_mode(c: FileClass) -> &'static str {
    match c {
        FileClass::File => "file",
        FileClass::Dir => "dir",
        FileClass::Char => "chr_file",
        FileClass::Block => "blk_file",
        FileClass::Socket => "sock_file",
        FileClass::Pipe => "pipe",
        FileClass::Symlink => "lnk_file",
    }
}

#[test]
fn debian_file_contexts_are_in_cil_order() {
    assert!(debian_fc().is_cil_sorted());
}

#[test]
fn labels_agree_with_matchpathcon() {
    let fc = debian_fc();
    let mut lab = fc.labeller();
    let mut paths: Vec<String> = lab.samples().into_iter().flatten().collect();
    paths.extend(
        [
            "/",
            "/etc",
            "/etc/passwd",
            "/etc/shadow",
            "/etc/ssl/private/key.pem",
            "/usr/bin/ls",
            "/bin/ls",
            "/lib/x86_64-linux-gnu/libc.so.6",
            "/var/run/utmp",
            "/home/bob/.ssh/id_rsa",
            "/home/bob",
            "/tmp/x",
            "/var/lib/dpkg/status",
            "/opt/app/lib/x.so",
            "/srv/www/index.html",
        ]
        .map(String::from),
    );
    // paths with spaces or newlines cannot be passed through matchpathcon's output format
    paths.retain(|p| {
        !p.bytes()
            .any(|b| b.is_ascii_whitespace() || b.is_ascii_control())
    });
    paths.sort();
    paths.dedup();
    assert!(paths.len() > 4000, "only {} sample paths", paths.len());
    let mut mismatches = Vec::new();
    for class in [
        FileClass::File,
        FileClass::Dir,
        FileClass::Symlink,
        FileClass::Char,
    ] {
        for chunk in paths.chunks(2000) {
            let outp = run(Command::new(tool("matchpathcon"))
                .args(["-N", "-f", FC, "-m", matchpathcon_mode(class)])
                .args(chunk));
            let answers: Vec<&str> = outp.lines().collect();
            assert_eq!(
                answers.len(),
                chunk.len(),
                "matchpathcon printed one line per path"
            );
            for (path, line) in chunk.iter().zip(answers) {
                let ctx = line.rsplit('\t').next().unwrap_or("");
                let want = if ctx == "<<none>>" {
                    Some(FcLabel::None)
                } else {
                    ctx.split(':').nth(2).map(|t| FcLabel::Type(t.to_string()))
                };
                let got = lab.label(path, class);
                if got != want {
                    mismatches.push(format!(
                        "{path} ({}): polc {got:?}, matchpathcon {line}",
                        class.class()
                    ));
                }
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches
            .iter()
            .take(30)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
