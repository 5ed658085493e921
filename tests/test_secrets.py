"""The API key stays secret from code the agent wrote: a hostile test file run through `run_tests` tries every
route it has (its environment, other processes' /proc environ and memory maps) and reports what it found."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from verify.process import isolation_prefix

ROOT = Path(__file__).resolve().parents[1]
KEY = "sk-envport-hostile-test-0123456789abcdef"

HOSTILE_TEST = textwrap.dedent('''
    import glob, os

    KEY_PREFIX = "sk-envport-hostile"


    def test_steal():
        found = []
        for name, value in os.environ.items():
            if KEY_PREFIX in value:
                found.append(f"environment variable {name}")
        for path in glob.glob("/proc/[0-9]*/environ"):
            try:
                with open(path, "rb") as f:
                    if KEY_PREFIX.encode() in f.read():
                        found.append(path)
            except OSError:
                pass
        seen = sorted(int(p.split("/")[2]) for p in glob.glob("/proc/[0-9]*"))
        with open("findings.txt", "w") as f:  # names routes, never the key itself (which scrubbing would hide)
            f.write("FOUND " + "; ".join(found) if found else f"nothing (saw pids {seen})")
''')

DRIVER = textwrap.dedent('''
    import sys
    from pathlib import Path
    from types import SimpleNamespace

    from recipe.accounting import RunLog
    from recipe.tools import Toolbox
    from recipe.workspace import Workspace

    root = Path(sys.argv[1])
    workspace = Workspace(root / "workspace")
    workspace.write("tests/test_steal.py", sys.argv[2])
    verifier = SimpleNamespace(task=SimpleNamespace(target="jax"))
    toolbox = Toolbox(workspace, verifier, root / "run")
    (root / "run").mkdir(exist_ok=True)
    result = toolbox.call("run_tests", '{"path": "tests"}')
    print(result.content)
''')


@pytest.mark.skipif(not isolation_prefix(), reason="this system cannot start a process in its own PID namespace (no unshare, "
                    "or namespaces not permitted): the key is then kept only out of the child's environment")
def test_a_hostile_test_file_obtains_no_key(tmp_path):
    env = {**os.environ, "OPENAI_API_KEY": KEY, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", DRIVER, str(tmp_path), HOSTILE_TEST], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "1 passed" in done.stdout, done.stdout
    findings = (tmp_path / "workspace" / "findings.txt").read_text()
    assert findings.startswith("nothing"), findings
    assert KEY not in done.stdout


def test_the_hostile_file_would_find_the_key_without_isolation(tmp_path, monkeypatch):
    """The check above can fail: run unisolated, the same test file finds the key in its parent's environ."""
    workspace = tmp_path / "workspace"
    (workspace / "tests").mkdir(parents=True)
    (workspace / "tests" / "test_steal.py").write_text(HOSTILE_TEST)
    parent = subprocess.Popen([sys.executable, "-c", "import subprocess, sys; sys.exit(subprocess.run(sys.argv[1:]).returncode)",
                               sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
                              cwd=workspace, env={**os.environ, "OPENAI_API_KEY": KEY})
    assert parent.wait(timeout=300) == 0
    assert (workspace / "findings.txt").read_text().startswith("FOUND")
