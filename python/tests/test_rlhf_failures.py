"""swiftpg.rlhf under overflow, cancellation and Ctrl-C (issue 15's
hardening): every failed call raises a clear error and changes nothing —
parameters, standardisation, optimiser — and Ctrl-C stops a long fit
between minibatches."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import swiftpg
from swiftpg import rlhf

RNG = np.random.default_rng(3)


def test_sampling_overflowing_logits_raises_numerical_error():
    pol = rlhf.SequencePolicy.neural(3, 3, 1, hidden_sizes=())
    pol.parameters = np.full(pol.num_params, 1e308)
    with pytest.raises(swiftpg.NumericalError, match="not finite"):
        pol.sample([0, 0])
    with pytest.raises(swiftpg.NumericalError):
        pol.greedy([0])
    pol.close()


def test_overflowing_reward_model_fits_are_numerical_errors_and_change_nothing():
    chosen, rejected = RNG.normal(size=(32, 3)), RNG.normal(size=(32, 3))
    m = rlhf.RewardModel(3)                 # linear: the gradients scale with the features
    theta = m.parameters
    with pytest.raises(swiftpg.NumericalError):
        m.fit(chosen * 1e307, rejected, epochs=2)   # gradients beyond Adam's range
    assert np.array_equal(m.parameters, theta) and not m.standardized
    m.parameters = np.full(m.num_params, 1e308)
    theta = m.parameters
    with pytest.raises(swiftpg.NumericalError, match="non-finite scores"):
        m.fit(chosen, rejected, standardize=True)
    assert np.array_equal(m.parameters, theta) and not m.standardized
    m.close()


def test_preference_loss_overflow_and_extreme_weights():
    with pytest.raises(swiftpg.NumericalError):
        rlhf.dpo_loss([-1.7e308], [1.7e308], [1.7e308], [-1.7e308])
    with pytest.raises(swiftpg.NumericalError):
        rlhf.ranking_loss([[1.7e308, -1.7e308]], [[0, 1]])
    # Only the ratios of the weights matter, from subnormal ones to ones whose sum overflows.
    args = ([-1.0, -1.2], [-2.0, -1.0], [-1.5, -1.5], [-1.5, -1.1])
    base = rlhf.dpo_loss(*args, weights=[2.0, 1.0])
    for w in (2.0 ** -1070, 1.5 * 2.0 ** 1023):      # subnormal; a pair whose sum overflows
        other = rlhf.dpo_loss(*args, weights=[w, w / 2])
        assert other[0]["loss"] == base[0]["loss"]
        assert np.array_equal(other[1], base[1]) and np.array_equal(other[2], base[2])
        assert all(abs(other[0][k] - base[0][k]) <= 1e-15 for k in base[0])


def test_dpo_with_huge_weights_trains_as_with_unit_weights():
    ref = rlhf.SequencePolicy.tabular(3, 1, 1)
    ref.parameters = RNG.normal(size=ref.num_params)
    tokens = (np.array([[0], [1]], np.int32), np.array([1, 1], np.int32))
    other = (np.array([[2], [0]], np.int32), np.array([1, 1], np.int32))
    results = []
    for w in (1.0, 1.5 * 2.0 ** 1023):          # the second pair sums beyond the Double range
        pol = ref.copy()
        with rlhf.DPO(pol, ref) as d:
            results.append((d.fit([0, 0], tokens, other, weights=[w, w / 2]), pol.parameters))
    assert np.array_equal(results[0][1], results[1][1])
    for a, b in zip(results[0][0], results[1][0]):
        assert all(abs(a[k] - b[k]) <= 1e-15 * max(1.0, abs(b[k])) for k in a)


def _interrupted(code: str) -> tuple[str, float]:
    """Runs ``code`` in a child Python, sends SIGINT 1.5 s after it prints
    "ready", and returns its output and the seconds it took to exit after
    the signal (asserting it exited cleanly)."""
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(1.5)
        start = time.monotonic()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
        stopped_after = time.monotonic() - start
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    return out, stopped_after


def test_ctrl_c_stops_a_long_reward_model_fit_and_changes_nothing():
    code = textwrap.dedent("""
        import numpy as np
        from swiftpg import rlhf
        g = np.random.default_rng(0)
        x, y = g.normal(size=(20000, 3)), g.normal(size=(20000, 3))
        m = rlhf.RewardModel(3, hidden_sizes=(32,))
        theta = m.parameters.copy()
        print("ready", flush=True)
        try:
            m.fit(x, y, epochs=1 << 20, standardize=True)
            print("finished?!", flush=True)
        except KeyboardInterrupt:
            print("interrupted", np.array_equal(m.parameters, theta), m.standardized, flush=True)
        m.fit(x[:64], y[:64], epochs=1)
        print("usable", flush=True)
    """)
    out, stopped_after = _interrupted(code)
    assert "interrupted True False" in out and "usable" in out, out
    assert stopped_after < 30   # between minibatches, not after 2^20 epochs


def test_ctrl_c_stops_a_long_online_fit_between_or_inside_iterations():
    # fit() hands batches of iterations to the worker thread; Ctrl-C must
    # still stop it promptly, with the interrupted iteration undone.
    code = textwrap.dedent("""
        from swiftpg import rlhf
        task = rlhf.Summarise()
        pol = rlhf.SequencePolicy.for_task(task, "neural")
        learner = rlhf.RLOO(pol, pol.copy(), task, beta=0.05, samples_per_prompt=4, prompts_per_iteration=64)
        print("ready", flush=True)
        try:
            learner.fit(1 << 24)
            print("finished?!", flush=True)
        except KeyboardInterrupt:
            done = learner.iteration
            print("interrupted", done > 0, learner.total_samples == done * 256, flush=True)
        learner.fit(3)
        print("usable", learner.iteration == done + 3, flush=True)
    """)
    out, stopped_after = _interrupted(code)
    assert "interrupted True True" in out and "usable True" in out, out
    assert stopped_after < 30
