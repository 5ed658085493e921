"""What a training run leaves in its folder: the learning curve, the policy, a greedy evaluation and a summary."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from ppo.training import TrainResult, training_env


def write_outputs(port, result: TrainResult, out_dir: Path, eval_episodes: int) -> tuple[dict[str, Any], np.ndarray]:
    """Write curve.csv, curve.png, policy.msgpack, policy.json and summary.json; (summary, evaluation returns (seeds, episodes))."""
    from ppo.curves import plot_curves, write_curve_csv
    from ppo.evaluate import evaluate_host, evaluate_jax, game_outcomes
    from ppo.policy_io import save_policy
    from ppo.vector_envs import make_host_vector

    out_dir.mkdir(parents=True, exist_ok=True)
    returns = result.returns()
    steps = (np.arange(returns.shape[1]) + 1) * result.config.batch_size
    write_curve_csv(out_dir / "curve.csv", steps, returns, result.seeds)
    plot_curves(out_dir / "curve.png", {result.backend: (steps, returns)}, f"PPO on {port.name} ({result.backend})")
    save_policy(out_dir, result.params, result.config, {"env": port.name, "gym_id": port.gym_id, "backend": result.backend, "seeds": result.seeds})
    if result.backend == "jax":
        evaluation = evaluate_jax(result.config, result.params, training_env(port), eval_episodes, seed=10_000)
    else:
        vec = make_host_vector(port, result.backend, len(result.seeds) * eval_episodes, seed=10_000)
        evaluation = evaluate_host(result.config, result.params, vec, eval_episodes, seed=10_000)
    summary = {
        "env": port.name, "backend": result.backend, "seeds": result.seeds, "config": result.config.to_dict(),
        "compile_seconds": round(result.compile_seconds, 3), "train_seconds": round(result.train_seconds, 3),
        "steps_per_second": result.steps_per_second, "env_steps": result.env_steps,
        "final_training_return": result.final_returns().tolist(),
        "evaluation": {"episodes_per_seed": eval_episodes, "policy": "greedy", "mean_return": evaluation.mean(axis=1).tolist()},
    }
    outcomes = game_outcomes(evaluation)
    if outcomes is not None:  # a game scored +1 / 0 / -1 per episode: wins, draws, losses and the win rate
        summary["evaluation"]["outcomes"] = outcomes
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2))
    return summary, evaluation
