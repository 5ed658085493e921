"""The `Port` of a MinAtar game: the metadata every game shares, plus the game's own fields and draws."""

from __future__ import annotations

import importlib
from typing import Any, Callable

import numpy as np

from envs.gym_reference import GYM_UNREACHABLE_BRANCHES
from envs.minatar import reference
from envs.spec import DrawSpec, Port, StateField, Tolerance

STICKY = DrawSpec("sticky", "uniform", (), "step", "Environment.act: random.rand() < sticky_action_prob repeats the last action")

# Branches of the minatar package that the verifier's reference calls never take (verify.branch_coverage).
MINATAR_UNREACHABLE_BRANCHES = GYM_UNREACHABLE_BRANCHES[:1] + (
    ("minatar/gym.py", "if seed is not None:", "true", "seeding: the measured resets are the tape's, without a seed"),
)

WRAPPER_FIELDS = (
    StateField("last_action", "int64", "Environment.last_action (full-map index, repeated by sticky actions)", low=0, high=5),
    StateField("time", "int64", "TimeLimit._elapsed_steps"),
)


def minatar_port(
    game: str,
    package: str,
    description: str,
    class_name: str,
    fields: tuple[StateField, ...],
    draws: tuple[DrawSpec, ...],
    get_game_state: Callable[[Any], dict[str, np.ndarray]],
    set_game_state: Callable[[Any, dict[str, np.ndarray]], None],
    max_episode_steps: int,
    time_limit: str,
    rust: bool = False,
    policy_transfer_margin: float | None = None,
    policy_transfer_reason: str | None = None,
    **extra: Any,
) -> Port:
    """The port of MinAtar game `game` (e.g. 'breakout'), whose translation is `package.jax_env.class_name`.

    `fields`/`draws` are the game's own; the sticky-action draw (first in every step) and the
    wrapper's fields (last action, step count) are added here. `get_game_state` /
    `set_game_state` read and write the game object (`reference.inner(env)`).
    `rust=True`: the game has a Rust translation, `rust_envs/src/minatar/<game>.rs`, whose line in
    rust_envs/src/bindings/mod.rs names the classes `MinAtar<Title>` / `MinAtar<Title>Vec` (Title as in
    `reference.GAME_IDS`); the port declares both (`rust_source`, `rust_classes`).
    `policy_transfer_margin`/`policy_transfer_reason`: L4's margin in points and why (envs.spec.Port).
    """
    jax_module = f"{package}.jax_env"
    # the edge: a state one step before the time limit, so that L1 always steps onto it
    time_field = StateField("time", "int64", "TimeLimit._elapsed_steps", low=0, high=max_episode_steps, edges=(max_episode_steps - 1,))

    def make_jax():
        return getattr(importlib.import_module(jax_module), class_name)()

    def get_state(env):
        return {**get_game_state(reference.inner(env)), **reference.get_wrapper_state(env)}

    def set_state(env, state):
        set_game_state(reference.inner(env), state)
        reference.set_wrapper_state(env, state)

    name = f"minatar-{game.replace('_', '-')}"
    gym_id = reference.gym_id(game)
    title = reference.GAME_IDS[game]
    return Port(
        name=name,
        gym_id=gym_id,
        description=description,
        reference_entry_point=f"minatar.gym:BaseEnv (game={game!r}; minatar.environments.{game}.Env)",
        make_reference=lambda: reference.make_reference(game, max_episode_steps),
        get_state=get_state,
        set_state=set_state,
        make_jax=make_jax,
        jax_module=jax_module,
        state_fields=(*fields, WRAPPER_FIELDS[0], time_field),
        draws=(STICKY, *draws),
        max_episode_steps=max_episode_steps,
        time_limit=time_limit,
        invalid_action=(
            "the reference indexes its action list with the action: -1 is the last action (matched), "
            "others outside the range raise IndexError; the translation clips those"
        ),
        obs_tolerance=Tolerance("exact"),
        reward_tolerance=Tolerance("exact"),
        gymnax_id=f"{title}-MinAtar",  # gymnax has all five games
        aliases=(f"MinAtar-{title}", f"{title}-MinAtar"),
        backends=("jax", "rust") if rust else ("jax",),
        rust_classes=(f"MinAtar{title}", f"MinAtar{title}Vec") if rust else None,
        rust_source=f"src/minatar/{game}.rs" if rust else None,
        policy_transfer_margin=policy_transfer_margin,
        policy_transfer_reason=policy_transfer_reason,
        extra={
            "game": game, **extra,
            "unreachable_branches": MINATAR_UNREACHABLE_BRANCHES + tuple(extra.get("unreachable_branches", ())),
        },
    )
