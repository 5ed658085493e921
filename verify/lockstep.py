"""The reference and a JAX translation side by side, driven from the same state, action and draws."""

from __future__ import annotations

import contextlib
import warnings
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from envs.gym_reference import swapped_np_random
from envs.spec import Port
from verify.compare import StepOutcome
from verify.tape import tape_for


def _quiet():
    """Silence the reference's warnings about stepping after termination: L1 does it on purpose."""
    stack = contextlib.ExitStack()
    stack.enter_context(warnings.catch_warnings())
    warnings.simplefilter("ignore")
    return stack


class Lockstep:
    """One reference instance and one translation, with state conversion between them."""

    def __init__(self, port: Port, env: Any | None = None):
        self.port = port
        self.env = port.make_jax() if env is None else env
        self.params = self.env.default_params
        self.ref = port.make_reference()
        self._swap = port.swap_rng or swapped_np_random
        self._reset = jax.jit(self.env.reset_det)
        self.template = self.env.reset(jax.random.PRNGKey(0), self.params)[1]
        self._names = [f.name for f in port.state_fields]
        self._dtypes = [np.dtype(getattr(self.template, n).dtype) for n in self._names]

        def step_from_values(values, action, draws, params):
            state = self.template.replace(**dict(zip(self._names, values)))
            obs, nxt, reward, terminated, truncated = self.env.step_env_det(state, action, draws, params)
            return obs, [getattr(nxt, n) for n in self._names], reward, terminated, truncated

        self._step_values = jax.jit(step_from_values)
        self._step_values_batch = jax.jit(jax.vmap(step_from_values, in_axes=(0, 0, 0, None)))

    # ----- conversions -----------------------------------------------------
    def state_to_dict(self, state: Any) -> dict[str, np.ndarray]:
        """A translation state as the adapter's dict of numpy arrays."""
        return {f.name: np.asarray(getattr(state, f.name)) for f in self.port.state_fields}

    def dict_to_state(self, values: dict[str, np.ndarray]) -> Any:
        """A dict of numpy values as a translation state (dtypes taken from a reset state)."""
        return self.template.replace(
            **{
                f.name: jnp.asarray(values[f.name], dtype=getattr(self.template, f.name).dtype)
                for f in self.port.state_fields
            }
        )

    def action_for_reference(self, action: Any) -> Any:
        """Actions as the reference expects them: Python ints or float32 arrays."""
        action = np.asarray(action)
        if action.dtype.kind in "iu":
            return int(action)
        return action.astype(np.float32)

    # ----- reference side ----------------------------------------------------
    def reference_reset(self, reset_draws: dict) -> StepOutcome:
        """Reset the reference with the translation's reset draws."""
        tape = tape_for(self.port, "reset", {k: np.asarray(v) for k, v in reset_draws.items()})
        with self._swap(self.ref, tape), _quiet():
            obs, _ = self.ref.reset()
        tape.finish()
        return StepOutcome(np.asarray(obs), self.port.get_state(self.ref))

    def reference_step(self, state: dict | None, action: Any, step_draws: dict) -> StepOutcome:
        """Step the reference (from `state` if given) with the translation's step draws."""
        if state is not None:
            self.port.set_state(self.ref, state)
        tape = tape_for(self.port, "step", {k: np.asarray(v) for k, v in step_draws.items()})
        with self._swap(self.ref, tape), _quiet():
            obs, reward, terminated, truncated, _ = self.ref.step(self.action_for_reference(action))
        tape.finish()
        return StepOutcome(np.asarray(obs), self.port.get_state(self.ref), float(reward), bool(terminated), bool(truncated))

    # ----- translation side --------------------------------------------------
    def translation_reset(self, reset_draws: dict) -> StepOutcome:
        obs, state = self._reset(reset_draws, self.params)
        return StepOutcome(np.asarray(obs), self.state_to_dict(state))

    def translation_step(self, state: dict, action: Any, draws: dict) -> StepOutcome:
        """One step of the translation without auto-reset, from a state dict."""
        values = [np.asarray(state[n], dt) for n, dt in zip(self._names, self._dtypes)]
        out = self._step_values(values, np.asarray(action), draws, self.params)
        obs, next_values, reward, terminated, truncated = jax.device_get(out)
        return StepOutcome(
            np.asarray(obs), dict(zip(self._names, next_values)), float(reward), bool(terminated), bool(truncated)
        )

    def translation_steps(self, states: list[dict], actions: np.ndarray, draws: dict, pad_to: int) -> list[StepOutcome]:
        """One step from each of `states` at once (vmapped); inputs are padded to `pad_to` to compile once."""
        n = len(states)
        padded = states + [states[-1]] * (pad_to - n)
        values = [np.stack([np.asarray(s[name], dt) for s in padded]) for name, dt in zip(self._names, self._dtypes)]
        pad = lambda x: np.concatenate([x, np.repeat(x[-1:], pad_to - n, axis=0)]) if pad_to > n else x
        actions = pad(np.asarray(actions)[:n])
        draws = jax.tree.map(lambda x: pad(np.asarray(x)[:n]), draws)
        obs, next_values, reward, terminated, truncated = jax.device_get(
            self._step_values_batch(values, actions, draws, self.params)
        )
        return [
            StepOutcome(obs[i], {name: v[i] for name, v in zip(self._names, next_values)}, float(reward[i]), bool(terminated[i]), bool(truncated[i]))
            for i in range(n)
        ]

    def rollouts(self, policy, episodes: int, steps: int, key: jax.Array) -> dict:
        """Free-running episodes of the translation (see `verify.rollouts.translation_rollouts`)."""
        from verify.rollouts import translation_rollouts

        return translation_rollouts(self.env, self.params, policy, episodes, steps, key)

    def draws_for_state(self, key: jax.Array, state: dict) -> dict:
        """The draws the translation samples for one step from `state` (numpy leaves)."""
        draws = self.env.sample_draws(key, self.dict_to_state(state), self.params)
        return jax.tree.map(np.asarray, draws)


def _flat_reset_draws(port: Port, draws: dict) -> np.ndarray:
    return np.concatenate([np.asarray(draws[d.name], np.float64).reshape(-1) for d in port.draws_for("reset")])


class RustLockstep(Lockstep):
    """The reference and the port's Rust translation side by side.

    The JAX translation still supplies what is backend-independent: the action
    space, the draws (explicit inputs of the contract) and the policies.
    """

    backend = "rust"

    def __init__(self, port: Port, rust_env: Any | None = None):
        super().__init__(port)
        from envs.rust_backend import make_rust_single

        self.rust = make_rust_single(port) if rust_env is None else rust_env

    def _outcome(self, obs, reward=0.0, terminated=False, truncated=False) -> StepOutcome:
        state = {k: np.asarray(np.nan if v is None else v) for k, v in self.rust.get_state().items()}
        return StepOutcome(np.asarray(obs, np.float32), state, float(reward), bool(terminated), bool(truncated))

    def _rust_state(self, state: dict) -> dict:
        return {f.name: np.asarray(state[f.name]).item() for f in self.port.state_fields}

    def _rust_action(self, action: Any) -> Any:
        action = np.asarray(action)
        return int(action) if action.dtype.kind in "iu" else action.astype(np.float32).reshape(-1)

    def translation_reset(self, reset_draws: dict) -> StepOutcome:
        return self._outcome(self.rust.reset_det(_flat_reset_draws(self.port, reset_draws)))

    def translation_step(self, state: dict, action: Any, draws: dict) -> StepOutcome:
        self.rust.set_state(self._rust_state(state))
        return self._outcome(*self.rust.step(self._rust_action(action)))

    def translation_steps(self, states: list[dict], actions: np.ndarray, draws: dict, pad_to: int) -> list[StepOutcome]:
        return [self.translation_step(s, a, {}) for s, a in zip(states, np.asarray(actions)[: len(states)])]

    def rollouts(self, policy, episodes: int, steps: int, key: jax.Array) -> dict:
        """Episodes of the Rust env in a Python loop, laid out like `translation_rollouts`' output."""
        from types import SimpleNamespace

        env, params, port = self.env, self.params, self.port
        names = [f.name for f in port.state_fields]
        act = jax.jit(policy)
        k_reset, k_run = jax.random.split(key)
        reset_draws = jax.tree.map(np.asarray, jax.vmap(env.sample_reset_draws, in_axes=(0, None))(jax.random.split(k_reset, episodes), params))
        first_action = np.asarray(env.action_space(params).sample(k_reset))
        obs_dim = int(np.prod(env.observation_space(params).shape))
        out = {
            "action": np.zeros((episodes, steps, *first_action.shape), first_action.dtype),
            "obs": np.zeros((episodes, steps, obs_dim), np.float32),
            "reward": np.zeros((episodes, steps)),
            "terminated": np.zeros((episodes, steps), bool),
            "truncated": np.zeros((episodes, steps), bool),
        }
        states = {n: np.zeros((episodes, steps)) for n in names}
        reset_obs = np.zeros((episodes, obs_dim), np.float32)
        reset_states = {n: np.zeros(episodes) for n in names}
        for ep in range(episodes):
            first = self.translation_reset(jax.tree.map(lambda x: x[ep], reset_draws))
            reset_obs[ep] = first.obs
            for n in names:
                reset_states[n][ep] = first.state[n]
            obs, prev = first.obs, first_action
            keys = np.asarray(jax.random.split(jax.random.fold_in(k_run, ep), steps))
            for t in range(steps):
                action = np.asarray(act(keys[t], obs, prev))
                o, r, term, trunc = self.rust.step(self._rust_action(action))
                state = self.rust.get_state()
                out["action"][ep, t], out["obs"][ep, t], out["reward"][ep, t] = action, o, r
                out["terminated"][ep, t], out["truncated"][ep, t] = term, trunc
                for n in names:
                    states[n][ep, t] = np.nan if state[n] is None else state[n]
                obs, prev = np.asarray(o, np.float32), action
                if term or trunc:
                    for k in out:
                        out[k][ep, t + 1 :] = out[k][ep, t]
                    for n in names:
                        states[n][ep, t + 1 :] = states[n][ep, t]
                    break
        dtypes = {f.name: np.dtype(f.dtype) for f in port.state_fields}
        as_tree = lambda d: SimpleNamespace(**{n: v.astype(dtypes[n]) for n, v in d.items()})
        traj = {**out, "state": as_tree(states), "step_draws": {}}
        traj["step_draws"] = {d.name: np.zeros((episodes, steps, *d.shape)) for d in port.draws_for("step")}
        return {"reset_draws": reset_draws, "reset_obs": reset_obs, "reset_state": as_tree(reset_states), "traj": traj}
