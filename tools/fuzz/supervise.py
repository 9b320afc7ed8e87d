"""Runs fuzz workers in child processes and turns their deaths into reports.

A worker prints one line per call *before* making it (``C <index> <text>``)
and flushes, so when the process is killed by a signal, an abort or a Swift
trap, the supervisor still holds the call that killed it. Other lines:
``F <json>`` a finding that is not a death (wrong exception type, unexpected
status, ...), ``S <json>`` the worker's final statistics.

The supervisor restarts a dead worker with a derived seed until the call or
time budget is spent (at most ``max_deaths`` deaths), kills a worker whose
current call runs longer than ``call_timeout`` seconds (a hang), and prints
a summary: calls made, calls per second, calls per function, every death
and hang with its last call and a command that replays it, and the findings.
Exit status: 0 when no worker died or hung, 1 otherwise.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import resource
import select
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback

INTERNAL_ERROR = 70          # a worker's own bug (not the library's): reported separately


def add_common_arguments(ap: argparse.ArgumentParser, *, default_calls: int, call_timeout: float) -> None:
    """The options of every fuzzer: seed, budgets, limits, output, worker mode."""
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--calls", type=int, default=None, help=f"call budget (default {default_calls} unless --seconds)")
    ap.add_argument("--seconds", type=float, default=None, help="time budget")
    ap.add_argument("--call-timeout", type=float, default=call_timeout, help="a call running longer is a hang")
    ap.add_argument("--memory-mb", type=int, default=8192, help="address-space limit of a worker (0: none)")
    ap.add_argument("--max-deaths", type=int, default=25)
    ap.add_argument("--verbose", action="store_true", help="echo every call")
    ap.add_argument("--trace", action="store_true", help="also print each call's status and message (R lines)")
    ap.add_argument("--worker", action="store_true", help="make the calls in this process (replay)")
    ap.add_argument("--tmp", default=None, help=argparse.SUPPRESS)
    ap.set_defaults(default_calls=default_calls)


def parse_arguments(ap: argparse.ArgumentParser, argv=None) -> argparse.Namespace:
    """``ap.parse_args(argv)`` with the default call budget applied when
    neither --calls nor --seconds is given."""
    args = ap.parse_args(argv)
    if args.calls is None and args.seconds is None:
        args.calls = args.default_calls
    return args


def worker_directory(tmp: str | None, prefix: str) -> str:
    """Makes the worker's scratch directory (``tmp``, or a new one removed at
    exit) the working directory, so that nothing a fuzzed call writes (e.g.
    a relative path) lands in the working tree."""
    path = tmp or tempfile.mkdtemp(prefix=prefix)
    if not tmp:
        import atexit
        atexit.register(shutil.rmtree, path, True)
    os.chdir(path)
    return path


def run_calls(fz, names: list[str], rng, calls: int | None, seconds: float | None) -> int:
    """A worker's loop: ``fz.call_one`` on names drawn by ``rng`` until the
    call or time budget is spent, then ``fz.teardown()`` and the ``S``
    statistics line. An exception of the fuzzer itself is INTERNAL_ERROR."""
    deadline = time.monotonic() + seconds if seconds else None
    try:
        while (calls is None or fz.calls < calls) and (deadline is None or time.monotonic() < deadline):
            fz.call_one(rng.choice(names))
    except Exception:
        traceback.print_exc()
        sys.stdout.flush()
        return INTERNAL_ERROR
    fz.teardown()
    print("S " + json.dumps({"calls": fz.calls}), flush=True)
    return 0


def worker_seed(seed: int, restart: int) -> int:
    return seed if restart == 0 else (seed * 1_000_003 + restart * 7919) % (1 << 62)


def deterministic_hashing() -> None:
    """Re-executes this process with PYTHONHASHSEED=0 (set and dict orders,
    hence the fuzzer's choices, then repeat exactly in a replay)."""
    if os.environ.get("PYTHONHASHSEED") != "0":
        os.environ["PYTHONHASHSEED"] = "0"
        os.execv(sys.executable, [sys.executable] + sys.argv)


def limit_memory(megabytes: int) -> None:
    """Caps this process's address space (so an allocation sized by a bad
    input fails inside the process instead of exhausting the machine) and
    disables core dumps."""
    if megabytes > 0 and not os.environ.get("SWIFTPG_SANITIZER"):   # sanitizers reserve huge shadow memory
        limit = megabytes * 1024 * 1024
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if soft == resource.RLIM_INFINITY or soft > limit:
            resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _limit_memory(megabytes: int):
    def apply():
        os.setsid()
        limit_memory(megabytes)
    return apply


def _signal_name(code: int) -> str:
    if code < 0:
        try:
            return signal.Signals(-code).name
        except ValueError:
            return f"signal {-code}"
    return f"exit status {code}"


class Outcome:
    def __init__(self):
        self.calls = 0
        self.per_function: collections.Counter = collections.Counter()
        self.deaths: list[dict] = []
        self.hangs: list[dict] = []
        self.internal: list[dict] = []
        self.findings: collections.OrderedDict = collections.OrderedDict()
        self.workers = 0
        self.seconds = 0.0

    def add_finding(self, f: dict) -> None:
        key = f.get("key") or json.dumps(f, sort_keys=True)[:200]
        if key in self.findings:
            self.findings[key]["count"] += 1
        else:
            f = dict(f)
            f["count"] = 1
            self.findings[key] = f


def run_worker(command: list[str], *, calls_left: int | None, deadline: float | None, call_timeout: float,
               memory_mb: int, verbose: bool, outcome: Outcome, env: dict | None = None):
    """Runs one worker; returns (status, last_call_line, stderr_tail, seconds)."""
    err = tempfile.TemporaryFile()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=err, preexec_fn=_limit_memory(memory_mb),
                            env=env)
    fd = proc.stdout.fileno()
    os.set_blocking(fd, False)
    pending = b""
    last_call = None
    recent = collections.deque(maxlen=8)
    last_progress = time.monotonic()
    hung = False
    start = time.monotonic()
    made = 0
    while True:
        ready, _, _ = select.select([fd], [], [], 0.25)
        if ready:
            try:
                chunk = os.read(fd, 1 << 16)
            except BlockingIOError:
                chunk = None
            if chunk == b"":
                break
            if chunk:
                pending += chunk
                *lines, pending = pending.split(b"\n")
                for raw in lines:
                    line = raw.decode("utf-8", "replace")
                    if line.startswith("C "):
                        last_call = line
                        recent.append(line)
                        last_progress = time.monotonic()
                        made += 1
                        outcome.calls += 1
                        parts = line.split(" ", 3)
                        if len(parts) >= 3:
                            outcome.per_function[parts[2].split("(", 1)[0].split("[", 1)[0]] += 1
                        if verbose:
                            print(line, flush=True)
                    elif line.startswith("B "):
                        last_call = line + " (while building this call's arguments)"
                        last_progress = time.monotonic()
                    elif line.startswith("F "):
                        try:
                            outcome.add_finding(json.loads(line[2:]))
                        except json.JSONDecodeError:
                            outcome.add_finding({"key": line[:200], "text": line})
                        if verbose:
                            print(line, flush=True)
                    elif line.startswith("S ") or (line.startswith("R ") and not verbose):
                        pass
                    elif line.strip():
                        print(line, flush=True)
        now = time.monotonic()
        # No progress for call_timeout, or past the budget plus a grace
        # period: the worker hangs and is stopped.
        if now - last_progress > call_timeout or (
                deadline is not None and now > deadline + max(30.0, call_timeout)):
            hung = True
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            break
    code = proc.wait()
    err.seek(0)
    stderr = err.read().decode("utf-8", "replace")
    err.close()
    if len(stderr) > 4000:
        stderr = stderr[:2500] + "\n...\n" + stderr[-1500:]
    return ("hang" if hung else code), last_call, stderr, time.monotonic() - start, made, list(recent)[:-1]


def supervise(*, label: str, script: str, seed: int, calls: int | None, seconds: float | None,
              call_timeout: float, memory_mb: int, max_deaths: int, verbose: bool, extra: list[str],
              env: dict | None = None, replay_extra: list[str] | None = None, strict: bool = False) -> int:
    """Runs workers of ``script`` (invoked as ``script --worker --seed S
    [--calls N] [--seconds T] [--tmp DIR] extra...``) until the budget is
    spent; prints the summary; returns the exit status."""
    outcome = Outcome()
    replay_extra = extra if replay_extra is None else replay_extra
    start = time.monotonic()
    deadline = start + seconds if seconds else None
    tmp_root = tempfile.mkdtemp(prefix=f"swiftpg-{label}-")
    restart = 0
    try:
        while True:
            left = None if calls is None else calls - outcome.calls
            if left is not None and left <= 0:
                break
            if deadline is not None and time.monotonic() >= deadline:
                break
            ws = worker_seed(seed, restart)
            work_dir = os.path.join(tmp_root, f"w{restart}")
            os.makedirs(work_dir, exist_ok=True)
            command = [sys.executable, script, "--worker", "--seed", str(ws), "--tmp", work_dir] + extra
            if left is not None:
                command += ["--calls", str(left)]
            if deadline is not None:
                command += ["--seconds", f"{max(0.1, deadline - time.monotonic()):.1f}"]
            before = outcome.calls
            status, last_call, stderr, _, made, context = run_worker(
                command, calls_left=left, deadline=deadline, call_timeout=call_timeout, memory_mb=memory_mb,
                verbose=verbose, outcome=outcome, env=env)
            outcome.workers += 1
            shutil.rmtree(work_dir, ignore_errors=True)
            if status == 0:
                if made == 0 and left:
                    break          # nothing more to do (should not happen)
                restart += 1
                continue
            index = None
            if last_call:
                try:
                    index = int(last_call.split(" ", 2)[1])
                except (IndexError, ValueError):
                    index = None
            replay = ["python", os.path.relpath(script)] + ["--worker", "--seed", str(ws)] + replay_extra
            if index is not None:
                replay += ["--calls", str(index + 1)]
            record = {
                "worker_seed": ws,
                "call_index": index,
                "last_call": last_call[2:].split(" ", 1)[1] if last_call and " " in last_call[2:] else last_call,
                "stderr": stderr.strip(),
                "replay": " ".join(shlex.quote(c) for c in replay),
                "calls_in_worker": outcome.calls - before,
                "context": context,
            }
            if status == "hang":
                record["how"] = f"no progress for {call_timeout:g} s (killed)"
                outcome.hangs.append(record)
            elif status == INTERNAL_ERROR:
                record["how"] = "fuzzer internal error"
                outcome.internal.append(record)
            else:
                record["how"] = _signal_name(status)
                outcome.deaths.append(record)
            if len(outcome.deaths) + len(outcome.hangs) + len(outcome.internal) >= max_deaths:
                print(f"[{label}] stopping after {max_deaths} deaths/hangs", flush=True)
                break
            restart += 1
    finally:
        shutil.rmtree(tmp_root, ignore_errors=True)
    outcome.seconds = time.monotonic() - start
    code = report(label, outcome)
    if code == 0 and strict and outcome.findings:
        return 2
    return code


def _stderr_summary(text: str) -> list[str]:
    """The lines of a dead worker's stderr that say why (a Swift fatal
    error, a Python exception), else its last lines."""
    lines = [l for l in text.splitlines() if l.strip()]
    key = [l for l in lines if any(w in l for w in ("Fatal error", "fatal error", "Error", "error:", "Assertion",
                                                      "Traceback", "Killed", "Segmentation"))]
    return (key[:4] or lines[-4:])[:4]


def report(label: str, o: Outcome) -> int:
    rate = o.calls / o.seconds if o.seconds > 0 else 0.0
    print(f"[{label}] {o.calls} calls in {o.seconds:.1f} s ({rate:.0f} calls/s), {o.workers} worker(s), "
          f"{len(o.per_function)} functions called", flush=True)
    width = max((len(k) for k in o.per_function), default=10)
    items = sorted(o.per_function.items())
    print(f"[{label}] calls per function:")
    for i in range(0, len(items), 3):
        print("    " + "  ".join(f"{k:<{width}} {v:>6}" for k, v in items[i:i + 3]))
    for title, rows in (("DEATH", o.deaths), ("HANG", o.hangs), ("FUZZER ERROR", o.internal)):
        for r in rows:
            print(f"[{label}] {title} ({r['how']}) at call #{r['call_index']} (worker seed {r['worker_seed']}):")
            for line in r.get("context", [])[-4:]:
                print(f"    before:    {line[:220]}")
            print(f"    last call: {r['last_call']}")
            if r["stderr"]:
                print("    stderr:    " + "\n               ".join(_stderr_summary(r["stderr"])))
            print(f"    replay:   {r['replay']}")
    if o.findings:
        print(f"[{label}] {len(o.findings)} distinct finding(s) (not deaths):")
        for f in o.findings.values():
            text = f.get("text") or json.dumps(f)
            print(f"    [{f['count']}x] {text[:600]}")
    sites = collections.Counter()
    for r in o.deaths + o.hangs:
        call = (r["last_call"] or "?").split("(", 1)[0].split("[", 1)[0]
        why = (_stderr_summary(r["stderr"]) or [r["how"]])[0][:120] if r["stderr"] else r["how"]
        sites[f"{call}: {why}"] += 1
    if sites:
        print(f"[{label}] distinct death/hang sites:")
        for site, n in sites.most_common():
            print(f"    [{n}x] {site}")
    deaths = len(o.deaths) + len(o.hangs)
    print(f"[{label}] deaths: {len(o.deaths)}, hangs: {len(o.hangs)}, fuzzer errors: {len(o.internal)}, "
          f"findings: {len(o.findings)}", flush=True)
    return 0 if deaths == 0 and not o.internal else 1
