"""PPO hyperparameters: one frozen dataclass, read from TOML files and command-line overrides.

The defaults are PureJaxRL's CartPole configuration (`ppo/configs/cartpole.toml` states it
explicitly). `num_updates` and `minibatch_size` are derived, never set.
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CONFIG_DIR = Path(__file__).parent / "configs"


class ConfigError(ValueError):
    """A configuration file or override that cannot be used; the message says why."""


@dataclass(frozen=True)
class PPOConfig:
    """Everything that decides one PPO run (apart from the seed and the environment)."""

    num_envs: int = 4
    num_steps: int = 128
    total_timesteps: int = 500_000
    lr: float = 2.5e-4
    anneal_lr: bool = True
    update_epochs: int = 4
    num_minibatches: int = 4
    gamma: float = 0.99
    gae_lambda: float = 0.95
    clip_eps: float = 0.2
    ent_coef: float = 0.01
    vf_coef: float = 0.5
    max_grad_norm: float = 0.5
    hidden: tuple[int, ...] = (64, 64)
    activation: str = "tanh"

    def __post_init__(self):
        if isinstance(self.hidden, list):
            object.__setattr__(self, "hidden", tuple(self.hidden))
        for name in ("num_envs", "num_steps", "total_timesteps", "update_epochs", "num_minibatches"):
            if int(getattr(self, name)) < 1:
                raise ConfigError(f"{name} must be a positive integer, got {getattr(self, name)!r}")
        if self.activation not in ("tanh", "relu"):
            raise ConfigError(f"activation must be 'tanh' or 'relu', got {self.activation!r}")
        if (self.num_envs * self.num_steps) % self.num_minibatches:
            raise ConfigError(
                f"num_envs * num_steps ({self.num_envs * self.num_steps}) must divide into num_minibatches ({self.num_minibatches})"
            )
        if self.num_updates < 1:
            raise ConfigError(
                f"total_timesteps ({self.total_timesteps}) is less than one rollout (num_envs * num_steps = {self.batch_size})"
            )

    @property
    def batch_size(self) -> int:
        """Transitions per update: num_envs * num_steps."""
        return self.num_envs * self.num_steps

    @property
    def num_updates(self) -> int:
        """Updates in the run (PureJaxRL's NUM_UPDATES)."""
        return self.total_timesteps // self.batch_size

    @property
    def minibatch_size(self) -> int:
        return self.batch_size // self.num_minibatches

    def replace(self, **changes: Any) -> "PPOConfig":
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "hidden": list(self.hidden)}


def _coerce(name: str, value: Any) -> Any:
    field = {f.name: f for f in dataclasses.fields(PPOConfig)}.get(name)
    if field is None:
        known = ", ".join(f.name for f in dataclasses.fields(PPOConfig))
        raise ConfigError(f"unknown PPO setting {name!r}; known: {known}")
    default = getattr(PPOConfig, name, None) if name != "hidden" else (64, 64)
    try:
        if isinstance(default, bool):
            if isinstance(value, str):
                if value.lower() not in ("true", "false", "1", "0"):
                    raise ValueError(value)
                return value.lower() in ("true", "1")
            return bool(value)
        if isinstance(default, int):
            if isinstance(value, float) and not value.is_integer():
                raise ValueError(value)
            return int(str(value).replace("_", "")) if isinstance(value, str) else int(value)
        if isinstance(default, float):
            return float(value)
        if isinstance(default, tuple):
            items = value.split(",") if isinstance(value, str) else value
            return tuple(int(v) for v in items)
        return str(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{name}: cannot use {value!r} (expected {type(default).__name__})") from None


def load_config(path: str | Path | None = None, overrides: dict[str, Any] | None = None) -> PPOConfig:
    """The defaults, then the TOML file at `path` (if any), then `overrides` (name -> value or text)."""
    values: dict[str, Any] = {}
    if path is not None:
        path = Path(path)
        try:
            data = tomllib.loads(path.read_text())
        except FileNotFoundError:
            raise ConfigError(f"config file {path} does not exist") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path} is not valid TOML: {exc}") from None
        values.update(data)
    values.update(overrides or {})
    return PPOConfig(**{k: _coerce(k, v) for k, v in values.items()})


def parse_overrides(items: list[str]) -> dict[str, str]:
    """['lr=1e-3', 'num_envs=8'] -> {'lr': '1e-3', 'num_envs': '8'}."""
    out = {}
    for item in items:
        if "=" not in item:
            raise ConfigError(f"override {item!r} is not NAME=VALUE")
        name, value = item.split("=", 1)
        out[name.strip()] = value.strip()
    return out


def default_config_path(port_name: str) -> Path | None:
    """`ppo/configs/<port>.toml` when it exists."""
    path = CONFIG_DIR / f"{port_name}.toml"
    return path if path.exists() else None
