"""The reference and a JAX translation side by side, driven from the same state, action and draws."""

from __future__ import annotations

import contextlib
import warnings
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

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
        # How a reproduction script builds this lockstep (verify.runner.reproduce_setup sets the exact lines).
        self.reproduce_setup = f"from envs import get_port\nfrom verify.lockstep import {type(self).__name__}\nlock = {type(self).__name__}(get_port({port.name!r}))\n"
        self.params = self.env.default_params
        self.ref = port.make_reference()
        self._swap = port.swap_randomness
        # Entered around each reference reset and step (verify.branch_coverage hooks its tracer in here).
        self.measure = contextlib.nullcontext
        self.template = self.env.reset(jax.random.PRNGKey(0), self.params)[1]
        self._names = [f.name for f in port.state_fields]
        self._dtypes = [np.dtype(getattr(self.template, n).dtype) for n in self._names]
        self.masked = port.action_mask
        masked = self.masked
        # A turn-based game (docs/design.md, section 9): both sides also report every player's observation.
        self.turn_based = hasattr(self.env, "observe_all") and hasattr(self.ref, "observe_all")
        every = self.env.observe_all if self.turn_based else lambda state, params: None

        def reset_with_mask(draws, params):
            obs, state = self.env.reset_det(draws, params)
            return obs, state, self.env.action_mask(state, params) if masked else None, every(state, params)

        def step_from_values(values, action, draws, params):
            state = self.template.replace(**dict(zip(self._names, values)))
            obs, nxt, reward, terminated, truncated = self.env.step_env_det(state, action, draws, params)
            mask = self.env.action_mask(nxt, params) if masked else None
            return obs, [getattr(nxt, n) for n in self._names], reward, terminated, truncated, mask, every(nxt, params)

        self._reset_mask = jax.jit(reset_with_mask)
        self._sample_draws = jax.jit(self.env.sample_draws)  # the same numbers as eager, one dispatch (no FMA: verify.precision)

        self._step_values = jax.jit(step_from_values)
        self._step_values_batch = jax.jit(jax.vmap(step_from_values, in_axes=(0, 0, 0, None)))

    # ----- conversions -----------------------------------------------------
    def state_to_dict(self, state: Any) -> dict[str, np.ndarray]:
        """A translation state as the adapter's dict of numpy arrays."""
        return {f.name: np.asarray(getattr(state, f.name)) for f in self.port.state_fields}

    def dict_to_state(self, values: dict[str, np.ndarray]) -> Any:
        """A dict of numpy values as a translation state (dtypes taken from a reset state)."""
        fields = {}
        for name, dtype in zip(self._names, self._dtypes):
            value = values[name]
            # A value already in the field's dtype goes over in the one transfer below (an eager jnp.asarray per
            # field dispatches a conversion each, milliseconds for a MinAtar state); others convert as before.
            fields[name] = value if isinstance(value, np.ndarray) and value.dtype == dtype else jnp.asarray(value, dtype=dtype)
        return self.template.replace(**jax.device_put(fields))

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
        with self._swap(self.ref, tape), _quiet(), self.measure():
            obs, info = self.ref.reset()
        tape.finish()
        return StepOutcome(np.asarray(obs), self.port.get_state(self.ref), action_mask=self._reference_mask(info),
                           observations=self._reference_observations())

    def reference_step(self, state: dict | None, action: Any, step_draws: dict) -> StepOutcome:
        """Step the reference (from `state` if given) with the translation's step draws."""
        if state is not None:
            self.port.set_state(self.ref, state)
        tape = tape_for(self.port, "step", {k: np.asarray(v) for k, v in step_draws.items()})
        with self._swap(self.ref, tape), _quiet(), self.measure():
            obs, reward, terminated, truncated, info = self.ref.step(self.action_for_reference(action))
        tape.finish()
        return StepOutcome(np.asarray(obs), self.port.get_state(self.ref), float(reward), bool(terminated), bool(truncated),
                           self._reference_mask(info), self._reference_observations())

    def _reference_observations(self) -> np.ndarray | None:
        """A turn-based reference's observation of every player (its face's `observe_all`); None otherwise."""
        return np.asarray(self.ref.observe_all()) if self.turn_based else None

    def _reference_mask(self, info: Any) -> np.ndarray | None:
        """The reference's info['action_mask'] (a copy) for a masked port; None otherwise or where it has none."""
        if not self.masked or not isinstance(info, dict) or info.get("action_mask") is None:
            return None
        return np.array(info["action_mask"])

    # ----- translation side --------------------------------------------------
    def translation_reset(self, reset_draws: dict) -> StepOutcome:
        obs, state, mask, every = self._reset_mask(reset_draws, self.params)
        return StepOutcome(np.asarray(obs), self.state_to_dict(state), action_mask=None if mask is None else np.asarray(mask),
                           observations=None if every is None else np.asarray(every))

    def translation_step(self, state: dict, action: Any, draws: dict) -> StepOutcome:
        """One step of the translation without auto-reset, from a state dict."""
        values = [np.asarray(state[n], dt) for n, dt in zip(self._names, self._dtypes)]
        out = self._step_values(values, np.asarray(action), draws, self.params)
        obs, next_values, reward, terminated, truncated, mask, every = jax.device_get(out)
        return StepOutcome(
            np.asarray(obs), dict(zip(self._names, next_values)), float(reward), bool(terminated), bool(truncated),
            None if mask is None else np.asarray(mask), None if every is None else np.asarray(every),
        )

    def translation_steps(self, states: list[dict], actions: np.ndarray, draws: dict, pad_to: int) -> list[StepOutcome]:
        """One step from each of `states` at once (vmapped); inputs are padded to `pad_to` to compile once."""
        n = len(states)
        padded = states + [states[-1]] * (pad_to - n)
        values = [np.stack([np.asarray(s[name], dt) for s in padded]) for name, dt in zip(self._names, self._dtypes)]
        pad = lambda x: np.concatenate([x, np.repeat(x[-1:], pad_to - n, axis=0)]) if pad_to > n else x
        actions = pad(np.asarray(actions)[:n])
        draws = jax.tree.map(lambda x: pad(np.asarray(x)[:n]), draws)
        obs, next_values, reward, terminated, truncated, mask, every = jax.device_get(
            self._step_values_batch(values, actions, draws, self.params)
        )
        return [
            StepOutcome(obs[i], {name: v[i] for name, v in zip(self._names, next_values)}, float(reward[i]), bool(terminated[i]),
                        bool(truncated[i]), None if mask is None else np.asarray(mask[i]), None if every is None else np.asarray(every[i]))
            for i in range(n)
        ]

    def rollouts(self, policy, episodes: int, steps: int, key: jax.Array) -> dict:
        """Free-running episodes of the translation (see `verify.rollouts.translation_rollouts`)."""
        from verify.rollouts import translation_rollouts

        return translation_rollouts(self.env, self.params, policy, episodes, steps, key, masked=self.masked)

    def draws_for_state(self, key: jax.Array, state: dict) -> dict:
        """The draws the translation samples for one step from `state` (numpy leaves)."""
        draws = self._sample_draws(key, self.dict_to_state(state), self.params)
        return jax.tree.map(np.asarray, draws)


def _flat_reset_draws(port: Port, draws: dict) -> np.ndarray:
    return np.concatenate([np.asarray(draws[d.name], np.float64).reshape(-1) for d in port.draws_for("reset")])


def _rust_mask(env: Any) -> np.ndarray | None:
    """A Rust env's `action_mask()`, copied (the env returns its own buffer); None where it reports none."""
    mask = env.action_mask() if hasattr(env, "action_mask") else None
    return None if mask is None else np.array(mask)


class RustLockstep(Lockstep):
    """The reference and the port's Rust translation side by side.

    The JAX translation still supplies what is backend-independent: the action
    space, the draws (explicit inputs of the contract) and the policies.

    Two kinds of Rust env: classic control (flat float32 observations, scalar state values,
    uniform reset draws as one flat array, no step draws) and MinAtar (`step_det`: bool grid
    observations, numpy-array state values, reset and step draws as dicts by name). For the
    latter every step goes through `step_det` with the JAX translation's step draws, so both
    sides consume the same numbers.
    """

    backend = "rust"

    def __init__(self, port: Port, rust_env: Any | None = None):
        super().__init__(port)
        from envs.rust_backend import make_rust_single

        self.rust = make_rust_single(port) if rust_env is None else rust_env
        self.grid = hasattr(self.rust, "step_det")

    def _outcome(self, obs, reward=0.0, terminated=False, truncated=False) -> StepOutcome:
        if self.grid:
            state = {k: np.asarray(v) for k, v in self.rust.get_state().items()}
            obs = np.asarray(obs)
        else:
            state = {k: np.asarray(np.nan if v is None else v) for k, v in self.rust.get_state().items()}
            obs = np.asarray(obs, np.float32)
        return StepOutcome(obs, state, float(reward), bool(terminated), bool(truncated), self._rust_mask(),
                           self._rust_observations())

    def _rust_observations(self) -> np.ndarray | None:
        """A turn-based port's every-player observation from the Rust env (`observe_all()`), where it has one."""
        if not self.turn_based or not hasattr(self.rust, "observe_all"):
            return None
        return np.array(self.rust.observe_all())

    def _rust_mask(self) -> np.ndarray | None:
        """A masked port's legal-action mask of the Rust env's current state: its `action_mask()` (the raw
        single env's counterpart of RustEnv's info['action_mask']); None where it has none (reported missing)."""
        return _rust_mask(self.rust) if self.masked else None

    def _rust_state(self, state: dict) -> dict:
        if self.grid:
            return {f.name: np.asarray(state[f.name]).astype(f.dtype).reshape(f.shape) for f in self.port.state_fields}
        return {f.name: np.asarray(state[f.name]).item() for f in self.port.state_fields}

    def _rust_action(self, action: Any) -> Any:
        action = np.asarray(action)
        return int(action) if action.dtype.kind in "iu" else action.astype(np.float32).reshape(-1)

    def translation_reset(self, reset_draws: dict) -> StepOutcome:
        if self.grid:
            return self._outcome(self.rust.reset_det({k: np.asarray(v) for k, v in reset_draws.items()}))
        return self._outcome(self.rust.reset_det(_flat_reset_draws(self.port, reset_draws)))

    def translation_step(self, state: dict, action: Any, draws: dict) -> StepOutcome:
        """One step from `state`; `draws` is the translation's `{"step": ..., "reset": ...}` (MinAtar: step_det)."""
        self.rust.set_state(self._rust_state(state))
        if self.grid:
            step_draws = {k: np.asarray(v) for k, v in draws["step"].items()}
            return self._outcome(*self.rust.step_det(self._rust_action(action), step_draws))
        return self._outcome(*self.rust.step(self._rust_action(action)))

    def translation_steps(self, states: list[dict], actions: np.ndarray, draws: dict, pad_to: int) -> list[StepOutcome]:
        actions = np.asarray(actions)
        return [
            self.translation_step(s, actions[i], jax.tree.map(lambda x: np.asarray(x)[i], draws))
            for i, s in enumerate(states)
        ]

    def rollouts(self, policy, episodes: int, steps: int, key: jax.Array) -> dict:
        """Episodes of the Rust env in a Python loop, laid out like `translation_rollouts`' output."""
        if self.grid:
            return self._grid_rollouts(policy, episodes, steps, key)
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

    def _grid_rollouts(self, policy, episodes: int, steps: int, key: jax.Array) -> dict:
        """MinAtar: all episodes side by side, one Rust env each, stepped with `step_det`.

        Each step, one jitted call gives every episode its action (the policy, from the
        observation) and its step draws (the JAX translation's `sample_draws` from the Rust
        env's current state, so state-dependent draw ranges follow the Rust state); the Rust
        envs then step in a Python loop. Ended episodes repeat their last step to the end,
        as the classic layout does.
        """
        from types import SimpleNamespace

        from envs.rust_backend import make_rust_single

        env, params, port = self.env, self.params, self.port
        names, dtypes = self._names, self._dtypes
        template = self.template
        k_reset, k_run = jax.random.split(key)
        reset_draws = jax.tree.map(np.asarray, jax.vmap(env.sample_reset_draws, in_axes=(0, None))(jax.random.split(k_reset, episodes), params))
        first_action = np.asarray(env.action_space(params).sample(k_reset))

        masked = self.masked

        def decide_one(k, obs, prev, values):
            k_act, k_draw = jax.random.split(k)
            state = template.replace(**dict(zip(names, values)))
            mask = env.action_mask(state, params) if masked else None  # the policy's view of the Rust state
            return policy(k_act, obs, prev, mask), env.sample_draws(k_draw, state, params)["step"]

        decide = jax.jit(jax.vmap(decide_one))
        envs = [make_rust_single(port) for _ in range(episodes)]
        first = []
        mask_of = lambda r: _rust_mask(r) if masked else None
        for ep, r in enumerate(envs):
            o = r.reset_det({k: v[ep] for k, v in reset_draws.items()})
            first.append(StepOutcome(np.asarray(o), {k: np.asarray(v) for k, v in r.get_state().items()}, action_mask=mask_of(r)))
        obs = np.stack([f.obs for f in first])
        current = [f.state for f in first]
        prev = np.repeat(first_action[None], episodes, 0)
        out = {"action": [], "obs": [], "reward": [], "terminated": [], "truncated": [], "step_draws": [], "action_mask": []}
        masks = [f.action_mask for f in first]
        states: list[list[dict]] = []
        alive = np.ones(episodes, bool)
        ended_at = np.full(episodes, steps)
        for t in range(steps):
            if not alive.any():
                break
            values = [np.stack([np.asarray(c[n], dt) for c in current]) for n, dt in zip(names, dtypes)]
            keys = jax.random.split(jax.random.fold_in(k_run, t), episodes)
            actions, draws = jax.device_get(decide(keys, obs, prev, values))
            actions, draws = np.asarray(actions), {k: np.asarray(v) for k, v in draws.items()}
            obs = obs.copy()
            reward, term, trunc = np.zeros(episodes), np.zeros(episodes, bool), np.zeros(episodes, bool)
            for ep in np.flatnonzero(alive):
                o, r, te, tr = envs[ep].step_det(self._rust_action(actions[ep]), {k: v[ep] for k, v in draws.items()})
                obs[ep], reward[ep], term[ep], trunc[ep] = o, r, te, tr
                current[ep] = {k: np.asarray(v) for k, v in envs[ep].get_state().items()}
                masks[ep] = mask_of(envs[ep])
                if te or tr:
                    alive[ep] = False
                    ended_at[ep] = t
            for k, v in (("action", actions), ("obs", obs), ("reward", reward), ("terminated", term), ("truncated", trunc), ("step_draws", draws)):
                out[k].append(v)
            out["action_mask"].append(list(masks))
            states.append(list(current))
            prev = actions
        taken = len(out["action"])
        keys = ("action", "obs", "reward", "terminated", "truncated")
        if masked and taken and all(m is not None for step in out["action_mask"] for m in step):
            out["action_mask"] = [np.stack(step) for step in out["action_mask"]]
            keys += ("action_mask",)
        traj = {k: np.stack(out[k], 1) for k in keys}
        traj["step_draws"] = {k: np.stack([d[k] for d in out["step_draws"]], 1) for k in out["step_draws"][0]} if taken else {}
        traj["state"] = SimpleNamespace(**{
            n: np.stack([np.stack([s[ep][n] for s in states]) for ep in range(episodes)]).astype(dt) for n, dt in zip(names, dtypes)
        })
        # ended episodes repeat their last step (their later entries hold stale values)
        for ep in range(episodes):
            end = int(ended_at[ep])
            if end + 1 < taken:
                for k in keys:
                    traj[k][ep, end + 1 :] = traj[k][ep, end]
                for n in names:
                    getattr(traj["state"], n)[ep, end + 1 :] = getattr(traj["state"], n)[ep, end]
        if taken < steps:  # every episode ended early: pad to `steps` with each episode's last step
            pad = lambda x: np.concatenate([x, np.repeat(x[:, -1:], steps - taken, 1)], 1)
            traj = {**{k: pad(traj[k]) for k in keys},
                    "step_draws": {k: pad(v) for k, v in traj["step_draws"].items()},
                    "state": SimpleNamespace(**{n: pad(getattr(traj["state"], n)) for n in names})}
        reset_state = SimpleNamespace(**{n: np.stack([np.asarray(f.state[n], dt) for f in first]) for n, dt in zip(names, dtypes)})
        run = {"reset_draws": reset_draws, "reset_obs": np.stack([f.obs for f in first]), "reset_state": reset_state, "traj": traj}
        if "action_mask" in traj:
            run["reset_action_mask"] = np.stack([f.action_mask for f in first])
        return run
