"""The C ABI contract: header ↔ exported symbols ↔ Python declarations."""

import os
import re
import shutil
import subprocess

import pytest

import swiftpg
from swiftpg import _lib
from conftest import ROOT

# `make sanitize` runs these tests against an AddressSanitizer build that links
# the Swift runtime dynamically (and exports the sanitizer's symbols).
shipped_build_only = pytest.mark.skipif(bool(os.environ.get("SWIFTPG_SANITIZER")),
                                        reason="checks the shipped build, not the sanitizer build")


def header_functions():
    text = open(os.path.join(ROOT, "Include", "swiftpg.h")).read()
    return sorted(set(re.findall(r"\b(swiftpg_[a-z0-9_]+)\s*\(", text)))


@shipped_build_only
@pytest.mark.skipif(shutil.which("nm") is None, reason="needs nm (binutils)")
def test_header_matches_exported_symbols():
    out = subprocess.run(["nm", "-D", "--defined-only", swiftpg.LIBRARY_PATH],
                         capture_output=True, text=True, check=True).stdout
    exported = sorted({line.split()[-1] for line in out.splitlines() if line.split()[-1].startswith("swiftpg_")})
    assert exported == header_functions()
    # Nothing but the C ABI is exported (the Swift runtime is linked statically).
    all_text = [l.split()[-1] for l in out.splitlines() if l.split()[1] in ("T", "W")]
    assert all(name.startswith("swiftpg_") for name in all_text), [n for n in all_text if not n.startswith("swiftpg_")][:5]


def test_python_declares_every_header_function():
    assert _lib.DECLARED == header_functions()


def test_abi_version_and_status_strings():
    assert _lib.abi_version() == _lib.ABI_VERSION
    assert _lib.lib.swiftpg_status_string(-3) == b"bad handle"
    assert _lib.lib.swiftpg_status_string(12345) == b"unknown status code"


def test_status_constants_match_header():
    text = open(os.path.join(ROOT, "Include", "swiftpg.h")).read()
    defines = dict(re.findall(r"#define (SWIFTPG_ERR_[A-Z_]+) (-?\d+)", text))
    for name, value in defines.items():
        assert getattr(_lib, name[len("SWIFTPG_"):]) == int(value), name


@shipped_build_only
@pytest.mark.skipif(shutil.which("ldd") is None, reason="needs ldd")
def test_library_needs_no_swift_toolchain():
    out = subprocess.run(["ldd", swiftpg.LIBRARY_PATH], capture_output=True, text=True, check=True).stdout
    assert "swift" not in out.lower(), out


@shipped_build_only
def test_imports_with_an_empty_environment():
    """`import swiftpg` works with no LD_LIBRARY_PATH or toolchain on PATH."""
    import sys

    code = "import swiftpg; e = swiftpg.make_vec('CartPole-v1', 2, seed=0); print(e.reset()[0].shape)"
    result = subprocess.run(["env", "-i", "PATH=/usr/bin:/bin", sys.executable, "-c", code],
                            capture_output=True, text=True, cwd="/")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "(2, 4)"


def test_library_override_environment_variable(tmp_path):
    """SWIFTPG_LIBRARY picks the library; a wrong path is a clear ImportError."""
    import sys

    copy = tmp_path / "libswiftpg-copy.so"
    shutil.copy(swiftpg.LIBRARY_PATH, copy)
    code = "import swiftpg; print(swiftpg.LIBRARY_PATH)"
    ok = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                        env={**os.environ, "SWIFTPG_LIBRARY": str(copy)})
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.strip() == str(copy)
    bad = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "SWIFTPG_LIBRARY": str(tmp_path / "missing.so")})
    assert bad.returncode != 0 and "SWIFTPG_LIBRARY" in bad.stderr and "ImportError" in bad.stderr
