"""Agent backends behind one interface: `attempt(prompt)` works on the workspace until it is done.

- `ToolAgent`: a chat model (OpenAI-compatible endpoint, or a replayed recording) that
  acts through the confined tools; its conversation carries over between attempts.
- `CliAgent`: an external coding-agent command run non-interactively in the workspace.
"""

from __future__ import annotations

import hashlib
import json
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from recipe.accounting import Budget, RunLog, Usage, cost_of
from recipe.tools import TOOL_SCHEMAS, Toolbox
from recipe.workspace import Workspace
from verify.process import head_tail, run_command


class AgentStop(RuntimeError):
    """The agent cannot go on (too many malformed or unknown tool calls in a row, a command that cannot run)."""


class AgentPaused(RuntimeError):
    """The run waits for an external agent or a person to act on the prompt; `envport translate --resume` goes on."""


@dataclass
class AttemptResult:
    """How an attempt ended: 'submitted', 'no tool call', 'step limit', 'command exited N', 'command timed out'."""

    ended: str


class ToolAgent:
    """The loop of mini-swe-agent's shape: query the model, run its tool calls, append the results, until submit."""

    uses_tools = True

    def __init__(self, model: Any, toolbox: Toolbox, log: RunLog, usage: Usage, budget: Budget,
                 price: dict[str, float] | None, system: str, messages: list[dict[str, Any]] | None = None,
                 max_errors_in_a_row: int = 3, max_steps: int = 40):
        self.model, self.toolbox, self.log, self.usage, self.budget, self.price = model, toolbox, log, usage, budget, price
        self.messages = messages if messages else [{"role": "system", "content": system}]
        self.max_errors_in_a_row, self.max_steps = max_errors_in_a_row, max_steps
        self.errors_in_a_row = 0

    def attempt(self, prompt: str) -> AttemptResult:
        """Send `prompt` and act on the replies until the model submits, stops calling tools, or the step limit."""
        self.messages.append({"role": "user", "content": prompt})
        for _ in range(self.max_steps):
            self.usage.check(self.budget)
            self.log.event("request", messages=len(self.messages), last=self.messages[-1])
            reply = self.model.query(self.messages, TOOL_SCHEMAS)
            cost = cost_of(reply.prompt_tokens, reply.completion_tokens, self.price)
            self.usage.add(reply.prompt_tokens, reply.completion_tokens, cost)
            self.log.event("response", message=reply.message, model=reply.model, prompt_tokens=reply.prompt_tokens,
                           completion_tokens=reply.completion_tokens, cost=cost, usage=self.usage.to_dict())
            self.messages.append(reply.message)
            calls = reply.message.get("tool_calls") or []
            if not calls:
                return AttemptResult("no tool call")
            submitted, last_error = False, ""
            for call in calls:  # every call gets its answer, so the conversation stays valid (for --resume too)
                fn = call.get("function", {})
                result = self.toolbox.call(fn.get("name", ""), fn.get("arguments"))
                content = self.log.redact(result.content)  # the model never sees a secret a tool turned up
                self.log.event("tool", id=call.get("id"), name=fn.get("name"), arguments=fn.get("arguments"),
                               error=result.error, result=content)
                self.messages.append({"role": "tool", "tool_call_id": call.get("id", ""), "content": content})
                scrub_secrets(self.toolbox.workspace, self.log)
                submitted = submitted or result.submitted
                self.errors_in_a_row = self.errors_in_a_row + 1 if result.error else 0
                last_error = result.content if result.error else last_error
            if self.errors_in_a_row >= self.max_errors_in_a_row:
                raise AgentStop(f"the model made {self.errors_in_a_row} bad tool calls in a row (malformed arguments, "
                                f"unknown tools or refused paths); last: {last_error[:300]}")
            if submitted:
                return AttemptResult("submitted")
            self.usage.check(self.budget)
        return AttemptResult("step limit")

    def state(self) -> dict[str, Any]:
        """What --resume needs: the conversation."""
        return {"messages": self.messages}


class CliAgent:
    """An external coding agent: `--agent-cmd 'TOOL ... {prompt_file}'`, run in the workspace with a time limit."""

    uses_tools = False

    def __init__(self, command: str, workspace: Workspace, log: RunLog, usage: Usage, budget: Budget,
                 system: str, command_timeout: float = 1800.0, env_factory: Callable[[], dict[str, str]] | None = None):
        if "{prompt_file}" not in command:
            raise ValueError("--agent-cmd must contain {prompt_file}, e.g. --agent-cmd 'mytool --yes --prompt-file {prompt_file}'")
        self.command, self.workspace, self.log, self.usage, self.budget = command, workspace, log, usage, budget
        self.system, self.command_timeout, self.env_factory = system, command_timeout, env_factory
        self.runs = 0

    def attempt(self, prompt: str) -> AttemptResult:
        """Write the prompt file, run the command in the workspace, log what it printed."""
        self.usage.check(self.budget)
        self.runs += 1
        prompt_file = self.workspace.root / "PROMPT.md"
        prompt_file.write_text(f"{self.system}\n\n{prompt}" if self.runs == 1 else prompt)
        argv = [part.replace("{prompt_file}", str(prompt_file)).replace("{workspace}", str(self.workspace.root))
                for part in shlex.split(self.command)]
        remaining = self.usage.remaining_seconds(self.budget)
        timeout = self.command_timeout if remaining is None else max(1.0, min(self.command_timeout, remaining))
        self.log.event("command", argv=argv, prompt=prompt, timeout_s=timeout)
        before = workspace_digest(self.workspace)
        try:
            result = run_command(argv, cwd=self.workspace.root, timeout=timeout,
                                 env=self.env_factory() if self.env_factory else None)
        except OSError as exc:
            raise AgentStop(f"--agent-cmd could not start {argv[0]!r}: {exc}") from exc
        self.log.event("command_result", returncode=result.returncode, timed_out=result.timed_out,
                       seconds=round(result.seconds, 3), output=head_tail(result.output, 8000))
        scrub_secrets(self.workspace, self.log)
        record_external_edits(self.workspace, self.log, before)
        if result.timed_out:
            return AttemptResult(f"command timed out after {timeout:.0f} s (killed)")
        return AttemptResult(f"command exited {result.returncode}")

    def state(self) -> dict[str, Any]:
        """What --resume needs: how many runs so far."""
        return {"runs": self.runs}


class ManualAgent:
    """`--agent manual`: an external coding agent or a person acts between verification rounds.

    An attempt writes the prompt (the translate prompt, then each repair prompt with its counterexample) to
    `PROMPT.md` in the workspace and to `prompts/` in the run folder, and pauses the run. Whoever acts edits the
    workspace files and runs `envport translate --resume RUN_DIR`: the resumed attempt ends at once, the loop
    verifies the workspace, and either promotes it or writes the next prompt and pauses again.
    """

    uses_tools = False

    def __init__(self, workspace: Workspace, run_dir: Path, log: RunLog, system: str, port: Workspace | None = None):
        self.workspace, self.run_dir, self.log, self.system = workspace, Path(run_dir), log, system
        self.port = port  # a create stage's port package: edits there are recorded too (recipe.replay_edits)
        self.waiting = False
        self.prompts = 0
        self.before: dict[str, str] = {}  # the workspace when the prompt went out (`workspace_digest`)
        self.before_port: dict[str, str] = {}  # the port package then

    def attempt(self, prompt: str) -> AttemptResult:
        """Pause with the prompt written; resumed while waiting, the external agent's turn is over (its edits are
        logged as a replayable response)."""
        if self.waiting:
            self.waiting = False
            scrub_secrets(self.workspace, self.log)
            record_external_edits(self.workspace, self.log, self.before, self.port, self.before_port)
            return AttemptResult("external agent done")
        self.prompts += 1
        text = f"{self.system}\n\n{prompt}" if self.prompts == 1 else prompt
        kept = self.run_dir / "prompts" / f"prompt-{self.prompts:03d}.md"
        kept.parent.mkdir(parents=True, exist_ok=True)
        kept.write_text(text)
        (self.workspace.root / "PROMPT.md").write_text(text)
        self.log.event("prompt_written", file=str(kept), prompt=prompt)
        self.before = workspace_digest(self.workspace)
        self.before_port = workspace_digest(self.port) if self.port is not None and self.port.root.is_dir() else {}
        self.waiting = True
        raise AgentPaused(f"waiting for the agent: act on {self.workspace.root / 'PROMPT.md'} (edit the files in "
                          f"{self.workspace.root}), then run `envport translate --resume {self.run_dir}`")

    def state(self) -> dict[str, Any]:
        """What --resume needs: whether a prompt is out, how many were written, the workspace when it went out."""
        return {"waiting": self.waiting, "prompts": self.prompts, "before": self.before, "before_port": self.before_port}


EXTERNAL_EDITS = "The external agent's edits between verification rounds, recorded as tool calls so the run replays."


def workspace_digest(workspace: Workspace) -> dict[str, str]:
    """sha256 of every workspace file the agent may have written (PROMPT.md and caches left out)."""
    digest = {}
    for rel in workspace.list():
        path = workspace.root / rel
        if rel != "PROMPT.md" and path.is_file() and not path.is_symlink():
            digest[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digest


def record_external_edits(workspace: Workspace, log: RunLog, before: dict[str, str], port: Workspace | None = None,
                          before_port: dict[str, str] | None = None) -> list[str]:
    """Log what an agent outside the tool protocol changed since `before` (a `workspace_digest`) as one assistant
    response of `write_file` calls and a `submit`, the shape `--agent replay` re-runs; the files changed. Given a
    create stage's `port` package (and its digest `before_port`), its changed files are logged as `write_port_file`
    calls (`recipe.replay_edits`) and named `port:REL` in the list returned.

    Files it deleted cannot be replayed (the tools only write) and are named in the response's text."""
    from recipe.replay_edits import PORT_TOOL

    calls, changed, deleted = [], [], []
    folders = [(workspace, before, "write_file", "")]
    if port is not None and port.root.is_dir():
        folders.append((port, before_port or {}, PORT_TOOL, "port:"))
    for folder, digest, tool, label in folders:
        after = workspace_digest(folder)
        deleted += [label + rel for rel in sorted(set(digest) - set(after))]
        for rel in [rel for rel, sha in after.items() if digest.get(rel) != sha]:
            try:
                content = log.redact((folder.root / rel).read_text())
            except UnicodeDecodeError:
                deleted.append(f"{label}{rel} (binary, not recorded)")
                continue
            changed.append(label + rel)
            calls.append({"id": f"external-{len(calls) + 1}", "type": "function",
                          "function": {"name": tool, "arguments": json.dumps({"path": rel, "content": content})}})
    calls.append({"id": "external-submit", "type": "function",
                  "function": {"name": "submit", "arguments": json.dumps({"summary": "external agent done"})}})
    text = EXTERNAL_EDITS + (f" Deleted: {', '.join(deleted)}." if deleted else "")
    log.event("response", message={"role": "assistant", "content": text, "tool_calls": calls}, model="external",
              prompt_tokens=0, completion_tokens=0, cost=0.0, external=True)
    return changed


def scrub_secrets(workspace: Workspace, log: RunLog) -> None:
    """Redact the run's secrets from workspace files (an external agent holds the key and might write it down)."""
    if not log.secrets:
        return
    for path in workspace.root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            text = path.read_text(errors="ignore")
            if any(secret in text for secret in log.secrets):
                path.write_text(log.redact(text))
                log.event("redacted", file=str(path.relative_to(workspace.root)))
