"""What the RLCard adapters share: the AEC-style facade over an `rlcard` env, padded card arrays, the hold'em round.

`RLCardReference` wraps the env `rlcard.make(env_id)` builds, with RLCard's own defaults, and answers in the
terms of the planned multi-player contract (Pgx-style translations, an AEC-style facade over each reference):
`reset(seed)`, `step(action_id)`, `current_player`, `observe(player)`, `legal_action_mask()`, `rewards()`,
`is_over()`. Each game's `reference.py` reads and writes the complete game state (`get_state`, `set_state`).

One thing the facade adds to RLCard: before every reset and step it points the objects a game made
(dealer, round, judger, players) at the game's generator again (`_rebind_generators`). RLCard hands its
one `RandomState` to each of them in `init_game`, so they share it; a generator swapped in for one call
(`envs.reference_rng.swapped_randomness`, which patches the env's and the game's attribute) would otherwise
be kept by the objects a reset under the swap makes, and answer their draws after the swap has ended.
"""

from __future__ import annotations

import operator
from typing import Any, Sequence

import numpy as np
import rlcard

PAD = -1  # the value of an unused slot in a padded card array, and of "no card" / "no player"


class RLCardReference:
    """One RLCard game behind an AEC-style interface; `unwrapped` is the RLCard env itself."""

    def __init__(self, env_id: str, seed: int | None = None):
        self.env_id = env_id
        self.unwrapped = rlcard.make(env_id, config={"seed": seed})
        self.num_players = int(self.unwrapped.num_players)
        self.num_actions = int(self.unwrapped.num_actions)

    @property
    def game(self) -> Any:
        """RLCard's game object (`env.game`), where the whole state lives."""
        return self.unwrapped.game

    def reset(self, seed: int | None = None) -> None:
        """Deal a new game; with `seed`, reseed RLCard's generator first (`env.seed(seed)`)."""
        if seed is not None:
            seed = operator.index(seed)
            if seed < 0:
                raise ValueError(f"{self.env_id}: seed must be a non-negative integer, not {seed}")
            self.unwrapped.seed(int(seed))
        _rebind_generators(self.game)
        self.unwrapped.reset()

    def step(self, action: int) -> None:
        """The current player takes RLCard action id `action`; an illegal id does what RLCard's `_decode_action`
        does with it (see the family docstring). Stepping a finished game is refused (ValueError)."""
        if self.is_over():
            raise ValueError(f"{self.env_id}: the game is over; call reset() before step()")
        _rebind_generators(self.game)
        self.unwrapped.step(operator.index(action))

    @property
    def current_player(self) -> int:
        """The player to act (RLCard's `get_player_id()`)."""
        return int(self.unwrapped.get_player_id())

    def observe(self, player: int) -> np.ndarray:
        """`player`'s observation, RLCard's own `state['obs']` from `env.get_state(player)`."""
        return np.array(self.unwrapped.get_state(player)["obs"])

    def legal_action_mask(self) -> np.ndarray:
        """Bool over RLCard's action ids: the ids RLCard lists as legal for the current player (at the end of a
        game RLCard still lists them; the facade reports what RLCard reports)."""
        mask = np.zeros(self.num_actions, bool)
        mask[list(self.unwrapped.get_state(self.current_player)["legal_actions"])] = True
        return mask

    def rewards(self) -> np.ndarray:
        """One float per player: RLCard's `get_payoffs()` once the game is over, zeros before."""
        if not self.is_over():
            return np.zeros(self.num_players, np.float64)
        return np.asarray(self.unwrapped.get_payoffs(), np.float64)

    def is_over(self) -> bool:
        """Whether the game has ended (RLCard's `is_over()`)."""
        return bool(self.unwrapped.is_over())


def _rebind_generators(game: Any) -> None:
    """Point every object the game made at the game's generator (see the module docstring)."""
    rng = game.np_random
    for name in ("dealer", "round", "judger"):
        part = getattr(game, name, None)
        if part is not None and hasattr(part, "np_random"):
            part.np_random = rng
    for player in getattr(game, "players", None) or ():
        player.np_random = rng


def rlcard_env(env: Any) -> Any:
    """The RLCard env behind a facade (or the RLCard env itself)."""
    return getattr(env, "unwrapped", env)


def new_dealer(cls: type, np_random: Any, deck: list, **attrs: Any) -> Any:
    """A dealer of class `cls` holding `deck` as given: RLCard's dealers shuffle in `__init__`, which would draw."""
    dealer = cls.__new__(cls)
    dealer.np_random = np_random
    dealer.deck = deck
    for name, value in attrs.items():
        setattr(dealer, name, value)
    return dealer


def padded(ids: Sequence[int], length: int) -> np.ndarray:
    """`ids` as an int64 array of `length`, unused slots `PAD`."""
    if len(ids) > length:
        raise ValueError(f"{len(ids)} cards do not fit in a padded array of {length}")
    out = np.full(length, PAD, np.int64)
    out[: len(ids)] = ids
    return out


def field(state: dict, name: str) -> np.ndarray:
    """`state[name]` as an array; a missing field is one clear error."""
    if name not in state:
        raise ValueError(f"the state has no field {name!r}: write a dict as get_state returns it (fields: {sorted(state)})")
    return np.asarray(state[name])


def unpadded(state: dict, name: str, count_name: str) -> list[int]:
    """The first `state[count_name]` entries of the padded array `state[name]`, as ints."""
    values, count = field(state, name), int(field(state, count_name))
    if not 0 <= count <= values.shape[-1]:
        raise ValueError(f"{count_name} = {count} does not fit {name}, which has {values.shape[-1]} slots")
    return [int(v) for v in values[:count]]


# ----- the hold'em betting round (Leduc's round is Limit Hold'em's class) -----------------------------------------

def get_round_state(game: Any, statuses: Sequence[Any]) -> dict[str, np.ndarray]:
    """The game pointer, round counter, each player's chips and status (index into `statuses`), the round's fields."""
    rnd = game.round
    return {
        "game_pointer": np.asarray(game.game_pointer, np.int64),
        "round_counter": np.asarray(game.round_counter, np.int64),
        "in_chips": np.asarray([p.in_chips for p in game.players], np.int64),
        "status": np.asarray([_status_index(p.status, statuses) for p in game.players], np.int64),
        "round_game_pointer": np.asarray(rnd.game_pointer, np.int64),
        "round_raise_amount": np.asarray(rnd.raise_amount, np.int64),
        "round_have_raised": np.asarray(rnd.have_raised, np.int64),
        "round_not_raise_num": np.asarray(rnd.not_raise_num, np.int64),
        "round_raised": np.asarray(rnd.raised, np.int64),
        "round_player_folded": np.asarray(bool(rnd.player_folded), bool),
    }


def _status_index(status: Any, statuses: Sequence[Any]) -> int:
    for i, known in enumerate(statuses):
        if status == known and type(status) is type(known):
            return i
    raise ValueError(f"player status {status!r} is none of {list(statuses)}")


def set_round_state(game: Any, state: dict, statuses: Sequence[Any], round_cls: type) -> None:
    """Write what `get_round_state` reads; the round is made anew with the game's own settings."""
    n = game.num_players
    chips, status = field(state, "in_chips"), field(state, "status")
    for i, player in enumerate(game.players):
        player.in_chips = int(chips[i])
        player.status = statuses[int(status[i])]
    game.game_pointer = int(field(state, "game_pointer"))
    game.round_counter = int(field(state, "round_counter"))
    rnd = round_cls(raise_amount=game.raise_amount, allowed_raise_num=game.allowed_raise_num, num_players=n,
                    np_random=game.np_random)
    rnd.game_pointer = int(field(state, "round_game_pointer"))
    rnd.raise_amount = int(field(state, "round_raise_amount"))
    rnd.have_raised = int(field(state, "round_have_raised"))
    rnd.not_raise_num = int(field(state, "round_not_raise_num"))
    rnd.raised = [int(v) for v in field(state, "round_raised")]
    rnd.player_folded = True if bool(field(state, "round_player_folded")) else None
    game.round = rnd
