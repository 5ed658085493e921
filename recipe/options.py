"""The options of one `envport translate` run, typed: built once by the command line and passed down.

A run stores its options in `state.json` (`to_dict`), and `--resume` reads them back
(`from_dict`); the fields marked `stored=False` belong to one invocation only.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Optional

from recipe.loop import BENCH_BATCH_SIZES
from recipe.verification import DEFAULT_LEVELS

BUDGET_KEYS = ("max_iterations", "max_tokens", "max_cost", "timeout")
# What --resume may change when given: the budgets, the endpoint, where a pass is promoted (a run may be resumed from
# another checkout than the one that started it) and the throughput measurement's size.
RESUME_OVERRIDES = (*BUDGET_KEYS, "verify_timeout", "base_url", "model", "agent_cmd", "output", "bench_steps", "batch_sizes")


def _invocation(default: Any) -> Any:
    """A field of this invocation only: never written to state.json."""
    return field(default=default, metadata={"stored": False})


@dataclass(frozen=True)
class TranslateOptions:
    """Everything `envport translate` was asked. None means "not given": `resolved()` fills in the defaults."""

    # What to translate: a registered port (`name`), or a user's class (`reference` with `new_name`), into `to`.
    name: Optional[str] = None
    to: str = "jax"
    reference: Optional[str] = None
    new_name: Optional[str] = None
    # `envport create`: the specification (a text file) the reference is written from; `to` may then name several targets.
    spec: Optional[Path] = None
    # The agent: openai (`model` at `base_url`), cli (`agent_cmd`, `agent_timeout` seconds a run) or replay.
    agent: Optional[str] = None
    base_url: Optional[str] = None
    model: Optional[str] = None
    agent_cmd: Optional[str] = None
    agent_timeout: float = 1800.0
    replay: Optional[Path] = None
    # Budgets (None: no limit, except max_iterations, whose default is 5).
    max_iterations: Optional[int] = None
    max_tokens: Optional[int] = None
    max_cost: Optional[float] = None
    timeout: Optional[float] = None
    # Verification.
    levels: Optional[str] = None
    examples: Optional[int] = None
    programs: Optional[int] = None
    episodes: Optional[int] = None
    verify_timeout: Optional[float] = None
    # Optimisation after the first pass.
    optimise_rounds: Optional[int] = None
    batch_sizes: Optional[str] = None
    bench_steps: Optional[int] = None
    # Promotion and accounting.
    output: Optional[Path] = None
    prices: Optional[Path] = None
    # Requests to the model.
    max_retries: int = 6
    retry_delay: float = 1.0
    request_timeout: float = 600.0
    max_errors: int = 3
    # This invocation only.
    runs_dir: Path = _invocation(Path("runs"))
    resume: Optional[Path] = _invocation(None)
    print_prompt: bool = _invocation(False)

    def resolved(self) -> TranslateOptions:
        """A copy with every option not given set to its default."""
        return replace(self, **{k: v for k, v in DEFAULTS.items() if getattr(self, k) is None})

    def resumed_from(self, stored: TranslateOptions) -> TranslateOptions:
        """The stored options of a run, with the budgets and endpoint given now (RESUME_OVERRIDES) taking over."""
        given = {k: getattr(self, k) for k in RESUME_OVERRIDES if getattr(self, k) is not None}
        return replace(stored, runs_dir=self.runs_dir, resume=self.resume, **given)

    def to_dict(self) -> dict[str, Any]:
        """The stored options as JSON-ready values (paths as strings), in field order."""
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self) if f.metadata.get("stored", True)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TranslateOptions:
        """Options read back from `to_dict` (state.json); unknown keys are ignored."""
        known = {f.name: f for f in fields(cls) if f.metadata.get("stored", True)}
        values = {k: v for k, v in data.items() if k in known}
        for key in ("replay", "output", "prices", "spec"):
            if values.get(key) is not None:
                values[key] = Path(values[key])
        return cls(**values)


DEFAULTS: dict[str, Any] = {
    "to": "jax", "max_iterations": 5, "levels": DEFAULT_LEVELS, "examples": 200, "programs": 30, "episodes": 100,
    "verify_timeout": 900.0, "optimise_rounds": 1, "batch_sizes": ",".join(map(str, BENCH_BATCH_SIZES)),
    "bench_steps": 1_000_000, "agent_timeout": 1800.0, "max_retries": 6, "retry_delay": 1.0, "request_timeout": 600.0,
    "max_errors": 3,
}


def _plain(value: Any) -> Any:
    return str(value) if isinstance(value, Path) else value
