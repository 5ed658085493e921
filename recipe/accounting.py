"""Run accounting: the JSONL run log (secrets redacted), token prices, budgets and usage totals."""

from __future__ import annotations

import json
import time
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

PRICES_FILE = Path(__file__).resolve().parent / "prices.toml"
REDACTED = "[REDACTED]"


class BudgetExhausted(RuntimeError):
    """A budget (iterations, tokens, cost, wall time) ran out; the message says which."""


class RunLog:
    """Append-only JSONL log of everything a run does, flushed after each event.

    Every line is scanned for the secrets given (the API key) and they are replaced
    before anything reaches the disk.
    """

    def __init__(self, path: Path, secrets: list[str] | None = None):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.secrets = [s for s in (secrets or []) if s and len(s) >= 4]

    def redact(self, text: str) -> str:
        """`text` with every secret replaced."""
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return text

    def event(self, kind: str, **data: Any) -> None:
        """Append one event (`kind` plus data) with a timestamp."""
        line = json.dumps({"t": round(time.time(), 3), "event": kind, **data}, default=str)
        with self.path.open("a") as f:
            f.write(self.redact(line) + "\n")
            f.flush()


def read_events(path: Path) -> list[dict[str, Any]]:
    """The events of a run log."""
    if not Path(path).is_file():
        return []
    return [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]


def load_prices(extra: Path | None = None) -> dict[str, dict[str, float]]:
    """The price table: the built-in one, extended or overridden by `extra` (TOML, same format)."""
    table = dict(tomllib.loads(PRICES_FILE.read_text()).get("models", {}))
    if extra is not None:
        try:
            table.update(tomllib.loads(Path(extra).read_text()).get("models", {}))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ValueError(f"--prices {extra}: {exc}. Expected TOML like [models.\"my-model\"] input = 1.0 output = 2.0") from exc
    return table


def price_for(model: str, table: dict[str, dict[str, float]]) -> dict[str, float] | None:
    """The price entry for `model`: exact name, else the longest name that prefixes it; None when unknown."""
    if model in table:
        return table[model]
    prefixes = [name for name in table if model.startswith(name)]
    return table[max(prefixes, key=len)] if prefixes else None


def cost_of(prompt_tokens: int, completion_tokens: int, price: dict[str, float] | None) -> float | None:
    """Dollars for the tokens at `price` (per million); None when the price is unknown."""
    if price is None:
        return None
    return (prompt_tokens * price.get("input", 0.0) + completion_tokens * price.get("output", 0.0)) / 1e6


@dataclass
class Budget:
    """Limits of one run; None means no limit."""

    max_iterations: int = 5
    max_tokens: int | None = None
    max_cost: float | None = None
    timeout: float | None = None  # wall seconds for the whole run


@dataclass
class Usage:
    """What a run has used so far (kept across --resume)."""

    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float | None = 0.0  # None once any response had an unknown price
    wall_seconds: float = 0.0  # before this process (resumed runs)
    started: float = field(default_factory=time.time)

    @property
    def tokens(self) -> int:
        """Prompt plus completion tokens."""
        return self.prompt_tokens + self.completion_tokens

    def elapsed(self) -> float:
        """Wall seconds of the run, earlier sessions of a resumed run included."""
        return self.wall_seconds + (time.time() - self.started)

    def add(self, prompt_tokens: int, completion_tokens: int, cost: float | None) -> None:
        """Count one response."""
        self.requests += 1
        self.prompt_tokens += prompt_tokens
        self.completion_tokens += completion_tokens
        self.cost = None if cost is None or self.cost is None else self.cost + cost

    def check(self, budget: Budget, iterations: int | None = None) -> None:
        """Raise BudgetExhausted when a limit is reached."""
        if iterations is not None and iterations >= budget.max_iterations:
            raise BudgetExhausted(f"--max-iterations {budget.max_iterations} reached")
        if budget.max_tokens is not None and self.tokens >= budget.max_tokens:
            raise BudgetExhausted(f"--max-tokens {budget.max_tokens} reached ({self.tokens} tokens used)")
        if budget.max_cost is not None and self.cost is not None and self.cost >= budget.max_cost:
            raise BudgetExhausted(f"--max-cost {budget.max_cost} reached (${self.cost:.4f} spent)")
        if budget.timeout is not None and self.elapsed() >= budget.timeout:
            raise BudgetExhausted(f"--timeout {budget.timeout:.0f} s reached")

    def remaining_seconds(self, budget: Budget) -> float | None:
        """Seconds left under --timeout (None: no limit)."""
        return None if budget.timeout is None else max(0.0, budget.timeout - self.elapsed())

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready totals (for state.json and the log)."""
        data = asdict(self)
        data["wall_seconds"] = round(self.elapsed(), 3)
        data.pop("started")
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Usage":
        """The totals saved by `to_dict` (a resumed run goes on counting)."""
        return cls(**{k: v for k, v in data.items() if k in ("requests", "prompt_tokens", "completion_tokens", "cost", "wall_seconds")})


def format_cost(cost: float | None) -> str:
    """'$0.0123' or 'unknown'."""
    return "unknown" if cost is None else f"${cost:.4f}"
