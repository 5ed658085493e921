"""L3's replays split over two processes (`verify.replay_split`) give the serial loop's answer exactly: the same
episodes, checks, first failure and branch coverage, also when the child fails; and L3 on a port with a planted
difference in an episode the child replays reports what the serial L3 reports."""

import os
import time

import numpy as np
import pytest

from envs import get_port
from verify import replay_split
from verify.branch_coverage import BranchTracer
from verify.lockstep import Lockstep
from verify.replay_split import PROCESSES_ENV, Replayed, processes, replay_episodes
from verify.rollouts import check_rollouts

pytestmark = pytest.mark.skipif(not hasattr(os, "fork") or processes() < 2, reason="the split needs os.fork and 2 cores")


class FakeTracer(BranchTracer):
    """A branch tracer with no reference to trace: the arcs, entered functions, `measured` and the real `probing`
    that `replay_episodes` uses, filled in by the fake replays below."""

    def __init__(self):
        self.arcs, self.entered, self.measured = set(), set(), True


def _replayer(tracer, failing=(), crash_in_child=False, hang_in_child=False):
    parent = os.getpid()

    def replay(ep):
        if crash_in_child and os.getpid() != parent:
            os._exit(3)  # the child dies without an answer
        if hang_in_child and os.getpid() != parent:
            time.sleep(3600)  # the child never answers (as one stuck on an inherited lock)
        tracer.arcs.add(("file", ep, ep + 1))
        tracer.entered.add(("file", ep))
        failure = {"message": f"episode {ep} differs", "step": ep} if ep in failing else None
        return Replayed(ep, failure, 10 + ep, 11 + ep, {"pid": [os.getpid()]})

    return replay


def _outcome(done, tracer):
    return [(r.episode, r.failure, r.length, r.checks) for r in done], tracer.arcs, tracer.entered


@pytest.mark.parametrize("failing", [(), (5,), (4,), (0, 1), (9,), (3, 6)])
def test_split_gives_the_serial_answer(failing, monkeypatch):
    serial_tracer, split_tracer = FakeTracer(), FakeTracer()
    serial = replay_episodes(10, _replayer(serial_tracer, failing), serial_tracer, split=False)
    split = replay_episodes(10, _replayer(split_tracer, failing), split_tracer, split=True)
    assert _outcome(split, split_tracer) == _outcome(serial, serial_tracer)
    first = min(failing, default=None)
    assert [r.episode for r in split] == list(range(10 if first is None else first + 1))
    assert split_tracer.arcs == {("file", ep, ep + 1) for ep in range(10 if first is None else first + 1)}
    if len(split) > 1:  # the odd episodes were replayed by another process
        pids = {r.episode % 2: r.data["pid"][0] for r in split}
        assert pids[0] == os.getpid() != pids[1]


def test_a_child_that_dies_has_its_episodes_replayed_here():
    tracer = FakeTracer()
    done = replay_episodes(6, _replayer(tracer, failing=(3,), crash_in_child=True), tracer)
    assert [(r.episode, r.failure is not None) for r in done] == [(0, False), (1, False), (2, False), (3, True)]
    assert {r.data["pid"][0] for r in done} == {os.getpid()}
    assert tracer.arcs == {("file", ep, ep + 1) for ep in range(4)}


def test_a_child_that_hangs_is_stopped_and_its_episodes_replayed_here(monkeypatch):
    monkeypatch.setattr(replay_split, "CHILD_MIN_WAIT", 1.0)
    tracer = FakeTracer()
    started = time.monotonic()
    done = replay_episodes(6, _replayer(tracer, hang_in_child=True), tracer)
    assert time.monotonic() - started < 30
    assert [r.episode for r in done] == list(range(6)) and {r.data["pid"][0] for r in done} == {os.getpid()}
    assert tracer.arcs == {("file", ep, ep + 1) for ep in range(6)}


def test_the_environment_variable_turns_the_split_off(monkeypatch):
    monkeypatch.setenv(PROCESSES_ENV, "1")
    assert processes() == 1
    tracer = FakeTracer()
    done = replay_episodes(4, _replayer(tracer), tracer)
    assert {r.data["pid"][0] for r in done} == {os.getpid()}


def test_mutation_workers_replay_in_one_process_when_there_are_several(monkeypatch):
    """`envport mutate --workers 2` runs two workers; each replays L3 in its own process (not two more each)."""
    from verify.mutation.pool import WorkerOptions

    monkeypatch.delenv(PROCESSES_ENV, raising=False)
    assert WorkerOptions(one_replay_process=True).environ()[PROCESSES_ENV] == "1"
    assert PROCESSES_ENV not in WorkerOptions().environ()  # one worker: its L3 may split over two processes


class PlantedLockstep(Lockstep):
    """CartPole whose translation's trajectory, with `plant` set, is wrong from step 4 of episode 3 (an odd one: the
    child's)."""

    plant = False

    def rollouts(self, policy, episodes, steps, key):
        run = super().rollouts(policy, episodes, steps, key)
        if self.plant:
            run["traj"]["obs"] = np.array(run["traj"]["obs"])
            run["traj"]["obs"][3, 3:, 2] += 0.25
        return run


@pytest.fixture(scope="module")
def cartpole_lock():
    return PlantedLockstep(get_port("cartpole"))


@pytest.mark.parametrize("planted", [False, True])
def test_level_l3_reports_the_same_with_and_without_the_split(planted, cartpole_lock, monkeypatch):
    from verify.branch_coverage import attach, measured

    lock, reports = cartpole_lock, []
    lock.plant = planted
    for mode in ("1", "2"):
        monkeypatch.setenv(PROCESSES_ENV, mode)
        with measured(lock, lock.port) as tracer:
            result = check_rollouts(lock, episodes=6, policies=("uniform", "sticky"), seed=3)
        attach(result, tracer)
        reports.append((result.passed, result.checks, result.failures, result.notes, result.coverage))
    assert reports[0] == reports[1]
    passed, checks, failures, _, coverage = reports[1]
    assert coverage["covered"] > 0
    if planted:
        assert not passed and failures[0]["episode"] == 3 and failures[0]["step"] == 4 and failures[0]["field"] == "obs"
    else:
        assert passed and checks > 12 and not failures
