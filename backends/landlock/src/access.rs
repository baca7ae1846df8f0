//! Landlock access bits, per ABI, and the mapping from the language's rights.
//!
//! The bit values are the kernel's (`LANDLOCK_ACCESS_FS_*`, `LANDLOCK_ACCESS_NET_*`,
//! `LANDLOCK_SCOPE_*`), so a set converts to the `landlock` crate's flags unchanged.
//! Sets serialize as lists of lowercase names (`read_file`, `make_reg`, ...).

use polc_lang::rights::Right;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

macro_rules! bitset {
    ($(#[$meta:meta])* $name:ident, $what:literal, [$( $(#[$vmeta:meta])* $c:ident = $bit:literal, $n:literal, $abi:literal; )*]) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(u64);

        impl $name {
            $( $(#[$vmeta])* pub const $c: $name = $name(1 << $bit); )*
            /// Every bit with its name and the ABI that introduced it.
            const TABLE: &'static [($name, &'static str, u8)] = &[ $( ($name(1 << $bit), $n, $abi), )* ];

            /// The empty set.
            pub const EMPTY: $name = $name(0);

            /// The raw kernel bits.
            pub fn bits(self) -> u64 {
                self.0
            }

            /// Every bit the given ABI knows (empty for ABI 0: no Landlock).
            pub fn all(abi: u8) -> $name {
                Self::TABLE
                    .iter()
                    .filter(|(_, _, since)| *since <= abi && abi > 0)
                    .fold($name::EMPTY, |acc, (b, _, _)| acc | *b)
            }

            /// True when no bit is set.
            pub fn is_empty(self) -> bool {
                self.0 == 0
            }

            /// True when every bit of `o` is set.
            pub fn contains(self, o: $name) -> bool {
                self.0 & o.0 == o.0
            }

            /// True when some bit is in both.
            pub fn intersects(self, o: $name) -> bool {
                self.0 & o.0 != 0
            }

            /// Bits of `self` not in `o`.
            pub fn difference(self, o: $name) -> $name {
                $name(self.0 & !o.0)
            }

            /// Names of the set bits, in kernel bit order.
            pub fn names(self) -> Vec<&'static str> {
                Self::TABLE
                    .iter()
                    .filter(|(b, _, _)| self.contains(*b))
                    .map(|(_, n, _)| *n)
                    .collect()
            }

            fn from_name(s: &str) -> Option<$name> {
                Self::TABLE.iter().find(|(_, n, _)| *n == s).map(|(b, _, _)| *b)
            }
        }

        impl std::ops::BitOr for $name {
            type Output = $name;
            fn bitor(self, o: $name) -> $name {
                $name(self.0 | o.0)
            }
        }

        impl std::ops::BitOrAssign for $name {
            fn bitor_assign(&mut self, o: $name) {
                self.0 |= o.0;
            }
        }

        impl std::ops::BitAnd for $name {
            type Output = $name;
            fn bitand(self, o: $name) -> $name {
                $name(self.0 & o.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_set().entries(self.names()).finish()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.names().join(" "))
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_seq(self.names())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let v = Vec::<String>::deserialize(d)?;
                v.iter().try_fold($name::EMPTY, |acc, n| {
                    $name::from_name(n)
                        .map(|b| acc | b)
                        .ok_or_else(|| serde::de::Error::custom(format!(concat!("unknown ", $what, " `{}`"), n)))
                })
            }
        }
    };
}

bitset!(
    /// A set of Landlock filesystem access rights (`LANDLOCK_ACCESS_FS_*`).
    FsAccess, "filesystem access right", [
    /// Execute a file.
    EXECUTE = 0, "execute", 1;
    /// Open a file for writing.
    WRITE_FILE = 1, "write_file", 1;
    /// Open a file for reading.
    READ_FILE = 2, "read_file", 1;
    /// Open a directory or list its content.
    READ_DIR = 3, "read_dir", 1;
    /// Remove an empty directory or rename one (checked on the parent).
    REMOVE_DIR = 4, "remove_dir", 1;
    /// Unlink or rename a file (checked on the parent).
    REMOVE_FILE = 5, "remove_file", 1;
    /// Create a character device (checked on the parent).
    MAKE_CHAR = 6, "make_char", 1;
    /// Create a directory (checked on the parent).
    MAKE_DIR = 7, "make_dir", 1;
    /// Create a regular file (checked on the parent).
    MAKE_REG = 8, "make_reg", 1;
    /// Create a UNIX socket (checked on the parent).
    MAKE_SOCK = 9, "make_sock", 1;
    /// Create a named pipe (checked on the parent).
    MAKE_FIFO = 10, "make_fifo", 1;
    /// Create a block device (checked on the parent).
    MAKE_BLOCK = 11, "make_block", 1;
    /// Create a symbolic link (checked on the parent).
    MAKE_SYM = 12, "make_sym", 1;
    /// Link or rename a file from or to a different directory.
    REFER = 13, "refer", 2;
    /// Truncate a file (`truncate`, `ftruncate`, `O_TRUNC`).
    TRUNCATE = 14, "truncate", 3;
    /// `ioctl` on character and block devices.
    IOCTL_DEV = 15, "ioctl_dev", 5;
]);

bitset!(
    /// A set of Landlock network access rights (`LANDLOCK_ACCESS_NET_*`).
    NetAccess, "network access right", [
    /// Bind a TCP socket to a local port.
    BIND_TCP = 0, "bind_tcp", 4;
    /// Connect a TCP socket to a remote port.
    CONNECT_TCP = 1, "connect_tcp", 4;
]);

bitset!(
    /// A set of Landlock scopes (`LANDLOCK_SCOPE_*`).
    Scopes, "scope", [
    /// Connecting to abstract UNIX sockets created outside the domain is refused.
    ABSTRACT_UNIX_SOCKET = 0, "abstract_unix_socket", 6;
    /// Sending signals to processes outside the domain is refused.
    SIGNAL = 1, "signal", 6;
]);

impl FsAccess {
    /// Every `make_*` right.
    pub const MAKE_ALL: FsAccess = FsAccess(
        FsAccess::MAKE_CHAR.0
            | FsAccess::MAKE_DIR.0
            | FsAccess::MAKE_REG.0
            | FsAccess::MAKE_SOCK.0
            | FsAccess::MAKE_FIFO.0
            | FsAccess::MAKE_BLOCK.0
            | FsAccess::MAKE_SYM.0,
    );

    /// The rights a rule on a non-directory may hold (the kernel refuses the others).
    pub const FILE_ONLY: FsAccess = FsAccess(
        FsAccess::EXECUTE.0
            | FsAccess::WRITE_FILE.0
            | FsAccess::READ_FILE.0
            | FsAccess::TRUNCATE.0
            | FsAccess::IOCTL_DEV.0,
    );
}

/// How the kernel checks a right: on the object itself, or on its parent directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Check {
    /// Checked on a non-directory: a rule on the file, or on any directory above it.
    File,
    /// Checked on a directory itself: a rule on it, or on any directory above it.
    Dir,
    /// Checked on the parent directory of the path: a rule on a directory `D` covers
    /// every path strictly beneath `D`.
    Parent,
    /// Landlock has no access right for it: it is never restricted.
    Never,
}

/// How the kernel checks `r`.
pub(crate) fn check_of(r: Right) -> Check {
    match r {
        Right::Read | Right::Write | Right::Append | Right::Exec => Check::File,
        Right::List => Check::Dir,
        Right::Create | Right::Delete | Right::Link | Right::Rename => Check::Parent,
        Right::MapExec | Right::Lock => Check::Never,
    }
}

/// The Landlock bits granted for the right `r` at `abi` (see docs/backends/landlock.md).
///
/// `link` and `rename` map to `refer`, which is only granted where a rule grants both
/// (the caller decides); this function gives the bits for one right.
pub fn fs_bits(r: Right, abi: u8) -> FsAccess {
    let all = FsAccess::all(abi);
    let ioctl = FsAccess::IOCTL_DEV;
    let bits = match r {
        Right::Read => FsAccess::READ_FILE | ioctl,
        Right::Write => FsAccess::WRITE_FILE | FsAccess::TRUNCATE | ioctl,
        Right::Append => FsAccess::WRITE_FILE | ioctl,
        Right::Create => FsAccess::MAKE_ALL,
        Right::Delete => FsAccess::REMOVE_FILE | FsAccess::REMOVE_DIR,
        Right::List => FsAccess::READ_DIR,
        Right::Exec => FsAccess::EXECUTE,
        Right::Link | Right::Rename => FsAccess::REFER,
        Right::MapExec | Right::Lock => FsAccess::EMPTY,
    };
    bits & all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abi_sets_grow() {
        assert_eq!(FsAccess::all(0), FsAccess::EMPTY);
        assert_eq!(FsAccess::all(1).bits(), (1 << 13) - 1);
        assert!(FsAccess::all(2).contains(FsAccess::REFER));
        assert!(!FsAccess::all(2).contains(FsAccess::TRUNCATE));
        assert_eq!(FsAccess::all(7).bits(), (1 << 16) - 1);
        assert!(NetAccess::all(3).is_empty());
        assert_eq!(NetAccess::all(4).bits(), 3);
        assert!(Scopes::all(5).is_empty());
        assert_eq!(Scopes::all(6).bits(), 3);
    }

    #[test]
    fn json_names_round_trip() {
        let s = FsAccess::READ_FILE | FsAccess::MAKE_REG;
        let j = serde_json::to_string(&s).unwrap_or_default();
        assert_eq!(j, r#"["read_file","make_reg"]"#);
        let back: FsAccess = serde_json::from_str(&j).unwrap_or_default();
        assert_eq!(back, s);
        assert!(serde_json::from_str::<FsAccess>(r#"["nope"]"#).is_err());
    }

    #[test]
    fn write_gets_truncate_from_abi_3() {
        assert!(!fs_bits(Right::Write, 2).contains(FsAccess::TRUNCATE));
        assert!(fs_bits(Right::Write, 3).contains(FsAccess::TRUNCATE));
        assert!(!fs_bits(Right::Append, 7).contains(FsAccess::TRUNCATE));
        assert!(fs_bits(Right::Link, 1).is_empty());
    }
}
