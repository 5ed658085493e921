"""RLCard's card games (`rlcard` 1.2.0): the reference side of the turn-based ports (docs/design.md, section 9).

Each game has a package with a `reference.py` (Leduc Hold'em `leduc_holdem`, Limit Texas Hold'em
`limit_holdem`, UNO `uno`): `make_reference(seed)` builds the game with `rlcard.make` and RLCard's own defaults
behind the AEC-style facade `envs.rlcard.reference.RLCardReference` (`reset(seed)`, `step(action_id)`,
`current_player`, `observe(player)`, `legal_action_mask()`, `rewards()`, `is_over()`), and `get_state(env)` /
`set_state(env, state)` read and write the game's complete state as a dict of numpy arrays; the card id scheme
and the fields are in each game's module docstring. Variable-length piles (decks, hands, the played pile) are
arrays padded with -1 plus an explicit count. Each game's `PORT` (`rlcard-leduc-holdem`, `rlcard-limit-holdem`,
`rlcard-uno`) wraps the facade in the Gymnasium face `envs.rlcard.gym_face.TurnBasedGymEnv`.
Left out of the state on purpose: the env's `timestep` and `action_recorder` (a log for RLCard's human interface
that nothing in the game reads), the step-back history (`allow_step_back` is off by default), the dealer's unused
`pot`, and each game's constants (blinds, raise limits, the number of players).

**Randomness.** RLCard's game holds one `numpy.random.RandomState` (`env.np_random`, also `game.np_random`) and
hands it to every object `init_game` makes. The calls, as `file:line method (via file:line)` under the installed
`rlcard/` package (`RANDOM_CALLS` below, which the tests check against what a swapped-in recorder sees):

- Leduc Hold'em: games/limitholdem/dealer.py:12 shuffle (via games/leducholdem/dealer.py:11), the 6-card deck,
  once per reset; games/leducholdem/game.py:70 randint (via envs/env.py:61), who posts the small blind.
- Limit Hold'em: games/limitholdem/dealer.py:12 shuffle (via games/limitholdem/dealer.py:8), the 52-card deck,
  once per reset; games/limitholdem/game.py:75 randint (via envs/env.py:61), the small blind;
  games/limitholdem/judger.py:72 choice (via games/limitholdem/judger.py:95), who gets the odd chip of a split
  pot, which RLCard's 2 players never reach (a 2-player pot always splits evenly).
- UNO: games/uno/dealer.py:16 shuffle (via games/uno/dealer.py:11), the 108-card deck at reset;
  games/uno/dealer.py:16 shuffle (via games/uno/dealer.py:37), the whole deck again each time a wild_draw_4 is
  flipped to start the pile (it goes back into the deck first); games/uno/round.py:33 choice (via
  games/uno/game.py:48), the colour of a wild flipped to start the pile; games/uno/round.py:174 choice (via
  games/uno/round.py:62), the colour of a wild card drawn (it is played at once); games/uno/dealer.py:16 shuffle
  (via games/uno/round.py:159), the reshuffle: when a draw finds the deck empty (round.py:165) or a draw_2 or
  wild_draw_4 finds fewer than 2 or 4 cards (round.py:210, 220), the whole played pile, the card just played and
  the target included, is added to the remaining deck and the whole deck is shuffled (the target stays the
  target although its card is now in the deck; a deck and pile both empty would raise IndexError, which needs
  nearly all 108 cards in hands); envs/uno.py:45 choice (via envs/env.py:79), numpy's *global* generator asked
  about an illegal action id (below).
  RLCard's UNO rule agent (models/uno_rule_models.py:43) also draws from numpy's global generator; it is a
  player, not the game.

Every one of these is reached through `envs.reference_rng.swapped_randomness(facade, generator)` (the facade's
`unwrapped` is the RLCard env); the facade points the objects of a game at the game's generator before every
reset and step, so a generator swapped in for a reset is not kept by the objects that reset made.

**Illegal action ids.** Leduc and Limit Hold'em (`Env._decode_action`): an id that is not legal becomes 'check'
when check is legal, else 'fold' (a raise past the raise limit, a call with nothing to call, a check facing a
bet); ids index RLCard's list ['call', 'raise', 'fold', 'check'] the Python way, so -4..-1 are those four
actions (then decoded as above), and an id of 4 or more raises IndexError before anything changes. UNO: any id
that is not legal, 61 and over and negatives included, makes RLCard call `np.random.choice` on an `OrderedDict`
of the legal ids, which numpy refuses with `ValueError: a must be 1-dimensional or an integer` before drawing
anything; the game is unchanged. Under the verifier's stand-ins (`RecordingGenerator`, `TapeGenerator`) the same
call takes one integers draw and then fails with IndexError (they index `np.asarray` of the dict); the game is
unchanged there too.

**Speed** (`envs/rlcard/README.md` has the command, the conditions and both runs): RLCard's own `env.step`, one
env, uniform legal actions, on the loaded 2-core development machine: Leduc about 15,000 to 16,000 steps/s, Limit
Hold'em 10,000 to 12,000, UNO about 11,000; the facade (with the mask and an observation every step) runs at
0.48 to 0.61 of that.
"""

# (site, method, caller) for every random call the games make; sites relative to the installed `rlcard/` package.
RANDOM_CALLS = {
    "leduc-holdem": (
        ("games/limitholdem/dealer.py:12", "shuffle", "games/leducholdem/dealer.py:11"),
        ("games/leducholdem/game.py:70", "randint", "envs/env.py:61"),
    ),
    "limit-holdem": (
        ("games/limitholdem/dealer.py:12", "shuffle", "games/limitholdem/dealer.py:8"),
        ("games/limitholdem/game.py:75", "randint", "envs/env.py:61"),
        ("games/limitholdem/judger.py:72", "choice", "games/limitholdem/judger.py:95"),
    ),
    "uno": (
        ("games/uno/dealer.py:16", "shuffle", "games/uno/dealer.py:11"),
        ("games/uno/dealer.py:16", "shuffle", "games/uno/dealer.py:37"),
        ("games/uno/round.py:33", "choice", "games/uno/game.py:48"),
        ("games/uno/round.py:174", "choice", "games/uno/round.py:62"),
        ("games/uno/dealer.py:16", "shuffle", "games/uno/round.py:159"),
        ("envs/uno.py:45", "choice", "envs/env.py:79"),
    ),
}
