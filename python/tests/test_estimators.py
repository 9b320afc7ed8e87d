"""Return and advantage estimators against an independent reference written
from the definitions, identities between them, edge cases and bad input."""

import numpy as np
import pytest

import swiftpg
from swiftpg import estimators as E


def reference_next(t, i, r, te, tr, v, f):
    if te[t, i]:
        return 0.0
    if tr[t, i]:
        return f[t, i] if f is not None else 0.0
    return v[t + 1, i] if v is not None else 0.0


def reference_n_step(r, te, tr, v, f, gamma, n):
    T, N = r.shape
    out = np.zeros((T, N))
    for i in range(N):
        for t in range(T):
            g, disc, u = 0.0, 1.0, t
            while True:
                g += disc * r[u, i]
                disc *= gamma
                if u - t + 1 == n or u == T - 1 or te[u, i] or tr[u, i]:
                    g += disc * reference_next(u, i, r, te, tr, v, f)
                    break
                u += 1
            out[t, i] = g
    return out


def reference_gae(r, te, tr, v, f, gamma, lam):
    T, N = r.shape
    out = np.zeros((T, N))
    for i in range(N):
        a = 0.0
        for t in reversed(range(T)):
            delta = r[t, i] + gamma * reference_next(t, i, r, te, tr, v, f) - v[t, i]
            a = delta + (0.0 if (te[t, i] or tr[t, i]) else gamma * lam * a)
            out[t, i] = a
    return out


def random_rollout(rng, T=40, N=5, p_end=0.15):
    r = rng.normal(size=(T, N))
    te = rng.random((T, N)) < p_end
    tr = (rng.random((T, N)) < p_end) & ~te
    v = rng.normal(size=(T + 1, N))
    f = rng.normal(size=(T, N))
    return r, te, tr, v, f


@pytest.mark.parametrize("seed", range(5))
def test_against_the_reference(seed):
    rng = np.random.default_rng(seed)
    r, te, tr, v, f = random_rollout(rng)
    g, lam = 0.97, 0.9
    big = 10_000
    np.testing.assert_allclose(E.gae(r, te, tr, v, g, lam, final_values=f), reference_gae(r, te, tr, v, f, g, lam),
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(E.lambda_returns(r, te, tr, v, g, lam, final_values=f),
                               reference_gae(r, te, tr, v, f, g, lam) + v[:-1], rtol=1e-12, atol=1e-12)
    for n in (1, 3, 7):
        np.testing.assert_allclose(E.n_step_returns(r, te, tr, g, n, values=v, final_values=f),
                                   reference_n_step(r, te, tr, v, f, g, n), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(E.discounted_returns(r, te, tr, g, values=v, final_values=f),
                               reference_n_step(r, te, tr, v, f, g, big), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(E.td_errors(r, te, tr, v, g, final_values=f),
                               reference_n_step(r, te, tr, v, f, g, 1) - v[:-1], rtol=1e-12, atol=1e-12)


def test_identities():
    rng = np.random.default_rng(9)
    r, te, tr, v, f = random_rollout(rng)
    g = 0.95
    mc_adv = E.discounted_returns(r, te, tr, g, values=v, final_values=f) - v[:-1]
    np.testing.assert_allclose(E.gae(r, te, tr, v, g, 1.0, final_values=f), mc_adv, atol=1e-12)  # GAE λ=1 = MC
    np.testing.assert_allclose(E.gae(r, te, tr, v, g, 0.0, final_values=f),
                               E.td_errors(r, te, tr, v, g, final_values=f), atol=1e-12)     # λ=0 = TD(0)
    np.testing.assert_allclose(E.n_step_advantages(r, te, tr, v, g, len(r), final_values=f), mc_adv, atol=1e-12)
    np.testing.assert_allclose(E.n_step_advantages(r, te, tr, v, g, 1, final_values=f),
                               E.td_errors(r, te, tr, v, g, final_values=f), atol=1e-12)


def vtrace_reference(r, te, tr, v, f, log_rhos, g, rho_bar, c_bar, lam):
    """V-trace as written in Espeholt et al. 2018, eq. 1, summed forward for
    each t (not the backward recursion the library uses): v_t = V(s_t) +
    Σ_{s≥t} γ^{s−t} (Π_{i=t}^{s−1} c_i) δ_s within the episode."""
    T, N = r.shape
    rho = np.minimum(rho_bar, np.exp(log_rhos))
    c = lam * np.minimum(c_bar, np.exp(log_rhos))
    nxt = np.where(te == 1, 0.0, np.where(tr == 1, f, v[1:]))
    delta = rho * (r + g * nxt - v[:-1])
    cont = (te == 0) & (tr == 0)
    targets = np.empty((T, N))
    for i in range(N):
        for t in range(T):
            total, weight, s = 0.0, 1.0, t
            while True:
                total += weight * delta[s, i]
                if not cont[s, i] or s == T - 1:
                    break
                weight *= g * c[s, i]
                s += 1
            targets[t, i] = v[t, i] + total
    follow = np.zeros((T, N))
    follow[:-1] = np.where(cont[:-1], targets[1:] - v[1:-1], 0.0)
    advantages = rho * (r + g * (nxt + follow) - v[:-1])
    return targets, advantages


def test_vtrace_against_the_paper_and_on_policy_identities():
    rng = np.random.default_rng(21)
    r, te, tr, v, f = random_rollout(rng)
    g = 0.95
    log_rhos = 0.7 * rng.standard_normal(r.shape)
    for rho_bar, c_bar, lam in ((1.0, 1.0, 1.0), (2.0, 0.5, 0.9), (np.inf, np.inf, 1.0)):
        y, a = E.vtrace(r, te, tr, v, log_rhos, g, rho_bar=rho_bar, c_bar=c_bar, lam=lam, final_values=f)
        y_ref, a_ref = vtrace_reference(r, te, tr, v, f, log_rhos, g, rho_bar, c_bar, lam)
        np.testing.assert_allclose(y, y_ref, atol=1e-12)
        np.testing.assert_allclose(a, a_ref, atol=1e-12)
    # On-policy with λ = 1: the discounted returns and GAE(γ, 1).
    y, a = E.vtrace(r, te, tr, v, np.zeros(r.shape), g, final_values=f)
    np.testing.assert_allclose(y, E.discounted_returns(r, te, tr, g, values=v, final_values=f), atol=1e-12)
    np.testing.assert_allclose(a, E.gae(r, te, tr, v, g, 1.0, final_values=f), atol=1e-12)
    # 1-D input gives 1-D output.
    y1, a1 = E.vtrace(r[:, 0], te[:, 0], tr[:, 0], v[:, 0], log_rhos[:, 0], g, final_values=f[:, 0])
    assert y1.shape == a1.shape == (len(r),)
    with pytest.raises(swiftpg.InvalidArgumentError, match="rho_bar"):
        E.vtrace(r, te, tr, v, log_rhos, g, rho_bar=0.0, final_values=f)
    with pytest.raises(swiftpg.InvalidArgumentError, match="log_rhos"):
        E.vtrace(r, te, tr, v, log_rhos[:-1], g, final_values=f)
    with pytest.raises(swiftpg.NotFiniteError, match="log_rhos"):
        E.vtrace(r, te, tr, v, np.full(r.shape, np.nan), g, final_values=f)


def test_plain_reward_to_go_of_whole_episodes():
    r = np.array([1.0, 1.0, 1.0, 2.0, 2.0])
    te = np.array([0, 0, 1, 0, 1], bool)
    tr = np.zeros(5, bool)
    np.testing.assert_allclose(E.discounted_returns(r, te, tr, 0.5), [1.75, 1.5, 1.0, 3.0, 2.0])
    np.testing.assert_allclose(E.discounted_returns(r, te, tr, 1.0), [3, 2, 1, 4, 2])


def test_edge_cases():
    v1 = np.array([[0.5], [2.0]])
    # T = 1: a single step, bootstrapped, terminated, or truncated.
    assert E.gae([[1.0]], [[0]], [[0]], v1, 0.9, 0.95)[0, 0] == pytest.approx(1 + 0.9 * 2 - 0.5)
    assert E.gae([[1.0]], [[1]], [[0]], v1, 0.9, 0.95)[0, 0] == pytest.approx(0.5)
    assert E.gae([[1.0]], [[0]], [[1]], v1, 0.9, 0.95, final_values=[[4.0]])[0, 0] == pytest.approx(1 + 3.6 - 0.5)
    # All terminated: every advantage is r − V; all truncated: r + γ f − V.
    T = 6
    r = np.arange(T, dtype=float)
    v = np.ones(T + 1)
    np.testing.assert_allclose(E.gae(r, np.ones(T, bool), np.zeros(T, bool), v, 0.9, 0.9), r - 1)
    np.testing.assert_allclose(E.gae(r, np.zeros(T, bool), np.ones(T, bool), v, 0.9, 0.9, final_values=np.full(T, 2.0)),
                               r + 1.8 - 1)
    # 1-D inputs are one environment; results keep the shape.
    assert E.td_errors(r, np.zeros(T, bool), np.zeros(T, bool), v, 0.9).shape == (T,)


def test_on_a_real_rollout_with_truncations():
    """CartPole with a short time limit: final values from the env's
    final_obs; the estimators agree with the reference."""
    env = swiftpg.make_vec("CartPole-v1", 4, seed=0, max_episode_steps=15)
    value = swiftpg.policies.ValueFunction(4, hidden_sizes=(8,), seed=0)
    obs, _ = env.reset()
    T = 50
    rews, tes, trs, vals, finals = [], [], [], [value.predict(obs)], []
    rng = np.random.default_rng(0)
    for _ in range(T):
        obs, r, te, tr, info = env.step(rng.integers(0, 2, 4))
        rews.append(r)
        tes.append(te)
        trs.append(tr)
        vals.append(value.predict(obs))
        finals.append(value.predict(info["final_obs"]) if "final_obs" in info else np.zeros(4))
    r, te, tr, v, f = map(np.array, (rews, tes, trs, vals, finals))
    assert tr.any() and te.any()
    np.testing.assert_allclose(E.gae(r, te, tr, v, 0.99, 0.95, final_values=f),
                               reference_gae(r, te, tr, v, f, 0.99, 0.95), atol=1e-12)
    env.close()
    value.close()


@pytest.mark.parametrize("call, words", [
    (lambda: E.gae([1.0], [0], [0], [0.0, 0.0], 1.5, 0.9), "gamma"),
    (lambda: E.gae([1.0], [0], [0], [0.0, 0.0], 0.9, -0.1), "lam"),
    (lambda: E.gae([1.0], [0], [0], [0.0], 0.9, 0.9), "shape"),
    (lambda: E.gae([1.0], [0], [1], [0.0, 0.0], 0.9, 0.9), "final_values"),
    (lambda: E.gae([np.nan], [0], [0], [0.0, 0.0], 0.9, 0.9), "finite"),
    (lambda: E.gae([1.0], [2], [0], [0.0, 0.0], 0.9, 0.9), "0 and 1"),
    (lambda: E.gae([1.0], [0.5], [0], [0.0, 0.0], 0.9, 0.9), "booleans"),
    (lambda: E.gae([], [], [], [0.0], 0.9, 0.9), "shape"),
    (lambda: E.td_errors([1.0], [0], [0], None, 0.9), "values"),
    (lambda: E.n_step_returns([1.0], [0], [0], 0.9, 0), "n"),
    (lambda: E.gae([[1.0, 2.0]], [[0, 0]], [[0, 0]], [[0.0], [0.0]], 0.9, 0.9), "shape"),
])
def test_bad_input(call, words):
    with pytest.raises((ValueError, TypeError), match=words):
        call()


def test_episode_weights():
    r = [1.0, 1, 1, 2, 2]
    te = [0, 0, 1, 0, 1]
    tr = [0, 0, 0, 0, 0]
    np.testing.assert_allclose(E.episode_returns(r, te, tr, 0.5), [1.75, 1.75, 1.75, 3, 3])
    np.testing.assert_allclose(E.discounted_reward_to_go(r, te, tr, 0.5), [1.75, 0.75, 0.25, 3, 1])
    # The gamma^k-weighted reward-to-go is the sum of absolutely discounted rewards from k on.
    rng = np.random.default_rng(0)
    rr, te2, tr2, _, _ = random_rollout(rng)
    w = E.discounted_reward_to_go(rr, te2, tr2, 0.9)
    for i in range(rr.shape[1]):
        start = 0
        for t in range(rr.shape[0]):
            end = t
            while end < rr.shape[0] - 1 and not (te2[end, i] or tr2[end, i]):
                end += 1
            expected = sum(0.9 ** (u - start) * rr[u, i] for u in range(t, end + 1))
            assert w[t, i] == pytest.approx(expected, abs=1e-12)
            if te2[t, i] or tr2[t, i]:
                start = t + 1


def test_time_step_baseline():
    values = np.array([[1.0, 3.0], [2.0, 6.0], [5.0, 7.0]])
    te = np.array([[0, 0], [1, 0], [0, 0]])
    tr = np.zeros((3, 2), int)
    # Episode indices: column 0: 0, 1, 0; column 1: 0, 1, 2.
    b0 = (1 + 3 + 5) / 3
    b1 = (2 + 6) / 2
    np.testing.assert_allclose(E.time_step_baseline(values, te, tr), [[1 - b0, 3 - b0], [2 - b1, 6 - b1], [5 - b0, 0]])


def test_importance_weights():
    lp = np.log([[0.5], [0.25], [0.8], [0.5]])
    blp = np.log([[0.25], [0.5], [0.4], [0.25]])  # ratios 2, 0.5, 2, 2
    te = [[0], [1], [0], [0]]
    tr = [[0], [0], [0], [0]]
    np.testing.assert_allclose(E.importance_weights(lp, blp, te, tr, "per_step"), [[2], [0.5], [2], [2]])
    np.testing.assert_allclose(E.importance_weights(lp, blp, te, tr, "per_decision"), [[2], [1], [2], [4]])
    np.testing.assert_allclose(E.importance_weights(lp, blp, te, tr, "trajectory"), [[1], [1], [4], [4]])
    np.testing.assert_allclose(E.importance_weights(lp, blp, te, tr, "per_decision", clip=3.0), [[2], [1], [2], [3]])
    # With equal policies every weight is 1: per-decision IS reduces to on-policy reward-to-go.
    np.testing.assert_allclose(E.importance_weights(lp[:, 0], lp[:, 0], np.ravel(te), np.ravel(tr)), np.ones(4))


def test_clipped_surrogate_and_kl():
    rng = np.random.default_rng(1)
    old = rng.normal(size=500)
    new = old + rng.normal(0, 0.3, 500)
    adv = rng.normal(size=500)
    out = E.clipped_surrogate(new, old, adv, 0.2)
    rho = np.exp(new - old)
    expected = np.minimum(rho * adv, np.clip(rho, 0.8, 1.2) * adv)
    np.testing.assert_allclose(out["objectives"], expected, rtol=1e-12)
    assert out["objective"] == pytest.approx(expected.mean())
    assert out["clip_fraction"] == pytest.approx(np.mean(np.abs(rho - 1) > 0.2))
    # The weights are d L / d log pi: check by finite differences.
    h = 1e-6
    numeric = (E.clipped_surrogate(new + h, old, adv, 0.2)["objectives"]
               - E.clipped_surrogate(new - h, old, adv, 0.2)["objectives"]) / (2 * h)
    near_kink = np.abs(np.abs(rho - 1) - 0.2) < 1e-4
    np.testing.assert_allclose(out["weights"][~near_kink], numeric[~near_kink], rtol=1e-5, atol=1e-7)
    plain = E.clipped_surrogate(new, old, adv, np.inf)
    np.testing.assert_allclose(plain["objectives"], rho * adv)
    k1, k3 = E.kl_estimates(new, old)
    np.testing.assert_allclose(k1, old - new)
    np.testing.assert_allclose(k3, (rho - 1) - (new - old))
    assert np.all(k3 >= 0) and out["approx_kl"] == pytest.approx(k3.mean())


def test_optimal_baseline_forms():
    rng = np.random.default_rng(2)
    scores = rng.normal(size=(12, 3))
    returns = rng.normal(size=12)
    episodes = np.repeat([0, 1, 2], 4)
    b, g = E.optimal_baseline(scores, returns, episodes)
    l2 = scores ** 2
    np.testing.assert_allclose(b, (l2 * returns[:, None]).sum(0) / l2.sum(0))
    np.testing.assert_allclose(g, (scores * (returns[:, None] - b)).sum(0) / 3)
    bt, gt = E.optimal_baseline(scores, returns, episodes, per_trajectory=True)
    per = [(l2[episodes == e] * returns[episodes == e, None]).sum(0) / l2[episodes == e].sum(0) for e in range(3)]
    np.testing.assert_allclose(bt, np.mean(per, axis=0))
    np.testing.assert_allclose(gt, (scores * (returns[:, None] - bt)).sum(0) / 3)
    with pytest.raises(ValueError):
        E.optimal_baseline(scores, returns, episodes[:5])


def test_mean_baseline_plain_and_leave_one_out():
    g = np.array([1.0, 2.0, 3.0, 6.0])
    centred, mean = E.mean_baseline(g)
    np.testing.assert_allclose(centred, [-2, -1, 0, 3])
    assert mean == 3.0
    loo, mean = E.mean_baseline(g, leave_one_out=True)
    np.testing.assert_allclose(loo, [1 - 11 / 3, 2 - 10 / 3, 3 - 9 / 3, 6 - 6 / 3])
    # The leave-one-out version is the plain one scaled by M / (M − 1).
    np.testing.assert_allclose(loo, centred * 4 / 3)
    with pytest.raises(swiftpg.InvalidArgumentError, match="empty"):
        E.mean_baseline([])
    with pytest.raises(swiftpg.InvalidArgumentError, match="count >= 2"):
        E.mean_baseline([1.0], leave_one_out=True)
    with pytest.raises(swiftpg.NotFiniteError):
        E.mean_baseline([1.0, np.inf])


def vtrace_backward(r, te, tr, v, f, log_rhos, g, rho_bar, c_bar, lam):
    """V-trace by its backward recursion (Espeholt et al. 2018, Remark 1):
    v_t − V(s_t) = δ_t + γ c_t k_t (v_{t+1} − V(s_{t+1})), evaluated directly."""
    T, N = r.shape
    rho = np.minimum(rho_bar, np.exp(log_rhos))
    c = lam * np.minimum(c_bar, np.exp(log_rhos))
    nxt = np.where(te == 1, 0.0, np.where(tr == 1, f, v[1:]))
    cont = ((te == 0) & (tr == 0)).astype(float)
    diff = np.zeros((T + 1, N))                      # v_t − V(s_t); 0 after the segment
    for t in range(T - 1, -1, -1):
        diff[t] = rho[t] * (r[t] + g * nxt[t] - v[t]) + g * c[t] * cont[t] * diff[t + 1]
    targets = v[:-1] + diff[:-1]
    advantages = rho * (r + g * (nxt + cont * np.where(np.arange(T)[:, None] < T - 1, diff[1:], 0.0)) - v[:-1])
    return targets, advantages


@pytest.mark.parametrize("rho_bar,c_bar", [(1.7, 0.6), (0.5, 2.0), (3.0, 3.0)])
def test_vtrace_truncation_levels_against_the_backward_recursion(rho_bar, c_bar):
    # c̄ > ρ̄ (0.5, 2.0) is outside the paper's assumption (§4.1) but allowed: the recursion still defines it.
    rng = np.random.default_rng(5)
    r, te, tr, v, f = random_rollout(rng)
    log_rhos = 0.8 * rng.standard_normal(r.shape)
    y, a = E.vtrace(r, te, tr, v, log_rhos, 0.9, rho_bar=rho_bar, c_bar=c_bar, lam=0.95, final_values=f)
    y_ref, a_ref = vtrace_backward(r, te, tr, v, f, log_rhos, 0.9, rho_bar, c_bar, 0.95)
    np.testing.assert_allclose(y, y_ref, atol=1e-12)
    np.testing.assert_allclose(a, a_ref, atol=1e-12)
    # The bars matter: with ρ̄ = c̄ = 1 the result is another one.
    y1, _ = E.vtrace(r, te, tr, v, log_rhos, 0.9, lam=0.95, final_values=f)
    assert not np.allclose(y, y1)


def test_segment_learners_take_the_vtrace_truncation_levels_of_their_config():
    """A2C with advantage='vtrace' fits its critic to V-trace targets with the
    config's ρ̄ and c̄: its explained variance (of the critic's values before
    the update, against the targets) is the one of the NumPy recursion."""
    from swiftpg.algorithms import A2C, A2CConfig
    from swiftpg.policies import SoftmaxPolicy, ValueFunction
    rng = np.random.default_rng(8)
    T, N = 8, 3
    obs = rng.standard_normal((T, N, 4))
    acts = rng.integers(0, 2, (T, N)).astype(np.int32)
    rew = rng.standard_normal((T, N))
    te = rng.random((T, N)) < 0.1
    tr = (rng.random((T, N)) < 0.1) & ~te
    fin = rng.standard_normal((T, N, 4))
    nxt = rng.standard_normal((N, 4))
    results = {}
    for bars in ((1.0, 1.0), (1.7, 0.6)):
        config = A2CConfig(seed=2, steps_per_env=T, advantage="vtrace", gae_lambda=0.9, gamma=0.95,
                           vtrace_rho_bar=bars[0], vtrace_c_bar=bars[1])
        policy = SoftmaxPolicy(4, 2, hidden_sizes=(8,), seed=3, precision="float64")
        value = ValueFunction(4, hidden_sizes=(8,), seed=4, precision="float64")
        learner = A2C("CartPole-v1", policy=policy, value=value, config=config, num_envs=N)
        flat = obs.reshape(T * N, 4)
        logp = policy.log_prob(flat, acts.reshape(-1)).reshape(T, N)
        behaviour = logp + 0.6 * rng.standard_normal((T, N))     # a stale acting policy
        v = np.concatenate([value.predict(flat).reshape(T, N), value.predict(nxt)[None, :]])
        f = value.predict(fin.reshape(T * N, 4)).reshape(T, N)
        y, _ = vtrace_backward(rew, te, tr, v, f, logp - behaviour, 0.95, bars[0], bars[1], 0.9)
        stats = learner.update(obs, acts, rew, te, tr, nxt, final_observations=fin, log_probs=behaviour)
        expected = 1 - np.var(y - v[:-1]) / np.var(y)
        assert stats.explained_variance == pytest.approx(expected, rel=1e-9, abs=1e-12), bars
        results[bars] = stats.explained_variance
        learner.close()
    assert results[(1.0, 1.0)] != pytest.approx(results[(1.7, 0.6)], rel=1e-6)
    for bad in (0.0, -1.0, float("inf"), float("nan")):
        with pytest.raises(swiftpg.InvalidArgumentError, match="vtrace_rho_bar"):
            A2C("CartPole-v1", config=A2CConfig(vtrace_rho_bar=bad), num_envs=1)
        with pytest.raises(swiftpg.InvalidArgumentError, match="vtrace_c_bar"):
            A2C("CartPole-v1", config=A2CConfig(vtrace_c_bar=bad), num_envs=1)
