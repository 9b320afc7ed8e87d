"""Zeroth-order policy search (CEM, GA, pattern search) from Python."""

import ctypes

import numpy as np
import pytest

import swiftpg
from swiftpg import _lib
from swiftpg._arrays import DTypeError
from swiftpg._lib import InvalidArgumentError
from swiftpg.algorithms import PolicySearch, SearchConfig


@pytest.mark.parametrize("method, iterations", [("cem", 15), ("pattern-search", 30)])
def test_solves_cartpole_with_a_linear_policy(method, iterations):
    config = SearchConfig(method=method, population_size=30, elite_count=6, step_size=0.5, seed=0)
    with PolicySearch("CartPole-v1", config=config) as search:
        assert search.policy.num_params == 10            # linear softmax: 2 × (4 + 1)
        history = search.train(iterations)
        returns, _ = search.evaluate(100)
        assert returns.mean() >= 475
        assert history[-1].total_env_steps == sum(h.env_steps for h in history)
        assert all(h.evaluations >= 1 for h in history)


def test_genetic_algorithm_improves_and_is_deterministic():
    def run():
        config = SearchConfig(method="ga", population_size=30, elite_count=6, seed=3)
        with PolicySearch("CartPole-v1", config=config) as search:
            return [h.best_utility for h in search.train(5)], search.policy.params
    first, params = run()
    again, params_again = run()
    assert first == again
    np.testing.assert_array_equal(params, params_again)
    assert max(first) > 100                                # random linear policies average ~20


def test_policy_holds_the_solution_and_stats():
    policy = swiftpg.policies.SoftmaxPolicy(4, 2, hidden_sizes=(), seed=1)
    env = swiftpg.make_vec("CartPole-v1", 3, seed=1)
    search = PolicySearch(env, policy, SearchConfig(population_size=8, elite_count=2, episodes_per_evaluation=3))
    before = policy.params
    stats = search.iterate()
    assert stats.iteration == 1 and stats.evaluations == 8
    assert not np.array_equal(policy.params, before)
    assert stats.best_utility >= stats.mean_utility
    assert np.isnan(stats.current_utility)                 # only pattern search has an incumbent
    search.close()
    env.close()


def test_bad_configurations():
    env = swiftpg.make_vec("CartPole-v1", 2, seed=0)
    with pytest.raises(InvalidArgumentError, match="method"):
        PolicySearch(env, config=SearchConfig(method="annealing"))
    with pytest.raises(InvalidArgumentError, match="elite_count"):
        PolicySearch(env, config=SearchConfig(population_size=5, elite_count=9))
    with pytest.raises(InvalidArgumentError, match="shrink"):
        PolicySearch(env, config=SearchConfig(method="pattern-search", shrink=1.5))
    with pytest.raises(InvalidArgumentError):
        PolicySearch(env, config=SearchConfig(episodes_per_evaluation=0))
    with pytest.raises(InvalidArgumentError, match="standard deviation"):
        PolicySearch(env, config=SearchConfig(initial_std=-1.0))
    with pytest.raises(DTypeError):
        PolicySearch(env, swiftpg.policies.GaussianPolicy(4, 1))
    with pytest.raises(InvalidArgumentError, match="observation size"):
        PolicySearch(env, swiftpg.policies.SoftmaxPolicy(3, 2, hidden_sizes=()))
    with pytest.raises(InvalidArgumentError, match="unknown"):
        SearchConfig().replace(temperature=1.0)
    env.close()


def test_handle_kinds_are_checked():
    with PolicySearch("CartPole-v1", config=SearchConfig(population_size=4, elite_count=1)) as search:
        stats = _lib.TrainStatsC()
        with pytest.raises(InvalidArgumentError, match="not a policy-gradient learner"):
            _lib.call("pg_iterate", search.handle, ctypes.byref(stats))
    learner = swiftpg.algorithms.REINFORCE("CartPole-v1")
    with pytest.raises(InvalidArgumentError, match="not a policy search"):
        _lib.call("search_iterate", learner.handle, ctypes.byref(_lib.SearchStatsC()))
    learner.close()


@pytest.mark.parametrize("method", ["cem", "ga", "pattern-search"])
def test_checkpoint_resume_is_exact(tmp_path, method):
    """Save after 3 iterations, continue 3 more; a new search loaded from the
    file repeats those 3 iterations exactly (stats and parameters)."""
    def make():
        config = SearchConfig(method=method, population_size=12, elite_count=3, step_size=0.5,
                              episodes_per_evaluation=3, seed=4)
        return PolicySearch("CartPole-v1", config=config, num_envs=3)

    path = tmp_path / "search.ckpt"
    with make() as first:
        first.train(3, checkpoint=path)
        after = [first.iterate() for _ in range(3)]
        final = first.policy.params
    with make() as again:
        again.load(path)
        assert again.iterate().iteration == 4
        repeated = [again.history[-1]] + [again.iterate() for _ in range(2)]
        assert [(s.best_utility, s.mean_utility, s.total_env_steps, s.spread) for s in repeated] == \
               [(s.best_utility, s.mean_utility, s.total_env_steps, s.spread) for s in after]
        assert np.array_equal(again.policy.params, final)


def test_checkpoints_of_another_search_are_refused(tmp_path):
    path = tmp_path / "cem.ckpt"
    with PolicySearch("CartPole-v1", config=SearchConfig(method="cem", population_size=10, elite_count=2)) as s:
        s.train(1, checkpoint=path)
        before = s.policy.params
    for config in (SearchConfig(method="ga", population_size=10, elite_count=2),
                   SearchConfig(method="cem", population_size=12, elite_count=2)):
        with PolicySearch("CartPole-v1", config=config) as other:
            params = other.policy.params
            with pytest.raises(swiftpg.BadFormatError):                # another kind of search: the header's BAD_FORMAT
                other.load(path)
            assert np.array_equal(other.policy.params, params)       # unchanged
    data = path.read_bytes()
    path.write_bytes(data[:-9])
    with PolicySearch("CartPole-v1", config=SearchConfig(method="cem", population_size=10, elite_count=2)) as s:
        with pytest.raises(swiftpg.BadFormatError):
            s.load(path)
        with pytest.raises(_lib.SwiftPGError):
            s.load(tmp_path / "missing.ckpt")
    assert not np.array_equal(before, params)


def test_checkpoint_counters_that_do_not_fit_an_int_are_refused_not_trapped(tmp_path):
    """A search checkpoint with a valid checksum whose iteration counter is
    NaN or 1e300 (what Int(_:) would trap on): load raises BadFormatError;
    run in a subprocess so a trap would show as a crash, not kill pytest.
    (Learner files are bundles since 0.2, whose integer fields are typed:
    test_serialization.py and the checkpoint-mutation tests damage them.)"""
    from conftest import FUZZ, run_isolated

    code = f"""
    import struct, sys, numpy as np, swiftpg
    from swiftpg.algorithms import PolicySearch, SearchConfig, REINFORCE
    sys.path.insert(0, r"{FUZZ}")
    from checkpoint_file import seal

    def tamper(path, value):
        data = bytearray(open(path, "rb").read())
        for m in range(1, len(data) // 8):                   # the parameter count precedes the parameters
            at = len(data) - 16 - 8 * m
            if at > 0 and struct.unpack_from("<Q", data, at)[0] == m:
                struct.pack_into("<d", data, at + 8, value)   # parameter 0: the iteration counter
                break
        open(path, "wb").write(seal(data[:-8]))           # with a valid checksum

    def save_search(s, path):
        s.train(1, checkpoint=path)

    kinds = (
        ("search", lambda: PolicySearch("CartPole-v1", config=SearchConfig(population_size=6, elite_count=2)),
         save_search),
    )
    for value in (float("nan"), 1e300, -3.0, 2.5):
        for name, make, save in kinds:
            path = r"{tmp_path}/" + name + ".ckpt"
            with make() as obj:
                save(obj, path)
                tamper(path, value)
                try:
                    obj.load(path)
                    raise SystemExit(name + ": no error for " + repr(value))
                except swiftpg.BadFormatError as e:
                    assert "iteration" in str(e), e
    print("ok")
    """
    result = run_isolated(code)
    assert result.returncode == 0 and "ok" in result.stdout, result.stderr[-2000:]


@pytest.mark.parametrize("method", ["cem", "ga", "pattern-search"])
def test_a_search_pickles_and_deep_copies_by_value_and_continues_exactly(method):
    """Issue 21: pickling ships the environment, policy, configuration and
    search state; the copy continues bit for bit (solutions, utilities,
    episodes); a closed search refuses with ClosedError."""
    import copy
    import pickle
    config = SearchConfig(method=method, population_size=6, elite_count=2, episodes_per_evaluation=2, seed=3)
    search = PolicySearch("CartPole-v1", config=config, num_envs=2)
    search.iterate()
    for twin in (pickle.loads(pickle.dumps(search)), copy.deepcopy(search)):
        assert twin.env is not search.env and twin.policy is not search.policy
        assert len(twin.history) == 1 and twin.total_env_steps == search.total_env_steps
        np.testing.assert_array_equal(twin.policy.get_params(), search.policy.get_params())
        a, b = copy.deepcopy(search), twin
        for _ in range(2):
            sa, sb = a.iterate(), b.iterate()
            np.testing.assert_equal(sa.as_dict() | {"seconds": 0}, sb.as_dict() | {"seconds": 0})  # NaN == NaN
            np.testing.assert_array_equal(sa.episode_returns, sb.episode_returns)
            np.testing.assert_array_equal(a.policy.get_params(), b.policy.get_params())
    search.close()
    with pytest.raises(swiftpg.ClosedError):
        pickle.dumps(search)


def test_a_loaded_search_keeps_its_step_count_so_a_total_budget_holds(tmp_path):
    config = SearchConfig(method="cem", population_size=10, elite_count=3, episodes_per_evaluation=2, seed=4)
    path = tmp_path / "cem.ckpt"
    with PolicySearch("CartPole-v1", config=config) as first:
        first.train(total_env_steps=3000, checkpoint=path)
        used = first.total_env_steps
        assert used >= 3000 and used == first.history[-1].total_env_steps
    with PolicySearch("CartPole-v1", config=config) as again:
        again.load(path)
        assert again.total_env_steps == used
        assert again.train(total_env_steps=3000) == []          # the budget is a total: already used


@pytest.mark.parametrize("method", ["cem", "ga", "pattern-search"])
def test_every_iteration_reports_its_episodes(method):
    """Per-episode statistics (issue 20): every episode of the iteration, in
    evaluation order; each candidate's mean return is one of the utilities,
    the best of them is best_utility and the lengths add up to env_steps."""
    env = swiftpg.make_vec("CartPole-v1", 4, seed=1)
    k = 3
    search = PolicySearch(env, config=SearchConfig(method=method, population_size=6, elite_count=2,
                                                   episodes_per_evaluation=k, seed=2))
    for _ in range(2):
        stats = search.iterate()
        assert stats.episode_returns.shape == (stats.evaluations * k,)
        assert stats.episode_lengths.dtype == np.int32 and stats.episode_lengths.sum() == stats.env_steps
        utilities = stats.episode_returns.reshape(stats.evaluations, k).mean(axis=1)
        assert utilities.max() == pytest.approx(stats.best_utility, abs=1e-12)
        assert utilities.mean() == pytest.approx(stats.mean_utility, abs=1e-12)
        assert "episode_returns" not in stats.as_dict()


def test_evaluate_uses_the_searchs_own_environment():
    """evaluate() spawns the search's environment (its parameters and
    definition), not a fresh one by id: a gridworld works, a changed pole
    length is kept."""
    grid = swiftpg.envs.gridworld("S.#\n..G", num_envs=2, seed=0)
    search = PolicySearch(grid, config=SearchConfig(population_size=4, elite_count=2, episodes_per_evaluation=1))
    returns, lengths = search.evaluate(episodes=3)
    assert returns.shape == (3,) and lengths.dtype == np.int32
    short = swiftpg.make_vec("CartPole-v1", 2, seed=0, length=0.05)
    long_ = swiftpg.make_vec("CartPole-v1", 2, seed=0)
    a = PolicySearch(short, config=SearchConfig(seed=1)).evaluate(episodes=4, seed=3)[1]
    b = PolicySearch(long_, config=SearchConfig(seed=1)).evaluate(episodes=4, seed=3)[1]
    assert not np.array_equal(a, b)            # the short pole falls at other times: its parameter was kept
