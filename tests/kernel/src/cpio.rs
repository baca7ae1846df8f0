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
        let ino = self.ino;
        self.entry_with(name, mode, body, ino, 1);
    }

    fn entry_with(&mut self, name: &str, mode: u32, body: &[u8], ino: u32, nlink: usize) {
        let name = name.trim_start_matches('/');
        let header = format!(
            "070701{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}",
            ino,
            mode,
            0,
            0,
            nlink,
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

    /// Add one regular file under several names (hard links: one inode, one copy of the
    /// body). The kernel's unpacker links every later name to the first.
    pub fn linked_files(&mut self, paths: &[&str], mode: u32, body: &[u8]) {
        self.ino += 1;
        let ino = self.ino;
        for (i, path) in paths.iter().enumerate() {
            if let Some((parent, _)) = path.rsplit_once('/') {
                self.dir(parent);
            }
            let b = if i == 0 { body } else { &[] };
            self.entry_with(path, 0o100000 | (mode & 0o7777), b, ino, paths.len().max(2));
        }
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
#[allow(clippy::indexing_slicing)]
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

    #[test]
    fn hard_links_share_an_inode_and_one_body() {
        let mut a = Archive::new();
        a.linked_files(&["/a", "/b/c"], 0o755, b"BODY");
        let s = String::from_utf8_lossy(&a.finish()).into_owned();
        assert_eq!(s.matches("BODY").count(), 1);
        let headers: Vec<&str> = s
            .match_indices("070701")
            .map(|(i, _)| &s[i..i + 110])
            .collect();
        let ino = |h: &str| h[6..14].to_string();
        let nlink = |h: &str| h[38..46].to_string();
        let files: Vec<&&str> = headers
            .iter()
            .filter(|h| &h[14..18] == "0000" && &h[18..22] == "81ed")
            .collect();
        assert_eq!(files.len(), 2);
        assert_eq!(ino(files[0]), ino(files[1]));
        assert_eq!(nlink(files[0]), "00000002");
    }
}
