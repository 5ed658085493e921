"""An adapter file for cartpole whose step is a little off in x (relative 1e-9, the first float field in the state)
and far off in theta_dot (+0.05, a later field): a failure's headline field must be theta_dot."""

from envs.classic_control.cartpole.jax_env import CartPole


class SkewedCartPole(CartPole):
    def transition(self, state, action, draws, params):
        next_state, reward, terminated = super().transition(state, action, draws, params)
        return next_state.replace(x=next_state.x * (1 + 1e-9), theta_dot=next_state.theta_dot + 0.05), reward, terminated


def make_candidate(port):
    return SkewedCartPole()
