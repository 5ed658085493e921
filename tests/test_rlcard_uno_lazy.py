"""rlcard-uno's JAX translation computes a step's reshuffles lazily (the second speed run): their ranked uniforms are
drawn only from a deck of at most `MAY_RESHUFFLE` cards, and sorted only where a reshuffle happens. Checked here:
RLCard never reshuffles from a larger deck, and where a lazy draw is used it is the number the eager sampler drew.
(The reset's draws are all made every reset: level D compares them whether RLCard asks for them or not.)"""

import jax
import jax.numpy as jnp
import numpy as np

from envs import jax_random
from envs.jax_env import float_dtype
from envs.rlcard.uno import PORT, jax_env, states
from verify.lockstep import Lockstep
from verify.precision import enable_verification_numerics

enable_verification_numerics()


def test_rlcard_never_reshuffles_from_a_deck_above_the_bound():
    """From visited states with their deck cut to MAY_RESHUFFLE + 1 .. + 3 cards, every legal action: RLCard's played
    pile never shrinks (a reshuffle empties it), and the translation, given the lazy sampler's draws, agrees."""
    lock = Lockstep(PORT)
    ref, rng = lock.ref, np.random.default_rng(7)
    ref.reset(seed=7)
    checked = 0
    for i in range(60):
        ref.step(int(rng.choice(np.flatnonzero(ref.facade.legal_action_mask()))))
        if ref.facade.is_over():
            ref.reset()
            continue
        visited = PORT.get_state(ref)
        for keep in range(jax_env.MAY_RESHUFFLE + 1, jax_env.MAY_RESHUFFLE + 4):
            state = states._move_to_pile(visited, keep)
            draws = lock.draws_for_state(jax.random.PRNGKey(i), state)
            assert not np.any(np.asarray(draws["step"]["reshuffles"]))  # not drawn for such a deck
            PORT.set_state(ref, state)
            for action in np.flatnonzero(ref.facade.legal_action_mask()):
                expected = lock.reference_step(state, np.asarray(action), draws["step"])
                actual = lock.translation_step(state, np.asarray(action), draws)
                assert int(expected.state["played_count"]) >= int(state["played_count"])
                assert all(np.array_equal(actual.state[k], v) for k, v in expected.state.items())
                checked += 1
        PORT.set_state(ref, visited)
    assert checked > 300


def test_lazy_draws_are_the_eager_ones_where_used():
    """Under vmap (where_done gathers the lanes), the step's uniforms are jax_random.uniform of the step's key
    exactly where the deck holds at most MAY_RESHUFFLE cards, zeros elsewhere."""
    env, n = jax_env.Uno(), 1024
    keys = jax_random.split(jax.random.PRNGKey(3), n)
    _, st = jax.vmap(env.reset)(keys)
    st = st.replace(deck_count=(jnp.arange(n) % 12).astype(st.deck_count.dtype))
    u = jax.jit(jax.vmap(lambda k, s: env.sample_step_draws(k, s, env.default_params)))(keys, st)["reshuffles"]
    eager = jax.vmap(lambda k: jax_random.uniform(jax_random.split(k)[0], (2, 108), float_dtype()))(keys)
    short = np.asarray(st.deck_count) <= jax_env.MAY_RESHUFFLE
    np.testing.assert_array_equal(np.asarray(u)[short], np.asarray(eager)[short])
    assert not np.any(np.asarray(u)[~short])

