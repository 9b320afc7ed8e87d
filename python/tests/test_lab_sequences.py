"""The estimator lab's sequence-level page (issue 16): the online learners'
gradient estimates against the exact gradient of the KL-regularised
objective. Unbiased estimators are within 5 standard errors of ∇J in every
component (with standard errors small enough that a 10 % bias would show),
GRPO's group-std division is biased beyond 5 standard errors where it must
be, GRPO's mean with β > 0 is that of its own objective (the k3 term's
reverse KL), RLOO beats plain REINFORCE at equal N when rewards have an
offset, and the report's figures are those of the kept estimates. Fixed seeds: every
figure is deterministic."""

import os
import sys

import numpy as np
import pytest

import swiftpg
from swiftpg import lab, rlhf

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
Z = 5.0              # |z| < 5 by chance fails with probability < 6e-7 per component
N, K = 16, 2000      # responses per estimate, estimates


def assert_unbiased(report, name):
    row = report[name]
    g = report.exact_gradient
    assert row["max_abs_z"] < Z, (name, row["z"])
    # ... and the test could fail: a bias of 10 % of |∇J| in any component would be beyond 5 SE.
    assert Z * row["standard_error"].max() < 0.1 * np.linalg.norm(g), (name, row["standard_error"])


@pytest.fixture(scope="module")
def kl_setting():
    """Two prompts, V = 2, L = 2 (7 responses each, lengths 1 and 2,
    truncation), β = 0.5 and a policy away from its reference, so the KL
    term of R = r − β log(π/π_ref) and of ∇J is not zero."""
    task = rlhf.ArrayTask(2, 2, [0.6, 0.4], [[0.2, 1.0, -0.5, 0.3, 0.8, -1.0, 0.1],
                                             [-0.4, 0.6, 0.0, 1.2, -0.2, 0.5, 0.9]])
    reference = rlhf.SequencePolicy.for_task(task)
    policy = reference.copy()
    policy.parameters = np.random.default_rng(0).normal(0, 0.7, policy.num_params)
    theta = policy.parameters
    report = lab.sequence_run(task, policy, reference, [
        "reinforce",
        lab.SequenceEstimator("reinforce", baseline="moving_average"),
        lab.SequenceEstimator("rloo", samples_per_prompt=2),
        lab.SequenceEstimator("rloo", samples_per_prompt=4),
        "remax",
        lab.SequenceEstimator("rebel", options={"eta": 0.25}),
    ], beta=0.5, responses_per_estimate=N, estimates=K, seed=1, keep_samples=True)
    assert np.array_equal(policy.parameters, theta)          # the policy is left as it was
    yield task, policy, reference, report
    for obj in (task, policy, reference):
        obj.close()


def test_reinforce_rloo_remax_are_unbiased_for_the_kl_regularised_gradient(kl_setting):
    *_, report = kl_setting
    J, g = rlhf.exact_objective(kl_setting[1], kl_setting[2], kl_setting[0], 0.5, gradient=True)
    assert report.exact_objective == J and np.array_equal(report.exact_gradient, g)
    for name in ("REINFORCE", "REINFORCE + moving-average baseline", "RLOO (k=2)", "RLOO (k=4)", "ReMax"):
        assert_unbiased(report, name)
    assert report["ReMax"]["decodes"] == N + N and report["RLOO (k=4)"]["prompts_per_estimate"] == N // 4
    assert report["REINFORCE + moving-average baseline"]["warmup_responses"] == 50 * N


def test_rebel_divided_by_4_eta_is_rloo_with_pairs(kl_setting):
    """At θ = θ_old REBEL's direction is (2η/G) Σ_pairs (R̂ − R̂′)(∇log π − ∇log π′):
    4η times RLOO (k = 2) on the same pairs (the lab shares them)."""
    *_, report = kl_setting
    rebel, rloo = report.samples["REBEL ÷ 4η"], report.samples["RLOO (k=2)"]
    assert np.allclose(rebel, rloo, rtol=1e-12, atol=1e-15)


def test_report_figures_are_those_of_the_kept_estimates(kl_setting):
    *_, report = kl_setting
    g = report.exact_gradient
    for row in report:
        s = report.samples[row["name"]]
        assert s.shape == (K, len(g)) and s.dtype == np.float64
        assert np.allclose(row["mean"], s.mean(axis=0), rtol=1e-12, atol=1e-15)
        assert row["total_variance"] == pytest.approx(s.var(axis=0, ddof=1).sum(), rel=1e-9)
        assert np.allclose(row["standard_error"], s.std(axis=0, ddof=1) / np.sqrt(K), rtol=1e-7, atol=1e-15)
        assert row["mse"] == pytest.approx(np.mean(np.sum((s - g) ** 2, axis=1)), rel=1e-9)
        cos = np.mean(s @ g / (np.linalg.norm(s, axis=1) * np.linalg.norm(g)))
        assert row["cosine"] == pytest.approx(cos, rel=1e-9)
        assert row["scale"] == pytest.approx(row["mean"] @ g / (g @ g), rel=1e-9)
    assert "REINFORCE" in str(report) and "decodes" in str(report)


@pytest.fixture(scope="module")
def offset_report():
    """β = 0, L = 1 (every response one token: no length weighting), two
    prompts whose rewards share an offset of 5 but differ in spread 20-fold
    (sd ≈ 1.2 against ≈ 0.08)."""
    task = rlhf.ArrayTask(2, 1, [0.5, 0.5], [[5.0, 6.0, 3.0], [5.1, 4.9, 5.0]])
    reference = rlhf.SequencePolicy.for_task(task)
    policy = reference.copy()
    policy.parameters = np.random.default_rng(0).normal(0, 0.5, policy.num_params)
    report = lab.sequence_run(task, policy, reference, [
        "reinforce",
        lab.SequenceEstimator("rloo", samples_per_prompt=2),
        lab.SequenceEstimator("rloo", samples_per_prompt=4),
        lab.SequenceEstimator("grpo", samples_per_prompt=4, scaling="group"),
        lab.SequenceEstimator("grpo", samples_per_prompt=4, scaling="none"),
    ], beta=0.0, responses_per_estimate=N, estimates=K, seed=1)
    for obj in (task, policy, reference):
        obj.close()
    return report


def test_group_std_scaling_is_biased_where_it_must_be(offset_report):
    """GRPO's advantage is (r_i − group mean)/(group std + ε). The exact
    gradient of prompt 1's parameters is about 20 times smaller than
    prompt 0's (its rewards spread 20 times less); dividing by each group's
    std puts both prompts on the same unit scale, so prompt 1's components
    come out an order of magnitude too large and prompt 0's too small —
    a bias that no constant factor removes. With β = 0 and one-token
    responses nothing else separates GRPO from RLOO but the advantage:
    without the division its mean is exactly (k − 1)/k ∇J (the group mean
    includes the sample itself), unbiased up to that scale; with it, it is
    not."""
    rep = offset_report
    grouped, plain = rep["GRPO (k=4, group std)"], rep["GRPO (k=4, no std)"]
    assert grouped["max_abs_z"] > Z
    assert grouped["max_abs_z_direction"] > Z          # not a scale: the direction is wrong
    assert plain["max_abs_z"] > Z                      # the (k − 1)/k shrinkage is detectable ...
    assert plain["max_abs_z_direction"] < Z            # ... and is all there is
    z = (plain["mean"] * 4 / 3 - rep.exact_gradient) / (plain["standard_error"] * 4 / 3)
    assert np.abs(z).max() < Z


def test_grpo_follows_its_own_objective_with_the_kl_term():
    """GRPO's second source of bias, measured: on one-token responses
    (tabular logits θ[x, token]) with β > 0 and π ≠ π_ref, the mean of its
    direction without the std division is w_x [(k − 1)/k · π ⊙ (r − E_π r)
    − β (π − π_ref)] per prompt x — the k3 term's expected gradient is
    ∇KL(π_ref ‖ π) = π − π_ref, not the ∇KL(π ‖ π_ref) of J. Within 5 SE of
    that, beyond 5 SE of ∇J."""
    beta, k = 0.7, 4
    task = rlhf.ArrayTask(3, 1, [0.3, 0.7], [[0.5, 1.0, -0.5, 0.2], [0.1, -0.3, 0.8, 0.4]])
    reference = rlhf.SequencePolicy.for_task(task)
    reference.parameters = np.random.default_rng(5).normal(0, 0.5, reference.num_params)
    policy = reference.copy()
    policy.parameters = reference.parameters + np.random.default_rng(6).normal(0, 0.6, policy.num_params)
    row = lab.sequence_run(task, policy, reference, lab.SequenceEstimator("grpo", samples_per_prompt=k, scaling="none"),
                           beta=beta, responses_per_estimate=N, estimates=K, seed=2)["GRPO (k=4, no std)"]
    expected = []
    for x, w in enumerate(task.prompt_probs):
        token_order = np.r_[1:task.vocab_size + 1, 0]               # canonical order puts EOS (token V) first
        p = np.exp(policy.exact_log_probs(x))[token_order]
        q = np.exp(reference.exact_log_probs(x))[token_order]
        r = task.reward_table(x)[token_order]
        expected.append(w * ((k - 1) / k * p * (r - p @ r) - beta * (p - q)))
    z = (row["mean"] - np.concatenate(expected)) / row["standard_error"]
    assert np.abs(z).max() < Z
    assert row["max_abs_z"] > Z
    for obj in (task, policy, reference):
        obj.close()


def test_rloo_unbiased_and_below_reinforce_variance_at_equal_n(offset_report):
    rep = offset_report
    for name in ("REINFORCE", "RLOO (k=2)", "RLOO (k=4)"):
        assert rep[name]["max_abs_z"] < Z, name
    for name in ("RLOO (k=2)", "RLOO (k=4)"):
        assert_unbiased(rep, name)
        # The offset of 5 multiplies every REINFORCE score; RLOO's leave-one-out baseline removes it.
        assert rep[name]["total_variance"] < 0.2 * rep["REINFORCE"]["total_variance"], name
        assert rep[name]["responses"] == rep["REINFORCE"]["responses"] == N


def test_same_seed_same_report_and_the_shorthands():
    task = rlhf.ArrayTask(2, 1, [1.0], [[0.0, 1.0, 0.5]])
    ref = rlhf.SequencePolicy.for_task(task)
    runs = [lab.sequence_run(task, ref, ref, "rloo", beta=0.1, responses_per_estimate=8, estimates=20, seed=s)
            for s in (4, 4, 5)]
    assert np.array_equal(runs[0]["RLOO (k=4)"]["mean"], runs[1]["RLOO (k=4)"]["mean"])
    assert not np.array_equal(runs[0]["RLOO (k=4)"]["mean"], runs[2]["RLOO (k=4)"]["mean"])
    assert isinstance(runs[0], lab.SequenceReport) and isinstance(runs[0], lab.Report)
    assert runs[0].responses_per_estimate == 8 and runs[0].estimates == 20 and runs[0].beta == 0.1
    assert lab.SequenceEstimator("grpo").name == "GRPO (k=4, group std)"
    assert lab.SequenceEstimator("grpo", scaling="batch", aggregation="token").name == \
        "GRPO (k=4, batch std, token mean)"
    task.close()
    ref.close()


def test_bad_arguments_are_refused_before_sampling():
    task = rlhf.ArrayTask(2, 1, [1.0], [[0.0, 1.0, 0.5]])
    ref = rlhf.SequencePolicy.for_task(task)
    run = lambda *a, **kw: lab.sequence_run(*a, **kw)          # noqa: E731
    with pytest.raises(swiftpg.InvalidArgumentError, match="whole groups"):
        run(task, ref, ref, "rloo", 0.1, responses_per_estimate=6, estimates=2)
    with pytest.raises(swiftpg.InvalidArgumentError, match="names must differ"):
        run(task, ref, ref, ["rloo", "rloo"], 0.1, estimates=2)
    with pytest.raises(swiftpg.InvalidArgumentError, match="beta"):
        run(task, ref, ref, "reinforce", -1.0, estimates=2)
    with pytest.raises(swiftpg.InvalidArgumentError, match="estimates"):
        run(task, ref, ref, "reinforce", 0.1, estimates=1)
    with pytest.raises(swiftpg.DTypeError):
        run(ref, ref, ref, "reinforce", 0.1)
    with pytest.raises(swiftpg.InvalidArgumentError, match="method"):
        lab.SequenceEstimator("dpo")
    with pytest.raises(swiftpg.InvalidArgumentError, match="applies to grpo"):
        lab.SequenceEstimator("rloo", scaling="none")
    with pytest.raises(swiftpg.InvalidArgumentError, match="k >= 2"):
        lab.SequenceEstimator("rloo", samples_per_prompt=1)
    with pytest.raises(swiftpg.InvalidArgumentError, match="k = 2"):
        lab.SequenceEstimator("rebel", samples_per_prompt=4)
    with pytest.raises(swiftpg.InvalidArgumentError, match="option 'beta'"):
        lab.SequenceEstimator("reinforce", options={"beta": 1.0})
    with pytest.raises(swiftpg.InvalidArgumentError, match="does not change"):   # it would be silently ignored
        lab.SequenceEstimator("rloo", options={"missing_eos_penalty": 5.0})
    task.close()
    ref.close()


def test_the_example_page():
    """examples/estimator_lab.py --sequences (fast): the unbiased rows within
    5 SE, both GRPO rows beyond, and the baselines' variance below plain
    REINFORCE's."""
    sys.path.insert(0, os.path.join(ROOT, "examples"))
    try:
        import estimator_lab
    finally:
        sys.path.pop(0)
    rep = estimator_lab.sequences(fast=True)
    for name in ("REINFORCE", "REINFORCE + moving-average baseline", "RLOO (k=2)", "RLOO (k=4)", "RLOO (k=8)",
                 "ReMax", "REBEL ÷ 4η"):
        assert rep[name]["max_abs_z"] < Z, name
    for name in ("GRPO (k=4, group std)", "GRPO (k=4, no std)"):
        assert rep[name]["max_abs_z"] > Z, name
    for name in ("REINFORCE + moving-average baseline", "RLOO (k=4)", "RLOO (k=8)"):
        assert rep[name]["total_variance"] < 0.5 * rep["REINFORCE"]["total_variance"], name
