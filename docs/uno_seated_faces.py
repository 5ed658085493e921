"""Do UNO's three seated faces play the same game? (envs/rlcard/README.md, UNO's L4 paragraph.)

The same fixed seat-0 policies on RLCard's `envs.seated_gym.SeatedGymEnv`, the JAX `envs.seated.SeatedJaxEnv` and the
Rust `RlcardUnoSeatedVec` (the other seat uniformly random legal on each, from each face's own generator): uniformly
random legal, the lowest legal id, the highest legal id. Per face and policy: games, seat 0's mean payoff with its 95%
interval, win rate, seat 0's actions per game, how often the other seat acted before seat 0's first turn (the state
after the face's reset: a card played on the flipped one, or a card drawn), and how often a deal was dealt again (a
game over before seat 0 acts; counted on RLCard, and on JAX by playing the deals the face's reset plays).

    PYTHONPATH=$PWD .venv/bin/python docs/uno_seated_faces.py [RLCARD_GAMES] [JAX_GAMES] [RUST_GAMES]  (0: skip that face)
"""

from __future__ import annotations

import sys
import time

import jax
import jax.numpy as jnp
import numpy as np

from envs.rlcard.uno import PORT
from envs.seated_gym import SeatedGymEnv

POLICIES = ("uniform", "lowest", "highest")


def choose(name: str, mask: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Seat 0's actions for a batch of masks (n, 61)."""
    if name == "lowest":
        return mask.argmax(axis=1)
    if name == "highest":
        return mask.shape[1] - 1 - mask[:, ::-1].argmax(axis=1)
    u = rng.random(len(mask))
    counts = mask.sum(axis=1)
    kth = np.floor(u * counts).astype(np.int64)
    return (np.cumsum(mask, axis=1) > kth[:, None]).argmax(axis=1)


def opponent_first(played_count, hand_counts) -> np.ndarray:
    """The other seat acted before seat 0's first turn: it played on the flipped card, or drew and kept one."""
    return (np.asarray(played_count) > 1) | (np.asarray(hand_counts)[..., 1] != 7)


def summary(payoff, length, first, redeals: int | None, deals: int | None) -> dict:
    payoff = np.asarray(payoff, np.float64)
    n = len(payoff)
    return {"games": n, "mean": payoff.mean(), "ci": 1.96 * payoff.std(ddof=1) / np.sqrt(n),
            "win": (payoff == 1).mean(), "cut": (payoff == 0).mean(), "length": np.mean(length),
            "first": np.mean(first), "redeal": None if deals is None else f"{redeals}/{deals}"}


def rlcard_face(policy: str, games: int) -> dict:
    env, rng = SeatedGymEnv(PORT.make_reference(), seat=0), np.random.default_rng(11)
    deals = [0]
    face_reset = env.face.reset

    def counted_reset(*args, **kw):
        deals[0] += 1
        return face_reset(*args, **kw)

    env.face.reset = counted_reset
    payoff, length, first = [], [], []
    for g in range(games):
        _, info = env.reset(seed=g)
        state = PORT.get_state(env.face)
        first.append(opponent_first(state["played_count"], state["hand_counts"]))
        total, steps, done = 0.0, 0, False
        while not done:
            action = int(choose(policy, info["action_mask"][None], rng)[0])
            _, reward, term, trunc, info = env.step(action)
            total, steps, done = total + reward, steps + 1, term or trunc
        payoff.append(total)
        length.append(steps)
    return summary(payoff, length, first, deals[0] - games, deals[0])


def jax_face(policy: str, games: int) -> dict:
    seated = PORT.extra["train_env"]()
    params = seated.default_params

    def act(key, mask):
        if policy == "lowest":
            return jnp.argmax(mask).astype(jnp.int32)
        if policy == "highest":
            return (mask.shape[0] - 1 - jnp.argmax(mask[::-1])).astype(jnp.int32)
        return jax.random.categorical(key, jnp.where(mask, 0.0, -jnp.inf)).astype(jnp.int32)

    def one(key):
        k_reset, k_run = jax.random.split(key)
        _, state = seated.reset(k_reset, params)
        start = (state.played_count, state.hand_counts)

        def cond(c):
            return ~c[2] & (c[4] < 1000)

        def body(c):
            k, s, done, total, steps = c
            k, k_act, k_step = jax.random.split(k, 3)
            _, s2, r, d, _, _ = seated.step(k_step, s, act(k_act, seated.action_mask(s, params)), params)
            return k, s2, d, total + r, steps + 1

        _, _, _, total, steps = jax.lax.while_loop(cond, body, (k_run, state, jnp.asarray(False), jnp.zeros((), jnp.result_type(float)), 0))
        return total, steps, start

    def deal(key):  # what SeatedJaxEnv.reset plays per deal: is the game over before seat 0's first turn?
        k_reset, k_others = jax.random.split(key)
        _, state = seated.env.reset(k_reset, params)
        return seated._others(k_others, state, False, params)[2]

    keys = jax.random.split(jax.random.PRNGKey(5), games)
    total, steps, start = jax.jit(jax.vmap(one))(keys)
    over = jax.jit(jax.vmap(deal))(jax.random.split(jax.random.PRNGKey(6), games))
    return summary(np.asarray(total), np.asarray(steps), opponent_first(*start), int(over.sum()), games)


def rust_face(policy: str, games: int) -> dict:
    import envport_rust

    vec, rng = envport_rust.RlcardUnoSeatedVec(games, seed=3), np.random.default_rng(13)
    vec.reset(seed=3)
    states = [vec.get_state(i) for i in range(games)]
    first = opponent_first([s["played_count"] for s in states], np.stack([s["hand_counts"] for s in states]))
    total, steps = np.zeros(games), np.zeros(games, np.int64)
    running = np.ones(games, bool)
    while running.any():
        actions = choose(policy, np.asarray(vec.action_mask), rng).astype(np.int64)
        _, reward, terminated, truncated, _, _ = vec.step(actions)
        total += np.where(running, reward, 0.0)
        steps += running
        running &= ~(np.asarray(terminated) | np.asarray(truncated))
    return summary(total, steps, first, None, None)


def main() -> None:
    counts = [int(a) for a in sys.argv[1:4]] + [10_000, 10_000, 200_000][len(sys.argv[1:4]):]
    print("| policy of seat 0 | face | games | mean payoff (95% CI) | win | seat-0 actions | other seat first | dealt again | s |")
    print("|---|---|---|---|---|---|---|---|---|")
    for policy in POLICIES:
        for face, run, games in zip(("RLCard", "JAX", "Rust"), (rlcard_face, jax_face, rust_face), counts):
            if not games:
                continue
            start = time.perf_counter()
            s = run(policy, games)
            print(f"| {policy} | {face} | {s['games']:,} | {s['mean']:+.4f} +- {s['ci']:.4f} | {s['win']:.2%} | "
                  f"{s['length']:.2f} | {s['first']:.2%} | {s['redeal'] or 'n/a'} | {time.perf_counter() - start:.0f} |",
                  flush=True)


if __name__ == "__main__":
    main()
