"""Typed use of the package, checked with `mypy --strict` against the installed wheel
(bindings/python/test.sh): the package ships `py.typed` and its types are complete."""

from typing import List

import polc


def fidelities(path: str) -> List[str]:
    policy: polc.Policy = polc.load_file(path)
    artifact: polc.Artifact = policy.compile("landlock", strict=False, landlock_abi=4)
    entries: List[polc.FidelityEntry] = artifact.report.entries
    return [e.fidelity for e in entries]


def first_error(text: str) -> str:
    diags: List[polc.Diagnostic] = polc.check(text)
    errors = [d for d in diags if d.is_error]
    return errors[0].code if errors else ""


def install(store: polc.Store, policy: polc.Policy) -> int:
    try:
        return store.install(policy, "apparmor", strict=True)
    except polc.StrictError as e:
        return len(str(e))


def explained(policy: polc.Policy) -> bool:
    e: polc.Explanation = policy.explain("read /etc/hosts")
    d: polc.Diff = polc.diff(policy, policy)
    child: polc.Confined = polc.spawn(policy, ["/usr/bin/true"], env={"A": "b"})
    return e.allowed and not d.changed and child.wait() == 0
