"""L1's guided search on conditions between two entity lists (verify.guided).

MinAtar writes its conditions as `if(x):` and compares items of two lists inside nested loops
(`for fish in reversed(self.e_fish): ... for x in self.f_bullets: if(fish[0:2]==x[0:2]):`). The
search reads such a condition's names through the loops' iterables, and makes an item of one list
meet an item of the other.
"""

import textwrap

import numpy as np

from envs import get_port
from verify.branch_coverage import file_branches
from verify.guided import condition_hints, mutate

SOURCE = textwrap.dedent('''
    class Env:
        def act(self):
            for fish in reversed(self.e_fish):
                if(fish[3]==0):
                    for x in self.f_bullets:
                        if(fish[0:2]==x[0:2]):
                            self.e_fish.remove(fish)
            for x in self.e_subs:
                if(x[0]>9):
                    pass
''')


def test_a_condition_names_the_lists_its_loop_variables_run_over(tmp_path):
    path = tmp_path / "game.py"
    path.write_text(SOURCE)
    lines = SOURCE.splitlines()
    meet = next(i for i, text in enumerate(lines, 1) if "fish[0:2]==x[0:2]" in text)
    names, constants = condition_hints(str(path), meet, meet)
    assert {"fish", "x", "e_fish", "f_bullets"} <= names and "e_subs" not in names  # the innermost `x` loop wins
    assert constants == (0.0, 2.0)
    timer = next(i for i, text in enumerate(lines, 1) if "fish[3]==0" in text)
    names, constants = condition_hints(str(path), timer, timer)
    assert "e_fish" in names and "f_bullets" not in names and constants == (0.0, 3.0)
    other = next(i for i, text in enumerate(lines, 1) if "x[0]>9" in text)
    assert "e_subs" in condition_hints(str(path), other, other)[0]


def _meetings(state: dict, a: str, b: str) -> int:
    """Items of list `a` on the row of an item of list `b`, at most two columns apart (both within their counts)."""
    count = 0
    for i in range(int(state[f"{a}_n"])):
        for j in range(int(state[f"{b}_n"])):
            same_row = state[f"{a}_y"][i] == state[f"{b}_y"][j]
            count += bool(same_row and abs(int(state[f"{a}_x"][i]) - int(state[f"{b}_x"][j])) <= 2)
    return count


def test_the_search_makes_a_fish_meet_a_bullet_in_seaquest():
    port = get_port("minatar-seaquest")
    reference = port.make_reference()
    state = port.get_state(reference)
    state = {**state, "e_fish_n": np.asarray(0, np.int64), "f_bullets_n": np.asarray(0, np.int64)}  # no item to start from
    import minatar.environments.seaquest as game

    branch = next(b for b in file_branches(game.__file__) if b.outcome == "true"
                  and "fish[0:2]==x[0:2]" in open(game.__file__).read().splitlines()[b.line - 1])
    rng = np.random.default_rng(0)
    probes = [port.canonical_state(mutate(state, branch, port.state_fields, rng)) for _ in range(200)]
    met = [s for s in probes if _meetings(s, "e_fish", "f_bullets")]
    # about half the probes align two entities, and a quarter of those pick this pair (or the pair the other way)
    assert len(met) >= 20, len(met)
    assert any(_meetings(s, "e_fish", "f_bullets") and s["e_fish_move"][: int(s["e_fish_n"])].min() == 0 for s in met)
