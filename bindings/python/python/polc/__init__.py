"""polc for Python: one isolation policy language, compiled to AppArmor, SELinux or Landlock.

An installer's whole path::

    import polc

    policy = polc.load_file("app.pol")              # raises polc.PolicyError with diagnostics
    artifact = policy.compile("landlock", strict=True)
    for rule in artifact.report.entries:            # exact / narrowed / widened / unsupported
        print(rule.fidelity, rule.rule)
    store = polc.Store("/var/lib/polc")
    generation = store.install(policy, "landlock")  # transactional; kernel-loaded for AppArmor/SELinux
    child = polc.spawn(policy, ["/usr/bin/app"], lsm="landlock")
    if child.wait() != 0:
        store.rollback(policy.name)

Every function calls the polc library itself (the extension module ``polc._native``);
nothing runs the ``polc`` command.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from . import _native

__all__ = [
    "ABI_VERSION",
    "Artifact",
    "CompileError",
    "ConfineError",
    "Confined",
    "Diagnostic",
    "Diff",
    "Explanation",
    "FidelityEntry",
    "FidelityReport",
    "InvalidArgument",
    "NotInstalled",
    "Policy",
    "PolicyError",
    "PolcError",
    "Store",
    "StoreError",
    "StrictError",
    "TARGETS",
    "check",
    "diff",
    "load",
    "load_file",
    "run",
    "spawn",
]

#: The version of the interface between this package and its native module.
ABI_VERSION: int = _native.ABI_VERSION

#: The targets `Policy.compile` and `Store.install` accept.
TARGETS: Tuple[str, ...] = ("apparmor", "selinux", "landlock")

# Exceptions: the native module's, under their public names.
PolcError = _native.NativeError
InvalidArgument = _native.InvalidArgument
CompileError = _native.CompileFailed
StrictError = _native.StrictRefused
StoreError = _native.StoreFailed
NotInstalled = _native.NotInstalled
ConfineError = _native.ConfineFailed


@dataclass(frozen=True)
class Diagnostic:
    """One error or warning of a load, with a stable code (see docs/diagnostics.md)."""

    code: str
    severity: str
    message: str
    file: str
    line: Optional[int]
    column: Optional[int]
    help: Optional[str]
    label: Optional[str]

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}:{self.column}"
        return f"{where}: {self.severity}[{self.code}]: {self.message}"

    @classmethod
    def _from_json(cls, d: Mapping[str, Any]) -> "Diagnostic":
        loc = d.get("location") or {}
        return cls(
            code=d["code"],
            severity=d["severity"],
            message=d["message"],
            file=d.get("file", ""),
            line=loc.get("line"),
            column=loc.get("column"),
            help=d.get("help"),
            label=d.get("label"),
        )


def _diagnostics(text: str) -> List[Diagnostic]:
    return [Diagnostic._from_json(d) for d in json.loads(text)]


class PolicyError(_native.NativeError):
    """The policy did not load. `diagnostics` holds every error and warning found."""

    def __init__(self, diagnostics: List[Diagnostic]):
        self.diagnostics = diagnostics
        errors = [d for d in diagnostics if d.is_error]
        first = str(errors[0]) if errors else "the policy did not load"
        more = f" (and {len(errors) - 1} more errors)" if len(errors) > 1 else ""
        super().__init__(first + more)


@dataclass(frozen=True)
class FidelityEntry:
    """How exactly a backend expresses one rule: `exact`, `narrowed`, `widened` or `unsupported`."""

    fidelity: str
    #: The rule as one line of policy text.
    rule: str
    #: The rights concerned, for a file rule whose rights differ in fidelity.
    rights: List[str]
    #: Why it is not exact (empty when exact).
    reason: str
    #: The policy's reason when an `accept` block accepts this widening on this backend
    #: (strict mode does not refuse it); None otherwise.
    accepted: Optional[str]
    data: Dict[str, Any] = field(repr=False)


@dataclass(frozen=True)
class FidelityReport:
    """The per-rule fidelity report of a compile."""

    backend: str
    target: str
    entries: List[FidelityEntry]
    #: What the backend leaves unrestricted entirely (e.g. UDP under Landlock).
    unrestricted: List[Dict[str, Any]]
    data: Dict[str, Any] = field(repr=False)

    def count(self, fidelity: str) -> int:
        """How many entries have this fidelity."""
        return sum(1 for e in self.entries if e.fidelity == fidelity)

    @property
    def exact(self) -> bool:
        """True when every rule is expressed exactly and nothing is left unrestricted."""
        return all(e.fidelity == "exact" for e in self.entries) and not self.unrestricted

    @classmethod
    def _from_json(cls, d: Dict[str, Any]) -> "FidelityReport":
        entries = [
            FidelityEntry(
                fidelity=e.get("fidelity", ""),
                rule=e.get("rule", ""),
                rights=list(e.get("rights", [])),
                reason=e.get("reason", ""),
                accepted=e.get("accepted"),
                data=e,
            )
            for e in d.get("entries", [])
        ]
        return cls(
            backend=d.get("backend", ""),
            target=d.get("target", ""),
            entries=entries,
            unrestricted=list(d.get("unrestricted", [])),
            data=d,
        )


@dataclass(frozen=True)
class Artifact:
    """A compiled policy: the profile, CIL module or Landlock plan, and its fidelity report."""

    target: str
    text: str
    file_name: str
    report: FidelityReport


@dataclass(frozen=True)
class Explanation:
    """The decision on one request and the rules behind it (what `polc explain` says)."""

    allowed: bool
    reason: str
    #: The rules that decided, each a dict with `rule`, `effect` and `origins`.
    deciding: List[Dict[str, Any]]
    #: The text `polc explain` prints.
    text: str
    data: Dict[str, Any] = field(repr=False)


@dataclass(frozen=True)
class Diff:
    """What one policy grants that another does not, by meaning (what `polc diff` says).
    `changed` is true when they differ in meaning or in what they plug."""

    changed: bool
    text: str
    data: Dict[str, Any] = field(repr=False)


def _compile_args(
    strict: bool,
    apparmor_abi: str,
    landlock_abi: Optional[int],
    selinux_file_contexts: Optional[os.PathLike[str] | str],
    selinux_port_contexts: Optional[os.PathLike[str] | str],
    selinux_launchers: Sequence[str],
    selinux_attributes: Sequence[str],
) -> Tuple[Any, ...]:
    return (
        strict,
        apparmor_abi,
        landlock_abi,
        None if selinux_file_contexts is None else os.fspath(selinux_file_contexts),
        None if selinux_port_contexts is None else os.fspath(selinux_port_contexts),
        list(selinux_launchers),
        list(selinux_attributes),
    )


class Policy:
    """A loaded policy. Create one with `load` or `load_file`."""

    __slots__ = ("_native",)

    def __init__(self, native: Any):
        self._native = native

    @property
    def name(self) -> str:
        """The policy's name (`org.example.app`)."""
        return self._native.name

    @property
    def warnings(self) -> List[Diagnostic]:
        """The warnings of the load."""
        return _diagnostics(self._native.warnings())

    def ir(self) -> Dict[str, Any]:
        """The policy's meaning, the IR, as a dict (`polc compile --target ir`)."""
        return json.loads(self._native.ir_json())

    def compile(
        self,
        target: str,
        *,
        strict: bool = False,
        apparmor_abi: str = "3.0",
        landlock_abi: Optional[int] = None,
        selinux_file_contexts: Optional[os.PathLike[str] | str] = None,
        selinux_port_contexts: Optional[os.PathLike[str] | str] = None,
        selinux_launchers: Sequence[str] = (),
        selinux_attributes: Sequence[str] = (),
    ) -> Artifact:
        """Compile for `target` (`apparmor`, `selinux` or `landlock`).

        `strict=True` raises `StrictError` when a rule would be widened or unsupported.
        """
        text, file_name, report = self._native.compile(
            target,
            *_compile_args(
                strict,
                apparmor_abi,
                landlock_abi,
                selinux_file_contexts,
                selinux_port_contexts,
                selinux_launchers,
                selinux_attributes,
            ),
        )
        return Artifact(target, text, file_name, FidelityReport._from_json(json.loads(report)))

    def explain(self, request: str) -> Explanation:
        """Decide a request: `read /etc/hosts`, `net connect:tcp:443`, `capability chown`,
        `signal send:term:self`."""
        data, text = self._native.explain(request)
        d = json.loads(data)
        return Explanation(
            allowed=bool(d.get("allowed")),
            reason=d.get("reason", ""),
            deciding=list(d.get("deciding", [])),
            text=text,
            data=d,
        )

    def __repr__(self) -> str:
        return f"<polc.Policy {self.name}>"


def load(
    text: str,
    *,
    name: str = "<input>",
    vars: Optional[Mapping[str, str]] = None,
    abstraction_dirs: Sequence[os.PathLike[str] | str] = (),
) -> Policy:
    """Load a policy from its text (a `name` ending in `.json` reads the JSON form).

    `abstraction_dirs` are searched after the built-in abstractions and the default
    directories (/usr/share/polc/abstractions, /etc/polc/abstractions, or those of
    POLC_ABSTRACTIONS_PATH), a later one overriding an earlier one, as `polc
    --abstractions DIR` does.

    Raises `PolicyError` with every diagnostic when it does not load.
    """
    try:
        native = _native.load(
            text, name, dict(vars or {}), [os.fspath(d) for d in abstraction_dirs]
        )
    except _native.LoadFailed as e:
        raise PolicyError(_diagnostics(e.args[0])) from None
    return Policy(native)


def load_file(
    path: os.PathLike[str] | str,
    *,
    vars: Optional[Mapping[str, str]] = None,
    abstraction_dirs: Sequence[os.PathLike[str] | str] = (),
) -> Policy:
    """Load a policy file."""
    p = os.fspath(path)
    with open(p, encoding="utf-8") as f:
        return load(f.read(), name=p, vars=vars, abstraction_dirs=abstraction_dirs)


def check(
    text: str,
    *,
    name: str = "<input>",
    vars: Optional[Mapping[str, str]] = None,
    abstraction_dirs: Sequence[os.PathLike[str] | str] = (),
) -> List[Diagnostic]:
    """Every diagnostic of a policy text, errors and warnings; an empty list when clean."""
    return _diagnostics(
        _native.check(text, name, dict(vars or {}), [os.fspath(d) for d in abstraction_dirs])
    )


def diff(old: Policy, new: Policy) -> Diff:
    """What `new` grants that `old` did not, and what it no longer grants."""
    data, text, changed = _native.diff_policies(old._native, new._native)
    return Diff(changed=changed, text=text, data=json.loads(data))


class Store:
    """The transactional store of installed policies (default root `/var/lib/polc`).

    `install` compiles and writes a new generation, then loads it into the kernel
    (`apparmor_parser`, `semodule`; Landlock needs no load); a failure leaves the
    previous generation current. `rollback` returns to the previous generation.

    An open store holds the store's lock (a writer's exclusive, a reader's shared) until
    `close`; another `Store` on the same root, in this process or another, waits for it.
    Use it as a context manager::

        with polc.Store(root) as store:
            store.install(policy, "apparmor")
    """

    def __init__(self, root: os.PathLike[str] | str = "/var/lib/polc", *, read_only: bool = False):
        self._native = _native.Store(os.fspath(root), read_only)

    def close(self) -> None:
        """Release the store's lock; later calls raise `StoreError`."""
        self._native.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def install(
        self,
        policy: Policy,
        target: str,
        *,
        strict: bool = False,
        apparmor_abi: str = "3.0",
        landlock_abi: Optional[int] = None,
        selinux_file_contexts: Optional[os.PathLike[str] | str] = None,
        selinux_port_contexts: Optional[os.PathLike[str] | str] = None,
        selinux_launchers: Sequence[str] = (),
        selinux_attributes: Sequence[str] = (),
    ) -> int:
        """Compile for `target` and install as a new generation; returns its number."""
        return self._native.install(
            policy._native,
            target,
            *_compile_args(
                strict,
                apparmor_abi,
                landlock_abi,
                selinux_file_contexts,
                selinux_port_contexts,
                selinux_launchers,
                selinux_attributes,
            ),
        )

    def rollback(self, name: str) -> int:
        """Make the previous generation current; returns its number (an app's previous
        connections come back with it)."""
        return self._native.rollback(name)

    def connect(
        self,
        app: str,
        plug: str,
        *,
        abstraction_dirs: Sequence[os.PathLike[str] | str] = (),
        strict: bool = False,
        apparmor_abi: str = "3.0",
        landlock_abi: Optional[int] = None,
        selinux_file_contexts: Optional[os.PathLike[str] | str] = None,
        selinux_port_contexts: Optional[os.PathLike[str] | str] = None,
        selinux_launchers: Sequence[str] = (),
        selinux_attributes: Sequence[str] = (),
    ) -> Dict[str, Any]:
        """Connect an installed app's plug: a new generation holding the interface's
        grants, loaded and made current (none when it is connected already). Frameworks
        are found in `abstraction_dirs`, the default directories and the installed
        policies; the install's variables are reused. Returns the connections, as
        `connections`. Raises `PolicyError` when the installed source no longer loads,
        `ValueError` for a plug the app does not have."""
        return self._set_plug(
            app,
            plug,
            True,
            abstraction_dirs,
            _compile_args(
                strict,
                apparmor_abi,
                landlock_abi,
                selinux_file_contexts,
                selinux_port_contexts,
                selinux_launchers,
                selinux_attributes,
            ),
        )

    def disconnect(
        self,
        app: str,
        plug: str,
        *,
        abstraction_dirs: Sequence[os.PathLike[str] | str] = (),
        strict: bool = False,
        apparmor_abi: str = "3.0",
        landlock_abi: Optional[int] = None,
        selinux_file_contexts: Optional[os.PathLike[str] | str] = None,
        selinux_port_contexts: Optional[os.PathLike[str] | str] = None,
        selinux_launchers: Sequence[str] = (),
        selinux_attributes: Sequence[str] = (),
    ) -> Dict[str, Any]:
        """Disconnect an installed app's plug, as `connect` connects it (an `auto` plug
        raises `ValueError`)."""
        return self._set_plug(
            app,
            plug,
            False,
            abstraction_dirs,
            _compile_args(
                strict,
                apparmor_abi,
                landlock_abi,
                selinux_file_contexts,
                selinux_port_contexts,
                selinux_launchers,
                selinux_attributes,
            ),
        )

    def _set_plug(
        self,
        app: str,
        plug: str,
        on: bool,
        abstraction_dirs: Sequence[os.PathLike[str] | str],
        compile_args: Any,
    ) -> Dict[str, Any]:
        try:
            return json.loads(
                self._native.set_plug(
                    app, plug, on, [os.fspath(d) for d in abstraction_dirs], *compile_args
                )
            )
        except _native.LoadFailed as e:
            raise PolicyError(_diagnostics(e.args[0])) from None

    def connections(self, app: str) -> Dict[str, Any]:
        """An installed app's plugs: `{"app", "generation", "plugs": [{"interface",
        "framework", "auto", "connected", "since"}]}`."""
        return json.loads(self._native.connections(app))

    def remove(self, name: str) -> None:
        """Unload a policy and delete all its generations."""
        self._native.remove(name)

    def list(self) -> List[Dict[str, Any]]:
        """Every installed policy with its current generation."""
        return json.loads(self._native.list())

    def show(self, name: str) -> Dict[str, Any]:
        """One installed policy with its generations."""
        return json.loads(self._native.show(name))

    def current(self, name: str) -> int:
        """The current generation of an installed policy."""
        return int(self.show(name)["current"])


@dataclass
class Confined:
    """A child started confined. Reap it with `wait`."""

    pid: int
    #: What confines it: `lsm`, `name`, `enforcing` and the LSM's details.
    status: Dict[str, Any]
    returncode: Optional[int] = None

    def wait(self) -> int:
        """Wait for the child; returns its exit code (or -SIGNAL when a signal ended it)."""
        if self.returncode is None:
            _, st = os.waitpid(self.pid, 0)
            self.returncode = os.waitstatus_to_exitcode(st)
        return self.returncode


def spawn(
    policy: Policy,
    argv: Sequence[str],
    *,
    env: Optional[Mapping[str, str]] = None,
    lsm: Optional[str] = None,
    strict: bool = False,
) -> Confined:
    """Start `argv` confined under `policy`, as `polc run` does: on the host's LSM or `lsm`.

    `env` replaces the environment (default: inherited). `strict=True` refuses to start
    when the LSM would enforce a rule wider than written (as `polc run --strict`).
    Raises `ConfineError` when it cannot be confined: nothing is started unconfined.
    """
    pid, status = _native.spawn(
        policy._native,
        list(argv),
        None if env is None else list(env.items()),
        lsm,
        strict,
    )
    return Confined(pid=pid, status=json.loads(status))


def run(
    policy: Policy,
    argv: Sequence[str],
    *,
    env: Optional[Mapping[str, str]] = None,
    lsm: Optional[str] = None,
    strict: bool = False,
) -> int:
    """`spawn` and `wait`: the child's exit code."""
    return spawn(policy, argv, env=env, lsm=lsm, strict=strict).wait()
