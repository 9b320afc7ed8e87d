import os
import subprocess
import sys
import textwrap

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


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
