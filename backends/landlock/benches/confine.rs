//! Policy (IR JSON) → plan → confined child running /bin/true, against the same ruleset
//! built by hand with the `landlock` crate. Run: `cargo bench -p polc-landlock`.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use criterion::{criterion_group, criterion_main, Criterion};
use landlock::{
    Access, AccessFs, AccessNet, BitFlags, NetPort, PathBeneath, PathFd, Ruleset, RulesetAttr,
    RulesetCreatedAttr, ABI,
};
use polc_landlock::{plan, CommandExt, Compatibility, Config};
use polc_lang::ir::Policy;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::process::CommandExt as _;
use std::process::Command;

const POLICY: &str = r#"{
  "name": "org.example.bench", "mode": "enforce",
  "files": [
    { "effect": "allow", "glob": "/etc/**", "rights": ["read"], "origins": [] },
    { "effect": "allow", "glob": "/tmp/**", "rights": ["read", "write", "append"], "origins": [] },
    { "effect": "allow", "glob": "/usr/**", "rights": ["read", "exec", "map-exec"], "origins": [] }
  ],
  "net": [{ "effect": "allow", "op": "connect", "proto": "tcp", "ports": { "lo": 443, "hi": 443 }, "origins": [] }],
  "capabilities": [], "signals": []
}"#;

fn polc() {
    let policy: Policy = serde_json::from_str(POLICY).unwrap();
    let config = Config {
        compatibility: Compatibility::BestEffort,
        ..Config::default()
    };
    let p = plan(&policy, &config).unwrap();
    let mut cmd = Command::new("/bin/true");
    cmd.confine(&p).unwrap();
    assert!(cmd.status().unwrap().success());
}

fn by_hand() {
    let abi = ABI::V7;
    let read = BitFlags::from(AccessFs::ReadFile) | AccessFs::IoctlDev;
    let write = read | AccessFs::WriteFile | AccessFs::Truncate;
    let exec = read | AccessFs::Execute;
    let created = Ruleset::default()
        .handle_access(AccessFs::from_all(abi))
        .unwrap()
        .handle_access(AccessNet::ConnectTcp)
        .unwrap()
        .create()
        .unwrap()
        .add_rule(PathBeneath::new(PathFd::new("/etc").unwrap(), read))
        .unwrap()
        .add_rule(PathBeneath::new(PathFd::new("/tmp").unwrap(), write))
        .unwrap()
        .add_rule(PathBeneath::new(PathFd::new("/usr").unwrap(), exec))
        .unwrap()
        .add_rule(NetPort::new(443, AccessNet::ConnectTcp))
        .unwrap();
    let fd: OwnedFd = Option::<OwnedFd>::from(created).unwrap();
    let mut cmd = Command::new("/bin/true");
    unsafe {
        cmd.pre_exec(move || {
            if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            if libc::syscall(libc::SYS_landlock_restrict_self, fd.as_raw_fd(), 0) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    assert!(cmd.status().unwrap().success());
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("confined /bin/true");
    g.bench_function("polc: IR → plan → confine", |b| b.iter(polc));
    g.bench_function("landlock crate by hand", |b| b.iter(by_hand));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
