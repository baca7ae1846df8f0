//! A writer for the `newc` cpio format, the format the kernel unpacks as an initramfs.

use std::collections::BTreeSet;

/// An in-memory initramfs archive.
#[derive(Debug, Default)]
pub struct Archive {
    data: Vec<u8>,
    ino: u32,
    dirs: BTreeSet<String>,
}

impl Archive {
    /// An empty archive.
    pub fn new() -> Self {
        Archive::default()
    }

    fn entry(&mut self, name: &str, mode: u32, body: &[u8]) {
        self.ino += 1;
        let name = name.trim_start_matches('/');
        let header = format!(
            "070701{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}",
            self.ino,
            mode,
            0,
            0,
            1,
            0,
            body.len(),
            0,
            0,
            0,
            0,
            name.len() + 1,
            0
        );
        self.data.extend_from_slice(header.as_bytes());
        self.data.extend_from_slice(name.as_bytes());
        self.data.push(0);
        self.pad();
        self.data.extend_from_slice(body);
        self.pad();
    }

    fn pad(&mut self) {
        while !self.data.len().is_multiple_of(4) {
            self.data.push(0);
        }
    }

    /// Add a directory and its missing parents.
    pub fn dir(&mut self, path: &str) {
        let mut cur = String::new();
        for part in path.trim_matches('/').split('/').filter(|p| !p.is_empty()) {
            cur.push('/');
            cur.push_str(part);
            if self.dirs.insert(cur.clone()) {
                let c = cur.clone();
                self.entry(&c, 0o040755, &[]);
            }
        }
    }

    /// Add a regular file (parents created) with a permission mode such as `0o755`.
    pub fn file(&mut self, path: &str, mode: u32, body: &[u8]) {
        if let Some((parent, _)) = path.rsplit_once('/') {
            self.dir(parent);
        }
        self.entry(path, 0o100000 | (mode & 0o7777), body);
    }

    /// Add a symbolic link.
    pub fn symlink(&mut self, path: &str, target: &str) {
        if let Some((parent, _)) = path.rsplit_once('/') {
            self.dir(parent);
        }
        self.entry(path, 0o120777, target.as_bytes());
    }

    /// The finished archive bytes (with the trailer).
    pub fn finish(mut self) -> Vec<u8> {
        self.entry("TRAILER!!!", 0, &[]);
        self.data
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_aligned_and_trailer_present() {
        let mut a = Archive::new();
        a.file("/etc/x", 0o644, b"abc");
        let d = a.finish();
        assert_eq!(d.len() % 4, 0);
        assert!(d.starts_with(b"070701"));
        let s = String::from_utf8_lossy(&d);
        assert!(s.contains("etc/x\0"));
        assert!(s.contains("TRAILER!!!"));
    }
}
