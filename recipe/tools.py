"""The agent's tools, confined to the workspace: their schemas (OpenAI function calling) and dispatch.

A call with malformed arguments or an unknown name is answered with an error
message to the model, never an exception; the caller counts such errors in a row.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from recipe.replay_edits import PORT_TOOL
from recipe.task import ROOT
from recipe.verification import Verifier
from recipe.workspace import PathRefused, Workspace
from verify.process import child_env, head_tail, run_command

OUTPUT_LIMIT = 12_000  # characters of one tool result the model sees (head and tail)


def _fn(name: str, description: str, properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {"type": "function", "function": {"name": name, "description": description, "parameters": {
        "type": "object", "properties": properties, "required": required, "additionalProperties": False}}}


TOOL_SCHEMAS = [
    _fn("list_files", "List the files in the workspace (or under a folder of it).",
        {"path": {"type": "string", "description": "folder relative to the workspace; default '.'"}}, []),
    _fn("read_file", "Read a workspace file.", {"path": {"type": "string"}}, ["path"]),
    _fn("write_file", "Create or replace a workspace file with the whole content given.",
        {"path": {"type": "string"}, "content": {"type": "string"}}, ["path", "content"]),
    _fn("run_verification", "Verify the translation against the reference. Returns pass/FAIL per level and the lowest "
        "failing level's report with a shrunk counterexample.",
        {"levels": {"type": "string", "description": "comma-separated levels, e.g. 'L0,L1' (default: all)"}}, []),
    _fn("run_tests", "Run your property tests in the workspace (pytest for JAX; cargo test of your module for Rust).",
        {"path": {"type": "string", "description": "test file or folder; default 'tests'"}}, []),
    _fn("submit", "Finish: the translation is ready for envport's full verification.",
        {"summary": {"type": "string", "description": "one paragraph: what you did"}}, []),
]
TOOL_NAMES = tuple(t["function"]["name"] for t in TOOL_SCHEMAS)


@dataclass
class ToolResult:
    """What a tool call returns to the model; `error` marks a call the model got wrong."""

    content: str
    error: bool = False
    submitted: bool = False


class Toolbox:
    """Runs the tools for one workspace."""

    def __init__(self, workspace: Workspace, verifier: Verifier, run_dir: Path, test_timeout: float = 300.0,
                 port: Workspace | None = None):
        self.workspace, self.verifier, self.run_dir, self.test_timeout = workspace, verifier, Path(run_dir), test_timeout
        self.port = port  # a replayed create stage's port package: recorded edits outside the workspace go there

    def call(self, name: str, arguments: str | None) -> ToolResult:
        """Dispatch one tool call (arguments as the JSON text the model sent)."""
        if name == PORT_TOOL and self.port is not None:  # never offered to a model: only replays make these calls
            try:
                args = json.loads(arguments or "{}")
                written = self.port.write(str(args["path"]), str(args["content"]))
            except (ValueError, KeyError, TypeError) as exc:  # PathRefused is a ValueError
                return ToolResult(f"error: {PORT_TOOL} takes a path and a content in the port package ({exc})", error=True)
            cache = getattr(self.verifier, "cache", None)
            if cache:  # outcomes are remembered by the workspace's files, and the port's now differ
                cache.clear()
            return ToolResult(f"wrote {written} bytes to the port's {args['path']}")
        if name not in TOOL_NAMES:
            return ToolResult(f"error: unknown tool {name!r}; the tools are {', '.join(TOOL_NAMES)}", error=True)
        try:
            args = json.loads(arguments or "{}")
        except json.JSONDecodeError as exc:
            return ToolResult(f"error: the arguments of {name} are not valid JSON ({exc}); send a JSON object", error=True)
        if not isinstance(args, dict):
            return ToolResult(f"error: the arguments of {name} must be a JSON object, got {type(args).__name__}", error=True)
        schema = next(t["function"]["parameters"] for t in TOOL_SCHEMAS if t["function"]["name"] == name)
        missing = [k for k in schema["required"] if k not in args]
        unknown = [k for k in args if k not in schema["properties"]]
        wrong = [k for k, v in args.items() if k in schema["properties"] and not isinstance(v, str)]
        if missing or unknown or wrong:
            return ToolResult(f"error: {name} takes {json.dumps(list(schema['properties']))} (required {schema['required']}), "
                              f"all strings; missing {missing}, unknown {unknown}, not a string {wrong}", error=True)
        try:
            return getattr(self, f"_{name}")(**args)
        except PathRefused as exc:
            return ToolResult(f"error: {exc}", error=True)

    def _list_files(self, path: str = ".") -> ToolResult:
        files = self.workspace.list(path)
        return ToolResult("\n".join(files) if files else "(no files)")

    def _read_file(self, path: str) -> ToolResult:
        return ToolResult(head_tail(self.workspace.read(path), OUTPUT_LIMIT))

    def _write_file(self, path: str, content: str) -> ToolResult:
        written = self.workspace.write(path, content)
        return ToolResult(f"wrote {written} bytes to {path}")

    def _run_verification(self, levels: str = "") -> ToolResult:
        outcome = self.verifier.verify(levels or None)
        shown = {k: v for k, v in outcome.items() if k in ("passed", "levels", "first_failure")}
        return ToolResult(head_tail(json.dumps(shown, indent=2, default=str), OUTPUT_LIMIT), error=bool(outcome.get("usage")))

    def _run_tests(self, path: str = "tests") -> ToolResult:
        task = self.verifier.task
        if task.target == "rust":  # the module's own #[cfg(test)] tests
            from recipe.rust_build import cargo_test

            result = cargo_test(task, self.workspace, self.verifier.build_dir, self.test_timeout)
            status = "timed out (killed)" if result.timed_out else f"exit {result.returncode}"
            return ToolResult(f"cargo test {status}\n" + head_tail(result.output, OUTPUT_LIMIT))
        if task.target == "reference":  # envport create: the conformance tests, with the plugin giving them `make_env`
            from recipe.conformance import IMPLEMENTATION_ENV, PACKAGE_ENV
            from recipe.spec_task import run_tests
            from verify.process import workspace_env

            path = path if path != "tests" else task.test_file
            if not self.workspace.exists(path) and not self.workspace.resolve(path).is_dir():
                return ToolResult(f"error: {path!r} does not exist in the workspace; write {task.test_file} first", error=True)
            env = {**workspace_env(ROOT, self.workspace.root), PACKAGE_ENV: task.package, IMPLEMENTATION_ENV: "reference"}
            result = run_tests(self.workspace, path, self.run_dir, self.test_timeout, env)
            status = "timed out (killed)" if result.timed_out else f"exit {result.returncode}"
            return ToolResult(f"pytest {status}\n" + head_tail(result.output, OUTPUT_LIMIT))
        target = self.workspace.resolve(path)
        if not target.exists():
            return ToolResult(f"error: {path!r} does not exist in the workspace; write tests/test_properties.py first", error=True)
        ini = self.run_dir / "pytest.ini"  # keeps pytest from picking up another project's configuration
        ini.write_text("[pytest]\n")
        env = child_env(self.workspace.root, ROOT)
        result = run_command([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", "-c", str(ini),
                              "--rootdir", str(self.workspace.root), str(target)],
                             cwd=self.workspace.root, timeout=self.test_timeout, env=env, isolated=True)
        status = "timed out (killed)" if result.timed_out else f"exit {result.returncode}"
        return ToolResult(f"pytest {status}\n" + head_tail(result.output, OUTPUT_LIMIT))

    def _submit(self, summary: str = "") -> ToolResult:
        return ToolResult("submitted: envport now verifies every level", submitted=True)
