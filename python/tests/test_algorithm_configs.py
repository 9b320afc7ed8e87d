"""Each algorithm's explicit config dataclass against the library: the
same fields as its C struct (but the size and reserved padding), the same
defaults (``swiftpg_<algo>_default_config``), a documentation line per
field, and a learner module per algorithm."""

from __future__ import annotations

import ctypes
import dataclasses
import importlib
import math

import numpy as np
import pytest

import swiftpg
from swiftpg import _lib
from swiftpg.algorithms import PG_ALGORITHMS

MODULES = {"reinforce": "reinforce", "actor-critic": "actor_critic", "a2c": "a2c", "offpolicy-pg": "offpolicy_pg",
           "npg": "npg", "trpo": "trpo", "ppo": "ppo"}


@pytest.mark.parametrize("algorithm", sorted(PG_ALGORITHMS))
def test_dataclass_defaults_equal_the_library_defaults(algorithm):
    config_class = PG_ALGORITHMS[algorithm]._config_class
    defaults = {f.name: f.default for f in dataclasses.fields(config_class)}
    assert defaults == config_class.library_defaults()
    # And the default config converts back to exactly the library's struct.
    prefix, struct = _lib.PG_CONFIG_STRUCTS[algorithm]
    library = struct()
    _lib.call(f"{prefix}_default_config", ctypes.byref(library))
    assert library.size == ctypes.sizeof(struct)
    assert bytes(config_class().to_c()) == bytes(library)


@pytest.mark.parametrize("algorithm", sorted(PG_ALGORITHMS))
def test_dataclass_fields_are_the_c_struct_fields(algorithm):
    config_class = PG_ALGORITHMS[algorithm]._config_class
    _, struct = _lib.PG_CONFIG_STRUCTS[algorithm]
    c_fields = {name for name, _ in struct._fields_} - {"size", "reserved", "reserved2"}
    assert {f.name for f in dataclasses.fields(config_class)} == c_fields
    for f in dataclasses.fields(config_class):
        assert f.metadata.get("doc"), f"{config_class.__name__}.{f.name} has no documentation line"
        assert f.type in ("int", "float", "bool", "str"), f"{f.name}: {f.type}"
    assert config_class.describe().count("\n") == len(c_fields) - 1


@pytest.mark.parametrize("algorithm", sorted(PG_ALGORITHMS))
def test_one_module_per_algorithm_with_an_explicit_dataclass(algorithm):
    module = importlib.import_module(f"swiftpg.algorithms.{MODULES[algorithm]}")
    learner = PG_ALGORITHMS[algorithm]
    assert learner.__module__ == module.__name__
    assert learner._config_class.__module__ == module.__name__
    assert dataclasses.is_dataclass(learner._config_class)


def test_a_wrong_struct_size_is_refused_before_any_field_is_read():
    config = _lib.PPOConfigC()
    _lib.call("ppo_default_config", ctypes.byref(config))
    config.size -= 8
    env = swiftpg.VectorEnv("CartPole-v1", 2, seed=0)
    policy = swiftpg.policies.SoftmaxPolicy(4, 2, hidden_sizes=(8,), seed=0)
    value = swiftpg.policies.ValueFunction(4, hidden_sizes=(8,), seed=0)
    handle = ctypes.c_uint64()
    with pytest.raises(swiftpg.InvalidArgumentError, match="size"):
        _lib.call("ppo_create", env.handle, policy.handle, value.handle, ctypes.byref(config), ctypes.byref(handle))


def test_fields_an_algorithm_does_not_read_are_not_accepted():
    # Before 0.2 every config carried fields of other algorithms, silently ignored.
    with pytest.raises(TypeError):
        swiftpg.algorithms.OffPolicyPGConfig(weighting="full_return")
    with pytest.raises(swiftpg.InvalidArgumentError, match="unknown"):
        swiftpg.algorithms.NPGConfig().replace(line_search_steps=3)
    with pytest.raises(swiftpg.InvalidArgumentError, match="baseline"):
        swiftpg.algorithms.OffPolicyPG("CartPole-v1", config=swiftpg.algorithms.OffPolicyPGConfig(baseline="value"))


def test_stats_have_one_meaning_each_and_the_deprecated_names_warn():
    learner = swiftpg.algorithms.PPO("CartPole-v1", num_envs=2,
                                     config=swiftpg.algorithms.PPOConfig(steps_per_env=64, minibatch_size=32,
                                                                         kl_penalty=True))
    s = learner.iterate()
    assert s.algorithm == "ppo" and s.epochs == 10 and s.line_search_step == 0
    assert s.kl_coef in (0.5, 1.0, 2.0) and s.effective_sample_size == 0
    with pytest.warns(DeprecationWarning):
        assert s.extra == s.kl_coef
    with pytest.warns(DeprecationWarning):
        assert s.update_steps == s.epochs
    # Per-episode statistics: the episodes of the batch, their mean is mean_return.
    learner.iterate()
    s = learner.iterate()
    assert s.episodes == len(s.episode_returns) == len(s.episode_lengths) > 0
    assert math.isclose(s.episode_returns.mean(), s.mean_return, rel_tol=1e-12)
    assert np.all(s.episode_successes == -1) and math.isnan(s.success_rate)   # CartPole defines no success
    assert s.as_dict()["episode_returns"] == s.episode_returns.tolist()


def test_success_flags_where_the_env_defines_a_goal():
    # MountainCar: termination is reaching the flag; a random policy mostly times out.
    learner = swiftpg.algorithms.A2C("MountainCar-v0", num_envs=4, config=swiftpg.algorithms.A2CConfig(
        steps_per_env=200))
    s = learner.iterate()
    assert s.episodes == 4 and set(s.episode_successes.tolist()) <= {0, 1}
    assert s.success_rate == s.episode_successes.mean()
