"""An adapter file for cartpole whose step never returns once the cart is more than 1 from the centre: it loads, resets
and steps near the centre (L0 passes), and hangs on L1's generated states (the verifier must stop it)."""

import jax

from envs.classic_control.cartpole.jax_env import CartPole


class FarOutHangs(CartPole):
    """CartPole whose transition loops for ever when |x| > 1."""

    def transition(self, state, action, draws, params):
        # A counter cycling 0..6 while the cart is far out, its result used: XLA can neither count the trips nor drop
        # the loop (as tests/test_mutation_counts.py's hanging mutant).
        far = abs(state.x) > 1.0
        x = jax.lax.while_loop(lambda c: far & (c[0] >= 0), lambda c: ((c[0] + 1) % 7, c[1] + 0.0 * c[0]), (0, state.x))[1]
        return super().transition(state.replace(x=x), action, draws, params)


def make_candidate(port):
    return FarOutHangs()
