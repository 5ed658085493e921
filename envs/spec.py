"""The port contract: what envport knows about each ported environment.

A `Port` ties together the real upstream reference, the adapter that reads and
writes the reference's complete state, the translations, and the metadata the
verifier needs (state fields with comparison rules, random draws, time limit).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Callable, Literal

import numpy as np

Rule = Literal["exact", "close"]
Phase = Literal["reset", "step"]


@dataclass(frozen=True)
class StateField:
    """One entry of a port's state: same name in the reference adapter and the translation.

    `dtype` is the reference's dtype; `low`/`high` bound the values the L1
    strategies generate (wider than reachable states on purpose); `ref` says
    where the value lives in the reference, for reports and readers.
    """

    name: str
    dtype: str
    ref: str
    rule: Rule = "exact"
    rtol: float = 0.0
    atol: float = 0.0
    low: float | None = None
    high: float | None = None
    nullable: bool = False  # NaN stands for the reference's None
    # Values where behaviour changes (termination thresholds, goals): L1 offers them and
    # their close neighbours often, since bugs in thresholds only show right there.
    edges: tuple[float, ...] = ()
    # Array-valued fields (a brick map, a row of cars): the element shape; () for scalars.
    # `low`/`high` then bound every element.
    shape: tuple[int, ...] = ()

    def __post_init__(self):
        if self.rule == "close" and self.rtol == 0.0 and self.atol == 0.0:
            object.__setattr__(self, "rtol", 1e-12)
            object.__setattr__(self, "atol", 1e-12)

    @property
    def kind(self) -> str:
        """'float', 'int' or 'bool', from the dtype."""
        dt = np.dtype(self.dtype)
        if dt.kind == "f":
            return "float"
        if dt.kind == "b":
            return "bool"
        return "int"


@dataclass(frozen=True)
class DrawSpec:
    """One named random draw of a reset or a step (see docs/design.md, "The randomness contract").

    `kind` is the standard variate the draw holds: 'uniform' numbers in [0, 1),
    'integers' in [low, high), 'normal' standard normals, or 'index': uniform numbers u in
    [0, 1) that answer a ranged integer call (`integers(low, high)`, `choice(n)`) with
    `low + floor(u * (high - low))`, for a range the translation does not know when it samples
    (it depends on what earlier draws of the same step did). The reference's own generator
    calls are answered from these, in `phase` order.
    """

    name: str
    kind: Literal["uniform", "integers", "normal", "index"]
    shape: tuple[int, ...]
    phase: Phase
    used_for: str = ""
    # Consumed only on some steps (a spawn that happens when a timer runs out, say): the
    # translation always samples it, the reference asks for it when the event happens.
    # The tape lets an optional draw go unused, and skips it when the reference's next
    # call asks for another kind or shape (verify.tape).
    optional: bool = False
    # Up to shape[0] calls, each answered by the next element (of shape shape[1:]): the reference
    # asks as many times as it needs (0 to shape[0], a number that may depend on the state and on
    # earlier draws); the translation samples all of them and takes them in order. The tape moves
    # past it when the next call does not fit an element, or when all elements are used.
    up_to: bool = False

    def __post_init__(self):
        if self.up_to and not self.shape:
            raise ValueError(f"draw {self.name!r}: an up_to draw needs a shape whose first axis counts the calls")

    @property
    def element_shape(self) -> tuple[int, ...]:
        """The shape one call takes: shape[1:] for an up_to draw, the whole shape otherwise."""
        return tuple(self.shape[1:]) if self.up_to else tuple(self.shape)

    def elements(self) -> "tuple[DrawSpec, ...]":
        """An up_to draw as its scalar-call elements `name[j]` (each optional: asked or not); itself otherwise."""
        if not self.up_to:
            return (self,)
        return tuple(
            dataclasses.replace(self, name=f"{self.name}[{j}]", shape=self.element_shape, optional=True, up_to=False)
            for j in range(self.shape[0])
        )


@dataclass(frozen=True)
class Tolerance:
    """Comparison rule for an output that is not a state field (obs, reward)."""

    rule: Rule = "close"
    rtol: float = 1e-12
    atol: float = 1e-12


@dataclass(frozen=True)
class Port:
    """A reference environment and its translations, with the metadata to verify them."""

    name: str
    gym_id: str
    description: str
    reference_entry_point: str
    make_reference: Callable[[], Any]
    get_state: Callable[[Any], dict[str, np.ndarray]]
    set_state: Callable[[Any, dict[str, np.ndarray]], None]
    make_jax: Callable[[], Any]
    jax_module: str
    state_fields: tuple[StateField, ...]
    draws: tuple[DrawSpec, ...]
    max_episode_steps: int
    time_limit: str = "the translation counts steps in state.time; truncated = time >= max_episode_steps, as gymnasium.make's TimeLimit"
    autoreset: str = "same-step: on terminated or truncated, step returns the next episode's first obs and state; info['final_obs'] holds the last obs"
    # How actions outside the space behave, tested by L2: where the reference accepts one the
    # translation must match it; where the reference rejects one, the translation stays finite.
    invalid_action: str = "continuous actions are clipped as the reference clips them"
    # Observations are float32 casts of float64 values: one float64 ulp can move the cast by one float32 ulp.
    obs_tolerance: Tolerance = Tolerance("close", rtol=3e-7, atol=1e-12)
    reward_tolerance: Tolerance = Tolerance()
    # context manager (env, generator) letting the generator answer the reference's random calls; None: the generic
    # route (envs.reference_rng.swapped_randomness: np_random, held generators, Python's random, numpy's globals)
    swap_rng: Callable[[Any, Any], Any] | None = None
    canonical_state: Callable[[dict[str, np.ndarray]], dict[str, np.ndarray]] | None = None
    # Set (to the reason) for chaotic dynamics where unavoidable ulp differences grow
    # along an episode: L3 then compares each step from the reference's state and
    # reports the free-running drift as a measurement instead of a failure.
    chaotic: str | None = None
    goal_policy: Callable | None = None  # JAX fn (key, obs) -> action that reaches rare events
    aliases: tuple[str, ...] = ()
    backends: tuple[str, ...] = ("jax",)
    # L4 policy transfer: the largest difference of mean episode return (reference minus
    # translation, same policies) still called equivalent by its TOST; None: L4 does not apply.
    policy_transfer_margin: float | None = None
    # Why the margin is what it is: the return's scale (its bounds, a random and a competent policy's
    # returns) and the share of it the margin allows. L4 quotes it beside the margin.
    policy_transfer_reason: str | None = None
    # gymnax's id for the same environment (benchmarks and `--candidate gymnax:ID`); None: gymnax has none.
    gymnax_id: str | None = None
    # The Rust translation (rust_envs/, module `envport_rust`), where "rust" is in `backends`:
    # (single-env class, vector-env class) in envport_rust, as the port's line in
    # rust_envs/src/bindings/mod.rs names them (classic control: the single class is named
    # as the Rust struct), and the module that translates the dynamics, as a path inside
    # rust_envs/ (e.g. "src/classic_control/cartpole.rs"). None: no Rust translation.
    rust_classes: tuple[str, str] | None = None
    rust_source: str | None = None
    # The port exposes a legal-action mask (docs/design.md, "Legal-action masks"): the reference and the Rust env
    # return it as info["action_mask"] (bool, one entry per discrete action), the JAX translation as
    # `action_mask(state, params)` and info["action_mask"]; the verifier compares it and PPO samples legal actions only.
    action_mask: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def swap_randomness(self, env: Any, generator: Any):
        """A context manager in which `generator` answers every random call of the reference `env`."""
        if self.swap_rng is not None:
            return self.swap_rng(env, generator)
        from envs.reference_rng import swapped_randomness

        return swapped_randomness(env, generator)

    def field(self, name: str) -> StateField:
        """The state field called `name`."""
        for f in self.state_fields:
            if f.name == name:
                return f
        raise KeyError(name)

    def draws_for(self, phase: Phase) -> tuple[DrawSpec, ...]:
        """The draws consumed in `phase`, in the order the reference asks for them."""
        return tuple(d for d in self.draws if d.phase == phase)

    def replace(self, **changes) -> "Port":
        """A copy with some attributes changed (used to verify alternative translations)."""
        return dataclasses.replace(self, **changes)

    def summary(self) -> dict[str, Any]:
        """JSON-ready description for `envport list --json`."""
        return {
            "name": self.name,
            "gym_id": self.gym_id,
            "aliases": list(self.aliases),
            "description": self.description,
            "reference": self.reference_entry_point,
            "backends": list(self.backends),
            "max_episode_steps": self.max_episode_steps,
            "autoreset": self.autoreset,
            "state_fields": [
                {"name": f.name, "dtype": f.dtype, "rule": f.rule, "rtol": f.rtol, "atol": f.atol, "ref": f.ref}
                for f in self.state_fields
            ],
            "draws": [dataclasses.asdict(d) for d in self.draws],
        }
