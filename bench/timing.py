"""Timing shared by the benchmark scripts, including those that run under
another venv's interpreter (no imports beyond the standard library), and the
call of such a script from the swiftpg side."""

from __future__ import annotations

import json
import statistics
import subprocess
import time


def median_seconds(fn, repeats: int, min_seconds: float = 0.0) -> float:
    """The median over ``repeats`` repeats of the wall-clock seconds per call
    of ``fn()``; a repeat calls ``fn`` until ``min_seconds`` have passed (at
    least once), so that calls of a millisecond are not timed one by one."""
    times = []
    for _ in range(repeats):
        calls = 0
        start = time.perf_counter()
        while True:
            fn()
            calls += 1
            elapsed = time.perf_counter() - start
            if elapsed >= min_seconds:
                break
        times.append(elapsed / calls)
    return statistics.median(times)


def external_result(cmd, timeout: float, input: str | None = None, label: str | None = None):
    """Runs a script under another interpreter (``cmd``, ``input`` on its stdin) and returns its result, the JSON
    of its last line of output; None, with the reason printed, when it cannot run, times out (a hang) or fails."""
    label = label or " ".join(str(c) for c in cmd[1:2])
    try:
        done = subprocess.run(cmd, input=input, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        print(f"{label}: no answer in {timeout:.0f} s (hung?)")
        return None
    except OSError as e:
        print(f"{label} failed: {e}")
        return None
    if done.returncode != 0:
        print(f"{label} failed: {done.stderr[-2000:]}")
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def torch_side_result(cmd, timeout: float, input: str | None = None):
    """``external_result`` for a PyTorch-side script."""
    return external_result(cmd, timeout, input, label="PyTorch side")
