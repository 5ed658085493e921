"""Saved policies: the parameters of every seed (flax msgpack) beside a JSON with what they need to run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jax
import numpy as np
from flax import serialization

from ppo.config import PPOConfig

PARAMS_FILE, META_FILE = "policy.msgpack", "policy.json"


def save_policy(out_dir: Path, params: Any, config: PPOConfig, meta: dict[str, Any]) -> list[Path]:
    """Write `policy.msgpack` (parameters, leading seed axis) and `policy.json` (config and `meta`) in `out_dir`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    params_path, meta_path = out_dir / PARAMS_FILE, out_dir / META_FILE
    params_path.write_bytes(serialization.msgpack_serialize(jax.tree.map(np.asarray, params)))
    meta_path.write_text(json.dumps({"config": config.to_dict(), **meta}, indent=2, default=str))
    return [params_path, meta_path]


def load_policy(out_dir: Path) -> tuple[Any, PPOConfig, dict[str, Any]]:
    """(params, config, meta) as `save_policy` wrote them."""
    out_dir = Path(out_dir)
    meta = json.loads((out_dir / META_FILE).read_text())
    params = serialization.msgpack_restore((out_dir / PARAMS_FILE).read_bytes())
    return params, PPOConfig(**meta.pop("config")), meta
