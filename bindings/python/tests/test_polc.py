"""The `polc` Python package, tested from an installed wheel (bindings/python/test.sh).

Each test feeds a policy and compares what the package returns: diagnostics with codes
and positions, artifacts and fidelity reports, decisions, diffs, store generations, and
the exit status of programs confined by the host kernel's Landlock.
"""

import os
import pathlib
import subprocess

import pytest

import polc

ROOT = pathlib.Path(os.environ.get("POLC_ROOT", pathlib.Path(__file__).resolve().parents[3]))
WEBAPP = ROOT / "examples" / "webapp.pol"

# Lets the system's programs run and reads nothing else (as tests/cli_run.rs does).
RUNNABLE = """policy org.test.py {{
    use base
    allow read exec map-exec list "/usr/**"
{extra}
}}
"""


def test_the_package_is_the_installed_wheel_not_the_source_tree():
    assert "site-packages" in polc.__file__
    assert polc.ABI_VERSION == 1
    assert polc.TARGETS == ("apparmor", "selinux", "landlock")


def test_load_file_gives_the_name_warnings_and_ir():
    p = polc.load_file(WEBAPP)
    assert p.name == "org.example.webapp"
    assert repr(p) == "<polc.Policy org.example.webapp>"
    assert [w.code for w in p.warnings] == ["W0201"]
    w = p.warnings[0]
    assert (w.severity, w.line, w.column, w.is_error) == ("warning", 17, 5, False)
    assert w.file == str(WEBAPP)
    ir = p.ir()
    assert ir["name"] == "org.example.webapp"
    assert any(f["glob"] == "/etc/ssl/**" for f in ir["files"])


def test_a_bad_policy_raises_policy_error_with_every_diagnostic():
    text = 'policy a.b {\n    allow read "/etc/x"\n    allow frob "relative"\n}\n'
    with pytest.raises(polc.PolicyError) as e:
        polc.load(text, name="bad.pol")
    codes = [(d.code, d.line, d.column) for d in e.value.diagnostics]
    assert ("E0101", 3, 11) in codes
    assert all(d.file == "bad.pol" for d in e.value.diagnostics)
    assert str(e.value).startswith("bad.pol:")
    assert isinstance(e.value, polc.PolcError)


def test_check_returns_errors_and_warnings_without_raising():
    assert polc.check('policy a.b {\n    allow read "/etc/x"\n}\n') == []
    diags = polc.check(WEBAPP.read_text(), name="webapp.pol")
    assert [(d.code, d.severity) for d in diags] == [("W0201", "warning")]
    bad = polc.check("policy a.b {\n    frob\n}\n", name="x.pol")
    assert [(d.code, d.line, d.column) for d in bad] == [("E0001", 2, 5)]
    assert bad[0].is_error
    assert str(bad[0]).startswith("x.pol:2:5: error[E0001]: ")


def test_variables_and_abstraction_dirs_reach_the_loader(tmp_path):
    (tmp_path / "extra.pol").write_text(
        'abstraction extra {\n    version 1\n    allow read "/opt/extra/**"\n}\n'
    )
    text = 'policy a.b {\n    use extra\n    var d = "/srv/a"\n    allow read "${d}/**"\n}\n'
    p = polc.load(text, vars={"d": "/srv/b"}, abstraction_dirs=[tmp_path])
    assert p.explain("read /srv/b/x").allowed
    assert not p.explain("read /srv/a/x").allowed
    assert p.explain("read /opt/extra/f").allowed
    with pytest.raises(polc.PolicyError) as e:
        polc.load(text)
    assert [d.code for d in e.value.diagnostics] == ["E0102"]
    with pytest.raises(polc.InvalidArgument, match="cannot read"):
        polc.load(text, abstraction_dirs=[tmp_path / "missing"])


def test_abstraction_dirs_search_like_the_command_line(tmp_path, monkeypatch):
    # The site's directory (named by POLC_ABSTRACTIONS_PATH instead of /etc) overrides
    # the built-in `tmp`; a directory given later overrides an earlier one.
    site, first, second = (tmp_path / n for n in ("site", "first", "second"))
    for d, path in ((site, "/site/**"), (first, "/first/**"), (second, "/second/**")):
        d.mkdir()
        (d / "tmp.pol").write_text(
            f'abstraction tmp {{\n    version 1\n    allow read "{path}"\n}}\n'
        )
    monkeypatch.setenv("POLC_ABSTRACTIONS_PATH", str(site))
    text = "policy a.b {\n    use tmp\n}\n"
    assert polc.load(text).explain("read /site/x").allowed
    p = polc.load(text, abstraction_dirs=[first, second])
    assert p.explain("read /second/x").allowed
    assert not p.explain("read /first/x").allowed
    monkeypatch.setenv("POLC_ABSTRACTIONS_PATH", "")
    assert polc.load(text).explain("read /tmp/x").allowed


def test_compile_for_each_target_with_its_fidelity_report():
    p = polc.load_file(WEBAPP)
    aa = p.compile("apparmor")
    assert aa.target == "apparmor"
    assert 'profile "org.example.webapp" "/usr/bin/webapp" {' in aa.text
    assert aa.report.backend == "apparmor"
    assert aa.report.entries and all(e.rule for e in aa.report.entries)
    ll = p.compile("landlock")
    assert ll.report.backend == "landlock" and ll.report.target == "abi 7"
    # Landlock cannot restrict UDP: reported, never silent.
    assert ll.report.unrestricted and not ll.report.exact
    assert ll.report.count("exact") + ll.report.count("widened") + ll.report.count(
        "narrowed"
    ) + ll.report.count("unsupported") == len(ll.report.entries)
    older = p.compile("landlock", landlock_abi=1)
    assert older.report.target == "abi 1"
    owned = polc.load('policy a.b {\n    owns "/srv/a/**"\n    allow read "/srv/a/**"\n}\n')
    se = owned.compile("selinux")
    assert se.file_name.endswith(".cil") and "(block a_b" in se.text


def test_compile_errors_and_strict_mode():
    p = polc.load_file(WEBAPP)
    with pytest.raises(polc.StrictError) as e:
        p.compile("landlock", strict=True)
    assert isinstance(e.value, polc.CompileError)
    with pytest.raises(polc.CompileError, match="file contexts"):
        p.compile("selinux")
    with pytest.raises(polc.InvalidArgument, match="unknown LSM `bogus`"):
        p.compile("bogus")
    with pytest.raises(polc.InvalidArgument, match="AppArmor ABI"):
        p.compile("apparmor", apparmor_abi="9")
    with pytest.raises(polc.InvalidArgument, match="selinux_launchers"):
        p.compile("selinux", selinux_launchers=["no colon here"])


def test_strict_mode_passes_on_a_widening_the_policy_accepts():
    src = (
        "policy a.b {\n"
        '    accept widened on landlock "peers outside the domain are not confined" {\n'
        "        allow unix send\n"
        "    }\n"
        "}\n"
    )
    artifact = polc.load(src).compile("landlock", strict=True)
    widened = [e for e in artifact.report.entries if e.fidelity == "widened"]
    assert widened and all(
        e.accepted == "peers outside the domain are not confined" for e in widened
    )
    with pytest.raises(polc.StrictError):
        polc.load(src.replace("on landlock", "on selinux")).compile("landlock", strict=True)


def test_explain_allowed_denied_and_a_bad_request():
    p = polc.load_file(WEBAPP)
    yes = p.explain("read /etc/ssl/certs/ca.pem")
    assert yes.allowed and yes.reason == "allowed"
    assert yes.deciding[0]["rule"] == 'allow read "/etc/ssl/**"'
    assert "allowed" in yes.text
    no = p.explain("read /etc/ssl/private/key.pem")
    assert not no.allowed
    assert no.deciding[0]["rule"] == 'deny read "/etc/ssl/private/**"'
    assert p.explain("capability net_bind_service").allowed
    assert not p.explain("capability sys_admin").allowed
    with pytest.raises(polc.InvalidArgument):
        p.explain("frob /x")


def test_diff_by_meaning():
    old = polc.load('policy a.b {\n    allow read "/srv/**"\n}\n', name="old.pol")
    new = polc.load(
        'policy a.b {\n    allow read "/srv/**"\n    allow write "/srv/x"\n}\n', name="new.pol"
    )
    d = polc.diff(old, new)
    assert d.changed
    assert "/srv/x" in d.text and "new.pol" in d.text
    same = polc.diff(old, polc.load('policy a.b {\n  allow read "/srv/**"\n}\n'))
    assert not same.changed


def test_a_plug_change_is_a_difference(tmp_path):
    (tmp_path / "fw.pol").write_text(
        'framework org.example.fw {\n    provides data {\n        allow read "/srv/**"\n    }\n}\n'
    )
    old = polc.load("policy org.example.app {\n    app\n}\n", abstraction_dirs=[tmp_path])
    new = polc.load(
        "policy org.example.app {\n    app\n    plugs data\n}\n", abstraction_dirs=[tmp_path]
    )
    d = polc.diff(old, new)
    assert d.changed
    assert d.data["plugs"][0]["kind"] == "added" and d.data["plugs"][0]["broadens"]


def test_store_install_rollback_remove(tmp_path):
    root = tmp_path / "store"
    store = polc.Store(root)
    v1 = polc.load('policy org.test.store {\n    allow read "/srv/v1"\n}\n', name="v1.pol")
    v2 = polc.load('policy org.test.store {\n    allow read "/srv/v2"\n}\n', name="v2.pol")
    assert store.install(v1, "landlock") == 1
    assert store.install(v2, "landlock") == 2
    assert store.current("org.test.store") == 2
    listed = store.list()
    assert [(i["name"], i["current"]) for i in listed] == [("org.test.store", 2)]
    assert store.rollback("org.test.store") == 1
    assert store.current("org.test.store") == 1
    store.close()
    with pytest.raises(polc.StoreError, match="closed"):
        store.list()
    with polc.Store(root, read_only=True) as reader:
        assert reader.current("org.test.store") == 1
        with pytest.raises(polc.StoreError):
            reader.install(v1, "landlock")
    with polc.Store(root) as store:
        store.remove("org.test.store")
        assert store.list() == []
        with pytest.raises(polc.NotInstalled):
            store.rollback("org.test.store")
        with pytest.raises(polc.InvalidArgument, match="not a policy name"):
            store.remove("Not A Name")


def test_store_connects_and_disconnects_an_apps_plug(tmp_path):
    dockerctl = polc.load_file(
        ROOT / "examples" / "app-dockerctl.pol", abstraction_dirs=[ROOT / "examples" / "abstractions"]
    )
    fw = [ROOT / "examples" / "abstractions"]
    with polc.Store(tmp_path / "store") as store:
        assert store.install(dockerctl, "landlock") == 1
        c = store.connections("org.example.dockerctl")
        assert c["generation"] == 1
        assert [(p["interface"], p["connected"]) for p in c["plugs"]] == [
            ("docker", False),
            ("docker-observe", True),
            ("network-registry", True),
        ]
        c = store.connect("org.example.dockerctl", "docker", abstraction_dirs=fw)
        assert c["generation"] == 2 and c["plugs"][0]["since"] == 2
        assert store.connect("org.example.dockerctl", "docker", abstraction_dirs=fw)["generation"] == 2
        with pytest.raises(polc.InvalidArgument, match="connected automatically"):
            store.disconnect("org.example.dockerctl", "docker-observe", abstraction_dirs=fw)
        with pytest.raises(polc.PolicyError):
            store.disconnect("org.example.dockerctl", "docker")  # the framework is not found
        c = store.disconnect("org.example.dockerctl", "docker", abstraction_dirs=fw)
        assert c["generation"] == 3 and not c["plugs"][0]["connected"]
        assert store.rollback("org.example.dockerctl") == 2
        assert store.connections("org.example.dockerctl")["plugs"][0]["connected"]


def test_the_store_refuses_a_foreign_directory(tmp_path):
    (tmp_path / "precious").write_text("data")
    with pytest.raises(polc.StoreError):
        polc.Store(tmp_path).install(polc.load_file(WEBAPP), "landlock")
    assert (tmp_path / "precious").read_text() == "data"


def test_spawn_confines_a_child_under_the_host_landlock(tmp_path):
    allowed = tmp_path / "allowed.txt"
    denied = tmp_path / "denied.txt"
    allowed.write_text("yes\n")
    denied.write_text("no\n")
    p = polc.load(RUNNABLE.format(extra=f'    allow read "{allowed}"'))
    # `/usr/**` is widened under Landlock (its read_dir covers `/usr` itself): strict
    # refuses before anything starts, best effort (the default, as `polc run`) reports.
    with pytest.raises(polc.ConfineError, match="strict mode refuses"):
        polc.spawn(p, ["/usr/bin/cat", str(allowed)], lsm="landlock", strict=True)
    child = polc.spawn(p, ["/usr/bin/cat", str(allowed)], lsm="landlock")
    assert child.status["lsm"] == "landlock"
    assert child.status["enforcing"] is True
    assert child.wait() == 0
    assert child.wait() == 0  # reaped once, remembered
    assert polc.run(p, ["/usr/bin/cat", str(denied)], lsm="landlock") == 1
    # Unconfined, the same read works: the refusal above is the policy's.
    assert subprocess.run(["/usr/bin/cat", str(denied)], capture_output=True).returncode == 0


def test_spawn_environment_and_refusals():
    p = polc.load(RUNNABLE.format(extra=""))
    script = ["/usr/bin/sh", "-c", 'test "$ONLY" = this && test -z "$HOME"']
    assert polc.run(p, script, env={"ONLY": "this"}, lsm="landlock") == 0
    assert polc.run(p, script, env={"ONLY": "that"}, lsm="landlock") == 1
    with pytest.raises(polc.ConfineError, match="does not allow executing"):
        polc.spawn(polc.load('policy a.b {\n    use base\n}\n'), ["/usr/bin/true"], lsm="landlock")
    with pytest.raises(polc.InvalidArgument):
        polc.spawn(p, [], lsm="landlock")
    with pytest.raises(polc.InvalidArgument, match="unknown LSM `smack`"):
        polc.spawn(p, ["/usr/bin/true"], lsm="smack")
