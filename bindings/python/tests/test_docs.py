"""The example of docs/python.md, run as shown (a documented example is a test)."""

import os
import pathlib
import re

ROOT = pathlib.Path(os.environ.get("POLC_ROOT", pathlib.Path(__file__).resolve().parents[3]))

POLICY_TEXT = """policy org.test.docs {
    use base
    allow read exec map-exec list "/usr/**"
}
"""


def example() -> str:
    text = (ROOT / "docs" / "python.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(blocks) == 1, "docs/python.md has one Python example"
    return blocks[0]


def run_example(tmp_path, program):
    policy = tmp_path / "app.pol"
    policy.write_text(POLICY_TEXT)
    env = {"POLICY": str(policy), "STORE": str(tmp_path / "store"), "PROGRAM": program}
    exec(compile(example(), "docs/python.md", "exec"), env)
    return env


def test_the_documented_installer_path_installs_and_keeps_a_working_generation(tmp_path, capsys):
    env = run_example(tmp_path, ["/usr/bin/true"])
    assert env["generation"] == 1
    assert env["child"].returncode == 0
    # The widened `/usr/**` under Landlock is printed, per rule.
    assert 'widened allow read list exec map-exec "/usr/**"' in capsys.readouterr().out


def test_the_documented_installer_path_rolls_back_when_the_program_fails(tmp_path):
    import polc

    env = run_example(tmp_path, ["/usr/bin/true"])
    env = run_example(tmp_path, ["/usr/bin/false"])
    assert env["generation"] == 2 and env["child"].returncode == 1
    with polc.Store(tmp_path / "store", read_only=True) as store:
        assert store.current("org.test.docs") == 1
