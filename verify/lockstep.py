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

    def draws_for_state(self, key: jax.Array, state: dict) -> dict:
        """The draws the translation samples for one step from `state` (numpy leaves)."""
        draws = self.env.sample_draws(key, self.dict_to_state(state), self.params)
        return jax.tree.map(np.asarray, draws)
