"""The wheel (issue 21): tagged for the platform (never py3-none-any), with
the library, LICENSE and py.typed; building it without the library fails
with a message; installed into a fresh virtual environment it imports and
runs a rollout. Builds from a copy of python/ in a temporary folder, so the
checkout gets no build/ or egg-info."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

PYTHON_DIR = Path(__file__).resolve().parents[1]
LIBRARY = PYTHON_DIR / "swiftpg" / "libswiftpg.so"


def _source_copy(dest: Path, library: bytes | None = None, gamestate: bool = False) -> Path:
    """python/ without tests and build leftovers; ``library``: replace the
    library by these bytes (None: the real one; b"": no library)."""
    src = dest / "src"
    shutil.copytree(PYTHON_DIR, src, ignore=shutil.ignore_patterns(
        "tests", "__pycache__", "build", "*.egg-info", "*.new", ".pytest_cache", "_gamestate*.so",
        *(["libswiftpg.so"] if library is not None else [])))
    if library:
        (src / "swiftpg" / "libswiftpg.so").write_bytes(library)
    if gamestate:
        (src / "swiftpg" / "_gamestate.cpython-311-x86_64-linux-gnu.so").write_bytes(b"not a real module")
    return src


def _build(src: Path, out: Path, pip: bool = True) -> subprocess.CompletedProcess:
    """``pip wheel`` (what users run) or, faster, setup.py's bdist_wheel
    (the same command class)."""
    if pip:
        cmd = [sys.executable, "-m", "pip", "wheel", "--no-build-isolation", "--no-deps", "--no-index", "-q",
               str(src), "-w", str(out)]
    else:
        cmd = [sys.executable, "setup.py", "-q", "bdist_wheel", "-d", str(out)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=src)


def _clean_env() -> dict:
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "SWIFTPG_LIBRARY")}


@pytest.mark.skipif(not LIBRARY.exists(), reason="the library is not built (make lib)")
def test_wheel_installs_into_a_fresh_venv_and_runs(tmp_path):
    src = _source_copy(tmp_path)
    assert (src / "LICENSE").is_file() and not (src / "LICENSE").is_symlink()
    proc = _build(src, tmp_path / "dist")
    assert proc.returncode == 0, proc.stderr
    [wheel] = list((tmp_path / "dist").glob("*.whl"))
    assert wheel.name == "swiftpg-0.1.0-py3-none-linux_x86_64.whl"
    names = zipfile.ZipFile(wheel).namelist()
    assert {"swiftpg/libswiftpg.so", "swiftpg/py.typed", "swiftpg/sb3.py", "swiftpg/hyperparams/ppo.yml",
            "swiftpg-0.1.0.dist-info/LICENSE"} <= set(names)
    license_text = zipfile.ZipFile(wheel).read("swiftpg-0.1.0.dist-info/LICENSE").decode()
    assert license_text.startswith("MIT License")

    # auditwheel (installed by `make test`) makes it a manylinux wheel that bundles OpenBLAS and its
    # Fortran runtime (as `make wheel` does): that is the wheel installed below.
    bundled = shutil.which("patchelf") is not None and importlib.util.find_spec("auditwheel") is not None
    if bundled:
        proc = subprocess.run([sys.executable, "-m", "auditwheel", "repair", str(wheel), "-w",
                               str(tmp_path / "repaired")], capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr
        [wheel] = list((tmp_path / "repaired").glob("*.whl"))
        assert re.fullmatch(r"swiftpg-0\.1\.0-py3-none-manylinux_2_\d+_x86_64\.whl", wheel.name), wheel.name
        libs = [n for n in zipfile.ZipFile(wheel).namelist() if n.startswith("swiftpg.libs/")]
        assert any("libopenblas" in n for n in libs), libs

    # A fresh venv (system site-packages for numpy and Gymnasium: no network),
    # the wheel installed into it, run from a folder without the checkout.
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)], check=True,
                   timeout=120)
    python = str(venv / "bin" / "python")
    proc = subprocess.run([sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps", "--no-index",
                           str(wheel)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    code = """
import importlib.metadata, importlib.resources, sys
import numpy as np
import swiftpg
assert swiftpg.__file__.startswith(sys.prefix), swiftpg.__file__
assert swiftpg.LIBRARY_PATH.startswith(sys.prefix), swiftpg.LIBRARY_PATH
assert importlib.resources.files("swiftpg").joinpath("py.typed").is_file()
assert importlib.metadata.metadata("swiftpg")["License"] == "MIT"
env = swiftpg.make_vec("CartPole-v1", num_envs=4, seed=0)
obs, info = env.reset()
total = 0.0
for t in range(100):
    obs, rew, terminated, truncated, info = env.step(np.zeros(4, np.int32) + t % 2)
    total += rew.sum()
import gymnasium
ep = gymnasium.make("swiftpg/CartPole-v1")
ep.reset(seed=0)
learner = swiftpg.algorithms.PPO("CartPole-v1", num_envs=2, hidden_sizes=(8,),
                                 config=swiftpg.algorithms.PPOConfig(steps_per_env=8, minibatch_size=8, epochs=1))
learner.iterate()                                      # BLAS-backed network passes
blas = sorted({line.split()[-1] for line in open("/proc/self/maps") if "openblas" in line})
print("rollout", total, swiftpg.__file__, "blas", *blas)
"""
    proc = subprocess.run([python, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=_clean_env(),
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("rollout 400.0 ") and str(venv) in proc.stdout
    blas = proc.stdout.split(" blas ")[-1].split()
    assert blas, proc.stdout
    if bundled:  # the bundled OpenBLAS, not the system's (numpy maps its own, which is fine)
        assert any("/swiftpg.libs/" in path and path.startswith(str(venv)) for path in blas), blas
        assert not any(path.startswith(("/usr/", "/lib")) for path in blas), blas


def test_wheel_without_the_library_fails_clearly(tmp_path):
    proc = _build(_source_copy(tmp_path, library=b""), tmp_path / "dist", pip=False)
    assert proc.returncode != 0
    assert "libswiftpg.so is missing" in proc.stdout + proc.stderr and "make lib" in proc.stdout + proc.stderr
    assert not list((tmp_path / "dist").glob("*.whl")) if (tmp_path / "dist").exists() else True


def test_wheel_with_the_extension_module_is_tagged_for_cpython(tmp_path):
    # The games' optional CPython extension (_gamestate*.so, built by the
    # Makefile) is shipped, and the wheel then names the CPython ABI.
    proc = _build(_source_copy(tmp_path, library=b"stand-in library", gamestate=True), tmp_path / "dist", pip=False)
    assert proc.returncode == 0, proc.stderr
    [wheel] = list((tmp_path / "dist").glob("*.whl"))
    tag = f"cp{sys.version_info.major}{sys.version_info.minor}"
    assert wheel.name == f"swiftpg-0.1.0-{tag}-{tag}-linux_x86_64.whl"
    assert "swiftpg/_gamestate.cpython-311-x86_64-linux-gnu.so" in zipfile.ZipFile(wheel).namelist()
