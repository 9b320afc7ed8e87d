"""Every script in examples/ runs (fast configuration) and does what it says."""

import os
import subprocess
import sys

import pytest

from conftest import ROOT

EXAMPLES = sorted(f for f in os.listdir(os.path.join(ROOT, "examples")) if f.endswith(".py"))


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_runs(name):
    result = subprocess.run([sys.executable, os.path.join("examples", name), "--fast"], cwd=ROOT,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip()


def test_examples_exist():
    assert {"quickstart.py", "tabular_gridworld.py", "domain_randomization.py"} <= set(EXAMPLES)


def test_gridworld_example_simulation_matches_value_iteration():
    sys.path.insert(0, os.path.join(ROOT, "examples"))
    try:
        import tabular_gridworld
    finally:
        sys.path.pop(0)
    # Simulated return of the optimal policy vs its exact value: within 5 standard errors.
    difference, se = tabular_gridworld.main(fast=False)
    assert abs(difference) < 5 * se
