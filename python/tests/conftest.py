import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# The fuzzers' helpers (tools/fuzz) are shared with the tests, e.g. the
# checkpoint container (checkpoint_file).
FUZZ = os.path.join(ROOT, "tools", "fuzz")
if FUZZ not in sys.path:
    sys.path.insert(0, FUZZ)


def run_isolated(code: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """Runs ``code`` in a fresh Python process (for calls that could crash
    the interpreter if swiftpg mishandled them)."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True, text=True, timeout=timeout, cwd=ROOT,
    )


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, "rep_" + report.when, report)
    return report


@pytest.fixture(autouse=True)
def no_leaked_handles(request):
    """Every passing test must release the native objects it created (a
    failing one keeps them alive through its traceback, so it is not checked)."""
    import gc

    import swiftpg

    gc.collect()
    before = swiftpg.live_handles()
    yield
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.passed:
        gc.collect()
        assert swiftpg.live_handles() == before, "native handles leaked"


def objective_gradient(owner, objective, h: float = 1e-6):
    """Central differences of ``objective()`` with respect to ``owner.params``
    (a policy or value function), restoring the parameters afterwards."""
    theta = owner.params
    numeric = np.empty_like(theta)
    try:
        for k in range(len(theta)):
            step = np.zeros_like(theta)
            step[k] = h
            owner.params = theta + step
            up = objective()
            owner.params = theta - step
            numeric[k] = (up - objective()) / (2 * h)
    finally:
        owner.params = theta
    return numeric
