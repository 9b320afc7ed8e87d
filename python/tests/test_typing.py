"""The package type-checks: mypy, with the configuration checked in
(python/pyproject.toml [tool.mypy]), reports no error on python/swiftpg,
and the same configuration does catch a misuse of the public API (so the
first test cannot pass by checking nothing). PEP 561: the package ships
``py.typed``. mypy runs in a subprocess; its cache is python/.mypy_cache
(git-ignored), so a second run takes a second."""

import importlib.util
import os
import subprocess
import sys
import textwrap

import pytest

PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIG = os.path.join(PYTHON_DIR, "pyproject.toml")

pytestmark = pytest.mark.skipif(importlib.util.find_spec("mypy") is None,
                                reason="mypy is not installed (tools/setup.sh --tests installs it)")


def mypy(*args: str) -> subprocess.CompletedProcess:
    # cwd = python/, so `swiftpg` is this checkout's package, not an installed one.
    env = dict(os.environ)
    env.pop("MYPYPATH", None)
    return subprocess.run([sys.executable, "-m", "mypy", "--config-file", CONFIG,
                           "--cache-dir", os.path.join(PYTHON_DIR, ".mypy_cache"), *args],
                          cwd=PYTHON_DIR, capture_output=True, text=True, timeout=300, env=env)


def test_mypy_reports_no_error_on_the_package():
    result = mypy()
    assert result.returncode == 0 and "Success: no issues found" in result.stdout, result.stdout + result.stderr


def test_the_configuration_catches_a_misuse_of_the_api(tmp_path):
    code = textwrap.dedent("""
        from swiftpg.rlhf_table import MethodResult
        from swiftpg.policies import SoftmaxPolicy

        def use(result: MethodResult, policy: SoftmaxPolicy) -> None:
            result.polcy
            policy.get_params(0)
    """)
    misuse = tmp_path / "misuse.py"
    misuse.write_text(code)
    result = mypy(str(misuse))
    assert result.returncode == 1, result.stdout + result.stderr
    assert '"MethodResult" has no attribute "polcy"' in result.stdout, result.stdout
    assert '"get_params" of "_Parameterised"' in result.stdout, result.stdout


def test_the_package_ships_the_pep_561_marker():
    assert os.path.isfile(os.path.join(PYTHON_DIR, "swiftpg", "py.typed"))
