"""Render the prompt templates in `prompts/` (Jinja2, StrictUndefined) and estimate their size in tokens.

Token sizes are an estimate: 1 token per 4 characters (OpenAI's rule of thumb for
English and code). envport has no tokenizer files at run time; real counts come from
the server's `usage` numbers, which the run log records.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2

from recipe.task import Task

PROMPTS_DIR = Path(__file__).resolve().parent.parent / "prompts"
TEMPLATES = ("system", "translate_jax", "translate_rust", "create_reference", "repair", "optimise")
CHARS_PER_TOKEN = 4
TARGET_TITLES = {"jax": "JAX", "rust": "Rust", "reference": "Python"}  # "reference": envport create's first stage


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(PROMPTS_DIR)),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )


def render(template: str, **context: Any) -> str:
    """Render `prompts/<template>.j2`; a missing variable raises jinja2.UndefinedError."""
    return _environment().get_template(f"{template}.j2").render(**context)


def _common(task: Task, tools: bool) -> dict[str, Any]:
    return {
        "task": task,
        "tools": tools,
        "target_title": TARGET_TITLES[task.target],
        "reference_lines": sum(s.lines for s in task.reference_sources()),
    }


def system_prompt(task: Task, tools: bool = True) -> str:
    """The system message."""
    return render("system", **_common(task, tools))


def translate_prompt(task: Task, tools: bool = True) -> str:
    """The first user message: the five parts of the method plus the randomness and metadata contract; for
    `envport create`'s first stage (target "reference"), the specification and what to write from it."""
    if task.target == "reference":
        from recipe.spec_task import class_name_for

        contract = (Path(__file__).resolve().parent.parent / "envs" / "spec.py").read_text()
        return render("create_reference", **_common(task, tools), jax_class=class_name_for(task.package), port_contract=contract)
    return render(f"translate_{task.target}", **_common(task, tools))


def repair_prompt(task: Task, outcome: dict[str, Any], iteration: int, tools: bool = True) -> str:
    """The message after a failed verification: the lowest failing level's check, message and reproducer."""
    failure = outcome.get("first_failure") or {}
    return render(
        "repair", **_common(task, tools), iteration=iteration,
        level=failure.get("level", "?"), level_title=failure.get("title", ""),
        check=failure.get("check", "?"), message=failure.get("message", "(no message)"),
        reproduce=failure.get("reproduce", ""), levels=outcome.get("levels", {}),
    )


def optimise_prompt(task: Task, throughput: list[dict[str, Any]], batch_sizes: tuple[int, ...], tools: bool = True,
                    previous: str = "") -> str:
    """The optimisation pass's message, with the throughput measured so far (and why the last change was dropped)."""
    return render("optimise", **_common(task, tools), throughput=throughput, batch_sizes=list(batch_sizes), previous=previous)


def estimate_tokens(text: str) -> int:
    """Estimated tokens of `text` (characters / 4, rounded up)."""
    return -(-len(text) // CHARS_PER_TOKEN)
