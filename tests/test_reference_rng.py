"""The generic randomness route: every way a plain Python environment draws is answered by the tape."""

import random
import textwrap

import numpy as np
import pytest

from envs.reference_rng import swapped_randomness
from envs.spec import DrawSpec
from verify.draw_samples import RecordingGenerator
from verify.tape import TapeError, TapeGenerator

SOURCE = textwrap.dedent('''
    import random
    from random import randint

    import numpy as np


    class Game:
        def __init__(self):
            self.rng = np.random.RandomState(1)      # a legacy generator held by an inner object
            self.py = random.Random(2)               # a Python generator held by an inner object


    class Env:
        def __init__(self):
            self._np_random = np.random.default_rng(0)   # what Gymnasium's np_random reads
            self.game = Game()

        def step(self):
            return (
                self._np_random.uniform(-1.0, 1.0),   # Gymnasium's Generator
                self.game.rng.randint(5),             # RandomState held by the game
                self.game.py.randint(1, 6),           # random.Random held by the game, inclusive end
                random.random(),                      # Python's module-level functions
                randint(10, 12),                      # ... imported by name
                np.random.rand(),                     # numpy's legacy global functions
            )

        def odd(self):
            return self._np_random.exponential()
''')


@pytest.fixture()
def user_env(tmp_path, monkeypatch):
    (tmp_path / "user_rng_env.py").write_text(SOURCE)
    monkeypatch.syspath_prepend(str(tmp_path))
    import importlib

    module = importlib.import_module("user_rng_env")
    yield module.Env()


def _spec(name, kind):
    return DrawSpec(name, kind, (), "step")


def test_every_route_reads_the_tape_in_call_order(user_env):
    tape = TapeGenerator([
        (_spec("u", "uniform"), 0.75), (_spec("k", "integers"), 4), (_spec("die", "integers"), 6),
        (_spec("p", "uniform"), 0.25), (_spec("r", "integers"), 12), (_spec("g", "uniform"), 0.5),
    ])
    with swapped_randomness(user_env, tape):
        values = user_env.step()
    tape.finish()
    assert values == (0.5, 4, 6, 0.25, 12, 0.5)
    assert tape.used == ["u", "k", "die", "p", "r", "g"]


def test_generators_and_module_functions_are_restored(user_env):
    held = (user_env._np_random, user_env.game.rng, user_env.game.py, random.random, np.random.rand)
    with swapped_randomness(user_env, TapeGenerator([])):
        pass
    assert held == (user_env._np_random, user_env.game.rng, user_env.game.py, random.random, np.random.rand)
    user_env.step()  # real generators again: no tape to run out


def test_the_recorder_sees_the_same_calls(user_env):
    recorder = RecordingGenerator(np.random.default_rng(0))
    with swapped_randomness(user_env, recorder):
        user_env.step()
    assert [kind for kind, _ in recorder.record] == ["uniform", "integers", "integers", "uniform", "integers", "uniform"]


def test_an_unanswerable_call_names_the_line_of_the_reference(user_env):
    with swapped_randomness(user_env, TapeGenerator([])):
        with pytest.raises(TapeError, match=r"np_random.exponential at .*user_rng_env.py:\d+ \(`return self._np_random.exponential\(\)`\)"):
            user_env.odd()


DEALER_SOURCE = textwrap.dedent('''
    import numpy as np


    class Dealer:
        def __init__(self, rng):
            self.rng = rng                           # built during a reset from the game's generator

        def deal(self):
            return int(self.rng.integers(0, 52))


    class Player:
        def __init__(self, rng):
            self.rng = rng


    class Table:
        def __init__(self):
            self._np_random = np.random.default_rng(0)
            self.players = [Player(self._np_random) for _ in range(2)]   # objects kept in a list
            self.dealer = None

        def reset(self):
            self.dealer = Dealer(self._np_random)
            return self.dealer.deal(), int(self.players[1].rng.integers(0, 2))
''')


def test_objects_in_lists_and_objects_made_during_the_swap(tmp_path, monkeypatch):
    """Generators held by objects in a list are routed, and an object the reference builds during the swap
    from the stand-in is given the real generator back when the swap ends."""
    (tmp_path / "user_table_env.py").write_text(DEALER_SOURCE)
    monkeypatch.syspath_prepend(str(tmp_path))
    import importlib

    env = importlib.import_module("user_table_env").Table()
    real = env._np_random
    tape = TapeGenerator([(DrawSpec("card", "integers", (), "reset"), 17), (DrawSpec("seat", "integers", (), "reset"), 1)],
                         label="reset")
    with swapped_randomness(env, tape):
        assert env.reset() == (17, 1)
    tape.finish()
    assert env.dealer.rng is real and all(p.rng is real for p in env.players)
