"""Brinewatch (specification v1): a two-player duel card game as a single-agent Gymnasium environment.

The learning agent is player 0; player 1 is the scripted opponent of section 9, whose turns are played inside
`step`. Everything is integer arithmetic on the twelve state fields of section 3, held as attributes of the same
names; the only randomness is `self.np_random` (two permutations at reset, Gull Swarm hits).
Rule ids in comments (R-7.4) refer to the specification.
"""

from __future__ import annotations

import gymnasium
import numpy as np
from gymnasium import spaces

# ----- section 1: constants -------------------------------------------------------------------------------
DECK_SIZE = 16
HAND_LIMIT = 6
BOARD_SLOTS = 4
START_HAND = 3
START_HP = 20
MAX_HP = 20
MAX_TIDE = 6
MAX_TURNS = 18
N_ACTIONS = 27
OBS_SIZE = 50
BASE_DECK = np.array([1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8], dtype=np.int32)

# ----- section 2: cards (indexed by card id; 0 = empty) ------------------------------------------------------
KELP_TENDER, EEL_STRIKER, SHELL_WARDEN, LEVIATHAN_CALF = 1, 2, 3, 4
HARPOON_VOLLEY, TIDE_CHART, BRINE_SURGE, GULL_SWARM = 5, 6, 7, 8
COST = (0, 1, 2, 3, 5, 2, 2, 3, 2)
ATTACK = (0, 1, 3, 2, 5, 0, 0, 0, 0)
HEALTH = (0, 2, 1, 4, 5, 0, 0, 0, 0)
GUARD = SHELL_WARDEN
SWIFT = EEL_STRIKER


def is_unit(card: int) -> bool:
    """Cards 1-4 are units, 5-8 spells."""
    return 1 <= card <= 4


# ----- section 5: actions ------------------------------------------------------------------------------------
END_TURN = 0
KEEPER = 4  # attack target j = 4: the enemy keeper


def play_action(slot: int) -> int:
    """PLAY(s) = 1 + s."""
    return 1 + slot


def attack_action(i: int, j: int) -> int:
    """ATTACK(i, j) = 7 + 5 i + j."""
    return 7 + 5 * i + j


# ----- section 3: the state table (name, shape); every field int32 -------------------------------------------
STATE_FIELDS = (
    ("deck", (2, DECK_SIZE)), ("deck_pos", (2,)), ("hand", (2, HAND_LIMIT)),
    ("board_card", (2, BOARD_SLOTS)), ("board_atk", (2, BOARD_SLOTS)), ("board_hp", (2, BOARD_SLOTS)),
    ("board_ready", (2, BOARD_SLOTS)), ("keeper_hp", (2,)), ("tide", (2,)), ("max_tide", (2,)),
    ("fatigue", (2,)), ("turn", ()),
)


class BrinewatchEnv(gymnasium.Env):
    """The spec's environment. Its state is exactly the attributes named in STATE_FIELDS (numpy int32 arrays)."""

    metadata = {"render_modes": []}

    def __init__(self):
        self.action_space = spaces.Discrete(N_ACTIONS)
        self.observation_space = spaces.Box(low=-128, high=127, shape=(OBS_SIZE,), dtype=np.int8)
        for name, shape in STATE_FIELDS:
            setattr(self, name, np.zeros(shape, dtype=np.int32))
        self.turn = np.array(1, dtype=np.int32)

    # ----- the adapter (section 3) -----------------------------------------------------------------------
    def get_state(self) -> dict[str, np.ndarray]:
        """The complete state: a copy of every field of the state table."""
        return {name: np.array(getattr(self, name), dtype=np.int32) for name, _ in STATE_FIELDS}

    def set_state(self, state: dict[str, np.ndarray]) -> None:
        """Overwrite every field from `state` (copied; shapes checked)."""
        for name, shape in STATE_FIELDS:
            value = np.array(state[name], dtype=np.int32)
            if value.shape != shape:
                raise ValueError(f"state field {name!r} has shape {value.shape}, expected {shape}")
            setattr(self, name, value)

    # ----- derived quantities ----------------------------------------------------------------------------
    def hand_size(self, p: int) -> int:
        return int(np.count_nonzero(self.hand[p]))

    def board_count(self, p: int) -> int:
        return int(np.count_nonzero(self.board_card[p]))

    def deck_left(self, p: int) -> int:
        return DECK_SIZE - int(self.deck_pos[p])

    # ----- rules of play (section 7) ---------------------------------------------------------------------
    def draw(self, p: int) -> None:
        """R-7.1: fatigue from an empty deck, else the next card into the hand (burned when the hand is full)."""
        if self.deck_pos[p] == DECK_SIZE:
            self.fatigue[p] += 1
            self.keeper_hp[p] -= self.fatigue[p]
            return
        card = self.deck[p][self.deck_pos[p]]
        self.deck_pos[p] += 1
        n = self.hand_size(p)
        if n < HAND_LIMIT:
            self.hand[p][n] = card

    def start_turn(self, p: int) -> None:
        """R-7.2: refill tide, ready the units, draw one card."""
        self.max_tide[p] = min(self.max_tide[p] + 1, MAX_TIDE)
        self.tide[p] = self.max_tide[p]
        for i in range(self.board_count(p)):
            self.board_ready[p][i] = 1
        self.draw(p)

    def has_guard(self, p: int) -> bool:
        return bool(np.any(self.board_card[p] == GUARD))

    def valid_targets(self, p: int) -> list[int]:
        """R-5.2: the targets player p may attack (Guard slots only, when the enemy has a Guard)."""
        e = 1 - p
        if self.has_guard(e):
            return [j for j in range(BOARD_SLOTS) if self.board_card[e][j] == GUARD]
        return list(range(self.board_count(e))) + [KEEPER]

    def is_legal(self, p: int, a: int) -> bool:
        """R-5.2 for player p in the current state."""
        if a == END_TURN:
            return True
        if 1 <= a <= 6:
            s = a - 1
            if s >= self.hand_size(p):
                return False
            card = int(self.hand[p][s])
            if COST[card] > self.tide[p]:
                return False
            return not is_unit(card) or self.board_count(p) < BOARD_SLOTS
        if 7 <= a < N_ACTIONS:
            i, j = (a - 7) // 5, (a - 7) % 5
            return i < self.board_count(p) and self.board_ready[p][i] == 1 and j in self.valid_targets(p)
        return False

    def play(self, p: int, s: int) -> None:
        """R-7.3 (and the card effects of section 2 / R-7.4)."""
        e = 1 - p
        card = int(self.hand[p][s])
        self.tide[p] -= COST[card]
        self.hand[p][s:HAND_LIMIT - 1] = self.hand[p][s + 1:].copy()
        self.hand[p][HAND_LIMIT - 1] = 0
        if is_unit(card):
            m = self.board_count(p)
            self.board_card[p][m] = card
            self.board_atk[p][m] = ATTACK[card]
            self.board_hp[p][m] = HEALTH[card]
            self.board_ready[p][m] = 1 if card == SWIFT else 0
            if card == KELP_TENDER:
                self.keeper_hp[p] = min(MAX_HP, self.keeper_hp[p] + 2)
        elif card == HARPOON_VOLLEY:
            self.keeper_hp[e] -= 3
            self.keeper_hp[p] -= 1
        elif card == TIDE_CHART:
            for _ in range(3):
                self.draw(p)
        elif card == BRINE_SURGE:
            for j in range(BOARD_SLOTS):
                if self.board_card[e][j] != 0:
                    self.board_hp[e][j] -= 2
        elif card == GULL_SWARM:
            self.gull_swarm(p)

    def gull_swarm(self, p: int) -> None:
        """R-7.4: three hits, each on a random valid target; a draw only when there is a choice (k >= 2)."""
        e = 1 - p
        for _ in range(3):
            targets = [j for j in range(BOARD_SLOTS) if self.board_card[e][j] != 0 and self.board_hp[e][j] > 0]
            k = len(targets) + 1
            t = int(self.np_random.integers(0, k)) if k >= 2 else 0
            if t < len(targets):
                self.board_hp[e][targets[t]] -= 1
            else:
                self.keeper_hp[e] -= 1

    def attack(self, p: int, i: int, j: int) -> None:
        """R-7.5: keeper damage, or simultaneous combat of two units; the attacker is exhausted."""
        e = 1 - p
        a = self.board_atk[p][i]
        if j == KEEPER:
            self.keeper_hp[e] -= a
        else:
            self.board_hp[e][j], self.board_hp[p][i] = self.board_hp[e][j] - a, self.board_hp[p][i] - self.board_atk[e][j]
        self.board_ready[p][i] = 0

    def remove_defeated(self) -> None:
        """R-7.6: on both boards, drop units with hp <= 0 and pack the survivors to the left, in order."""
        for p in (0, 1):
            keep = [i for i in range(BOARD_SLOTS) if self.board_card[p][i] != 0 and self.board_hp[p][i] > 0]
            for field in (self.board_card, self.board_atk, self.board_hp, self.board_ready):
                values = [int(field[p][i]) for i in keep]
                field[p][:] = values + [0] * (BOARD_SLOTS - len(values))

    def game_result(self) -> float | None:
        """R-7.7: +1 (player 0 wins), -1 (loses), 0 (draw), or None while play continues."""
        d0, d1 = self.keeper_hp[0] <= 0, self.keeper_hp[1] <= 0
        if d0 and d1:
            return 0.0
        if d1:
            return 1.0
        if d0:
            return -1.0
        return None

    def resolve(self, p: int, a: int) -> float | None:
        """Player p's PLAY or ATTACK, then R-7.6 and R-7.7."""
        if a <= 6:
            self.play(p, a - 1)
        else:
            self.attack(p, (a - 7) // 5, (a - 7) % 5)
        self.remove_defeated()
        return self.game_result()

    # ----- section 9: the scripted opponent ----------------------------------------------------------------
    def opponent_action(self) -> int:
        """Player 1's action: the first of O1-O8 whose condition holds."""
        tide, n_hand = int(self.tide[1]), self.hand_size(1)
        n_own, n_enemy = self.board_count(1), self.board_count(0)
        hand = [int(c) for c in self.hand[1][:n_hand]]

        def playable(card: int) -> bool:
            return card in hand and COST[card] <= tide

        if playable(HARPOON_VOLLEY) and self.keeper_hp[0] <= 3:  # O1
            return play_action(hand.index(HARPOON_VOLLEY))
        if playable(BRINE_SURGE) and n_enemy >= 2:  # O2
            return play_action(hand.index(BRINE_SURGE))
        if n_own < BOARD_SLOTS:  # O3: the most expensive affordable unit, lowest slot on ties
            units = [s for s, c in enumerate(hand) if is_unit(c) and COST[c] <= tide]
            if units:
                return play_action(max(units, key=lambda s: (COST[hand[s]], -s)))
        if playable(TIDE_CHART) and n_hand <= 4:  # O4
            return play_action(hand.index(TIDE_CHART))
        if playable(GULL_SWARM) and n_enemy >= 1:  # O5
            return play_action(hand.index(GULL_SWARM))
        if playable(HARPOON_VOLLEY) and self.keeper_hp[1] >= 6:  # O6
            return play_action(hand.index(HARPOON_VOLLEY))
        ready = [i for i in range(n_own) if self.board_ready[1][i] == 1]
        if ready:  # O7
            i = ready[0]
            return attack_action(i, self.opponent_target(i))
        return END_TURN  # O8

    def opponent_target(self, i: int) -> int:
        """O7a-d: the target of player 1's unit in slot i."""
        a, h = int(self.board_atk[1][i]), int(self.board_hp[1][i])
        n_enemy = self.board_count(0)
        guards = [j for j in range(BOARD_SLOTS) if self.board_card[0][j] == GUARD]
        if guards:  # O7a
            return min(guards, key=lambda j: (self.board_hp[0][j], j))
        if self.keeper_hp[0] <= a:  # O7b
            return KEEPER
        trades = [j for j in range(n_enemy) if self.board_hp[0][j] <= a and self.board_atk[0][j] < h]
        if trades:  # O7c
            return max(trades, key=lambda j: (self.board_atk[0][j], -j))
        return KEEPER  # O7d

    # ----- sections 6, 8, 10: observation, reset, step -------------------------------------------------------
    def is_final(self) -> bool:
        """A returned state is final when a keeper is down or player 1's turn ended the game (turn even)."""
        return bool(self.keeper_hp[0] <= 0 or self.keeper_hp[1] <= 0 or self.turn % 2 == 0)

    def action_mask(self) -> np.ndarray:
        """R-5.4: the legal actions of player 0 now; END_TURN only in a final state."""
        if self.is_final():
            mask = np.zeros(N_ACTIONS, dtype=bool)
            mask[END_TURN] = True
            return mask
        return np.array([self.is_legal(0, a) for a in range(N_ACTIONS)], dtype=bool)

    def observation(self) -> np.ndarray:
        """Section 6: player 0's view, 50 int8 entries."""
        head = [self.keeper_hp[0], self.keeper_hp[1], self.tide[0], self.max_tide[0], self.max_tide[1],
                self.hand_size(0), self.hand_size(1), self.deck_left(0), self.deck_left(1),
                self.fatigue[0], self.fatigue[1], self.turn]
        boards = [np.stack([self.board_card[p], self.board_atk[p], self.board_hp[p], self.board_ready[p]], axis=1).ravel()
                  for p in (0, 1)]
        return np.concatenate([np.array(head, dtype=np.int32), self.hand[0], *boards]).astype(np.int8)

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        """R-8.1."""
        super().reset(seed=seed)
        for name, shape in STATE_FIELDS:
            setattr(self, name, np.zeros(shape, dtype=np.int32))
        self.keeper_hp[:] = START_HP
        self.deck[0] = BASE_DECK[self.np_random.permutation(DECK_SIZE)]
        self.deck[1] = BASE_DECK[self.np_random.permutation(DECK_SIZE)]
        for p in (0, 1):
            for _ in range(START_HAND):
                self.draw(p)
        self.turn = np.array(1, dtype=np.int32)
        self.start_turn(0)
        return self.observation(), {"action_mask": self.action_mask()}

    def _result(self, reward: float = 0.0, terminated: bool = False, truncated: bool = False):
        return self.observation(), float(reward), bool(terminated), bool(truncated), {"action_mask": self.action_mask()}

    def step(self, action):
        """R-8.2."""
        if self.is_final():
            raise RuntimeError("the episode is over (terminated or truncated): call reset()")
        a = int(action)
        if not self.is_legal(0, a):  # anything illegal (out of range included) is END_TURN
            a = END_TURN
        if a != END_TURN:
            result = self.resolve(0, a)
            return self._result(result or 0.0, terminated=result is not None)
        # player 0's turn ends; player 1's turn (2) and its actions (3)
        self.turn = np.array(self.turn + 1, dtype=np.int32)
        self.start_turn(1)
        result = self.game_result()
        while result is None:
            b = self.opponent_action()
            if b == END_TURN:
                break
            result = self.resolve(1, b)
        if result is not None:
            return self._result(result, terminated=True)
        if self.turn == MAX_TURNS:  # (4) truncation after player 1's last turn
            return self._result(truncated=True)
        self.turn = np.array(self.turn + 1, dtype=np.int32)  # (5) player 0's next turn
        self.start_turn(0)
        result = self.game_result()
        return self._result(result or 0.0, terminated=result is not None)


def make_reference() -> BrinewatchEnv:
    """A fresh environment (no TimeLimit: the game truncates itself after turn 18)."""
    return BrinewatchEnv()


def get_state(env) -> dict[str, np.ndarray]:
    """The adapter: the state table of `env` (unwrapped)."""
    return env.unwrapped.get_state()


def set_state(env, state: dict[str, np.ndarray]) -> None:
    """The adapter: write a state table into `env` (unwrapped)."""
    env.unwrapped.set_state(state)
