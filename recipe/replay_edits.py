"""What a replay of a manual (or external-agent) run needs beyond the recorded replies (docs/recipe.md, "Replay").

- **Edits outside the workspace.** In a create run's target stage (`jax/`, `rust/` under a folder holding
  `create.json`) the person or agent acting between rounds may also edit the port's package (its metadata, its
  open questions), which the translate stage does not own. `--agent manual` records those edits as `write_port_file`
  calls in the round's response, beside the workspace's `write_file` calls; `--agent replay` re-applies them into the
  replay's own package folder before the round is verified, so the replay verifies what the recorded run verified.
- **Another name.** A create run replayed under another `--name` (the recorded name may be taken by then, as
  Brinewatch's is by the built-in port) renames the recorded package in each replayed file: its folder in the path,
  the port's name as a quoted string, the package as a Python identifier (`brinewatch.jax_env`) and the class names
  the prompts ask for (`Brinewatch`, `BrinewatchEnv` become `BrinewatchCheck`, `BrinewatchCheckEnv`).
- **Runs older than the recording of external edits** hold no replies in `trajectory.jsonl`; a `replay.jsonl` beside
  it may hold them, reconstructed from the run's kept files (each run README says how).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

PORT_TOOL = "write_port_file"
RECONSTRUCTED = "replay.jsonl"
CREATE_STATE = "create.json"  # a create run's state file (recipe.create.STATE_FILE is this name)


def create_stage_port(run_dir: Path, target: str, output: Path) -> Path | None:
    """The port package folder a create run's target stage may edit outside its workspace, else None."""
    if target != "reference" and (Path(run_dir).parent / CREATE_STATE).is_file():
        return Path(output)
    return None


def recorded_rename(replay: Path, package: str, name: str) -> tuple[str, str, str, str] | None:
    """(recorded package, recorded name, package, name) when `replay` is a stage of a create run recorded under another
    name than `name`, else None."""
    stage = Path(replay)
    stage = stage.parent if stage.is_file() else stage
    state = stage.parent / CREATE_STATE
    if not state.is_file():
        return None
    try:
        saved = json.loads(state.read_text())
        old_package, old_name = saved["stages"]["reference"]["package"], saved["options"]["new_name"]
    except (ValueError, KeyError, TypeError):
        return None
    if (old_package, old_name) == (package, name):
        return None
    return old_package, old_name, package, name


def rename_message(message: dict[str, Any], rename: tuple[str, str, str, str]) -> dict[str, Any]:
    """A recorded assistant message with its file-writing calls renamed (see the module docstring)."""
    from recipe.spec_task import class_name_for

    old_package, old_name, package, name = rename

    old_camel, camel = class_name_for(old_package), class_name_for(package)
    # one pass, so that the new name (which may contain the old package, `brinewatch-check`) is not renamed again
    pattern = re.compile(rf"([\"']){re.escape(old_name)}\1|\b{re.escape(old_package)}\b|\b{re.escape(old_camel)}(Env|Vec)?\b")

    def sub(match: re.Match) -> str:
        if match.group(1):
            return f"{match.group(1)}{name}{match.group(1)}"
        return camel + (match.group(2) or "") if match.group(0)[0].isupper() else package

    calls = []
    for call in message.get("tool_calls") or []:
        fn = call.get("function", {})
        if fn.get("name") in ("write_file", PORT_TOOL):
            try:
                args = json.loads(fn.get("arguments") or "{}")
            except json.JSONDecodeError:
                args = None
            if isinstance(args, dict) and isinstance(args.get("path"), str) and isinstance(args.get("content"), str):
                path = args["path"]
                if path == old_package or path.startswith(old_package + "/"):
                    path = package + path[len(old_package):]
                args = {**args, "path": path, "content": pattern.sub(sub, args["content"])}
                call = {**call, "function": {**fn, "arguments": json.dumps(args)}}
        calls.append(call)
    return {**message, "tool_calls": calls} if message.get("tool_calls") else dict(message)
