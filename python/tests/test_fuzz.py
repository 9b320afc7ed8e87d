"""The reliability suite of issue 11: the seed corpus and both seeded
fuzzers (tools/fuzz/), each in subprocesses, with fixed seeds and call
budgets (about 30 s together on two cores). A process death (signal, abort,
Swift trap) or a hang fails the test; the fuzzers' output (calls made, calls
per function, deaths with their replay commands, findings) is printed.

Longer runs: ``make fuzz`` (``tools/fuzz/README.md``)."""

import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FUZZ = os.path.join(ROOT, "tools", "fuzz")
sys.path.insert(0, FUZZ)


def run_tool(script: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, os.path.join(FUZZ, script), *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout)
    print(proc.stdout[-12000:])
    if proc.stderr.strip():
        print(proc.stderr[-3000:])
    return proc


def calls_made(output: str) -> int:
    m = re.search(r"\] (\d+) calls in", output)
    assert m, "the fuzzer printed no summary"
    return int(m.group(1))


def test_every_header_function_has_a_generator():
    """fuzz_c.py enumerates Include/swiftpg.h; a function without a
    generator (one the generic generator cannot call safely) fails here."""
    import cabi
    import fuzz_c

    header = cabi.parse_header()
    declared = set(re.findall(r"\b(swiftpg_\w+)\s*\(", re.sub(r"/\*.*?\*/", "", open(cabi.HEADER).read(),
                                                                     flags=re.S)))
    assert set(header.functions) == declared, "the header parser missed declarations"
    _, missing = fuzz_c.coverage(header)
    assert not missing, f"header functions without a fuzz generator: {missing}"


def test_every_public_python_callable_is_fuzzed():
    proc = run_tool("fuzz_python.py", "--list", timeout=120)
    assert proc.returncode == 0, [l for l in proc.stdout.splitlines() if l.startswith("MISSING")]


def test_seed_corpus():
    """Every input of issue 11 (and every death the fuzzers found) behaves
    as documented, each entry in its own process."""
    proc = run_tool("corpus.py", timeout=300)
    assert proc.returncode == 0, "corpus entries died, hung or misbehaved:\n" + "\n".join(
        l for l in proc.stdout.splitlines() if re.search(r"\] (MISBEHAVES|DEATH|HANG)", l))


def test_c_abi_fuzzer():
    proc = run_tool("fuzz_c.py", "--seed", "1", "--calls", "30000", "--call-timeout", "20", "--max-deaths", "3",
                    timeout=240)
    assert proc.returncode == 0, "the C-ABI fuzzer killed the process (see DEATH / HANG above)"
    assert calls_made(proc.stdout) >= 30000


def test_python_api_fuzzer():
    proc = run_tool("fuzz_python.py", "--seed", "1", "--calls", "4000", "--call-timeout", "20", "--max-deaths", "3",
                    timeout=240)
    assert proc.returncode == 0, "the Python-API fuzzer killed the process (see DEATH / HANG above)"
    assert calls_made(proc.stdout) >= 4000
