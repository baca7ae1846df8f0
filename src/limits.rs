//! The sizes polc reads at most: every input is read through [`read_limited`], so a
//! file that never ends (`/dev/zero`, a FIFO fed forever) or a huge one ends in an error
//! naming the file and the limit, not in gigabytes of memory.
//!
//! The limits are documented in docs/cli.md ("Limits").

use std::io::{self, Read};
use std::path::Path;

/// The largest policy, JSON-form policy or abstraction file read: 16 MiB (the largest
/// shipped policy is a few KiB).
pub const MAX_POLICY_BYTES: u64 = 16 * 1024 * 1024;

/// The largest SELinux file contexts or port contexts listing read: 64 MiB (a
/// distribution's `file_contexts` is under 1 MiB).
pub const MAX_CONTEXTS_BYTES: u64 = 64 * 1024 * 1024;

/// `limit` in words: `16 MiB`, or bytes when not a whole number of MiB.
pub fn describe(limit: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if limit >= MIB && limit.is_multiple_of(MIB) {
        format!("{} MiB", limit / MIB)
    } else {
        format!("{limit} bytes")
    }
}

/// The error of an input larger than `limit` (kind [`io::ErrorKind::FileTooLarge`]).
pub fn too_large(limit: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::FileTooLarge,
        format!("it is larger than the limit of {}", describe(limit)),
    )
}

/// Read all of `reader` as UTF-8 text, but never more than `limit` bytes: a longer
/// input is an error of kind [`io::ErrorKind::FileTooLarge`] after reading `limit + 1`
/// bytes. The size is found by reading, not by asking the file system (`/dev/zero`
/// says its size is 0).
pub fn read_limited(reader: impl Read, limit: u64) -> io::Result<String> {
    let mut buf = Vec::new();
    reader.take(limit.saturating_add(1)).read_to_end(&mut buf)?;
    if u64::try_from(buf.len()).unwrap_or(u64::MAX) > limit {
        return Err(too_large(limit));
    }
    String::from_utf8(buf).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            "stream did not contain valid UTF-8",
        )
    })
}

/// Read the file at `path` with [`read_limited`].
pub fn read_file(path: &Path, limit: u64) -> io::Result<String> {
    read_limited(std::fs::File::open(path)?, limit)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn reading_stops_after_the_limit() {
        assert_eq!(read_limited(&b"abcd"[..], 4).unwrap(), "abcd");
        let e = read_limited(&b"abcde"[..], 4).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::FileTooLarge);
        assert_eq!(e.to_string(), "it is larger than the limit of 4 bytes");
        // An endless input is read up to the limit only.
        let e = read_limited(io::repeat(0), MAX_POLICY_BYTES).unwrap_err();
        assert_eq!(e.to_string(), "it is larger than the limit of 16 MiB");
    }

    #[test]
    fn dev_zero_is_refused_at_the_limit() {
        let e = read_file(Path::new("/dev/zero"), MAX_POLICY_BYTES).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::FileTooLarge);
    }
}
