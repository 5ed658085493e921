"""The agent's tools on a real workspace: files, the agent's own pytest property tests, bad calls."""

import json

from recipe.task import task_for_port
from recipe.tools import Toolbox
from recipe.verification import Verifier, VerifySettings
from recipe.workspace import Workspace

# The agent's tests import its workspace files; a small module stands in for the translation here (no JAX start-up).
HELPER = "def double(x):\n    return 2 * x\n"
PASSING = """
from helper import double

def test_double():
    assert double(2) == 4
"""


def toolbox(tmp_path):
    ws = Workspace(tmp_path / "ws")
    task = task_for_port("cartpole", "jax")
    return Toolbox(ws, Verifier(task, ws, VerifySettings(levels="L1", examples=5), tmp_path / "verify"), tmp_path, test_timeout=120)


def test_run_tests_runs_the_agents_property_tests(tmp_path):
    tools = toolbox(tmp_path)
    assert "error" in tools.call("run_tests", "{}").content  # no tests yet
    tools.call("write_file", json.dumps({"path": "helper.py", "content": HELPER}))
    tools.call("write_file", json.dumps({"path": "tests/test_properties.py", "content": PASSING}))
    result = tools.call("run_tests", "{}")
    assert "exit 0" in result.content and "1 passed" in result.content
    tools.call("write_file", json.dumps({"path": "tests/test_properties.py", "content": PASSING.replace("== 4", "== 5")}))
    assert "exit 1" in tools.call("run_tests", json.dumps({"path": "tests"})).content


def test_tool_answers(tmp_path):
    tools = toolbox(tmp_path)
    assert tools.call("list_files", "{}").content == "(no files)"
    assert tools.call("write_file", json.dumps({"path": "a/b.py", "content": "x" * 30000})).content == "wrote 30000 bytes to a/b.py"
    read = tools.call("read_file", json.dumps({"path": "a/b.py"})).content
    assert "characters left out" in read and len(read) < 13000  # long outputs cut to head and tail
    assert tools.call("list_files", json.dumps({"path": "a"})).content == "a/b.py"
    assert tools.call("submit", "{}").submitted
    for name, args, message in (("read_file", "[1]", "must be a JSON object"), ("read_file", '{"path": 3}', "not a string"),
                                ("read_file", '{"file": "x"}', "unknown ['file']"), ("rm", "{}", "unknown tool")):
        result = tools.call(name, args)
        assert result.error and message in result.content
    bad_levels = tools.call("run_verification", json.dumps({"levels": "L9"}))
    assert bad_levels.error and "unknown level" in bad_levels.content
    missing = json.loads(tools.call("run_verification", "{}").content)  # no translation written: answered at once
    assert missing["passed"] is False and missing["first_failure"]["check"] == "files"
