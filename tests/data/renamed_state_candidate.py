"""An adapter file for cartpole whose translation keeps its state under other names (a wrong layout)."""

from envs.classic_control.mountaincar.jax_env import MountainCar


def make_candidate(port):
    return MountainCar()
