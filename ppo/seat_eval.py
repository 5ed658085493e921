"""A turn-based port's trained seat against uniformly random legal opponents: mean payoff with a 95% confidence
interval and win / loss / tie rates, for each trained policy (greedy) and for uniformly random legal play from the
same seat, on the port's training face (`Port.extra["train_env"]`, e.g. `envs.seated.SeatedJaxEnv`).

    python -m ppo.seat_eval PORT RUN_DIR [--games 5000] [--max-steps N]

RUN_DIR is `envport train`'s output folder (its saved policies). An episode of the training face is one game in which
the learner acts; its return is the learner's payoff.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import jax
import numpy as np

from ppo.bench import random_legal_jax
from ppo.evaluate import evaluate_jax, rollout_returns


def payoff_summary(returns: np.ndarray) -> dict:
    """Mean payoff and the half-width of its normal 95% confidence interval, the win / loss / tie rates (a win: a
    payoff above 0), and the half-width of the win rate's normal 95% interval (`win_ci95`)."""
    r = np.asarray(returns, np.float64)
    win = float(np.mean(r > 0))
    return {"games": int(r.size), "mean": float(r.mean()), "ci95": float(1.96 * r.std(ddof=1) / np.sqrt(r.size)),
            "win": win, "win_ci95": float(1.96 * np.sqrt(win * (1 - win) / r.size)), "loss": float(np.mean(r < 0)),
            "tie": float(np.mean(r == 0))}


def random_legal_returns(env, games: int, seed: int, env_params=None) -> np.ndarray:
    """Returns of uniformly random legal play (the benchmarks' rule, `ppo.bench.random_legal`) on `env`."""

    def act(key, obs, mask):
        return random_legal_jax(mask, jax.random.uniform(key, mask.shape[:1]))

    return np.asarray(jax.jit(lambda k: rollout_returns(act, env, games, k, env_params))(jax.random.PRNGKey(seed)))


def _line(name: str, s: dict) -> str:
    return (f"{name}: mean payoff {s['mean']:.3f} +- {s['ci95']:.3f} (95% CI, {s['games']} games), "
            f"win {s['win']:.1%} +- {s['win_ci95']:.1%}, loss {s['loss']:.1%}, tie {s['tie']:.1%}")


def main(argv: list[str] | None = None) -> list[str]:
    """Print (and return) one line per trained seed and one for random legal play."""
    from envs import get_port
    from ppo.policy_io import load_policy
    from ppo.training import training_env

    parser = argparse.ArgumentParser(prog="python -m ppo.seat_eval", description=__doc__.split("\n\n")[0])
    parser.add_argument("port")
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--games", type=int, default=5000)
    parser.add_argument("--max-steps", type=int, default=None, help="the longest game, in the learner's steps")
    parser.add_argument("--seed", type=int, default=20_000)
    args = parser.parse_args(argv)
    env = training_env(get_port(args.port))
    env_params = env.default_params
    if args.max_steps is not None:
        env_params = env_params.replace(max_steps_in_episode=args.max_steps)
    params, config, _ = load_policy(args.run_dir)
    lines = [_line(f"PPO seed {s}", payoff_summary(r))
             for s, r in enumerate(evaluate_jax(config, params, env, args.games, seed=args.seed, env_params=env_params))]
    lines.append(_line("uniformly random legal", payoff_summary(random_legal_returns(env, args.games, args.seed + 10_000, env_params))))
    for line in lines:
        print(line)
    return lines


if __name__ == "__main__":
    main()
