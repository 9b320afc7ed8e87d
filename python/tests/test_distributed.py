"""swiftpg.distributed on one local Ray instance per test session (num_cpus=2,
a small object store, no dashboard): synchronous equality with the
single-process learner, asynchronous staleness bookkeeping, a killed worker,
failing workers. `make test` installs Ray; without it these tests skip."""

import sys

import gymnasium
import numpy as np
import pytest

ray = pytest.importorskip("ray")

import swiftpg  # noqa: E402
from swiftpg import distributed as D  # noqa: E402
from swiftpg.algorithms import (A2C, PPO, REINFORCE, TRPO, A2CConfig, PolicySearch, PPOConfig,  # noqa: E402
                                ReinforceConfig, SearchConfig, TRPOConfig)

# One xdist worker runs them all (make test: --dist loadgroup), so one Ray instance serves the session.
pytestmark = pytest.mark.xdist_group("ray")


@pytest.fixture(scope="module")
def local_ray():
    # Failing-env factories defined here travel by value (the workers cannot import this test module).
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    D.init_local(num_cpus=2, object_store_memory=80 * 1024 * 1024)
    yield ray
    ray.shutdown()


def run(learner, workers, iterations, **kw):
    with D.DistributedTrainer(learner, workers, **kw) as trainer:
        stats = [trainer.iterate() for _ in range(iterations)]
    return stats


# Bit-identity needs network passes that round a row the same in any batch: both precisions do
# (see the module doc of swiftpg.distributed); the learners below use each.
F64 = dict(policy_kwargs=dict(precision="float64"))
F32 = dict(policy_kwargs=dict(precision="float32"))

SEGMENT_LEARNERS = [
    (PPO, PPOConfig(steps_per_env=16, minibatch_size=32, epochs=2, seed=5), F32),
    (A2C, A2CConfig(steps_per_env=8, seed=6), F64),
    (TRPO, TRPOConfig(steps_per_env=16, minibatch_size=32, seed=7), F32),
]


@pytest.mark.parametrize("cls,config,precision", SEGMENT_LEARNERS, ids=lambda x: getattr(x, "__name__", ""))
def test_sync_one_and_two_workers_equal_the_single_process_learner_bit_for_bit(local_ray, cls, config, precision):
    single = cls("CartPole-v1", config=config, num_envs=4, **precision)
    for _ in range(3):
        single.iterate()
    params = {}
    for k in (1, 2):
        learner = cls("CartPole-v1", config=config, num_envs=4, **precision)
        stats = run(learner, k, 3)
        params[k] = (learner.policy.get_params(), learner.value.get_params())
        assert [s.staleness for s in stats] == [[0] * k] * 3
        assert all(s.workers_lost == 0 and s.env_steps == 4 * config.steps_per_env for s in stats)
        assert learner.total_env_steps == single.total_env_steps
        learner.close()
    for k in (1, 2):
        assert np.array_equal(params[k][0], single.policy.get_params()), k
        assert np.array_equal(params[k][1], single.value.get_params()), k
    # The run is not a copy of its initial state: the parameters moved.
    fresh = cls("CartPole-v1", config=config, num_envs=4)
    assert not np.array_equal(fresh.policy.get_params(), single.policy.get_params())
    fresh.close()
    single.close()


def test_episodic_learner_is_identical_for_one_and_two_workers(local_ray):
    config = ReinforceConfig(steps_per_iteration=200, seed=3)
    params = []
    for k in (1, 2):
        learner = REINFORCE("CartPole-v1", config=config, num_envs=4, **F64)
        stats = run(learner, k, 2)
        assert stats[0].env_steps == 4 * 50
        params.append(learner.policy.get_params())
        learner.close()
    assert np.array_equal(params[0], params[1])


def test_normalising_learner_with_per_segment_statistics_is_identical_alone_and_on_one_or_two_workers(local_ray):
    # normalization_update="segment": the single process freezes its statistics during a segment and
    # folds the raw segment in afterwards, as the distributed driver does.
    config = PPOConfig(steps_per_env=16, minibatch_size=32, epochs=2, seed=10, normalize_observations=True,
                       normalize_rewards=True, normalization_update="segment")
    out = []
    single = PPO("CartPole-v1", config=config, num_envs=4, **F64)
    for _ in range(3):
        single.iterate()
    rms = single.obs_rms
    out.append((single.policy.get_params(), single.value.get_params(), rms.mean, rms.var, rms.count))
    single.close()
    for k in (1, 2):
        learner = PPO("CartPole-v1", config=config, num_envs=4, **F64)
        run(learner, k, 3)
        rms = learner.obs_rms
        out.append((learner.policy.get_params(), learner.value.get_params(), rms.mean, rms.var, rms.count))
        learner.close()
    for a, b, c in zip(*out):
        assert np.array_equal(a, b) and np.array_equal(a, c)
    # Every raw observation was folded into the statistics once (the pseudo-count is 1e-4).
    assert out[0][4] == pytest.approx(1e-4 + 3 * 4 * 16)
    # The default (statistics moving at every step, as SB3's VecNormalize) is another run.
    per_step = PPO("CartPole-v1", config=config.replace(normalization_update="step"), num_envs=4, **F64)
    for _ in range(3):
        per_step.iterate()
    assert not np.array_equal(per_step.policy.get_params(), out[0][0])
    per_step.close()


def test_raw_updates_normalise_each_lane_with_the_statistics_it_was_collected_with():
    """The learner's side of asynchronous normalisation (no Ray): a raw
    batch updated with explicit per-lane statistics equal to the learner's
    own is the plain raw update; other statistics change the update but not
    what is folded into the learner's statistics."""
    config = PPOConfig(steps_per_env=8, minibatch_size=16, epochs=1, seed=4, normalize_observations=True,
                       normalize_rewards=True)
    source = PPO("CartPole-v1", config=config, num_envs=2, **F64)
    source._set_worker_normalization(np.zeros(4), np.ones(4), 1.0)
    r = source.collect()
    batch = dict(observations=r.observations, actions=r.actions, rewards=r.rewards, terminated=r.terminated,
                 truncated=r.truncated, final_observations=r.final_observations,
                 next_observations=r.next_observations, log_probs=r.log_probs, raw=True)
    source.close()
    learners = [PPO("CartPole-v1", config=config, num_envs=2, **F64) for _ in range(3)]
    for learner in learners:                    # a first batch moves the statistics off their start
        learner.update(**batch)
    rms = learners[0].obs_rms
    learners[0].update(**batch)
    learners[1].update(**batch, observation_statistics=(np.stack([rms.mean] * 2), np.stack([rms.var] * 2)))
    older = (np.stack([rms.mean, np.zeros(4)]), np.stack([rms.var, np.ones(4)]))   # lane 1: staler statistics
    learners[2].update(**batch, observation_statistics=older)
    p = [x.policy.get_params() for x in learners]
    assert np.array_equal(p[0], p[1]) and not np.array_equal(p[0], p[2])
    assert np.array_equal(learners[0].obs_rms.mean, learners[2].obs_rms.mean)
    assert learners[0].obs_rms.count == learners[2].obs_rms.count == pytest.approx(1e-4 + 2 * 16)
    with pytest.raises(swiftpg.InvalidArgumentError, match="observation_statistics"):
        learners[0].update(**batch, observation_statistics=(np.zeros((3, 4)), np.ones((3, 4))))
    with pytest.raises(swiftpg.InvalidArgumentError, match=">= 0"):
        learners[0].update(**batch, observation_statistics=(np.zeros(4), -np.ones(4)))
    assert learners[0].obs_rms.count == pytest.approx(1e-4 + 2 * 16)     # refused calls changed nothing
    for learner in learners:
        learner.close()


def test_policy_search_across_workers_equals_the_single_process_search(local_ray):
    config = SearchConfig(method="cem", population_size=6, elite_count=2, episodes_per_evaluation=2, seed=4)
    alone = PolicySearch("CartPole-v1", config=config)
    spread = PolicySearch("CartPole-v1", config=config)
    with D.DistributedSearch(spread, 2) as search:
        for _ in range(2):
            alone.iterate()
            search.iterate()
    assert np.array_equal(alone.policy.get_params(), spread.policy.get_params())
    assert alone.total_env_steps == spread.total_env_steps > 0
    alone.close()
    spread.close()


def test_async_records_staleness_and_corrects_ppo_with_behaviour_log_probs(local_ray):
    config = PPOConfig(steps_per_env=16, minibatch_size=32, epochs=2, seed=8)
    learner = PPO("CartPole-v1", config=config, num_envs=4)
    stats = run(learner, 2, 5, mode="async", max_staleness=2)
    # The first batch is collected with version 0 by both workers; from then on a segment is
    # collected while the learner updates on the previous batch: one (or, for a worker that
    # ran ahead, two) versions stale. Segments staler than max_staleness are dropped.
    assert stats[0].staleness == [0, 0] and stats[0].segment_versions == [0, 0]
    assert [s.version for s in stats] == [1, 2, 3, 4, 5]
    for s in stats[1:]:
        assert s.staleness == [s.version - 1 - v for v in s.segment_versions]
        assert all(1 <= x <= 2 for x in s.staleness), s.staleness
    assert sum(s.mean_staleness for s in stats[1:]) >= 4
    assert learner.total_env_steps == 5 * 4 * 16
    # Stale behaviour: PPO's ratio starts away from 1, so the KL against β is positive.
    assert all(s.train.approx_kl > 0 for s in stats[1:])
    learner.close()

    # An actor-critic learner corrects with V-trace: it trains asynchronously, staleness recorded.
    vt = A2C("CartPole-v1", config=A2CConfig(steps_per_env=16, seed=3, advantage="vtrace"), num_envs=4)
    stats = run(vt, 2, 3, mode="async", max_staleness=2)
    assert stats[0].staleness == [0, 0] and all(1 <= x <= 2 for s in stats[1:] for x in s.staleness)
    assert vt.total_env_steps == 3 * 4 * 16 and np.isfinite(stats[-1].train.value_loss)
    vt.close()

    # A normalising PPO: each stale segment is normalised with the statistics of its parameter
    # version (sent with them, returned with the segment); every raw observation is folded in once.
    norm = PPO("CartPole-v1", config=config.replace(normalize_observations=True, normalize_rewards=True,
                                                    normalization_update="segment"), num_envs=4)
    seen = []
    update = norm.update

    def recording_update(*args, observation_statistics=None, **kwargs):
        seen.append((observation_statistics, norm.obs_rms.mean.copy()))
        return update(*args, observation_statistics=observation_statistics, **kwargs)

    norm.update = recording_update
    stats = run(norm, 2, 3, mode="async", max_staleness=2)
    assert stats[0].staleness == [0, 0] and all(1 <= x <= 2 for s in stats[1:] for x in s.staleness)
    # Fresh segments were normalised with the learner's statistics of the time, stale ones with older ones.
    assert np.array_equal(seen[0][0][0], np.tile(seen[0][1], (4, 1)))
    assert all(not np.array_equal(mean, np.tile(now, (4, 1))) for (mean, _), now in seen[1:])
    assert sum(s.dropped_segments for s in stats) == 0
    assert norm.total_env_steps == 3 * 4 * 16 and norm.obs_rms.count == pytest.approx(1e-4 + 3 * 4 * 16)
    assert np.isfinite(norm.policy.get_params()).all()
    norm.close()

    with pytest.raises(swiftpg.NotSupportedError, match="V-trace"):
        a2c = A2C("CartPole-v1", config=A2CConfig(seed=1), num_envs=2)
        try:
            D.DistributedTrainer(a2c, 2, mode="async")
        finally:
            a2c.close()


def test_a_killed_worker_is_replaced_and_its_segment_collected_again(local_ray, monkeypatch):
    config = PPOConfig(steps_per_env=16, minibatch_size=32, epochs=2, seed=9)
    undisturbed = PPO("CartPole-v1", config=config, num_envs=4, **F64)
    run(undisturbed, 2, 3)

    learner = PPO("CartPole-v1", config=config, num_envs=4, **F64)
    original = D._Pool.run
    killed = []

    def run_and_kill(self, submit, workers):
        def submit_then_kill(actor, w):
            ref = submit(actor, w)
            if w == 1 and len(killed) == 0 and len(self_stats()) == 1:   # during the second iteration
                ray.kill(actor, no_restart=True)
                killed.append(w)
            return ref
        return original(self, submit_then_kill, workers)

    with D.DistributedTrainer(learner, 2) as trainer:
        self_stats = lambda: trainer.history  # noqa: E731
        monkeypatch.setattr(D._Pool, "run", run_and_kill)
        stats = [trainer.iterate() for _ in range(3)]
        assert trainer.workers_lost == 1
    assert killed == [1]
    assert [s.workers_lost for s in stats] == [0, 1, 0]
    # Nothing counted twice, and the re-collected segment is the one the dead worker would have returned.
    assert learner.total_env_steps == undisturbed.total_env_steps == 3 * 4 * 16
    assert np.array_equal(learner.policy.get_params(), undisturbed.policy.get_params())
    learner.close()
    undisturbed.close()


class FailingEnv(gymnasium.Env):
    """A Gymnasium env whose step raises after a few steps."""

    def __init__(self):
        self.observation_space = gymnasium.spaces.Box(-1.0, 1.0, (2,), np.float64)
        self.action_space = gymnasium.spaces.Discrete(2)
        self.steps = 0

    def reset(self, seed=None, options=None):
        return np.zeros(2), {}

    def step(self, action):
        self.steps += 1
        if self.steps > 3:
            raise RuntimeError("the simulator lost its licence")
        return np.zeros(2), 1.0, False, False, {}


def test_gymnasium_factory_workers_train_and_an_env_error_reaches_the_driver_with_the_worker_identity(local_ray):
    import functools
    cartpole = functools.partial(gymnasium.make, "CartPole-v1")
    learner = swiftpg.algorithms.for_gymnasium("ppo", cartpole(), config=PPOConfig(steps_per_env=16, minibatch_size=32,
                                                                                    seed=1))
    before = learner.policy.get_params()
    with D.DistributedTrainer(learner, 2, gymnasium_factory=cartpole, num_envs=4) as trainer:
        stats = [trainer.iterate() for _ in range(2)]
    assert [s.env_steps for s in stats] == [64, 64] and learner.total_env_steps == 128
    assert not np.array_equal(before, learner.policy.get_params())
    learner.close()

    learner = swiftpg.algorithms.for_gymnasium("ppo", FailingEnv(), config=PPOConfig(steps_per_env=8, minibatch_size=8,
                                                                                      seed=1))
    with D.DistributedTrainer(learner, 2, gymnasium_factory=FailingEnv, num_envs=2) as trainer:
        with pytest.raises(D.RolloutWorkerError, match=r"rollout worker [01] \(lanes .*pid \d+\).*RuntimeError: the "
                                                       r"simulator lost its licence") as info:
            trainer.iterate()
        assert isinstance(info.value.__cause__, RuntimeError)
    learner.close()


def test_a_numerical_error_in_a_worker_keeps_its_swiftpg_class(local_ray):
    learner = PPO("Pendulum-v1", config=PPOConfig(steps_per_env=4, minibatch_size=4, seed=2), num_envs=2)
    learner.policy.set_params(np.full(learner.policy.num_params, 1e300))
    with D.DistributedTrainer(learner, 2) as trainer:
        with pytest.raises(swiftpg.NumericalError, match=r"rollout worker [01] \(lanes (0\.\.0|1\.\.1), node \w+, pid \d+\)"):
            trainer.iterate()
    learner.close()


def test_bad_arguments_raise_before_any_worker_starts():
    learner = PPO("CartPole-v1", config=PPOConfig(steps_per_env=4, minibatch_size=4, seed=2), num_envs=3)
    with pytest.raises(swiftpg.InvalidArgumentError, match="multiple of num_workers"):
        D.DistributedTrainer(learner, 2)
    with pytest.raises(swiftpg.DTypeError):
        D.DistributedTrainer(learner, 2.0)
    with pytest.raises(swiftpg.InvalidArgumentError):
        D.DistributedTrainer(learner, 1, mode="sometimes")
    with pytest.raises(swiftpg.DTypeError):
        D.DistributedTrainer(object(), 1)
    learner.close()


def test_cli_trains_with_workers(local_ray, capsys):
    import json

    from swiftpg import cli
    code = cli.main(["train", "CartPole-v1", "--algo", "ppo", "--workers", "2", "--num-envs", "4", "--steps", "1024",
                     "--config", "steps_per_env=32", "minibatch_size=64", "epochs=2", "--eval-episodes", "5",
                     "--eval-freq", "1024", "--no-early-stop", "--json", "--quiet"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["env_steps"] == 1024 and summary["iterations"] == 8
    assert cli.main(["train", "CartPole-v1", "--algo", "ppo", "--workers", "3", "--num-envs", "4", "--steps", "256",
                     "--config", "minibatch_size=64", "--quiet"]) == 2
    assert "multiple of num_workers" in capsys.readouterr().err
    assert cli.main(["train", "CartPole-v1", "--algo", "dqn", "--workers", "2", "--steps", "256", "--quiet"]) == 2
    assert "--workers is not supported for dqn" in capsys.readouterr().err
