//! Assemble a guest: busybox, the probe, apparmor_parser with its libraries, policies,
//! test files and an `/init` script that loads the policies, runs the cases and powers off.

use crate::cpio::Archive;
use crate::probe::{case_file, parse_results, Case, Outcome};
use crate::vm::{boot, Lsm};
use crate::{cache_dir, io, require_tool, run, Error, Result};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// A guest being assembled.
#[derive(Debug)]
pub struct Guest {
    lsm: Lsm,
    archive: Archive,
    setup: Vec<String>,
    after: Vec<String>,
    cases: Vec<Case>,
    probe: Vec<u8>,
    /// Names of the probe (hard links of `/bin/polc-probe`).
    links: Vec<String>,
    memory_mb: u32,
}

/// What a boot produced.
#[derive(Debug)]
pub struct Run {
    /// The cleaned console.
    pub console: String,
    /// Outcomes by case id.
    pub results: BTreeMap<String, Outcome>,
}

fn read(p: &Path) -> Result<Vec<u8>> {
    std::fs::read(p).map_err(io(format!("reading {}", p.display())))
}

/// The shared libraries `ldd` lists for a binary (absolute paths).
fn libraries(bin: &Path) -> Result<Vec<PathBuf>> {
    let out = run(Command::new("ldd").arg(bin))?;
    Ok(String::from_utf8_lossy(&out)
        .split_whitespace()
        .filter(|w| w.starts_with('/'))
        .map(PathBuf::from)
        .collect())
}

impl Guest {
    /// A guest for `lsm`, with busybox and the static probe at `probe`.
    pub fn new(lsm: Lsm, probe: &Path) -> Result<Guest> {
        let busybox = PathBuf::from("/bin/busybox");
        if !busybox.is_file() {
            return Err(Error::MissingTool {
                tool: "busybox".into(),
                hint: "install the Debian package `busybox-static`".into(),
            });
        }
        let mut archive = Archive::new();
        for d in [
            "/proc", "/sys", "/dev", "/tmp", "/etc", "/sbin", "/usr/bin", "/data",
        ] {
            archive.dir(d);
        }
        archive.file("/bin/busybox", 0o755, &read(&busybox)?);
        let probe = read(probe)?;
        Ok(Guest {
            lsm,
            archive,
            setup: Vec::new(),
            after: Vec::new(),
            cases: Vec::new(),
            probe,
            links: vec!["/bin/polc-probe".into()],
            memory_mb: 512,
        })
    }

    /// Add `apparmor_parser`, its libraries and the ABI files.
    pub fn with_apparmor_parser(mut self) -> Result<Guest> {
        let parser = require_tool("apparmor_parser", "apparmor")?;
        for lib in libraries(&parser)? {
            let body = read(&lib)?;
            self.archive.file(&lib.to_string_lossy(), 0o755, &body);
        }
        self.archive
            .file("/sbin/apparmor_parser", 0o755, &read(&parser)?);
        for dir in ["/etc/apparmor.d/abi", "/etc/apparmor.d/tunables"] {
            self.add_tree(Path::new(dir))?;
        }
        self.archive.file("/etc/apparmor/parser.conf", 0o644, b"");
        Ok(self)
    }

    fn add_tree(&mut self, dir: &Path) -> Result<()> {
        let entries = std::fs::read_dir(dir).map_err(io(format!("listing {}", dir.display())))?;
        for e in entries {
            let p = e.map_err(io(format!("listing {}", dir.display())))?.path();
            if p.is_dir() {
                self.add_tree(&p)?;
            } else if p.is_file() {
                let body = read(&p)?;
                self.archive.file(&p.to_string_lossy(), 0o644, &body);
            }
        }
        Ok(())
    }

    /// Add a file to the guest.
    pub fn file(mut self, path: &str, mode: u32, body: &[u8]) -> Guest {
        self.archive.file(path, mode, body);
        self
    }

    /// Add a directory to the guest.
    pub fn dir(mut self, path: &str) -> Guest {
        self.archive.dir(path);
        self
    }

    /// Put the probe at `path` too (an attach path for AppArmor), as a hard link: every
    /// name shares one inode, so a guest can hold many without the memory.
    pub fn probe_at(mut self, path: &str) -> Guest {
        self.links.push(path.to_string());
        self
    }

    /// Put a copy of the probe at `path`: an inode of its own (SELinux labels inodes, so
    /// each entrypoint needs its own copy).
    pub fn probe_copy_at(mut self, path: &str) -> Guest {
        let body = self.probe.clone();
        self.archive.file(path, 0o755, &body);
        self
    }

    /// The guest's memory (default 512 MB).
    pub fn memory_mb(mut self, mb: u32) -> Guest {
        self.memory_mb = mb;
        self
    }

    /// A shell line run (in order) after the cases, e.g. printing the kernel log. Its
    /// failure is reported as `POLC-AFTER-FAILED`.
    pub fn after(mut self, line: &str) -> Guest {
        self.after.push(line.to_string());
        self
    }

    /// A shell line run (in order) before the cases, e.g. loading a policy. Its failure is
    /// reported on the console as `POLC-SETUP-FAILED`.
    pub fn setup(mut self, line: &str) -> Guest {
        self.setup.push(line.to_string());
        self
    }

    /// Add cases.
    pub fn cases(mut self, cases: impl IntoIterator<Item = Case>) -> Guest {
        self.cases.extend(cases);
        self
    }

    fn init_script(&self) -> String {
        let mut s = String::from(
            "#!/bin/busybox sh\n\
             export PATH=/sbin:/bin:/usr/bin\n\
             /bin/busybox --install -s /bin\n\
             mount -t proc proc /proc\n\
             mount -t sysfs sysfs /sys\n\
             mount -t securityfs securityfs /sys/kernel/security\n\
             mount -t devtmpfs devtmpfs /dev 2>/dev/null\n\
             ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up\n\
             echo \"POLC-LSM $(cat /sys/kernel/security/lsm)\"\n",
        );
        for (i, line) in self.setup.iter().enumerate() {
            s.push_str(&format!("{line} || echo POLC-SETUP-FAILED {i}\n"));
        }
        s.push_str("echo POLC-CASES-BEGIN\n/bin/polc-probe run /cases\necho POLC-CASES-END\n");
        for (i, line) in self.after.iter().enumerate() {
            s.push_str(&format!("{line} || echo POLC-AFTER-FAILED {i}\n"));
        }
        s.push_str("echo POLC-DONE\npoweroff -f\n");
        s
    }

    /// Build the initramfs, boot, and parse the results. Fails if a setup line failed or
    /// any case produced no result.
    pub fn boot(self, kernel: &Path) -> Result<Run> {
        let init = self.init_script();
        let cases = case_file(&self.cases);
        let ids: Vec<String> = self.cases.iter().map(|c| c.id.clone()).collect();
        let lsm = self.lsm;
        let memory_mb = self.memory_mb;
        let mut archive = self.archive;
        let links: Vec<&str> = self.links.iter().map(String::as_str).collect();
        archive.linked_files(&links, 0o755, &self.probe);
        archive.file("/init", 0o755, init.as_bytes());
        archive.file("/cases", 0o644, cases.as_bytes());
        let dir = cache_dir().join("initrd");
        std::fs::create_dir_all(&dir).map_err(io(format!("creating {}", dir.display())))?;
        let initrd = dir.join(format!("initrd-{}-{}.cpio", std::process::id(), unique()));
        std::fs::write(&initrd, archive.finish())
            .map_err(io(format!("writing {}", initrd.display())))?;
        // TCG boots take ~3 s; a few hundred cases add a few seconds more.
        let timeout = Duration::from_secs(60 + ids.len() as u64 / 10);
        let console = boot(kernel, &initrd, lsm, memory_mb, timeout);
        let _ = std::fs::remove_file(&initrd);
        let console = console?;
        if let Some(l) = console.lines().find(|l| l.contains("POLC-SETUP-FAILED")) {
            return Err(Error::Vm(format!(
                "setup failed ({l}); console:\n{console}"
            )));
        }
        if let Some(l) = console.lines().find(|l| l.contains("POLC-AFTER-FAILED")) {
            return Err(Error::Vm(format!(
                "a step after the cases failed ({l}); console:\n{console}"
            )));
        }
        if !console.contains("POLC-DONE") {
            return Err(Error::Vm(format!(
                "powered off before finishing; console:\n{}",
                crate::vm::tail(&console, 60)
            )));
        }
        let results = parse_results(&console);
        let missing: Vec<&String> = ids.iter().filter(|id| !results.contains_key(*id)).collect();
        if !missing.is_empty() {
            return Err(Error::Vm(format!(
                "gave no result for {} case(s) (first: {:?}); console:\n{}",
                missing.len(),
                missing.first(),
                crate::vm::tail(&console, 60)
            )));
        }
        Ok(Run { console, results })
    }
}

fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}
