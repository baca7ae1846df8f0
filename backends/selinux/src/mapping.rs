//! The mapping of polc's file rights to SELinux classes and permissions
//! (documented in `docs/backends/selinux.md`).

use crate::fcontexts::FileClass;
use polc_lang::rights::Right;

/// Permissions a right needs on the object itself, per class.
pub(crate) fn object_perms(r: Right, c: FileClass) -> &'static [&'static str] {
    use FileClass as C;
    match (r, c) {
        (Right::Read, C::File | C::Char | C::Block | C::Pipe) => &["getattr", "open", "read"],
        (Right::Read, C::Symlink) => &["getattr", "read"],
        (Right::Write, C::File | C::Char | C::Block | C::Pipe) => &["getattr", "open", "write"],
        (Right::Write, C::Socket) => &["getattr", "write"],
        (Right::Append, C::File | C::Char | C::Block | C::Pipe) => &["append", "getattr", "open"],
        (Right::Create, _) => &["create"],
        (Right::Delete, C::Dir) => &["rmdir"],
        (Right::Delete, _) => &["unlink"],
        (Right::List, C::Dir) => &["getattr", "open", "read", "search"],
        (Right::Exec, C::File) => &[
            "execute",
            "execute_no_trans",
            "getattr",
            "map",
            "open",
            "read",
        ],
        (Right::MapExec, C::File) => &["execute", "map"],
        (Right::Lock, C::File) => &["lock"],
        (Right::Link, C::File) => &["link"],
        (Right::Rename, C::Dir) => &["rename", "reparent"],
        (Right::Rename, _) => &["rename"],
        _ => &[],
    }
}

/// The permissions that, granted together on a type, let the kernel perform the right on
/// objects of that type (what the fidelity check tests). Exec is tested on its core:
/// with or without a domain transition the file is executed.
pub(crate) fn core_perms(r: Right, c: FileClass) -> &'static [&'static str] {
    match (r, c) {
        (Right::Exec, FileClass::File) => &["execute", "getattr", "open", "read"],
        _ => object_perms(r, c),
    }
}

/// Permissions a right needs on the parent directory of the path.
pub(crate) fn parent_perms(r: Right) -> &'static [&'static str] {
    match r {
        Right::Create | Right::Link => &["add_name", "search", "write"],
        Right::Delete => &["remove_name", "search", "write"],
        Right::Rename => &["add_name", "remove_name", "search", "write"],
        _ => &[],
    }
}

/// The kinds of file a right applies to.
pub(crate) fn classes(r: Right) -> &'static [FileClass] {
    match r {
        Right::Read => &[
            FileClass::File,
            FileClass::Char,
            FileClass::Block,
            FileClass::Pipe,
            FileClass::Symlink,
        ],
        Right::Write => &[
            FileClass::File,
            FileClass::Char,
            FileClass::Block,
            FileClass::Socket,
            FileClass::Pipe,
        ],
        Right::Append => &[
            FileClass::File,
            FileClass::Char,
            FileClass::Block,
            FileClass::Pipe,
        ],
        Right::Create | Right::Delete | Right::Rename => &FileClass::ALL,
        Right::List => &[FileClass::Dir],
        Right::Exec | Right::MapExec | Right::Lock | Right::Link => &[FileClass::File],
    }
}

/// True for rights whose check involves the parent directory.
pub(crate) fn uses_parent(r: Right) -> bool {
    !parent_perms(r).is_empty()
}

/// The verb of a right for messages.
pub(crate) fn verb(r: Right) -> &'static str {
    match r {
        Right::Read => "read",
        Right::Write => "write",
        Right::Append => "append to",
        Right::Create => "create",
        Right::Delete => "delete",
        Right::List => "list",
        Right::Exec => "execute",
        Right::MapExec => "map as executable",
        Right::Lock => "lock",
        Right::Link => "hard-link",
        Right::Rename => "rename",
    }
}

/// The language's capabilities (in kernel order) split at 32: SELinux checks the first
/// 32 in class `capability` and the rest in class `capability2`.
const CAPABILITY_CLASSES: (&[&str], &[&str]) = polc_lang::ir::CAPABILITIES.as_slice().split_at(32);

/// Linux capabilities below 32 (class `capability`).
pub(crate) const CAPABILITIES: &[&str] = CAPABILITY_CLASSES.0;

/// Linux capabilities from 32 on (class `capability2`).
pub(crate) const CAPABILITIES2: &[&str] = CAPABILITY_CLASSES.1;

/// The `process` permission that governs sending a signal.
pub(crate) fn signal_perm(sig: &str) -> &'static str {
    match sig {
        "exists" => "signull",
        "kill" => "sigkill",
        "stop" => "sigstop",
        "chld" => "sigchld",
        _ => "signal",
    }
}
