"""What the MinAtar ports share: the reference adapter over the `minatar` package, the JAX base, port metadata.

Each game lives in its own package (`envs/minatar/breakout`, ...) with its state
fields, its draws and its logic; everything that repeats across games is here:

- `reference`: the real `minatar.gym.BaseEnv` behind `gymnasium.make`, reading and
  writing the wrapper's part of the state (sticky action, step count);
- `jax_base.MinAtarEnv`: action sets, sticky actions, the terminal early return, the
  10x10xC boolean observation space; a game implements `game_step` and `game_draws`;
- `port.minatar_port`: the `Port` with the metadata every game shares;
- `step_draws`: the draw-distribution test for step draws (spawns, sticky actions).
"""
