"""L4 policy transfer: does a policy trained on the translation behave the same on the reference?

PPO trains one policy per seed on the translation (JAX: all seeds batched in one compiled
run, `ppo.jax_trainer.over_seeds`; Rust: the host trainer over the Rust vector env). Each policy is then evaluated,
greedy, on the reference (Gymnasium's vector env of the real class, on the host) and on
the translation. Per seed, d = mean return on the reference - mean return on the
translation; a paired TOST (two one-sided t-tests) at alpha 0.05 asks whether the mean of
d lies within +-margin, the margin stated by the port (`Port.policy_transfer_margin`).
Equivalence holds exactly when the (1 - 2 alpha) confidence interval of the mean
difference lies inside the margin. The reverse (train on the reference, evaluate on both)
runs when asked, since training on the reference is slow.

A turn-based port that trains one seat (`Port.extra["train_env"]` an `envs.seated.SeatedJaxEnv`) is trained and
evaluated on that seated env on the translation's side (the Rust translation's: its seated vector env, seat 0, through
`ppo.vector_envs.make_host_vector`), and on the reference seen from the same seat with the other
seats uniformly random legal players drawing from their own generator (`envs.seated_gym.SeatedGymEnv`); an episode
is a game in which the seat acts on both sides, and its return the seat's payoff. Training on the reference (the
reverse direction) is not offered for such a port.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
from scipy import stats

from verify.reports.model import LevelResult


@dataclass
class PolicyTransferOptions:
    """How much L4 trains and evaluates."""

    seeds: int = 10
    episodes: int = 100  # greedy evaluation episodes per seed, on each side
    total_timesteps: int | None = None  # None: the port's PPO configuration (ppo/configs/NAME.toml)
    reverse: bool = False  # also train on the reference and evaluate on both
    alpha: float = 0.05
    seed: int = 0


def tost_paired(differences, margin: float, alpha: float = 0.05) -> dict[str, Any]:
    """Paired TOST of H0: |mean difference| >= margin against H1: |mean difference| < margin.

    Returns the mean difference, its (1 - 2 alpha) confidence interval, both one-sided p
    values, p = their maximum, and `equivalent` (p < alpha, i.e. the interval lies inside
    +-margin). With zero spread the interval is the mean itself.
    """
    d = np.asarray(differences, float)
    if d.size < 2:
        raise ValueError("TOST needs at least two paired differences")
    if not margin > 0:
        raise ValueError(f"the equivalence margin must be positive, got {margin}")
    n, mean = d.size, float(d.mean())
    se = float(d.std(ddof=1) / math.sqrt(n))
    df = n - 1
    if se == 0.0:
        p_lower = 0.0 if mean > -margin else 1.0
        p_upper = 0.0 if mean < margin else 1.0
        low = high = mean
    else:
        p_lower = float(stats.t.sf((mean + margin) / se, df))  # H0: mean <= -margin
        p_upper = float(stats.t.cdf((mean - margin) / se, df))  # H0: mean >= +margin
        half = float(stats.t.ppf(1 - alpha, df)) * se
        low, high = mean - half, mean + half
    p = max(p_lower, p_upper)
    return {
        "n": n, "mean_difference": mean, "std_error": se, "df": df, "margin": float(margin), "alpha": alpha,
        "ci_level": 1 - 2 * alpha, "ci_low": low, "ci_high": high, "p_lower": p_lower, "p_upper": p_upper,
        "p_value": p, "equivalent": bool(p < alpha),
    }


def transfer_skip_reason(port) -> str | None:
    """Why L4 cannot run on `port` (no margin, or one that is not a positive number), or None."""
    margin = getattr(port, "policy_transfer_margin", None)
    if margin is None:
        return (f"L4 does not apply: {port.name} states no policy_transfer_margin in its port metadata "
                "(set it, with policy_transfer_reason, to the largest difference of mean return that does not matter)")
    if not (isinstance(margin, (int, float)) and math.isfinite(margin) and margin > 0):
        return f"L4 cannot run: {port.name}'s policy_transfer_margin is {margin!r}; it must be a positive number"
    return None


def seated_face(port, env=None):
    """The seated env a turn-based port trains on (`Port.extra["train_env"]`, on the translation `env` when given),
    or None for a port that trains no seat."""
    from envs.seated import SeatedJaxEnv

    make = port.extra.get("train_env")
    face = make() if make is not None else None
    if not isinstance(face, SeatedJaxEnv):
        return None
    return face if env is None else SeatedJaxEnv(env, seat=face.seat, max_turns=face.max_turns)


def seated_reference_vector(port, seated, num_envs: int):
    """`num_envs` reference games seen from `seated`'s seat (`envs.seated_gym.SeatedGymEnv`), in Gymnasium's
    SAME_STEP auto-reset mode; games are cut at the JAX side's `max_steps_in_episode` as there."""
    import gymnasium
    from gymnasium.vector import AutoresetMode

    from envs.seated_gym import SeatedGymEnv

    limit = int(seated.default_params.max_steps_in_episode)
    make = lambda: SeatedGymEnv(port.make_reference(), seat=seated.seat, max_steps=limit)  # noqa: E731
    return gymnasium.vector.SyncVectorEnv([make] * num_envs, autoreset_mode=AutoresetMode.SAME_STEP)


def _evaluate(port, backend: str, config, params, episodes: int, seed: int, env=None) -> np.ndarray:
    """Greedy returns of each policy on `backend` (`env`: the JAX env to evaluate on), shape (seeds, episodes)."""
    from ppo.evaluate import evaluate_host, evaluate_jax
    from ppo.vector_envs import make_host_vector

    if backend == "jax":
        return evaluate_jax(config, params, env if env is not None else port.make_jax(), episodes, seed=seed)
    num = _leaves(params)[0].shape[0]
    seated = seated_face(port)
    if backend == "reference" and seated is not None:
        vec = seated_reference_vector(port, seated, num * episodes)
    else:
        vec = make_host_vector(port, backend, num * episodes, seed=seed)
    try:
        return evaluate_host(config, params, vec, episodes, seed=seed)
    finally:
        vec.close()


def _leaves(tree):
    import jax

    return jax.tree.leaves(tree)


def _direction(port, train_on: str, evaluate_on: tuple[str, str], options, config, env, progress) -> dict[str, Any]:
    """Train on `train_on`, evaluate on `evaluate_on` = (reference side, translation side); the TOST of the paired means."""
    from ppo.training import run_training

    env = seated_face(port, env) or env  # a turn-based port: its seat's face on the translation

    seeds = list(range(options.seed, options.seed + options.seeds))
    progress(f"{port.name}: L4 training {options.seeds} PPO seeds on {train_on} ({config.total_timesteps:,} steps each)")
    trained = run_training(port, train_on, config, seeds, env=env if train_on == "jax" else None)
    eval_seed = 1_000_003 + options.seed
    progress(f"{port.name}: L4 evaluating {options.seeds} policies x {options.episodes} episodes on the reference and the translation")
    on_reference = _evaluate(port, "reference", config, trained.params, options.episodes, eval_seed)
    on_translation = _evaluate(port, evaluate_on[1], config, trained.params, options.episodes, eval_seed, env)
    result = tost_paired(on_reference.mean(axis=1) - on_translation.mean(axis=1), port.policy_transfer_margin, options.alpha)
    result.update(
        trained_on=train_on,
        translation=evaluate_on[1],
        seeds=seeds,
        total_timesteps=config.total_timesteps,
        reference_returns=on_reference.mean(axis=1).round(3).tolist(),
        translation_returns=on_translation.mean(axis=1).round(3).tolist(),
        final_training_returns=np.round(trained.final_returns(), 3).tolist(),
        train_seconds=round(trained.compile_seconds + trained.train_seconds, 2),
    )
    return result


def check_policy_transfer(
    port,
    backend: str = "jax",
    env=None,
    options: PolicyTransferOptions | None = None,
    progress: Callable[[str], None] = lambda msg: None,
) -> LevelResult:
    """The L4 level for `port`'s `backend` translation (or `env`, another JAX translation of it)."""
    from ppo.config import default_config_path, load_config

    options = options or PolicyTransferOptions()
    level = LevelResult("L4")
    skipped = transfer_skip_reason(port)
    seated = seated_face(port) if skipped is None else None
    if seated is not None and backend == "rust" and seated.seat != 0:
        skipped = (f"L4 does not apply to {port.name}'s rust translation: it trains seat {seated.seat}, and the Rust "
                   "seated env (rust_envs/src/games/seated.rs) trains seat 0 only")
    if skipped is not None:
        level.skipped_reason = skipped
        return level
    start = time.perf_counter()
    overrides = {} if options.total_timesteps is None else {"total_timesteps": options.total_timesteps}
    config = load_config(default_config_path(port.name), overrides)
    directions = [_direction(port, backend, ("reference", backend), options, config, env, progress)]
    if options.reverse and seated_face(port) is not None:
        level.notes.append("reverse direction not run: training a seat on the reference's seated face is not offered")
    elif options.reverse:
        directions.append(_direction(port, "reference", ("reference", backend), options, config, env, progress))
    else:
        level.notes.append("reverse direction (train on the reference) not run: it trains on the slow reference (PolicyTransferOptions.reverse)")
    level.checks = sum(2 * d["n"] * options.episodes for d in directions)
    reason = getattr(port, "policy_transfer_reason", None)
    level.notes.append(f"margin +-{port.policy_transfer_margin:g}: " + (reason or "the port states no reason for it (policy_transfer_reason)"))
    level.data = {"policy_transfer": directions}
    for d in directions:
        verdict = "equivalent" if d["equivalent"] else "NOT shown equivalent"
        text = (
            f"trained on {d['trained_on']}: mean return on the reference {np.mean(d['reference_returns']):.3g}, "
            f"on the translation {np.mean(d['translation_returns']):.3g}; mean difference {d['mean_difference']:+.3g}, "
            f"{d['ci_level']:.0%} CI [{d['ci_low']:+.2f}, {d['ci_high']:+.2f}] vs margin +-{d['margin']:g}: "
            f"{verdict} (TOST p = {d['p_value']:.3g}, {d['n']} seeds)"
        )
        level.notes.append(text)
        if not d["equivalent"]:
            level.fail("tost", "policies do not transfer: " + text, **{k: d[k] for k in ("mean_difference", "ci_low", "ci_high", "p_value", "margin")})
    level.passed = not level.failures
    level.seconds = time.perf_counter() - start
    return level
