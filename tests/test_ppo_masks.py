"""Masked PPO: for a port with a legal-action mask, sampling, log-probabilities, entropy and the greedy
action use only the legal actions, in the JAX trainer and in the host trainer (tests/masked_toys.py)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from masked_toys import EPISODE, MaskedPick, MaskedPickGym, UnmaskedPick, pick_vector
from ppo import network
from ppo.config import PPOConfig

DISCRETE = network.ActionSpec(True, n=4)
# the Pick game: 5 steps, +1 for the target; uniformly random legal play earns 2.5 an episode
CONFIG = PPOConfig(num_envs=8, num_steps=20, total_timesteps=8 * 20 * 40, lr=3e-3, num_minibatches=4, hidden=(32, 32))
RANDOM_LEGAL_RETURN = EPISODE / 2


def test_masked_distribution_puts_nothing_on_illegal_actions():
    key = jax.random.PRNGKey(0)
    masks = jax.random.bernoulli(key, 0.5, (20000, 4)).at[:, 2].set(True)  # at least one legal action
    logits = jnp.broadcast_to(jnp.asarray([3.0, 2.0, -1.0, 0.0]), (20000, 4))  # illegal ones often preferred
    dist = network.masked(DISCRETE, logits, masks)
    u = network.noise(DISCRETE, jax.random.PRNGKey(1), (20000,))
    a = np.asarray(network.sample_from_noise(DISCRETE, dist, u, masks))
    assert np.asarray(masks)[np.arange(20000), a].all()
    unmasked = np.asarray(network.sample_from_noise(DISCRETE, logits, u))
    assert not np.asarray(masks)[np.arange(20000), unmasked].all()  # the same noise without the mask does pick illegal ones
    # among the legal actions the probabilities are the policy's, renormalised
    only = np.asarray(masks).all(axis=1)
    counts = np.bincount(a[only], minlength=4) / only.sum()
    np.testing.assert_allclose(counts, np.asarray(jax.nn.softmax(logits[0])), atol=0.03)
    # log-probabilities sum to 1 over the legal actions; the entropy is that of the legal ones alone
    logp = network.log_prob(DISCRETE, dist[:1].repeat(4, 0), jnp.arange(4))
    m0 = np.asarray(masks[0])
    np.testing.assert_allclose(np.exp(np.asarray(logp))[m0].sum(), 1.0, rtol=1e-5)
    p = np.asarray(jax.nn.softmax(logits[0][m0]))
    np.testing.assert_allclose(float(network.entropy(DISCRETE, dist[0])), -(p * np.log(p)).sum(), rtol=1e-5)
    # the greedy action is the best legal one
    assert np.asarray(masks)[np.arange(20000), np.asarray(network.mode(DISCRETE, logits, masks))].all()
    assert int(network.mode(DISCRETE, logits[0], jnp.asarray([False, True, True, False]))) == 1


def test_inverse_cdf_never_rounds_onto_a_trailing_illegal_action():
    logits = jnp.asarray([0.0, 0.0, 0.0, 5.0])
    mask = jnp.asarray([True, True, False, False])
    u = jnp.asarray([0.0, 0.49, 0.51, 1.0 - 2**-24])
    a = network.sample_from_noise(DISCRETE, network.masked(DISCRETE, logits, mask), u, mask)
    assert np.asarray(a).tolist() == [0, 0, 1, 1]


def test_jax_ppo_samples_only_legal_actions_and_learns():
    from ppo.evaluate import evaluate_jax
    from ppo.jax_trainer import mean_returns, train_seeds

    learner, metrics = train_seeds(CONFIG, MaskedPick(), [0])
    returns = np.asarray(mean_returns(metrics))[0]
    # one illegal action (-1000) in any update would pull its mean return below 0
    assert (np.asarray(metrics["return_sum"]) >= 0).all() and np.isfinite(returns).all()
    assert np.nanmean(returns[-5:]) > 0.8 * EPISODE > RANDOM_LEGAL_RETURN, returns
    greedy = evaluate_jax(CONFIG, learner.params, MaskedPick(), episodes=16)
    assert greedy.min() >= 0 and greedy.mean() > 0.8 * EPISODE
    # the same game with the mask undeclared: the policy picks illegal actions
    _, unmasked = train_seeds(CONFIG, UnmaskedPick(), [0])
    assert np.asarray(mean_returns(unmasked))[0, 0] < 0


def test_host_ppo_samples_only_legal_actions_and_learns():
    from ppo.evaluate import evaluate_host
    from ppo.host_trainer import train_host

    MaskedPickGym.illegal_taken = 0
    vec = pick_vector(CONFIG.num_envs)
    learner, metrics = train_host(CONFIG, vec, [0])
    assert MaskedPickGym.illegal_taken == 0
    returns = np.asarray(metrics["return_sum"] / np.maximum(metrics["episodes"], 1))[0]
    assert np.mean(returns[-5:]) > 0.8 * EPISODE > RANDOM_LEGAL_RETURN, returns
    greedy = evaluate_host(CONFIG, learner.params, pick_vector(16), episodes=16)
    assert MaskedPickGym.illegal_taken == 0 and greedy.mean() > 0.8 * EPISODE
    # the same game reporting no mask: the host trainer samples all four actions, illegal ones too
    import gymnasium
    from gymnasium.vector import AutoresetMode

    class NoMask(MaskedPickGym):
        def _out(self):
            return super()._out()[0], {}

    one_update = PPOConfig(num_envs=8, num_steps=20, total_timesteps=160, num_minibatches=4, hidden=(32, 32))
    train_host(one_update, gymnasium.vector.SyncVectorEnv([NoMask] * 8, autoreset_mode=AutoresetMode.SAME_STEP), [0])
    assert MaskedPickGym.illegal_taken > 20


def test_game_outcomes_count_wins_draws_losses_with_a_wilson_interval():
    from ppo.evaluate import game_outcomes

    returns = np.array([[1.0] * 60 + [0.0] * 10 + [-1.0] * 30, [1.0] * 40 + [-1.0] * 60])
    out = game_outcomes(returns)
    assert (out["episodes"], out["wins"], out["draws"], out["losses"]) == (200, 100, 10, 90)
    assert out["win_rate"] == 0.5
    low, high = out["win_rate_ci95"]
    assert abs(low - 0.4314) < 1e-3 and abs(high - 0.5686) < 1e-3  # Wilson's interval for 100 of 200
    assert game_outcomes(np.ones(5))["win_rate_ci95"][1] == 1.0 and game_outcomes(np.ones(5))["win_rate_ci95"][0] > 0.5
    # returns that are not a game's +1 / 0 / -1 have no outcomes
    assert game_outcomes(np.array([1.0, 0.5, -1.0])) is None and game_outcomes(np.array([[200.0, 500.0]])) is None
