#!/usr/bin/env python3
"""The seed corpus of the reliability suite: every input of issue 11 that
can be written as a call, plus the deaths the fuzzers found, each with the
behaviour it must have.

Each entry runs in its own subprocess (address space capped, a timeout), so
a death or a hang names its entry. An entry passes when the call behaves as
documented: usually it must raise a ``swiftpg.SwiftPGError`` (never kill the
process, never hang, never succeed silently); some check a value (an
equal-logit softmax is 1/2 each, a failed load leaves the parameters as they
were, a constant-reward REINFORCE step moves the logits by at most 0.0025).

Usage::

    python tools/fuzz/corpus.py                 # run every entry (2 at a time)
    python tools/fuzz/corpus.py --list
    python tools/fuzz/corpus.py --entry NAME    # one entry, in this process

Exit status: 0 when every entry passes, 1 otherwise.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import ctypes
import os
import resource
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from checkpoint_file import decode, encode  # noqa: E402

ENTRIES: dict[str, dict] = {}


def entry(kind: str, timeout: float = 30.0, memory_mb: int = 4096):
    """Registers a corpus entry; ``kind``: the kind of fault of issue 11
    ("1".."14") or "fuzz" for a death found by the fuzzers."""
    def wrap(fn):
        ENTRIES[fn.__name__] = dict(fn=fn, kind=kind, timeout=timeout, memory_mb=memory_mb,
                                    doc=" ".join((fn.__doc__ or "").split()))
        return fn
    return wrap


class Misbehaves(AssertionError):
    """The call returned where it must refuse, or returned a wrong value."""


def refused(call, *exceptions):
    """Runs ``call()``; it must raise a SwiftPGError (or one of
    ``exceptions``). Returns the exception."""
    import swiftpg
    try:
        result = call()
    except tuple(exceptions) + (swiftpg.SwiftPGError,) as e:
        return e
    except Exception as e:
        raise Misbehaves(f"raised {type(e).__name__} (not a swiftpg error): {e}") from e
    raise Misbehaves(f"was accepted (returned {str(result)[:120]}) but must be refused")


_TEMPORARY: list[str] = []


def tmpdir() -> str:
    """A temporary directory removed when the entry's process exits."""
    path = tempfile.mkdtemp(prefix="swiftpg-corpus-", dir=os.environ.get("SWIFTPG_CORPUS_TMP"))
    if not _TEMPORARY:
        import atexit
        import shutil
        atexit.register(lambda: [shutil.rmtree(p, True) for p in _TEMPORARY])
    _TEMPORARY.append(path)
    return path


def c_cartpole_and_linear_policy(lib):
    """A one-instance CartPole-v1 env and a linear softmax policy made through the C ABI (handles)."""
    env, pol = ctypes.c_uint64(), ctypes.c_uint64()
    assert lib.swiftpg_env_create(b"CartPole-v1", 1, 0, ctypes.addressof(env)) == 0
    hidden = (ctypes.c_int32 * 1)(0)
    assert lib.swiftpg_policy_create_softmax(4, 2, ctypes.addressof(hidden), 0, 0, 1.0, 0.01, 0,
                                             ctypes.addressof(pol)) == 0
    return env, pol


def c_library():
    """(lib, header, struct types) loaded from the header, as the C fuzzer does."""
    import cabi
    header = cabi.parse_header()
    lib = cabi.load(os.environ.get("SWIFTPG_LIBRARY") or cabi.DEFAULT_LIBRARY, header)
    return lib, header, {n: cabi.struct_type(header, n) for n in header.structs}


def c_status_ok_or_refused(status: int, what: str):
    if status == 0:
        raise Misbehaves(f"{what} was accepted (status 0) but must be refused")


# ================================================================= kind 1: unbounded allocations

@entry("1")
def softmax_hidden_65536x65536():
    """SoftmaxPolicy with hidden sizes (65536, 65536): each layer within its
    limit, ~34 GB in total -> TOO_LARGE before allocating."""
    import swiftpg
    refused(lambda: swiftpg.policies.SoftmaxPolicy(4, 2, hidden_sizes=(65536, 65536)))
    refused(lambda: swiftpg.policies.GaussianPolicy(4, 2, hidden_sizes=(65536, 65536)))
    refused(lambda: swiftpg.policies.ValueFunction(4, hidden_sizes=(65536, 65536)))


@entry("1")
def c_softmax_hidden_65536x65536():
    """The same through the C ABI: swiftpg_policy_create_softmax with
    hidden_sizes {65536, 65536} must return an error status."""
    lib, _, _ = c_library()
    hidden = (ctypes.c_int32 * 2)(65536, 65536)
    out = ctypes.c_uint64(0)
    status = lib.swiftpg_policy_create_softmax(4, 2, ctypes.addressof(hidden), 2, 0, 1.0, 0.01, 0,
                                               ctypes.addressof(out))
    c_status_ok_or_refused(status, "swiftpg_policy_create_softmax(hidden 65536x65536)")


@entry("1")
def policy_checkpoint_small_declaring_huge_network():
    """A policy checkpoint of under 100 bytes with a valid FNV-1a checksum
    declaring hidden sizes (65536, 65536) and no parameters: BadFormatError
    before the network is built."""
    import swiftpg
    data = encode(1, 1, [4, 2, 0, 2, 65536, 65536], [])
    assert len(data) < 100, len(data)
    path = os.path.join(tmpdir(), "tiny.ckpt")
    with open(path, "wb") as f:
        f.write(data)
    refused(lambda: swiftpg.policies.load(path))
    for spec in ([1 << 20, 2], [2, 1 << 16]):                       # tabular, declared table huge
        with open(path, "wb") as f:
            f.write(encode(1, 2, spec, []))
        refused(lambda: swiftpg.policies.load(path))
    with open(path, "wb") as f:                                     # value function, same
        f.write(encode(2, 1, [4, 0, 2, 65536, 65536], []))
    refused(lambda: swiftpg.policies.load_value(path))


@entry("1")
def gridworld_one_row_65535_cells():
    """A one-row gridworld of 65535 cells (a dense S x A x S table of 137 GB):
    refused before allocating."""
    import swiftpg
    refused(lambda: swiftpg.envs.gridworld("S" + "." * 65533 + "G", slip=0.0))


@entry("1")
def policy_search_population_2_31():
    """PolicySearch with population_size 2**31 - 1: refused at creation (or
    at the first iteration), never an abort."""
    import swiftpg
    A = swiftpg.algorithms

    def make_and_iterate():
        s = A.PolicySearch("CartPole-v1", config=A.SearchConfig(population_size=2**31 - 1, elite_count=10,
                                                                 episodes_per_evaluation=1))
        return s.iterate()
    refused(make_and_iterate)


@entry("1")
def c_search_population_2_31():
    """swiftpg_search_create with population_size 2**31 - 1 (C ABI), then an
    iteration if it was accepted."""
    lib, _, S = c_library()
    env, pol = c_cartpole_and_linear_policy(lib)
    cfg = S["swiftpg_search_config"]()
    lib.swiftpg_search_default_config(ctypes.addressof(cfg))
    cfg.population_size = 2**31 - 1
    cfg.episodes_per_evaluation = 1
    alg = ctypes.c_uint64()
    if lib.swiftpg_search_create(env.value, pol.value, ctypes.addressof(cfg), ctypes.addressof(alg)) == 0:
        stats = S["swiftpg_search_stats"]()
        status = lib.swiftpg_search_iterate(alg.value, ctypes.addressof(stats))
        c_status_ok_or_refused(status, "a search of population 2^31-1")


@entry("1", timeout=120, memory_mb=3072)
def evaluate_2_24_episodes_streams():
    """evaluate(episodes=2**24) keeps only returns and lengths (the
    transitions of 2^24 episodes must not be held): peak memory stays under
    1 GiB (the two result arrays are 192 MiB) or the call is refused."""
    import numpy as np
    import swiftpg
    pol = swiftpg.policies.ClampPolicy(0.5)
    env = swiftpg.make_vec("TwoAction-v0", 64, seed=0)           # one-step episodes
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    try:
        returns, lengths = pol.evaluate(env, episodes=2**24, greedy=False, seed=0)
    except swiftpg.SwiftPGError:
        return
    grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    if grown > 1024:
        raise Misbehaves(f"evaluating 2^24 one-step episodes grew the peak memory by {grown:.0f} MiB")
    if len(returns) != 2**24 or not np.all(lengths == 1):
        raise Misbehaves("wrong results")


# ================================================================= kind 2: shapes

def _stub_gym_env(obs: int, act: int):
    import gymnasium
    import numpy as np

    class Stub(gymnasium.Env):
        observation_space = gymnasium.spaces.Box(-1.0, 1.0, (obs,), np.float64)
        action_space = gymnasium.spaces.Box(-1.0, 1.0, (act,), np.float64)
    return Stub()


@entry("2")
def gaussian_64_dims_update_with_actions_t_n_1():
    """update() of a learner whose Gaussian policy has 64 action dimensions,
    given actions of shape (T, N, 1): InvalidArgumentError (shape), never a
    read past the buffer."""
    import numpy as np
    import swiftpg
    A = swiftpg.algorithms
    for algo in ("ppo", "a2c", "reinforce"):
        learner = A.for_gymnasium(algo, _stub_gym_env(3, 64), hidden_sizes=(8,))
        T, N = 4, 2
        refused(lambda: learner.update(np.zeros((T, N, 3)), np.zeros((T, N, 1)), np.zeros((T, N)),
                                       np.zeros((T, N), bool), np.zeros((T, N), bool), np.zeros((N, 3))))
        learner.close()


@entry("2")
def exact_solve_transposed_observations():
    """exact.solve(env, policy, observations=X.T) with X of shape [S, d]:
    refused (the transpose has the same number of elements)."""
    import numpy as np
    import swiftpg
    P = np.full((4, 2, 4), 0.25)
    env = swiftpg.envs.tabular(P, np.ones((4, 2)), np.full(4, 0.25), gamma=0.9)
    pol = swiftpg.policies.SoftmaxPolicy(2, 2, hidden_sizes=())
    X = np.random.default_rng(0).standard_normal((4, 2))
    swiftpg.exact.solve(env, pol, observations=X)                 # the right shape works
    refused(lambda: swiftpg.exact.solve(env, pol, observations=X.T))


# ================================================================= kind 4: unbounded loops

@entry("4", timeout=20)
def pendulum_no_time_limit_evaluate():
    """max_episode_steps=0 ("no time limit") on Pendulum, then
    evaluate(episodes=1): refused with a message (must not hang)."""
    import swiftpg
    env = swiftpg.make_vec("Pendulum-v1", 1, seed=0)
    env.set_parameter("max_episode_steps", 0)
    pol = swiftpg.policies.GaussianPolicy(3, 1, hidden_sizes=())
    refused(lambda: pol.evaluate(env, episodes=1))


@entry("4", timeout=20)
def c_pendulum_no_time_limit_evaluate():
    """The same through swiftpg_policy_evaluate (C ABI)."""
    lib, _, _ = c_library()
    env, pol = ctypes.c_uint64(), ctypes.c_uint64()
    assert lib.swiftpg_env_create(b"Pendulum-v1", 1, 0, ctypes.addressof(env)) == 0
    assert lib.swiftpg_env_set_parameter(env.value, b"max_episode_steps", 0.0) == 0
    hidden = (ctypes.c_int32 * 1)(0)
    assert lib.swiftpg_policy_create_gaussian(3, 1, ctypes.addressof(hidden), 0, 0, 0, 0.0, 1.0, 0.01, 0,
                                              ctypes.addressof(pol)) == 0
    returns = (ctypes.c_double * 1)()
    status = lib.swiftpg_policy_evaluate(pol.value, env.value, 1, 1, 0, ctypes.addressof(returns), None)
    c_status_ok_or_refused(status, "evaluating an episode without a time limit")


@entry("4", timeout=20)
def reinforce_collect_without_time_limit():
    """Episode collection (REINFORCE iterate) on Pendulum without a time
    limit: refused, must not hang."""
    import swiftpg
    A = swiftpg.algorithms

    def run():
        env = swiftpg.make_vec("Pendulum-v1", 2, seed=0)
        env.set_parameter("max_episode_steps", 0)
        learner = A.REINFORCE(env, config=A.ReinforceConfig(steps_per_iteration=64), hidden_sizes=(4,))
        return learner.iterate()
    refused(run)


# ================================================================= kinds 5, 6: checkpoints

def _learner_checkpoint(algo: str, **config):
    import swiftpg
    A = swiftpg.algorithms
    cls = A.PG_ALGORITHMS[algo]
    learner = cls("CartPole-v1", config=cls._config_class(**config), num_envs=2, hidden_sizes=(4,))
    learner.iterate()
    path = os.path.join(tmpdir(), "learner.ckpt")
    learner.save(path)
    return learner, path


def _rewrite(path: str, edit, kind=None) -> None:
    """Edits a learner bundle's record (``edit(record)``, swiftpg._bundle)
    and writes it back with a valid checksum (and another object kind)."""
    from swiftpg import _bundle as B
    k, record = B.decode(open(path, "rb").read())
    edit(record)
    with open(path, "wb") as f:
        f.write(B.encode(k if kind is None else kind, record))


def _edit_array(record, path, index, value, add=False):
    from swiftpg import _bundle as B
    tag, values = B.get(record, path)
    values = list(values)
    values[index] = values[index] + value if add else value
    B.set_field(record, path, tag, values)


@entry("5")
def learner_checkpoint_nan_critic_changes_nothing():
    """A learner checkpoint whose critic parameters contain NaN (valid
    checksum): BadFormatError, and the policy's parameters are unchanged."""
    import numpy as np
    learner, path = _learner_checkpoint("a2c", steps_per_env=4)
    critic_count = learner.value.num_params

    def nan_critic(record):
        _edit_array(record, ("critic", "parameters"), critic_count // 2, float("nan"))
        _edit_array(record, ("policy", "parameters"), 0, 1.0, add=True)   # the policy would change if loaded
    _rewrite(path, nan_critic)
    before = learner.policy.get_params()
    critic_before = learner.value.get_params()
    refused(lambda: learner.load(path))
    if not np.array_equal(learner.policy.get_params(), before):
        raise Misbehaves("the failed load replaced the policy's parameters")
    if not np.array_equal(learner.value.get_params(), critic_before):
        raise Misbehaves("the failed load changed the critic's parameters")


@entry("6")
def learner_checkpoint_kl_beta_nan_inf_negative():
    """KL penalty beta of NaN, +inf, -inf or -1 in a learner checkpoint
    (valid checksum): BadFormatError."""
    from swiftpg import _bundle as B
    for beta in (float("nan"), float("inf"), float("-inf"), -1.0):
        learner, path = _learner_checkpoint("ppo", steps_per_env=4, kl_penalty=True, epochs=1, minibatch_size=0)
        _rewrite(path, lambda r, beta=beta: B.set_field(r, ("learner", "adaptive_coefficient"), B.DOUBLE, beta))
        e = refused(lambda: learner.load(path))
        import swiftpg
        if not isinstance(e, swiftpg.BadFormatError):
            raise Misbehaves(f"beta {beta}: raised {type(e).__name__}, expected BadFormatError")


@entry("6")
def learner_checkpoint_algorithm_field_2_31():
    """An object kind >= 2**31 or a 100 000-character algorithm name with a
    valid checksum: BadFormatError (in the 0.1 format, building the message
    of an algorithm field >= 2**31 trapped)."""
    import swiftpg
    from swiftpg import _bundle as B
    for kind in (2**31, 2**32 - 1):
        learner, path = _learner_checkpoint("reinforce", steps_per_iteration=32)
        _rewrite(path, lambda r: None, kind=kind)
        refused(lambda: learner.load(path))
        refused(lambda: swiftpg.algorithms.PolicyGradientLearner.load(path))
        _rewrite(path, lambda r: B.set_field(r, ("algorithm",), B.TEXT, "x" * 100_000), kind=3)
        refused(lambda: learner.load(path))
        refused(lambda: swiftpg.algorithms.PolicyGradientLearner.load(path))
        learner.close()
    # the same for the policy and value-function loaders
    path = os.path.join(tmpdir(), "p.ckpt")
    for kind in (1, 2):
        with open(path, "wb") as f:
            f.write(encode(kind, 2**31, [4, 2, 0, 0], [0.0] * 10))
        refused(lambda: (swiftpg.policies.load(path) if kind == 1 else swiftpg.policies.load_value(path)))


@entry("6")
def learner_checkpoint_counters_and_moments():
    """Learner checkpoint counters (iteration, env steps, Adam's t) of -1 or
    2**62, and NaN or negative optimiser moments: BadFormatError, never a
    trap."""
    from swiftpg import _bundle as B
    import swiftpg
    edits = [lambda r, v=v, f=f: B.set_field(r, ("learner",) + f, B.INT, v)
             for f in (("iteration",), ("total_env_steps",), ("policy_optimizer", "t")) for v in (-1, 2**62)]
    edits += [lambda r, v=v, f=f: _edit_array(r, ("learner", "policy_optimizer", f), 0, v)
              for f, values in (("m", (float("nan"), float("inf"))), ("v", (float("nan"), float("inf"), -1.0)))
              for v in values]
    for edit in edits:
        learner, path = _learner_checkpoint("reinforce", steps_per_iteration=32)
        _rewrite(path, edit)
        e = refused(lambda: learner.load(path))
        if not isinstance(e, swiftpg.BadFormatError):
            raise Misbehaves(f"raised {type(e).__name__}, expected BadFormatError")
        learner.close()


# ================================================================= kind 9: wrap and truncation

@entry("9")
def value_epochs_2_32_plus_3():
    """value_epochs = 2**32 + 3 must be refused naming the value, not stored
    as 3 in the 32-bit field."""
    import swiftpg
    A = swiftpg.algorithms
    for cls in (A.A2C, A.NPG, A.TRPO, A.REINFORCE):
        e = refused(lambda: cls("CartPole-v1", config=cls._config_class(value_epochs=2**32 + 3), num_envs=1,
                                hidden_sizes=(4,)))
        if str(2**32 + 3) not in str(e):
            raise Misbehaves(f"{cls.__name__}: the error does not name the value: {e}")


@entry("9")
def other_int32_config_fields_wrap():
    """Every int32 field of a PG config set to 2**32 + 1 is refused (no
    silent wrap)."""
    import dataclasses
    import swiftpg
    A = swiftpg.algorithms
    cfg = A.PPOConfig()
    for f in dataclasses.fields(cfg):
        if isinstance(getattr(cfg, f.name), int) and not isinstance(getattr(cfg, f.name), bool) \
                and f.name not in ("seed", "total_env_steps"):
            bad = dataclasses.replace(cfg)
            object.__setattr__(bad, f.name, 2**32 + 1)
            refused(lambda: A.PPO("CartPole-v1", config=bad, num_envs=1, hidden_sizes=(4,)))


@entry("9")
def path_with_embedded_nul():
    """A path with an embedded NUL: refused by save and load (never the
    shortened path)."""
    import swiftpg
    d = tmpdir()
    short = os.path.join(d, "x")
    bad = short + "\x00tail.ckpt"
    pol = swiftpg.policies.SoftmaxPolicy(4, 2, hidden_sizes=())
    refused(lambda: pol.save(bad))
    val = swiftpg.policies.ValueFunction(4, hidden_sizes=())
    refused(lambda: val.save(bad))
    A = swiftpg.algorithms
    learner = A.REINFORCE("CartPole-v1", config=A.ReinforceConfig(steps_per_iteration=16), num_envs=1,
                          hidden_sizes=(4,))
    refused(lambda: learner.save(bad))
    search = A.PolicySearch("CartPole-v1", config=A.SearchConfig(population_size=4, elite_count=2,
                                                                 episodes_per_evaluation=1))
    refused(lambda: search.save(bad))
    if os.path.exists(short):
        raise Misbehaves(f"a save wrote to the truncated path {short}")
    pol.save(short)
    refused(lambda: swiftpg.policies.load(bad))
    refused(lambda: swiftpg.policies.load_value(bad))
    refused(lambda: learner.load(bad))
    refused(lambda: search.load(bad))
    refused(lambda: pol.save(os.fsencode(short) + b"\x00y"))


# ================================================================= kind 8: save semantics

@entry("8")
def save_through_symlink_and_to_non_files():
    """save() through a symlink writes the target (the link stays a link);
    a directory or a pre-existing fixed temporary name does not break it."""
    import swiftpg
    d = tmpdir()
    target = os.path.join(d, "target.ckpt")
    link = os.path.join(d, "link.ckpt")
    pol = swiftpg.policies.SoftmaxPolicy(4, 2, hidden_sizes=())
    pol.save(target)
    os.symlink(target, link)
    pol.save(link)
    if not os.path.islink(link):
        raise Misbehaves("saving through a symlink replaced the link with a regular file")
    swiftpg.policies.load(link)
    refused(lambda: pol.save(d))                                       # a directory
    blocked = os.path.join(d, "blocked.ckpt")
    os.mkdir(blocked + ".tmp")                                         # the old fixed temporary name
    pol.save(blocked)
    swiftpg.policies.load(blocked)


# ================================================================= kind 10, 11, 12: numerics

@entry("10")
def softmax_huge_equal_logits():
    """Softmax / log-softmax with very large equal logits: probabilities 1/2
    each (or NumericalError), never NaN."""
    import numpy as np
    import swiftpg
    pol = swiftpg.policies.SoftmaxPolicy(1, 2, hidden_sizes=())
    for w in (1e300, 1e308, -1e308):
        pol.set_params(np.array([w, w, 0.0, 0.0]))                    # W [2, 1], b [2]
        try:
            p = pol.probabilities(np.ones((1, 1)))
            lp = pol.log_prob(np.ones((1, 1)), np.array([0]))
            h = pol.entropy(np.ones((1, 1)))
        except swiftpg.NumericalError:
            continue
        if not (np.allclose(p, 0.5) and np.allclose(lp, np.log(0.5)) and np.allclose(h, np.log(2))):
            raise Misbehaves(f"logits ({w}, {w}): probabilities {p}, log_prob {lp}, entropy {h}")


@entry("10")
def norms_and_means_near_float64_max():
    """scale_gradient / mean_baseline on values near the float64 range:
    right results (or NumericalError), never inf/NaN silently."""
    import numpy as np
    import swiftpg
    E = swiftpg.estimators
    g = np.array([1e308, 1e308])
    try:
        scaled, norm = E.scale_gradient(g, 1.0)
        if not (np.allclose(scaled, [2**-0.5, 2**-0.5]) and (np.isclose(norm, 1e308 * 2**0.5) or norm == np.inf)):
            raise Misbehaves(f"scale_gradient([1e308, 1e308], 1): {scaled}, norm {norm}")
    except swiftpg.NumericalError:
        pass
    try:
        centred, mean = E.mean_baseline(np.array([1.5e308, 1.5e308, 1.5e308]))
        if not (np.isclose(mean, 1.5e308) and np.allclose(centred, 0.0)):
            raise Misbehaves(f"mean_baseline of 1.5e308 x 3: mean {mean}, centred {centred}")
    except swiftpg.NumericalError:
        pass


@entry("11")
def reinforce_normalisation_on_constant_rewards():
    """REINFORCE with advantage normalisation, no baseline, on TwoAction-v0
    with a constant reward: one SGD step at lr 0.01 moves each logit by at
    most 0.0025 (the weights' std is 0: no division)."""
    import numpy as np
    import swiftpg
    A = swiftpg.algorithms
    env = swiftpg.make_vec("TwoAction-v0", 8, seed=0, reward_left=1.0, reward_right=1.0)
    pol = swiftpg.policies.SoftmaxPolicy(1, 2, hidden_sizes=(), head_gain=0.0)
    cfg = A.ReinforceConfig(steps_per_iteration=64, baseline="none", normalize_advantages=True, optimizer="sgd",
                            learning_rate=0.01)
    learner = A.REINFORCE(env, pol, cfg)
    before = pol.get_params()
    learner.iterate()
    moved = np.abs(pol.get_params() - before).max()
    if not moved <= 0.0025 + 1e-12:
        raise Misbehaves(f"one step moved a logit parameter by {moved:.3g} (expected <= 0.0025)")


@entry("11", timeout=60)
def reinforce_mountaincar_gradient_norm():
    """REINFORCE with normalisation on MountainCar where every episode
    returns -200: the gradient norm stays moderate (not 1e8)."""
    import swiftpg
    A = swiftpg.algorithms
    cfg = A.ReinforceConfig(steps_per_iteration=400, baseline="none", normalize_advantages=True)
    learner = A.REINFORCE("MountainCar-v0", config=cfg, num_envs=2, hidden_sizes=(8,))
    stats = learner.iterate()
    if not stats.grad_norm < 1e4:
        raise Misbehaves(f"gradient norm {stats.grad_norm:.3g} on constant returns")


@entry("12")
def npg_trpo_zero_policy_gradient_still_fit_critic():
    """NPG and TRPO on constant rewards (a zero policy gradient): the policy
    step is skipped but the critic is trained and its real loss reported."""
    import numpy as np
    import swiftpg
    A = swiftpg.algorithms
    for cls in (A.NPG, A.TRPO):
        env = swiftpg.make_vec("TwoAction-v0", 4, seed=0, reward_left=1.0, reward_right=1.0)
        learner = cls(env, config=cls._config_class(steps_per_env=8, minibatch_size=0), hidden_sizes=(4,))
        before = learner.value.get_params()
        stats = learner.iterate()
        if stats.value_loss == 0.0 or np.array_equal(learner.value.get_params(), before):
            raise Misbehaves(f"{cls.__name__}: value loss {stats.value_loss}, critic "
                             f"{'unchanged' if np.array_equal(learner.value.get_params(), before) else 'moved'}")


@entry("12")
def npg_trpo_entropy_coef_has_an_effect():
    """NPG/TRPO accept entropy_coef: it must change the update."""
    import numpy as np
    import swiftpg
    A = swiftpg.algorithms
    for cls in (A.NPG, A.TRPO):
        results = []
        for coef in (0.0, 0.5):
            env = swiftpg.make_vec("CartPole-v1", 2, seed=0)
            pol = swiftpg.policies.SoftmaxPolicy(4, 2, hidden_sizes=(), seed=0)
            learner = cls(env, pol, cls._config_class(steps_per_env=16, minibatch_size=0, entropy_coef=coef, seed=1))
            learner.iterate()
            results.append(pol.get_params())
        if np.array_equal(results[0], results[1]):
            raise Misbehaves(f"{cls.__name__}: entropy_coef 0 and 0.5 give the same parameters")


# ================================================================= kind 13, 14

@entry("13")
def cartpole_state_after_termination():
    """After a terminating step of swiftpg.make("CartPole-v1"), get_state()
    and elapsed_steps describe the terminal state (until reset())."""
    import numpy as np
    import swiftpg
    env = swiftpg.make("CartPole-v1", seed=0)
    env.reset(seed=0)
    steps = 0
    while True:
        obs, _, terminated, truncated, _ = env.step(1)
        steps += 1
        if terminated or truncated:
            break
    state = env.get_state()
    if not np.allclose(state, np.asarray(obs, np.float64), atol=1e-6):
        raise Misbehaves(f"get_state() {state} is not the terminal observation {obs}")
    if env.elapsed_steps != steps:
        raise Misbehaves(f"elapsed_steps {env.elapsed_steps}, expected {steps}")


@entry("14")
def for_gymnasium_with_a_list_of_envs():
    """for_gymnasium("ppo", [env, env]) accepts the list (no AttributeError)."""
    import gymnasium
    import swiftpg
    envs = [gymnasium.make("CartPole-v1"), gymnasium.make("CartPole-v1")]
    try:
        learner = swiftpg.algorithms.for_gymnasium("ppo", envs, hidden_sizes=(4,))
    except swiftpg.SwiftPGError as e:
        raise Misbehaves(f"a list of envs was refused: {e}") from e
    except Exception as e:
        raise Misbehaves(f"{type(e).__name__}: {e}") from e
    learner.close()


# ================================================================= found by the fuzzers

@entry("fuzz")
def c_optimal_baseline_num_trajectories_2_31():
    """swiftpg_optimal_baseline with num_trajectories = 2**31 - 1 (the
    episode ids are all small): refused, not a 16 GiB allocation and abort
    (found by fuzz_c, seed 1)."""
    lib, _, _ = c_library()
    scores = (ctypes.c_double * 2)(0.1, -0.2)
    returns = (ctypes.c_double * 2)(1.0, 2.0)
    episodes = (ctypes.c_int32 * 2)(0, 1)
    baseline = (ctypes.c_double * 1)()
    gradient = (ctypes.c_double * 1)()
    status = lib.swiftpg_optimal_baseline(2, 1, ctypes.addressof(scores), ctypes.addressof(returns),
                                          ctypes.addressof(episodes), 2**31 - 1, 1, ctypes.addressof(baseline),
                                          ctypes.addressof(gradient))
    c_status_ok_or_refused(status, "num_trajectories 2^31-1")


@entry("fuzz")
def c_failed_gradient_calls_write_nothing():
    """swiftpg_scale_gradient / swiftpg_clip_gradient with a misaligned
    optional output fail, and must not have written gradient_out ("a failed
    call changes nothing"; found by fuzz_c)."""
    lib, _, _ = c_library()
    g = (ctypes.c_double * 2)(3.0, 4.0)
    out = (ctypes.c_double * 2)(-7.0, -7.0)
    raw = (ctypes.c_uint8 * 32)()
    misaligned = ctypes.addressof(raw) + 3
    status = lib.swiftpg_scale_gradient(2, ctypes.addressof(g), 1.0, ctypes.addressof(out), misaligned)
    if status == 0 or list(out) != [-7.0, -7.0]:
        raise Misbehaves(f"scale_gradient: status {status}, gradient_out {list(out)}")
    status = lib.swiftpg_clip_gradient(2, ctypes.addressof(g), -1.0, 1.0, ctypes.addressof(out), misaligned)
    if status == 0 or list(out) != [-7.0, -7.0]:
        raise Misbehaves(f"clip_gradient: status {status}, gradient_out {list(out)}")


@entry("fuzz", timeout=20)
def acrobot_huge_angle_then_step():
    """Acrobot-v1 with an angle of 1e300 set by set_state, or with
    link_length_1 = 1e10 / link_mass_2 = 1e100 (accepted parameters), then
    one step: must return (refused, or the angle wrapped in O(1)); today the
    step never returns (found by fuzz_c: env_step hung)."""
    import numpy as np
    import swiftpg
    for value in (1e300, 1e18, float(2**60)):
        env = swiftpg.make_vec("Acrobot-v1", 1, seed=0)
        env.reset()
        state = env.get_state()
        state[0, 0] = value
        try:
            env.set_state(state)
            env.step(np.array([0]))
        except swiftpg.SwiftPGError:
            pass
        env.close()
    for name, value in (("link_length_1", 1e10), ("link_mass_2", 1e100)):   # accepted parameters, first step
        env = swiftpg.make_vec("Acrobot-v1", 1, seed=0)
        try:
            env.set_parameter(name, value)
            env.reset(seed=0)
            env.step(np.array([2]))
        except swiftpg.SwiftPGError:
            pass
        env.close()


@entry("fuzz", timeout=30, memory_mb=4096)
def exact_solve_huge_finite_horizon():
    """exact.solve on a tabular MDP with horizon 2**31 - 1: refused (at
    creation or by solve) before allocating per-step tables (found by
    fuzz_c: a 16 GiB allocation; without a memory cap it runs for half a
    minute and aborts with "Object was retained too many times")."""
    import numpy as np
    import swiftpg
    P = np.full((3, 2, 3), 1 / 3)

    def solve():
        env = swiftpg.envs.tabular(P, np.zeros((3, 2)), np.full(3, 1 / 3), horizon=2**31 - 1)
        return swiftpg.exact.solve(env, swiftpg.policies.TabularSoftmaxPolicy(3, 2))["objective"]
    refused(solve)


@entry("fuzz", timeout=60)
def c_cancelled_evaluation_streams_what_finished():
    """swiftpg_policy_evaluate cancelled from another thread returns
    SWIFTPG_ERR_CANCELLED (found by fuzz_c --threads) and, as the header
    documents for streaming evaluation, has written exactly the episodes that
    finished: a prefix-free set of valid returns (CartPole: 1..500), the
    other entries untouched."""
    import threading
    lib, _, _ = c_library()
    env, pol = c_cartpole_and_linear_policy(lib)
    n = 1 << 20
    returns = (ctypes.c_double * n)(*([-7.0] * n))
    result = {}
    thread = threading.Thread(target=lambda: result.setdefault("status", lib.swiftpg_policy_evaluate(
        pol.value, env.value, n, 0, 0, ctypes.addressof(returns), None)))
    thread.start()
    time.sleep(0.2)
    lib.swiftpg_cancel(env.value, 1)
    thread.join()
    if result["status"] != -13:
        raise Misbehaves(f"the evaluation was not cancelled (status {result['status']})")
    bad = [x for x in returns if x != -7.0 and not (1 <= x <= 500 and x == int(x))]
    if bad:
        raise Misbehaves(f"the cancelled evaluation wrote invalid returns {bad[:5]}")


# ============================================================================================ runner

def run_entry(name: str) -> int:
    """Runs one entry in this process: 0 pass, 3 misbehaves."""
    import warnings
    os.chdir(tmpdir())          # relative paths an entry might write land in a temporary directory
    warnings.simplefilter("ignore")
    info = ENTRIES[name]
    try:
        info["fn"]()
    except Misbehaves as e:
        print(f"MISBEHAVES: {e}", flush=True)
        return 3
    except Exception as e:
        import traceback
        traceback.print_exc()
        print(f"MISBEHAVES: unexpected {type(e).__name__}: {e}", flush=True)
        return 3
    print("PASS", flush=True)
    return 0


def _limit(megabytes: int):
    def apply():
        os.setsid()
        limit = megabytes * 1024 * 1024
        # A sanitizer reserves terabytes of shadow address space: no cap there.
        if not os.environ.get("SWIFTPG_SANITIZER"):
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    return apply


def run_isolated(name: str, env: dict) -> dict:
    info = ENTRIES[name]
    start = time.monotonic()
    scratch = tempfile.mkdtemp(prefix="swiftpg-corpus-")          # removed even if the entry dies
    try:
        proc = subprocess.run([sys.executable, os.path.abspath(__file__), "--entry", name], capture_output=True,
                              text=True, timeout=info["timeout"], env=dict(env, SWIFTPG_CORPUS_TMP=scratch),
                              preexec_fn=_limit(info["memory_mb"]))
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        return dict(name=name, status="HANG", detail=f"no result after {info['timeout']:g} s {out[-200:]}",
                    seconds=time.monotonic() - start)
    finally:
        import shutil
        shutil.rmtree(scratch, ignore_errors=True)
    seconds = time.monotonic() - start
    if proc.returncode == 0:
        return dict(name=name, status="PASS", detail="", seconds=seconds)
    if proc.returncode == 3:
        lines = [l for l in proc.stdout.splitlines() if l.startswith("MISBEHAVES")]
        return dict(name=name, status="MISBEHAVES", detail=(lines[-1] if lines else proc.stdout[-300:]),
                    seconds=seconds)
    import signal as _signal
    how = (_signal.Signals(-proc.returncode).name if proc.returncode < 0 else f"exit status {proc.returncode}")
    key = [l for l in proc.stderr.splitlines() if "Fatal error" in l or "rror" in l][:2]
    return dict(name=name, status="DEATH", detail=f"{how}: {' | '.join(key) or proc.stderr[-300:]}",
                seconds=seconds)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--entry", help="run one entry in this process")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--only", nargs="*", help="run only these entries (isolated)")
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args(argv)
    if args.list:
        for name, info in ENTRIES.items():
            print(f"kind {info['kind']:>4}  {name}: {info['doc']}")
        return 0
    if args.entry:
        return run_entry(args.entry)
    import cabi
    library = cabi.private_copy()
    env = dict(os.environ, SWIFTPG_LIBRARY=library)
    names = args.only or list(ENTRIES)
    start = time.monotonic()
    print(f"[corpus] {len(names)} entries, library {cabi.describe_library(library)}", flush=True)
    results = []
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
            for r in pool.map(lambda n: run_isolated(n, env), names):
                results.append(r)
                print(f"[corpus] {r['status']:<10} kind {ENTRIES[r['name']]['kind']:>4} {r['name']} "
                      f"({r['seconds']:.1f} s){': ' + r['detail'] if r['detail'] else ''}", flush=True)
    finally:
        import shutil
        shutil.rmtree(os.path.dirname(library), ignore_errors=True)
    bad = [r for r in results if r["status"] != "PASS"]
    counts = {s: sum(r["status"] == s for r in results) for s in ("PASS", "MISBEHAVES", "DEATH", "HANG")}
    print(f"[corpus] {len(results)} entries in {time.monotonic() - start:.1f} s: " +
          ", ".join(f"{k.lower()} {v}" for k, v in counts.items()), flush=True)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
