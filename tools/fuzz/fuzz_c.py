#!/usr/bin/env python3
"""Seeded fuzzer of swiftpg's C ABI, through ctypes.

Every ``swiftpg_*`` function declared in Include/swiftpg.h is enumerated from
the header (with its parameter types and the layouts of the config structs),
and each has a generator below that builds a call: valid handles of every
kind made through the API, then — in most calls — some arguments replaced by
0 / destroyed / garbage / wrong-kind handles, NULL or misaligned pointers,
bad counts (0, 1, -1, 2^31-1, 2^63-1, wrong documented lengths), out-of-range
enums, NaN/inf/huge doubles, random config structs, mutated checkpoint files
and bad paths. A run fails if the process dies (signal, abort, Swift trap) or
a call hangs; other contract breaches are reported as findings: a status
code the header does not define, a failed call that wrote to an output or
left no last-error message, a live-handle count that disagrees with the
handles the fuzzer holds (a leak).

Undefined behaviour is never generated on purpose: C cannot check the length
of a buffer, so every buffer is allocated with the length the header
documents (derived from the objects' sizes and the count arguments); a count
argument is made wrong only where the library must refuse it (it is compared
with an object's size — get/set params, KL ``count`` —, it is a capacity of
a text buffer, it is negative, or the product it implies overflows), or it is
above the library's size caps (listed in ``IMPLEMENTATION_CAPS``) with a
buffer that would be valid for the smaller count. Pointers are never wild:
only NULL, valid, or valid + 1..7 bytes (misaligned). Paths all live under a
private temporary directory.

Usage::

    python tools/fuzz/fuzz_c.py --seed 1 --calls 20000       # supervised
    python tools/fuzz/fuzz_c.py --seconds 600                 # make fuzz
    python tools/fuzz/fuzz_c.py --list                        # functions and generators
    python tools/fuzz/fuzz_c.py --worker --seed S --calls N   # replay one worker in-process

The supervised mode runs the calls in child processes (restarted after a
death) and prints calls made, calls/s, calls per function, and every death
with the call that caused it and the exact replay command.
"""

from __future__ import annotations

# Status codes with documented output behaviour (Include/swiftpg.h).
NUMERICAL = -10
CANCELLED = -13

import argparse
import contextlib
import ctypes
import json
import math
import os
import random
import re
import shutil
import struct
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cabi  # noqa: E402
from checkpoint_file import encode as checkpoint_bytes, fnv1a64, seal, try_decode  # noqa: E402
import supervise  # noqa: E402

NAN, INF = float("nan"), float("inf")

#: Size caps of the current implementation (not documented in the header).
#: Counts above these are generated with buffers sized for a small valid
#: count: the library refuses them today. If a cap is raised, update it here.
IMPLEMENTATION_CAPS = {
    "policy batch": 1 << 26,                # Sources/SwiftPGCAPI/Support.swift checkBatch
    "estimator steps/num_envs": 1 << 26,    # EstimatorAPI.swift rollout(), samples()
    "estimator num_params": 1 << 24,        # EstimatorAPI.swift (optimal baseline, finite differences)
    "gradient num_params": 1 << 30,         # EstimatorAPI.swift gradientArrays (scale/clip gradient)
    "regression sizes": (1 << 16, 1 << 12), # EstimatorAPI.swift (perturbations, params)
    "pg_update steps*lanes": 1 << 24,       # PolicyGradientAPI.swift
    "evaluate episodes": 1 << 24,           # Algorithms/Evaluation.swift
    "num_hidden": 64,                       # PolicyAPI.swift hiddenLayers
}

I32_BIG = [2**31 - 1, 2**30]                 # sizes no implementation may allocate
I64_BAD = [-1, -(2**63), 2**31 - 1, 2**62, 2**63 - 1]
DOUBLE_EXTREMES = [NAN, INF, -INF, -0.0, 0.0, 1e308, -1e308, 5e-324, -5e-324, 1e-300, 1e300, -1.0, 2.0, 1e6]
U64_EXTREMES = [0, 1, 2**32, 2**63, 2**64 - 1]


def _load_bundle_module():
    """python/swiftpg/_bundle.py, loaded by path (importing the swiftpg
    package would load another copy of the library)."""
    import importlib.util
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python", "swiftpg", "_bundle.py")
    spec = importlib.util.spec_from_file_location("swiftpg_bundle_format", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bundle = _load_bundle_module()


def mutate_bundle(rng: random.Random, data: bytes) -> bytes:
    """A bundle (format version 2) damaged field by field with a valid
    checksum — a removed, added, retyped or extreme field at any depth —
    or at the byte level."""
    try:
        kind, record = bundle.decode(data)
    except (ValueError, struct.error, UnicodeDecodeError):
        return data[: rng.randrange(0, max(1, len(data)))]
    choice = rng.randrange(8)
    if choice == 0:
        return data[: rng.randrange(0, max(1, len(data)))]
    if choice == 1:
        b = bytearray(data)
        for _ in range(rng.randrange(1, 4)):
            b[rng.randrange(len(b))] ^= 1 << rng.randrange(8)
        if rng.random() < 0.7 and len(b) > 8:
            b[-8:] = struct.pack("<Q", fnv1a64(bytes(b[:-8])))
        return bytes(b)
    if choice == 2:
        return bundle.encode(rng.choice([0, 1, 2, 3, 4, 5, 2**32 - 1]), record)
    if choice == 3:
        return bundle.encode(kind, record, version=rng.choice([1, 3, 2**32 - 1]))
    fields = list(bundle.paths(record))
    for _ in range(rng.randrange(1, 3)):
        path, tag = rng.choice(fields)
        try:
            tag, old = bundle.get(record, path)        # the current tag: an earlier pass may have retyped it
        except (KeyError, IndexError, TypeError):
            continue
        what = rng.randrange(6)
        if what == 0:
            bundle.set_field(record, path, None, None)
        elif what == 1:                                       # another type
            new_tag, value = rng.choice([(bundle.INT, -1), (bundle.DOUBLE, NAN), (bundle.TEXT, "x"),
                                         (bundle.DOUBLES, []), (bundle.RECORD, {}), (bundle.WORDS, [1])])
            bundle.set_field(record, path, new_tag, value)
        elif tag == bundle.INT:
            bundle.set_field(record, path, tag, rng.choice([-1, 0, 1, 2, 3, 4, 2**31, 2**53 + 1, 2**63 - 1, -2**63]))
        elif tag == bundle.UINT:
            bundle.set_field(record, path, tag, rng.choice([0, 2**64 - 1, rng.getrandbits(64)]))
        elif tag == bundle.DOUBLE:
            bundle.set_field(record, path, tag, rng.choice(DOUBLE_EXTREMES))
        elif tag == bundle.BOOL:
            bundle.set_field(record, path, tag, not old)
        elif tag == bundle.TEXT:
            bundle.set_field(record, path, tag, rng.choice(["", "ppo", "trpo", "CartPole-v1", "GridWorld", "registry",
                                                            "tabular", "bandit", "adam", "sgd", "\u00e9" * 3]))
        elif tag in (bundle.DOUBLES, bundle.INTS, bundle.WORDS):
            values = list(old)
            extreme = {bundle.DOUBLES: rng.choice(DOUBLE_EXTREMES), bundle.INTS: rng.choice([-1, 2**31, 2**63 - 1]),
                       bundle.WORDS: rng.getrandbits(64)}[tag]
            if values and rng.random() < 0.6:
                values[rng.randrange(len(values))] = extreme
            elif values and rng.random() < 0.5:
                values = values[: rng.randrange(len(values))]
            else:
                values.append(extreme)
            bundle.set_field(record, path, tag, values)
        elif tag == bundle.RECORDS and old:
            bundle.set_field(record, path, tag, old[: rng.randrange(len(old))] if rng.random() < 0.5
                             else old + [old[0]])
        else:
            bundle.set_field(record, path + ("unexpected",) if tag == bundle.RECORD else path, bundle.BOOL, True)
    return bundle.encode(kind, record)


# ------------------------------------------------------------------------------------------ buffers

class Buf:
    """A caller-owned buffer of ``count`` elements (at least one is
    allocated), optionally misaligned by ``offset`` bytes, or NULL."""

    def __init__(self, ctype, count: int, name: str, data=None, out: bool = False, null: bool = False,
                 offset: int = 0, note: str = ""):
        self.ctype, self.count, self.name, self.out, self.null, self.offset = ctype, count, name, out, null, offset
        self.size = ctypes.sizeof(ctype) * count
        self.note = note
        if null:
            self.raw = None
            self.addr = None
            return
        # room to align to 16, misalign by < 8, and keep a canary after the end
        self.raw = (ctypes.c_uint8 * (self.size + 64))()
        base = ctypes.addressof(self.raw)
        self.addr = ((base + 15) & ~15) + offset
        ctypes.memset(self.addr + self.size, 0x5A, self.CANARY)
        if isinstance(data, (bytes, bytearray)) and ctypes.sizeof(ctype) == 1:
            ctypes.memmove(self.addr, bytes(data), min(len(data), self.size))   # bundles: copied whole
        elif data is not None:
            arr = (ctype * count).from_address(self.addr) if offset == 0 else None
            if arr is not None:
                for i, v in enumerate(data):
                    arr[i] = v
            else:
                packed = bytes((ctype * count)(*data))
                ctypes.memmove(self.addr, packed, len(packed))
        self.data = data
        if out:
            ctypes.memset(self.addr, 0xA5, self.size)

    CANARY = 24

    def canary_intact(self) -> bool:
        return self.null or ctypes.string_at(self.addr + self.size, self.CANARY) == b"\x5a" * self.CANARY

    def snapshot(self) -> bytes | None:
        return None if self.null or self.out else ctypes.string_at(self.addr, self.size)

    def untouched(self) -> bool:
        return self.null or self.size == 0 or ctypes.string_at(self.addr, self.size) == b"\xa5" * self.size

    def values(self):
        if self.null or self.offset:
            return None
        return list((self.ctype * self.count).from_address(self.addr))

    def value(self):
        v = self.values()
        return v[0] if v else None

    def describe(self) -> str:
        if self.null:
            return "NULL"
        tname = {ctypes.c_double: "double", ctypes.c_int32: "int32", ctypes.c_int64: "int64",
                 ctypes.c_uint8: "uint8", ctypes.c_size_t: "size_t", ctypes.c_uint64: "uint64",
                 ctypes.c_char: "char"}.get(self.ctype, getattr(self.ctype, "__name__", "?"))
        text = f"{tname}[{self.count}]"
        if self.offset:
            text += f"@+{self.offset}"
        if self.data is not None and not self.out and not issubclass(self.ctype, ctypes.Structure):
            shown = [_short(v) for v in self.data[:6]]
            text += "{" + ",".join(shown) + (",..." if self.count > 6 else "") + "}"
            bad = 0 if isinstance(self.data, (bytes, bytearray)) else sum(
                1 for v in self.data if isinstance(v, float) and not math.isfinite(v))
            if bad and self.count > 6:
                text += f"({bad} non-finite)"
        if self.note:
            text += f" {self.note}"
        return text


def _short(v) -> str:
    if isinstance(v, float):
        return repr(v) if not v.is_integer() or abs(v) > 1e15 else str(int(v))
    return str(v)


class Str:
    """A NUL-terminated C string (or NULL)."""

    def __init__(self, data: bytes | None):
        self.data = data
        self.raw = None if data is None else ctypes.create_string_buffer(data)
        self.addr = None if data is None else ctypes.addressof(self.raw)

    def describe(self) -> str:
        if self.data is None:
            return "NULL"
        d = self.data
        return repr(d[:60] + (b"..." if len(d) > 60 else b"")) + (f"(len {len(d)})" if len(d) > 60 else "")


# ----------------------------------------------------------------------------------------- objects

class Obj:
    kind = ""

    def __init__(self, handle: int, **kw):
        self.handle = handle
        self.alive = True
        self.__dict__.update(kw)

    def describe(self) -> str:
        return f"{self.kind}:{self.handle:#x}<{self.summary()}>"

    def summary(self) -> str:
        return ""


class Env(Obj):
    kind = "env"
    limit = 1000         # the time limit if known (0: none), None if unknown (randomised)

    @property
    def limit_ok(self) -> bool:
        """A time limit of at most 1000 steps: episodic work ends soon."""
        return self.limit is not None and 0 < self.limit <= 1000

    def summary(self):
        return f"{self.id} N={self.n}"


def _kind(name: str, kind: str, summary) -> type:
    """An Obj subclass for handles of ``kind`` with a one-line ``summary``."""
    return type(name, (Obj,), {"kind": kind, "summary": summary})


_FAMILIES = {1: "softmax", 2: "tabular", 3: "linear", 4: "gaussian", 5: "clamp"}
Pol = _kind("Pol", "policy", lambda o: f"{_FAMILIES.get(o.family, o.family)} obs={o.obs} A={o.num_actions} "
                                       f"act={o.action_size} P={o.num_params}")
Val = _kind("Val", "value", lambda o: f"obs={o.obs} P={o.num_params}")
Alg = _kind("Alg", "algorithm", lambda o: f"{o.what} obs={getattr(o.policy, 'obs', '?')} "
                                          f"P={getattr(o.policy, 'num_params', '?')}{'' if o.cheap else ' costly'}")
SeqTask = _kind("SeqTask", "seq_task", lambda o: f"{o.what} V={o.v} L={o.l} P={o.p}")
SeqPol = _kind("SeqPol", "seq_policy", lambda o: f"{'tabular' if o.family == 1 else 'neural'} V={o.v} L={o.l} "
                                                 f"P={o.p} params={o.num_params}")
RewardModelObj = _kind("RewardModelObj", "reward_model", lambda o: f"K={o.k} params={o.num_params}")
RLHFLearner = _kind("RLHFLearner", "rlhf_learner", lambda o: f"algorithm {o.algorithm} V={o.policy.v} L={o.policy.l}")
GameObj = _kind("GameObj", "game", lambda o: f"{o.what} N={o.n} A={o.a} {o.h}x{o.w}")
PlayerObj = _kind("PlayerObj", "player", lambda o: f"{o.what} of {o.game_key}")
DQNObj = _kind("DQNObj", "dqn", lambda o: f"env {o.env.id} obs={o.obs} A={o.a}{'' if o.cheap else ' costly'}")
BoardNet = _kind("BoardNet", "board_net", lambda o: f"{'policy' if o.policy else 'value'} [{o.c}, {o.h}, {o.w}] "
                                                   f"A={o.a} P={o.num_params}")
BoardLearner = _kind("BoardLearner", "board_learner", lambda o: f"{'alphazero' if o.az else 'selfplay'} of {o.game_key}")
PipelineObj = _kind("PipelineObj", "pipeline", lambda o: f"{o.game.what} {o.game.h}x{o.game.w}"
                                                         f"{'' if o.cheap else ' costly'}")
Trainer = _kind("Trainer", "pref_trainer", lambda o: f"{'dpo' if o.dpo else 'sft'} V={o.policy.v} L={o.policy.l} "
                                                     f"epochs={o.epochs}")


KIND_TAG = {"env": 1, "policy": 2, "algorithm": 3, "value": 4, "seq_task": 5, "seq_policy": 6, "reward_model": 7,
            "pref_trainer": 8, "rlhf_learner": 9, "game": 10, "player": 11, "dqn": 12, "board_net": 13,
            "board_learner": 14, "pipeline": 16}
KIND_CODE = dict(KIND_TAG)


# ------------------------------------------------------------------------------------------- fuzzer

class Fuzzer:
    MAX_LIVE = 6
    MAX_PARAMS = 200_000      # bigger objects are destroyed right after creation

    def __init__(self, lib, header: cabi.Header, rng: random.Random, tmp: str, write=None):
        self.lib, self.h, self.rng, self.tmp = lib, header, rng, tmp
        self.write = write or (lambda line: (sys.stdout.write(line + "\n"), sys.stdout.flush()))
        self.calls = 0
        self.trace = False
        self.threads = False
        self.focus: dict[str, Obj] = {}
        self.lock = threading.Lock()
        self.pool: dict[str, list[Obj]] = {k: [] for k in KIND_TAG}
        self.dead: dict[str, list[int]] = {k: [] for k in KIND_TAG}
        self.files: list[tuple[str, str]] = []        # (kind, path) of checkpoints written
        self.serial = 0
        self.mutating = False
        self.status_codes = {v for k, v in header.defines.items()
                             if k == "SWIFTPG_OK" or k.startswith("SWIFTPG_ERR_")}
        self.S = {name: cabi.struct_type(header, name) for name in header.structs}
        self.env_ids = None
        self.generators = {name: getattr(self, "g_" + name[len("swiftpg_"):], None) for name in header.functions}
        for name in header.functions:                    # every default_config: one generator
            if name.endswith("_default_config") and self.generators[name] is None:
                self.generators[name] = lambda n=name: self.default_config_call(n)

    # -- journal and invocation ------------------------------------------------------------------
    def finding(self, key: str, text: str, **extra) -> None:
        self.write("F " + json.dumps(dict(key=key, text=text, **extra)))

    def invoke(self, name: str, args: list, outs: list[Buf] = (), exempt: tuple = ()) -> int:
        """Calls ``name`` with argument objects (Buf, Str, Obj handle ints
        wrapped by ``arg``), journaling the call first."""
        values, texts = [], []
        for a in args:                      # (value, text) or (address, text, owner kept alive by ``args``)
            values.append(a[0])
            texts.append(a[1])
        owned = list({id(a[2]): a[2] for a in args if len(a) > 2 and isinstance(a[2], Buf) and not a[2].null}.values())
        inputs = [(b, b.snapshot()) for b in owned
                  if not b.out and not getattr(b, "aliased", False) and not getattr(b, "inout", False)]
        # In-out state (an optimiser's parameters and moments): updated on
        # success, unchanged on failure.
        inouts = [(b, b.snapshot()) for b in owned if getattr(b, "inout", False)]
        with self.lock:
            index = self.calls
            self.calls += 1
            where = "" if threading.current_thread() is threading.main_thread() else "[thread] "
            line = f"C {index} {name}({', '.join(texts)}) {where}".rstrip()
            self.write(line if len(line) < 1500 else line[:1500] + "...")
        fn = getattr(self.lib, name)
        status = fn(*values)
        if name in ("swiftpg_status_string", "swiftpg_last_error"):
            if status is None:
                self.finding(f"{name}-null", f"{name} returned NULL (documented never NULL): {line[2:]}")
            return 0
        if status not in self.status_codes:
            self.finding(f"{name}-status-{status}", f"{name} returned status {status}, not defined in the header: "
                                                    f"{line[2:300]}")
        message = self.lib.swiftpg_last_error()
        if self.trace:
            self.write(f"R {index} {status} {message.decode(errors='replace')[:200]}")
        for b in owned:
            if not b.canary_intact():
                self.finding(f"{name}-overflow-{b.name}", f"{name} wrote past the end of {b.name} "
                                                         f"({b.describe()}), status {status}: {line[2:400]}")
                ctypes.memset(b.addr + b.size, 0x5A, b.CANARY)
        for b, before in inputs:
            if ctypes.string_at(b.addr, b.size) != before:
                self.finding(f"{name}-modified-{b.name}", f"{name} modified its const input {b.name}: {line[2:300]}")
        if status != 0:
            if not message:
                self.finding(f"{name}-no-message", f"{name} failed with {status} but swiftpg_last_error() is empty")
            # The header's documented exceptions to "outputs only on success":
            # NUMERICAL leaves the outputs unspecified; a cancelled evaluation
            # has streamed the episodes that finished.
            documented = status == NUMERICAL or (status == CANCELLED and (name.endswith("_evaluate")
                                                                          or name == "swiftpg_game_playouts"))
            for b, before in inouts:
                if not documented and ctypes.string_at(b.addr, b.size) != before:
                    self.finding(f"{name}-wrote-{b.name}-{status}",
                                 f"{name} failed with status {status} ({message.decode(errors='replace')[:160]}) "
                                 f"but changed its in-out {b.name}: {line[2:300]}")
            for b in outs:
                if b.name not in exempt and not documented and not b.untouched():
                    self.finding(f"{name}-wrote-{b.name}-{status}",
                                 f"{name} failed with status {status} ({message.decode(errors='replace')[:160]}) "
                                 f"but wrote to {b.name}: {line[2:300]}")
        elif message:
            self.finding(f"{name}-stale-message", f"{name} succeeded but swiftpg_last_error() is "
                                                  f"{message[:80]!r}, documented \"\" after a success")
        return status

    # -- argument helpers --------------------------------------------------------------------------
    def bad(self, p: float = 0.3) -> bool:
        """True if this argument site is mutated in this call."""
        return self.mutating and self.rng.random() < p

    @contextlib.contextmanager
    def valid_only(self, valid: bool = True):
        """Within it (if ``valid``), no argument site is mutated; the mode
        before is restored after it."""
        was = self.mutating
        if valid:
            self.mutating = False
        try:
            yield
        finally:
            self.mutating = was

    def pick_bad(self, values):
        return self.rng.choice(values)

    def live_handles(self) -> set[int]:
        return {o.handle for objs in self.pool.values() for o in objs}

    def bad_handle(self, kind: str) -> tuple[int, str]:
        r = self.rng
        live = self.live_handles()
        for _ in range(20):
            choice = r.randrange(8)
            if choice == 0:
                return 0, "0"
            if choice == 1 and self.dead[kind]:
                h = r.choice(self.dead[kind])
                if h not in live:
                    return h, f"destroyed-{kind}:{h:#x}"
            if choice == 2:
                others = [o for k, objs in self.pool.items() if k != kind for o in objs]
                if others:
                    o = r.choice(others)
                    return o.handle, f"wrong-kind {o.describe()}"
            if choice == 3:
                h = r.getrandbits(64)
            elif choice == 4:
                h = KIND_TAG[kind] << 56 | r.getrandbits(56)
            elif choice == 5 and self.pool[kind]:
                o = r.choice(self.pool[kind])
                h = o.handle ^ (1 << r.randrange(20, 56))        # another generation of a live slot
            elif choice == 6:
                h = r.choice([2**64 - 1, 1 << 63, KIND_TAG[kind] << 56, (KIND_TAG[kind] << 56) | 0xFFFFF,
                              KIND_TAG[kind] + 0])
            else:
                h = (KIND_TAG[kind] << 56) | (r.randrange(1, 4) << 20) | r.randrange(0, 64)
            if h not in live:
                return h, f"garbage:{h:#x}"
        return 0, "0"

    def handle_arg(self, kind: str, obj: Obj | None, p: float = 0.25):
        """(value, text) for a handle parameter: ``obj``'s handle, or a bad one."""
        if obj is None or self.bad(p):
            return self.bad_handle(kind)
        return obj.handle, obj.describe()

    def buf(self, ctype, count: int, name: str, data=None, out: bool = False, optional: bool = False,
            p_null: float = 0.12, p_misalign: float = 0.08, null: bool = False) -> Buf:
        """A buffer of the documented length; in mutating calls sometimes NULL
        or misaligned. Optional pointers are NULL half of the time anyway."""
        if null or (optional and self.rng.random() < 0.3) or self.bad(p_null):
            return Buf(ctype, count, name, null=True, out=out)
        offset = 0
        if ctypes.alignment(ctype) > 1 and self.bad(p_misalign):
            offset = self.rng.randrange(1, ctypes.alignment(ctype))
        return Buf(ctype, count, name, data=data, out=out, offset=offset)

    @staticmethod
    def a(b) -> tuple:
        """A Buf/Str as an argument (the tuple keeps the buffer alive until the call)."""
        return b.addr, b.describe(), b

    def integer(self, valid: int, bad: list, p: float) -> tuple:
        v = self.rng.choice(bad) if self.bad(p) else valid
        return v, str(v)

    def i32(self, valid: int, bad=(), p: float = 0.2) -> tuple:
        return self.integer(valid, [*bad, -1, 0, -(2**31), 2**31 - 1], p)

    def i64(self, valid: int, bad=(), p: float = 0.2) -> tuple:
        return self.integer(valid, [*bad, -1, 0, -(2**63), 2**63 - 1], p)

    def dbl(self, valid: float, p: float = 0.2) -> tuple:
        v = self.rng.choice(DOUBLE_EXTREMES) if self.bad(p) else valid
        return v, _short(v)

    def u64(self, valid: int | None = None, p: float = 0.3) -> tuple:
        if valid is None or self.bad(p):
            v = self.rng.choice(U64_EXTREMES + [self.rng.getrandbits(64)])
        else:
            v = valid
        return v, str(v)

    def seed(self) -> tuple:
        v = self.rng.choice([0, 1, 12345, self.rng.getrandbits(64), 2**64 - 1])
        return v, str(v)

    def flag(self, p: float = 0.15) -> tuple:
        v = self.rng.choice([2, -1, 255, 2**31 - 1]) if self.bad(p) else self.rng.randrange(2)
        return v, str(v)

    def doubles(self, n: int, scale: float = 1.0, finite: bool = False) -> list[float]:
        r = self.rng
        out = [r.gauss(0.0, scale) for _ in range(n)]
        if not finite and n and self.bad(0.2):
            for _ in range(r.randrange(1, 3)):
                out[r.randrange(n)] = r.choice([NAN, INF, -INF, 1e308, -1e308, 5e-324])
        return out

    def flags(self, n: int, density: float = 0.2) -> list[int]:
        out = [1 if self.rng.random() < density else 0 for _ in range(n)]
        if n and self.bad(0.1):
            out[self.rng.randrange(n)] = self.rng.choice([2, 255])
        return out

    def out1(self, ctype, name: str, p_null: float = 0.1) -> Buf:
        return self.buf(ctype, 1, name, out=True, p_null=p_null)

    # -- paths and checkpoint files ----------------------------------------------------------------
    def new_path(self) -> str:
        self.serial += 1
        return os.path.join(self.tmp, f"ck{self.serial}.bin")

    def save_path(self) -> Str:
        r = self.rng
        if self.bad(0.35):
            choice = r.randrange(8)
            if choice == 0:
                return Str(None)
            if choice == 1:
                return Str(b"")
            if choice == 2:
                return Str(os.path.join(self.tmp, "no", "such", "dir", "x.bin").encode())
            if choice == 3:
                return Str(self.tmp.encode())                       # a directory
            if choice == 4:
                return Str((self.tmp + "/" + "n" * 5000).encode())  # ENAMETOOLONG
            if choice == 5:
                return Str((self.tmp + "/bad\xff.bin").encode("latin-1"))          # not UTF-8
            if choice == 6:
                link = os.path.join(self.tmp, f"link{self.serial}")
                self.serial += 1
                target = self.new_path()
                try:
                    os.symlink(target, link)
                except OSError:
                    pass
                return Str(link.encode())
            path = self.new_path()
            os.makedirs(path + ".tmp", exist_ok=True)               # the fixed temporary name occupied
            return Str(path.encode())
        return Str(self.new_path().encode())

    def load_path(self, kind: str) -> Str:
        """A path to load from: a file of the right kind, another kind, a
        mutated checkpoint, garbage, or a bad path."""
        r = self.rng
        mine = [p for k, p in self.files if k == kind and os.path.exists(p)]
        other = [p for k, p in self.files if k != kind and os.path.exists(p)]
        if mine and not self.bad(0.6):
            return Str(r.choice(mine).encode())
        choice = r.randrange(7)
        if choice == 0 and other:
            return Str(r.choice(other).encode())
        if choice in (1, 2, 3) and (mine or other):
            source = r.choice(mine or other)
            data = open(source, "rb").read()
            path = self.new_path()
            with open(path, "wb") as f:
                f.write(self.mutate_checkpoint(data))
            return Str(path.encode())
        if choice == 4:
            path = self.new_path()
            with open(path, "wb") as f:
                f.write(self.synthetic_checkpoint())
            return Str(path.encode())
        if choice == 5:
            return Str(r.choice([None, b"", os.path.join(self.tmp, "missing.bin").encode(), self.tmp.encode(),
                                 (self.tmp + "/" + "n" * 5000).encode(), b"/dev/null"]))
        path = self.new_path()
        with open(path, "wb") as f:
            f.write(bytes(r.getrandbits(8) for _ in range(r.choice([0, 7, 40, 64, 200]))))
        return Str(path.encode())

    def mutate_checkpoint(self, data: bytes) -> bytes:
        r = self.rng
        if data[8:12] == struct.pack("<I", 2):
            return mutate_bundle(r, data)
        parsed = try_decode(data)
        choice = r.randrange(6)
        if choice == 0 or parsed is None:
            return data[: r.randrange(0, max(1, len(data)))]                 # truncated
        if choice == 1:
            b = bytearray(data)
            for _ in range(r.randrange(1, 4)):
                i = r.randrange(len(b))
                b[i] ^= 1 << r.randrange(8)
            if r.random() < 0.5 and len(b) > 8:                           # flipped, checksum recomputed
                return seal(b[:-8])
            return bytes(b)
        kind, family, spec, params = parsed
        extremes = [NAN, INF, -INF, -1.0, 0.0, 1e300, 2.0**31, 2.0**32 + 3, 2.0**53, 65536.0, 0.5, -0.0, 1e-300]
        if choice == 2 and spec:
            spec[r.randrange(len(spec))] = r.choice(extremes)
        elif choice == 3 and params:
            for _ in range(r.randrange(1, 4)):
                params[r.randrange(len(params))] = r.choice(extremes)
        elif choice == 4:
            which = r.randrange(3)
            if which == 0:
                kind = r.choice([0, 1, 2, 3, 4, 2**31, 2**32 - 1])
            elif which == 1:
                family = r.choice([0, 1, 2, 3, 4, 5, 6, 7, 99, 2**31, 2**32 - 1])
            else:
                params = params[: r.randrange(0, len(params) + 1)]
        else:
            # declared counts that disagree with the file, valid checksum
            raw = bytearray(checkpoint_bytes(kind, family, spec, params))
            if r.random() < 0.5:
                struct.pack_into("<I", raw, 20, r.choice([0, 257, 2**31, 2**32 - 1, len(spec) + 1]))
            else:
                struct.pack_into("<Q", raw, 24 + 8 * len(spec), r.choice([0, 2**63, 2**64 - 1, len(params) + 1,
                                                                          2**31]))
            return seal(raw[:-8])
        return checkpoint_bytes(kind, family, spec, params, checksum=r.random() < 0.9)

    def synthetic_checkpoint(self) -> bytes:
        """Small files with valid checksums declaring large or odd objects."""
        r = self.rng
        big = r.choice([65536.0, 65537.0, 2.0**31, 1e300, NAN, -1.0, 3.5])
        choice = r.randrange(6)
        if choice == 0:      # softmax policy, hidden sizes (big, big)
            return checkpoint_bytes(1, 1, [4.0, 2.0, 0.0, 2.0, big, big], [])
        if choice == 1:      # tabular policy
            return checkpoint_bytes(1, 2, [big, big], [0.0] * r.randrange(4))
        if choice == 2:      # gaussian
            return checkpoint_bytes(1, 4, [big, r.choice([1.0, 64.0, big]), 0.0, r.choice([0.0, 1.0, 2.0, 3.0]),
                                           1.0, big, 4.0], [])
        if choice == 3:      # value function
            return checkpoint_bytes(2, r.choice([0, 1, 2]), [big, 0.0, 1.0, big], [])
        if choice == 4:      # learner
            return checkpoint_bytes(3, r.choice([0, 6, 2**31, 2**32 - 1]), [1.0, 10.0, -1.0, 4.0, 1.0],
                                    [0.0] * 7 + [NAN] * 3)
        return checkpoint_bytes(r.choice([1, 2, 3]), r.randrange(8), [r.choice([big, 1.0]) for _ in range(r.randrange(0, 9))],
                                [r.choice([0.0, NAN]) for _ in range(r.randrange(0, 12))])

    # -- object pool ------------------------------------------------------------------------------
    def adopt(self, obj: Obj) -> Obj | None:
        self.pool[obj.kind].append(obj)
        big = getattr(obj, "num_params", 0) > self.MAX_PARAMS or getattr(obj, "huge", False)
        if big or len(self.pool[obj.kind]) > self.MAX_LIVE:
            victim = obj if big else self.rng.choice(self.pool[obj.kind][:-1])
            self.destroy(victim)
            if big:
                return None
        return obj

    def destroy(self, obj: Obj) -> None:
        name = {"env": "swiftpg_env_destroy", "policy": "swiftpg_policy_destroy", "value": "swiftpg_value_destroy",
                "algorithm": "swiftpg_algorithm_destroy", "seq_task": "swiftpg_seq_task_destroy",
                "seq_policy": "swiftpg_seq_policy_destroy", "reward_model": "swiftpg_reward_model_destroy",
                "pref_trainer": "swiftpg_pref_trainer_destroy", "rlhf_learner": "swiftpg_rlhf_destroy",
                "game": "swiftpg_game_destroy", "player": "swiftpg_player_destroy",
                "dqn": "swiftpg_dqn_destroy", "board_net": "swiftpg_board_net_destroy",
                "board_learner": "swiftpg_board_learner_destroy", "pipeline": "swiftpg_alphago_destroy"}[obj.kind]
        status = self.invoke(name, [(obj.handle, obj.describe())])
        if status == 0:
            self.forget(obj)
        else:
            self.finding(f"destroy-{obj.kind}", f"{name} of a live handle failed with {status}")
            self.forget(obj)

    def forget(self, obj: Obj) -> None:
        if obj in self.pool[obj.kind]:
            self.pool[obj.kind].remove(obj)
        obj.alive = False
        self.dead[obj.kind].append(obj.handle)
        if len(self.dead[obj.kind]) > 64:
            self.dead[obj.kind].pop(0)

    def pick(self, kind: str, want=None) -> Obj | None:
        focused = self.focus.get(kind)
        if focused is not None and focused.alive and (want is None or want(focused)) and self.rng.random() < 0.9:
            return focused
        cands = [o for o in self.pool[kind] if want is None or want(o)]
        if cands and self.rng.random() < 0.85:
            return self.rng.choice(cands)
        return None

    def any_env(self) -> Env | None:
        return self.pick("env") or self.create_env()

    def any_policy(self) -> Pol | None:
        return self.pick("policy") or self.create_policy()

    def any_value(self) -> Val | None:
        return self.pick("value") or self.create_value()

    def any_alg(self, want=None) -> Alg | None:
        return self.pick("algorithm", want) or self.create_alg()

    def known_ids(self) -> list[str]:
        if self.env_ids is None:
            length = ctypes.c_size_t()
            buf = ctypes.create_string_buffer(4096)
            self.lib.swiftpg_env_list(ctypes.addressof(buf), 4096, ctypes.addressof(length))
            self.env_ids = buf.value.decode().split("\n") if buf.value else []
        return self.env_ids

    def describe_env(self, handle: int, what: str, **kw) -> Env | None:
        info = Buf(self.S["swiftpg_env_info"], 1, "info_out", out=True)
        if self.invoke("swiftpg_env_get_info", [(handle, f"env:{handle:#x}"), self.a(info)], [info]) != 0:
            return None
        i = info.value()
        env = Env(handle, id=what, n=i.num_envs, obs=i.observation_size, state=i.state_size,
                  discrete=i.action_kind == 0, num_actions=i.num_actions, action_size=i.action_size,
                  max_steps=i.max_episode_steps, one_hot=i.observation_kind == 1, tabular=None, **kw)
        env.limit = i.max_episode_steps
        names = Buf(ctypes.c_char, 1024, "buffer", out=True)
        length = Buf(ctypes.c_size_t, 1, "length_out", out=True)
        env.params = []
        if self.invoke("swiftpg_env_parameter_names", [(handle, env.describe()), self.a(names), (1024, "1024"),
                                                       self.a(length)], [names, length]) == 0:
            env.params = ctypes.string_at(names.addr).decode().split("\n")
        s, a = Buf(ctypes.c_int32, 1, "s", out=True), Buf(ctypes.c_int32, 1, "a", out=True)
        if self.invoke("swiftpg_env_tabular_sizes", [(handle, env.describe()), self.a(s), self.a(a)], [s, a]) == 0:
            env.tabular = (s.value(), a.value())
        return env

    def create_env(self) -> Env | None:
        r = self.rng
        choice = r.randrange(10)
        with self.valid_only():
            if choice < 7:
                ident = r.choice(self.known_ids())
                n = r.choice([1, 1, 2, 3, 4, 8])
                out = Buf(ctypes.c_uint64, 1, "env_out", out=True)
                if self.invoke("swiftpg_env_create", [self.a(Str(ident.encode())), (n, str(n)), self.seed(),
                                                      self.a(out)], [out]) != 0:
                    return None
                env = self.describe_env(out.value(), ident)
            elif choice < 8:
                return self.g_env_create_tabular(valid=True)
            elif choice < 9:
                return self.g_env_create_gridworld(valid=True)
            else:
                return self.g_env_create_bandit(valid=True)
        return self.adopt(env) if env else None

    def policy_for(self, env: Env) -> Pol | None:
        """A new policy whose sizes match ``env``."""
        r = self.rng
        with self.valid_only():
            if env.discrete:
                if env.one_hot and r.random() < 0.5:
                    return self.make_policy("tabular", obs=env.obs, actions=env.num_actions)
                if env.obs == 1 and env.num_actions == 2 and r.random() < 0.3:
                    return self.make_policy("clamp")
                if env.obs % env.num_actions == 0 and r.random() < 0.2:
                    return self.make_policy("linear", obs=env.obs // env.num_actions, actions=env.num_actions)
                if env.num_actions % 2 == 0 and r.random() < 0.2:
                    return self.make_policy("factored", obs=env.obs, actions=env.num_actions)
                return self.make_policy("softmax", obs=env.obs, actions=env.num_actions)
            return self.make_policy(r.choice(["gaussian", "gaussian", "gsde"]), obs=env.obs, actions=env.action_size)

    def hidden(self) -> list[int]:
        return [self.rng.choice([1, 2, 3, 8, 16, 32]) for _ in range(self.rng.choice([0, 0, 1, 1, 2, 3]))]

    def make_policy(self, family: str, obs: int = 0, actions: int = 0) -> Pol | None:
        r = self.rng
        out = Buf(ctypes.c_uint64, 1, "policy_out", out=True)
        hid = self.hidden()
        hs = Buf(ctypes.c_int32, max(1, len(hid)), "hidden_sizes", data=hid or [0])
        if family == "softmax":
            status = self.invoke("swiftpg_policy_create_softmax", [
                (obs, str(obs)), (actions, str(actions)), self.a(hs), (len(hid), str(len(hid))),
                (r.randrange(2), "act"), (math.sqrt(2), "1.414"), (0.01, "0.01"), self.seed(), self.a(out)], [out])
        elif family == "factored":
            factors = [2, actions // 2] if actions % 2 == 0 and actions > 2 else [actions]
            fs = Buf(ctypes.c_int32, len(factors), "factor_sizes", data=factors)
            status = self.invoke("swiftpg_policy_create_factored_softmax", [
                (obs, str(obs)), self.a(fs), (len(factors), str(len(factors))), self.a(hs),
                (len(hid), str(len(hid))), (r.randrange(2), "act"), (math.sqrt(2), "1.414"), (0.01, "0.01"),
                self.seed(), self.a(out)], [out])
        elif family == "tabular":
            status = self.invoke("swiftpg_policy_create_tabular", [(obs, str(obs)), (actions, str(actions)),
                                                                   self.seed(), self.a(out)], [out])
        elif family == "linear":
            status = self.invoke("swiftpg_policy_create_linear_features", [(obs, str(obs)), (actions, str(actions)),
                                                                           self.seed(), self.a(out)], [out])
        elif family == "gaussian":
            status = self.invoke("swiftpg_policy_create_gaussian", [
                (obs, str(obs)), (actions, str(actions)), self.a(hs), (len(hid), str(len(hid))), (0, "0"),
                (r.randrange(2), "sds"), (r.choice([0.0, -1.0]), "log_std"), (1.0, "1"), (0.01, "0.01"),
                self.seed(), self.a(out)], [out])
        elif family == "gsde":
            status = self.invoke("swiftpg_policy_create_gsde", [
                (obs, str(obs)), (actions, str(actions)), self.a(hs), (len(hid), str(len(hid))), (0, "0"),
                (-1.0, "-1"), (r.choice([1, 4]), "interval"), (1.0, "1"), (0.01, "0.01"), self.seed(), self.a(out)],
                [out])
        else:
            status = self.invoke("swiftpg_policy_create_clamp", [(r.random(), "theta"), self.seed(), self.a(out)],
                                 [out])
        if status != 0:
            return None
        return self.register_policy(out.value())

    def register_policy(self, handle: int) -> Pol | None:
        info = Buf(self.S["swiftpg_policy_info"], 1, "info_out", out=True)
        if self.invoke("swiftpg_policy_get_info", [(handle, f"policy:{handle:#x}"), self.a(info)], [info]) != 0:
            self.finding("policy-info", "get_info of a new policy failed")
            return None
        i = info.value()
        pol = Pol(handle, family=i.family, obs=i.observation_size, discrete=i.action_kind == 0,
                  num_actions=i.num_actions, action_size=i.action_size, num_params=i.num_params)
        return self.adopt(pol)

    def create_policy(self) -> Pol | None:
        env = self.any_env()
        if env is None:
            return None
        return self.policy_for(env)

    def create_value(self, obs: int | None = None, tabular: int | None = None) -> Val | None:
        out = Buf(ctypes.c_uint64, 1, "value_out", out=True)
        with self.valid_only():
            if tabular:
                status = self.invoke("swiftpg_value_create_tabular", [(tabular, str(tabular)), self.a(out)], [out])
            else:
                obs = obs or self.rng.choice([1, 2, 3, 4, 6])
                hid = self.hidden()
                hs = Buf(ctypes.c_int32, max(1, len(hid)), "hidden_sizes", data=hid or [0])
                status = self.invoke("swiftpg_value_create_mlp", [(obs, str(obs)), self.a(hs), (len(hid), str(len(hid))),
                                                                  (0, "0"), self.seed(), self.a(out)], [out])
        if status != 0:
            return None
        return self.register_value(out.value())

    def register_value(self, handle: int) -> Val | None:
        o, p = Buf(ctypes.c_int32, 1, "obs", out=True), Buf(ctypes.c_int64, 1, "params", out=True)
        if self.invoke("swiftpg_value_get_sizes", [(handle, f"value:{handle:#x}"), self.a(o), self.a(p)], [o, p]) != 0:
            return None
        return self.adopt(Val(handle, obs=o.value(), num_params=p.value()))

    def compatible(self, env: Env, pol: Pol) -> bool:
        return (env.discrete == pol.discrete and env.obs == pol.obs
                and (env.num_actions == pol.num_actions if env.discrete else env.action_size == pol.action_size))

    def env_policy_pair(self, discrete_only: bool = False):
        env = self.pick("env", (lambda e: e.discrete) if discrete_only else None) or self.create_env()
        if env is None or (discrete_only and not env.discrete):
            return None, None
        pol = self.pick("policy", lambda p: self.compatible(env, p)) or self.policy_for(env)
        return env, pol

    # -- configs ---------------------------------------------------------------------------------
    #: int32 config fields that size allocations, and fields that count loop passes.
    ALLOC_FIELDS = {"steps_per_env", "steps_per_iteration", "minibatch_size", "reuse_batches", "population_size",
                    "elite_count"}
    LOOP_FIELDS = {"epochs", "value_epochs", "cg_iterations", "line_search_steps", "n_steps",
                   "episodes_per_evaluation", "update_threads"}

    def random_struct(self, struct_name: str, base=None, fields_to_change: int | None = None):
        """A copy of ``base`` (or zeros) with some fields random (every field
        when ``fields_to_change`` is None and the call is mutating)."""
        st = self.S[struct_name]
        c = st()
        if base is not None:
            ctypes.memmove(ctypes.addressof(c), ctypes.addressof(base), ctypes.sizeof(st))
        names = [f for f, _ in st._fields_]
        r = self.rng
        count = len(names) if fields_to_change is None else fields_to_change
        for fname in r.sample(names, min(count, len(names))):
            ctype = dict(st._fields_)[fname]
            if ctype is ctypes.c_int32:
                v = r.choice([0, 1, 2, 3, 4, 7, -1, -(2**31), 2**31 - 1, 2**30, r.randrange(-3, 9)])
            elif ctype is ctypes.c_int64:
                v = r.choice([0, 1, -1, 1000, 2**62, 2**63 - 1, -(2**63)])
            elif ctype is ctypes.c_uint64:
                v = r.choice(U64_EXTREMES + [r.getrandbits(64)])
            elif ctype is ctypes.c_uint32:          # a struct's own size: right, off by a field, or wild
                size = ctypes.sizeof(st)
                v = r.choice([size, size, size - 8, size + 8, 0, 2**32 - 1])
            elif isinstance(ctype, type) and issubclass(ctype, ctypes.Array):     # e.g. the DQN's hidden widths
                arr = getattr(c, fname)
                for i in range(len(arr)):
                    arr[i] = r.choice([0, 1, 4, -1, 65536, 65537, 2**31 - 1, -(2**31)])
                continue
            else:
                v = r.choice(DOUBLE_EXTREMES + [r.random(), r.uniform(-2, 2)])
            setattr(c, fname, v)
        return c

    @staticmethod
    def struct_text(c) -> str:
        parts = []
        for fname, _ in c._fields_:
            parts.append(f"{fname}={_short(getattr(c, fname))}")
        return "{" + ",".join(parts) + "}"

    def config_cost(self, c) -> str:
        """"cheap", "alloc" (a huge allocation-type field: the library must
        refuse or fail cleanly) or "slow" (huge loop counts: legitimately long)."""
        cost = "cheap"
        for fname, ctype in c._fields_:
            if ctype is not ctypes.c_int32 or fname not in self.ALLOC_FIELDS | self.LOOP_FIELDS:
                continue
            v = getattr(c, fname)
            limit = 1024 if fname == "steps_per_iteration" else 64
            if v > limit:
                if fname in self.ALLOC_FIELDS and v >= 2**30:
                    cost = "alloc"
                else:
                    return "slow"
        return cost

    #: The C prefix of each policy-gradient learner, by SWIFTPG_ALGO_* number.
    PG_PREFIXES = ["reinforce", "actor_critic", "a2c", "offpolicy_pg", "npg", "trpo", "ppo"]

    def pg_struct(self, algorithm: int) -> str:
        return f"swiftpg_{self.PG_PREFIXES[algorithm]}_config"

    def pg_defaults(self, algorithm: int):
        c = self.S[self.pg_struct(algorithm)]()
        getattr(self.lib, f"swiftpg_{self.PG_PREFIXES[algorithm]}_default_config")(ctypes.addressof(c))
        return c

    def cheap_pg_config(self, algorithm: int, lanes: int):
        r = self.rng
        c = self.pg_defaults(algorithm)
        cheap = dict(steps_per_env=r.choice([1, 2, 4, 8]), steps_per_iteration=r.choice([1, 8, 32, 64]),
                     epochs=min(getattr(c, "epochs", 1), r.choice([1, 2])),
                     value_epochs=min(getattr(c, "value_epochs", 1), r.choice([1, 2])),
                     cg_iterations=min(getattr(c, "cg_iterations", 1), 5),
                     line_search_steps=min(getattr(c, "line_search_steps", 1), 5),
                     reuse_batches=min(getattr(c, "reuse_batches", 1), 2), n_steps=min(getattr(c, "n_steps", 1), 3),
                     baseline=r.choice([getattr(c, "baseline", 0), 0, 1, 2, 3]), weighting=r.randrange(3),
                     normalize_advantages=r.randrange(2),
                     normalize_observations=r.randrange(2) if r.random() < 0.2 else 0,
                     normalize_rewards=r.randrange(2) if r.random() < 0.2 else 0,
                     kl_penalty=r.randrange(2), seed=r.getrandbits(64))
        for name, value in cheap.items():
            if hasattr(c, name):
                setattr(c, name, value)
        if hasattr(c, "minibatch_size"):
            batch = c.steps_per_env * lanes
            c.minibatch_size = r.choice([0, 0, batch, 1 if batch else 0])
        return c

    def create_alg(self) -> Alg | None:
        return self.pg_create(valid=True) if self.rng.random() < 0.75 else self.g_search_create(valid=True)

    # ================================================================ generators (one per function)
    # Each g_<name>() builds one call of swiftpg_<name> and updates the pool.

    # -- library ---------------------------------------------------------------------------------
    def g_status_string(self):
        code = self.rng.choice(sorted(self.status_codes) + [1, -13, -98, -100, 2**31 - 1, -(2**31)])
        self.invoke("swiftpg_status_string", [(code, str(code))])

    def g_last_error(self):
        self.invoke("swiftpg_last_error", [])

    def g_abi_version(self):
        out = self.out1(ctypes.c_int32, "version_out")
        self.invoke("swiftpg_abi_version", [self.a(out)], [out])

    def g_cancel(self):
        kind = self.rng.choice(["env", "algorithm", "env", "algorithm", "policy", "value", "seq_task", "seq_policy",
                                "game", "player"])
        obj = self.pick(kind)
        h = self.handle_arg(kind, obj, p=0.3) if obj is not None or self.mutating else self.bad_handle(kind)
        self.invoke("swiftpg_cancel", [h, self.i32(self.rng.choice([0, 0, 1]), bad=[2, -1, 2**31 - 1])])

    def g_live_handles(self):
        kind = self.i32(self.rng.randrange(12), bad=[12, 99, -1], p=0.3)
        out = self.out1(ctypes.c_int64, "count_out")
        status = self.invoke("swiftpg_live_handles", [kind, self.a(out)], [out])
        if status == 0 and not out.null and not out.offset:
            k = kind[0]
            expected = (sum(len(v) for v in self.pool.values()) if k == 0
                        else len(self.pool[{v: k for k, v in KIND_TAG.items()}[k]]))
            if out.value() != expected:
                self.finding(f"live-handles-{k}", f"swiftpg_live_handles({k}) = {out.value()} but the fuzzer holds "
                                                  f"{expected} live handles of that kind (leak or lost handle)")

    # -- environments ----------------------------------------------------------------------------
    def text_call(self, name: str, pre: list, allocated: int = 4096):
        """Functions that write a NUL-terminated text: buffer, capacity, length_out."""
        r = self.rng
        mode = r.randrange(4)
        if mode == 0:
            buffer, capacity = Buf(ctypes.c_char, allocated, "buffer", null=True, out=True), 0
        else:
            buffer = self.buf(ctypes.c_char, allocated, "buffer", out=True, p_null=0.1)
            capacity = r.choice([0, 1, 2, 5, 16, allocated, allocated - 1, r.randrange(allocated + 1)])
        if buffer.null and self.bad(0.5):
            capacity = r.choice([1, 100, 2**63])   # NULL with a capacity: must be refused
        length = self.out1(ctypes.c_size_t, "length_out")
        status = self.invoke(name, pre + [self.a(buffer), (capacity, str(capacity)), self.a(length)],
                             [buffer, length], exempt=("length_out",))
        if status == 0 and not buffer.null and not length.null:
            n = length.value()
            if n is None or n >= capacity:
                self.finding(f"{name}-length", f"{name} succeeded with length {n} >= capacity {capacity}")
            elif ctypes.string_at(buffer.addr + n, 1) != b"\0":
                self.finding(f"{name}-nul", f"{name} did not NUL-terminate at length {n}")

    def g_env_list(self):
        self.text_call("swiftpg_env_list", [])

    def env_id_arg(self) -> Str:
        r = self.rng
        if self.bad(0.3):
            return Str(r.choice([None, b"", b"NoSuchEnv-v0", b"cartpole-v1", b"CartPole-v1 ", b"\xff\xfe",
                                 b"A" * 300, b"CartPole-v1\n", b"GridWorld-v0\x01"]))
        return Str(r.choice(self.known_ids()).encode())

    def g_env_create(self):
        r = self.rng
        ident = self.env_id_arg()
        n = self.i32(r.choice([1, 2, 4]), bad=[16_777_217, 2**31 - 1, -5], p=0.25)
        out = self.out1(ctypes.c_uint64, "env_out")
        status = self.invoke("swiftpg_env_create", [self.a(ident), n, self.seed(), self.a(out)], [out])
        if status == 0:
            env = self.describe_env(out.value(), ident.data.decode())
            if env:
                self.adopt(env)

    def destroy_call(self, kind: str, obj) -> None:
        """``swiftpg_<kind>_destroy`` of ``obj``'s handle (or, sometimes, a
        bad one); forgets ``obj`` once its handle is destroyed."""
        h = self.handle_arg(kind, obj, p=0.4)
        if self.invoke(f"swiftpg_{kind}_destroy", [h]) == 0 and obj is not None and h[0] == obj.handle:
            self.forget(obj)

    def g_env_destroy(self):
        self.destroy_call("env", self.any_env())

    def info_call(self, kind: str, obj: Obj | None) -> None:
        """``swiftpg_<kind>_get_info`` of ``obj``'s handle (or, sometimes, a
        bad one) into a ``swiftpg_<kind>_info``."""
        out = self.out1(self.S[f"swiftpg_{kind}_info"], "info_out")
        self.invoke(f"swiftpg_{kind}_get_info", [self.handle_arg(kind, obj), self.a(out)], [out])

    def g_env_get_info(self):
        self.info_call("env", self.any_env())

    def env_outputs(self, name: str, outputs) -> None:
        """A call of an environment (its handle) that only writes the output
        buffers ``outputs(env)`` makes, in the call's order."""
        env = self.any_env()
        if env is None:
            return
        bufs = outputs(env)
        self.invoke(name, [self.handle_arg("env", env)] + [self.a(b) for b in bufs], bufs)

    def bounds_out(self, n: int) -> list[Buf]:
        return [self.buf(ctypes.c_double, n, "low_out", out=True), self.buf(ctypes.c_double, n, "high_out", out=True)]

    def g_env_observation_bounds(self):
        self.env_outputs("swiftpg_env_observation_bounds", lambda env: self.bounds_out(env.obs))

    def g_env_action_bounds(self):
        self.env_outputs("swiftpg_env_action_bounds", lambda env: self.bounds_out(env.action_size))

    def g_env_reset(self):
        env = self.any_env()
        if env is None:
            return
        seed = self.buf(ctypes.c_uint64, 1, "seed", data=[self.rng.getrandbits(64)], optional=True)
        obs = self.buf(ctypes.c_double, env.n * env.obs, "observations_out", out=True)
        if self.invoke("swiftpg_env_reset", [self.handle_arg("env", env), self.a(seed), self.a(obs)], [obs]) == 0:
            self.check_finite("swiftpg_env_reset", env, obs)

    def actions_for(self, discrete: bool, num_actions: int, action_size: int, rows: int, name: str = "actions"):
        r = self.rng
        if discrete:
            data = [r.randrange(max(1, num_actions)) for _ in range(rows)]
            if rows and self.bad(0.25):
                data[r.randrange(rows)] = r.choice([-1, num_actions, 2**31 - 1, -(2**31)])
            return self.buf(ctypes.c_int32, rows, name, data=data)
        data = self.doubles(rows * action_size, scale=2.0)
        return self.buf(ctypes.c_double, rows * action_size, name, data=data)

    def g_env_step(self):
        env = self.any_env()
        if env is None:
            return
        n, d = env.n, env.obs
        acts = self.actions_for(env.discrete, env.num_actions, env.action_size, n)
        obs = self.buf(ctypes.c_double, n * d, "observations_out", out=True)
        rew = self.buf(ctypes.c_double, n, "rewards_out", out=True)
        te = self.buf(ctypes.c_uint8, n, "terminated_out", out=True)
        tr = self.buf(ctypes.c_uint8, n, "truncated_out", out=True)
        fin = self.buf(ctypes.c_double, n * d, "final_observations_out", out=True, optional=True)
        ended = self.buf(ctypes.c_int32, 1, "ended_count_out", out=True, optional=True)
        status = self.invoke("swiftpg_env_step", [self.handle_arg("env", env), self.a(acts), self.a(obs),
                                                  self.a(rew), self.a(te), self.a(tr), self.a(fin), self.a(ended)],
                             [obs, rew, te, tr, fin, ended])
        if status == 0:
            self.check_finite("swiftpg_env_step", env, obs, rew)

    def check_finite(self, name: str, env: Env, *bufs: Buf) -> None:
        """A successful step/reset must not return NaN (silently wrong
        physics, e.g. after an extreme but accepted parameter value)."""
        for b in bufs:
            values = b.values()
            if values and any(v != v for v in values):
                self.finding(f"{name}-nan-{env.id}", f"{name} on {env.id} succeeded but returned NaN in {b.name} "
                                                     f"(after parameters/states set earlier in the run: replay "
                                                     f"with --trace to see them)")
                return

    def g_env_get_state(self):
        self.env_outputs("swiftpg_env_get_state",
                         lambda env: [self.buf(ctypes.c_double, env.n * env.state, "states_out", out=True)])

    def g_env_set_state(self):
        env = self.any_env()
        if env is None:
            return
        count = env.n * env.state
        if env.tabular:
            data = [float(self.rng.randrange(env.tabular[0])) for _ in range(count)]
            if count and self.bad(0.3):
                data[0] = self.rng.choice([-1.0, float(env.tabular[0]), 0.5, 2.0**40, NAN])
        else:
            data = self.doubles(count, scale=0.5)
        states = self.buf(ctypes.c_double, count, "states", data=data)
        obs = self.buf(ctypes.c_double, env.n * env.obs, "observations_out", out=True, optional=True)
        self.invoke("swiftpg_env_set_state", [self.handle_arg("env", env), self.a(states), self.a(obs)], [obs])

    def g_env_get_final_state(self):
        self.env_outputs("swiftpg_env_get_final_state",
                         lambda env: [self.buf(ctypes.c_double, env.n * env.state, "states_out", out=True),
                                      self.buf(ctypes.c_int32, env.n, "steps_out", out=True, optional=True)])

    def g_env_get_elapsed_steps(self):
        self.env_outputs("swiftpg_env_get_elapsed_steps",
                         lambda env: [self.buf(ctypes.c_int32, env.n, "steps_out", out=True)])

    def g_env_set_threads(self):
        env = self.any_env()
        k = self.i32(self.rng.choice([1, 2, 4]), bad=[65, 0, -1, 2**31 - 1], p=0.3)
        self.invoke("swiftpg_env_set_threads", [self.handle_arg("env", env), k])

    def g_env_parameter_names(self):
        env = self.any_env()
        self.text_call("swiftpg_env_parameter_names", [self.handle_arg("env", env)])

    PARAM_NAMES = ["gravity", "masscart", "masspole", "length", "force_mag", "tau", "sutton_barto_reward",
                   "max_episode_steps", "link_length_1", "link_mass_1", "link_mass_2", "link_com_pos_1",
                   "link_com_pos_2", "link_moi", "goal_velocity", "force", "power", "g", "m", "l", "max_speed",
                   "max_torque", "dt", "gamma", "initial_mean", "initial_std", "transition_std", "reward_left",
                   "reward_right", "reward_std"]

    def param_name(self, env: Env | None = None) -> Str:
        if self.bad(0.2):
            return Str(self.rng.choice([None, b"", b"nope", b"\xff", b"x" * 400, b"max_episode_steps\n"]))
        names = getattr(env, "params", None) if self.rng.random() < 0.9 else None
        return Str(self.rng.choice(names or self.PARAM_NAMES).encode())

    def param_value(self, name: bytes | None) -> float:
        r = self.rng
        if name == b"max_episode_steps":
            # never a legitimately huge limit (episodes would run for ages)
            return r.choice([0.0, 1.0, 5.0, 50.0, 200.0, -1.0, 0.5, NAN, INF, 2.0**31, 2.0**53, 1e300])
        return r.choice([0.0, 1.0, 0.5, 2.0, 10.0, -1.0, 1e-9, 1e9] + DOUBLE_EXTREMES)

    def g_env_set_parameter(self):
        env = self.any_env()
        name = self.param_name(env)
        value = self.param_value(name.data)
        status = self.invoke("swiftpg_env_set_parameter", [self.handle_arg("env", env), self.a(name),
                                                           (value, _short(value))])
        if status == 0 and env is not None and name.data == b"max_episode_steps":
            env.limit = int(value) if math.isfinite(value) and value == int(value) else None

    def g_env_randomize_parameter(self):
        env = self.any_env()
        name = self.param_name(env)
        lo, hi = sorted([self.param_value(name.data), self.param_value(name.data)],
                        key=lambda x: (math.isnan(x), x))
        if self.rng.random() < 0.2:
            lo, hi = hi, lo
        status = self.invoke("swiftpg_env_randomize_parameter", [self.handle_arg("env", env), self.a(name),
                                                                 (lo, _short(lo)), (hi, _short(hi))])
        if status == 0 and env is not None and name.data == b"max_episode_steps":
            env.limit = int(lo) if lo == hi and math.isfinite(lo) and lo == int(lo) else None

    def g_env_get_parameter(self):
        env = self.any_env()
        if env is None:
            return
        name = self.param_name(env)
        out = self.buf(ctypes.c_double, env.n, "values_out", out=True)
        self.invoke("swiftpg_env_get_parameter", [self.handle_arg("env", env), self.a(name), self.a(out)], [out])

    def g_env_adr_enable(self):
        env = self.any_env()
        r = self.rng
        count = r.choice([1, 1, 2, 3])
        names = [self.param_name(env).data for _ in range(count)]
        if all(n is not None for n in names):
            joined = Str(b"\n".join(names))
        else:
            joined = Str(None)
        if self.bad(0.1):
            joined = Str(r.choice([b"", b"\n", b"x\n\ny", b"gravity\ngravity"]))
        columns = [[r.choice([0.05, 0.1, 1.0]) for _ in range(count)],
                   [r.choice([0.0, 0.01, 0.1, -10.0]) for _ in range(count)],
                   [r.choice([1.0, 5.0, 20.0, 1e3]) for _ in range(count)]]
        if self.bad(0.2):
            for column in columns:
                column[r.randrange(count)] = r.choice(DOUBLE_EXTREMES + [0.0, -1.0])
        steps, lows, highs = (self.buf(ctypes.c_double, count, what, data=column)
                              for what, column in zip(("steps", "lower_limits", "upper_limits"), columns))
        nominals = self.buf(ctypes.c_double, count, "nominals", data=[r.choice([0.5, 1.0, 0.1, NAN])
                                                                     for _ in range(count)], optional=True)
        n = self.i32(count, bad=[0, -1, count + 1, 1025, 2**31 - 1])
        self.invoke("swiftpg_env_adr_enable", [self.handle_arg("env", env), self.a(joined), self.a(nominals),
                                               self.a(steps),
                                               self.a(lows), self.a(highs), n,
                                               self.dbl(r.choice([0.5, 1.0, 0.2])), self.i32(r.choice([1, 3, 10])),
                                               self.dbl(r.choice([0.8, 0.6])), self.dbl(r.choice([0.4, 0.0])),
                                               self.dbl(r.choice([10.0, 475.0, -200.0]))])

    def g_env_set_autoreset_mode(self):
        self.invoke("swiftpg_env_set_autoreset_mode", [self.handle_arg("env", self.any_env()),
                                                       self.i32(self.rng.choice([0, 0, 1]), bad=[2, -1])])

    def g_env_get_autoreset_mode(self):
        out = self.out1(ctypes.c_int32, "mode_out")
        self.invoke("swiftpg_env_get_autoreset_mode", [self.handle_arg("env", self.any_env()), self.a(out)], [out])

    def g_env_reseed_instances(self):
        env = self.any_env()
        n = env.n if env is not None else 1
        seeds = self.buf(ctypes.c_uint64, n, "seeds", data=[self.rng.randrange(2**64) for _ in range(n)])
        which = self.buf(ctypes.c_uint8, n, "which", data=[self.rng.choice([0, 1, 1, 2]) for _ in range(n)],
                         optional=True)
        self.invoke("swiftpg_env_reseed_instances", [self.handle_arg("env", env), self.a(seeds), self.a(which)])

    def g_env_set_max_action_delay(self):
        env = self.any_env()
        if env is None:
            return
        status = self.invoke("swiftpg_env_set_max_action_delay", [
            self.handle_arg("env", env), self.i32(self.rng.choice([0, 1, 3]), bad=[-1, 65, 2**31 - 1])])
        if status == 0:  # the state grew by the history: later state buffers must be sized for it
            info = Buf(self.S["swiftpg_env_info"], 1, "info_out", out=True)
            if self.invoke("swiftpg_env_get_info", [(env.handle, env.describe()), self.a(info)], [info]) == 0:
                env.state = info.value().state_size

    def g_env_get_max_action_delay(self):
        out = self.out1(ctypes.c_int32, "max_action_delay_out")
        self.invoke("swiftpg_env_get_max_action_delay", [self.handle_arg("env", self.any_env()), self.a(out)], [out])

    def g_env_adr_parameter_names(self):
        self.text_call("swiftpg_env_adr_parameter_names", [self.handle_arg("env", self.any_env())])

    def g_env_adr_disable(self):
        self.invoke("swiftpg_env_adr_disable", [self.handle_arg("env", self.any_env())])

    def g_env_adr_state(self):
        env = self.any_env()
        cap = self.rng.choice([0, 1, 3, 8])
        stats = self.out1(self.S["swiftpg_adr_stats"], "stats_out")
        low = self.buf(ctypes.c_double, max(cap, 1), "low_out", out=True, optional=True)
        high = self.buf(ctypes.c_double, max(cap, 1), "high_out", out=True, optional=True)
        self.invoke("swiftpg_env_adr_state", [self.handle_arg("env", env), self.a(stats), self.a(low), self.a(high),
                                              self.i32(cap, bad=[-1])], [stats, low, high])

    def g_env_last_episodes(self):
        env = self.any_env()
        if env is None:
            return
        outs = [self.buf(ctypes.c_int32, env.n, "tags_out", out=True),
                self.buf(ctypes.c_double, env.n, "returns_out", out=True)]
        self.invoke("swiftpg_env_last_episodes", [self.handle_arg("env", env)] + [self.a(b) for b in outs], outs)

    def g_env_create_tabular(self, valid: bool = False):
        r = self.rng
        with self.valid_only(valid):
            S, A = r.choice([1, 2, 3, 5]), r.choice([1, 2, 3])
            terminal = [1 if (s > 0 and r.random() < 0.3) else 0 for s in range(S)]
            P = []
            for s in range(S):
                for a in range(A):
                    row = [r.random() for _ in range(S)]
                    total = sum(row)
                    P += [x / total for x in row]
            per_next = r.randrange(2)
            R = self.doubles(S * A * (S if per_next else 1), finite=not self.mutating)
            init = [0.0 if terminal[s] else r.random() + 0.1 for s in range(S)]
            total = sum(init)
            init = [x / total for x in init]
            if self.bad(0.3):
                which = r.randrange(5)
                if which == 0:
                    P[r.randrange(len(P))] += r.choice([0.5, -0.5, NAN, 1e-6])
                elif which == 1:
                    init[r.randrange(S)] = r.choice([-0.1, NAN, 2.0])
                elif which == 2:
                    terminal = [1] * S
                elif which == 3:
                    terminal[r.randrange(S)] = r.choice([2, 255])
                else:
                    P[0] = INF
            s_arg = self.i32(S, bad=[0, -1, 65537, 2**31 - 1], p=0.2)
            a_arg = self.i32(A, bad=[0, -1, 2**31 - 1], p=0.2)
            if s_arg[0] != S or a_arg[0] != A:
                # a different count with buffers of the original size is only
                # generated where the library must refuse it
                if not (s_arg[0] <= 0 or a_arg[0] <= 0 or s_arg[0] * max(1, a_arg[0]) * s_arg[0] > 2**28
                        or s_arg[0] > 65536):
                    s_arg, a_arg = (S, str(S)), (A, str(A))
            horizon = self.i32(r.choice([0, 0, 1, 5, 20]), bad=[-1, -(2**31)], p=0.2)
            gamma = self.dbl(r.choice([0.0, 0.5, 0.9, 0.99, 1.0]), p=0.2)
            mes = self.i32(r.choice([0, 10, 100]), bad=[-1, -(2**31)], p=0.2)
            n = self.i32(r.choice([1, 2, 4]), bad=[0, -1, 16_777_217], p=0.15)
            out = self.out1(ctypes.c_uint64, "env_out")
            args = [n, self.seed(), s_arg, a_arg,
                    self.a(self.buf(ctypes.c_double, len(P), "transitions", data=P)),
                    self.a(self.buf(ctypes.c_double, len(R), "rewards", data=R)), (per_next, str(per_next)),
                    self.a(self.buf(ctypes.c_double, S, "initial", data=init)),
                    self.a(self.buf(ctypes.c_uint8, S, "terminal", data=terminal, optional=True)),
                    horizon, gamma, mes, self.a(out)]
            status = self.invoke("swiftpg_env_create_tabular", args, [out])
            if status != 0:
                return None
            return self.adopt_env(out.value(), "tabular")

    def adopt_env(self, handle: int, what: str) -> Env | None:
        env = self.describe_env(handle, what)
        if env is None:
            return None
        return self.adopt(env)

    LAYOUT_CHARS = ".#SGP"

    def layout(self) -> bytes:
        r = self.rng
        if self.bad(0.3):
            odd = [b"", b"\n", b"###\n###", b"S\nGG\n...", b"..\n.", b"SS\nGG", b"xyz", b"." * 65535,
                   b"S" + b"." * 300 + b"G", b"\xff\xfe", b"G\n\n\nS", b"\n".join([b"S.G"] * 400)]
            return r.choice(odd)
        rows, cols = r.randrange(1, 5), r.randrange(1, 7)
        grid = [[r.choice("....#GP") for _ in range(cols)] for _ in range(rows)]
        if r.random() < 0.7:
            grid[r.randrange(rows)][r.randrange(cols)] = "S"
        if r.random() < 0.8:
            grid[r.randrange(rows)][r.randrange(cols)] = "G"
        return "\n".join("".join(row) for row in grid).encode()

    def g_env_create_gridworld(self, valid: bool = False):
        r = self.rng
        with self.valid_only(valid):
            lay = Str(self.layout())
            if self.bad(0.1):
                lay = Str(None)
            n = self.i32(r.choice([1, 2, 3]), bad=[0, -1, 16_777_217], p=0.15)
            out = self.out1(ctypes.c_uint64, "env_out")
            args = [n, self.seed(), self.a(lay), self.dbl(r.choice([0.0, 0.1, 0.5])), self.dbl(r.choice([0.0, -0.1])),
                    self.dbl(1.0), self.dbl(-1.0), self.dbl(r.choice([0.9, 0.99, 1.0])),
                    self.i32(r.choice([0, 20, 100]), bad=[-1]), self.a(out)]
            if self.invoke("swiftpg_env_create_gridworld", args, [out]) != 0:
                return None
            return self.adopt_env(out.value(), "gridworld")

    def g_env_create_bandit(self, valid: bool = False):
        r = self.rng
        with self.valid_only(valid):
            k = r.choice([1, 2, 3, 5])
            kind = self.i32(r.randrange(2), bad=[2, -1, 2**31 - 1])
            bern = kind[0] == 1
            means = [r.random() if bern else r.gauss(0, 1) for _ in range(k)]
            if self.bad(0.2):
                means[r.randrange(k)] = r.choice([NAN, INF, -0.5, 1.5, 1e308])
            stds = [abs(r.gauss(1, 0.5)) for _ in range(k)]
            if self.bad(0.2):
                stds[r.randrange(k)] = r.choice([-1.0, NAN, INF, 0.0])
            arms = self.i32(k, bad=[0, -1], p=0.15)
            n = self.i32(r.choice([1, 2, 4]), bad=[0, -1, 16_777_217], p=0.15)
            out = self.out1(ctypes.c_uint64, "env_out")
            args = [n, self.seed(), kind, arms, self.a(self.buf(ctypes.c_double, k, "means", data=means)),
                    self.a(self.buf(ctypes.c_double, k, "stds", data=stds, optional=True)),
                    self.i32(r.choice([1, 2, 5]), bad=[0, -1]), self.a(out)]
            if self.invoke("swiftpg_env_create_bandit", args, [out]) != 0:
                return None
            return self.adopt_env(out.value(), "bandit")

    def g_env_render_text(self):
        env = self.any_env()
        n = env.n if env else 1
        inst = self.i32(self.rng.randrange(n), bad=[n, -1, 2**31 - 1])
        self.text_call("swiftpg_env_render_text", [self.handle_arg("env", env), inst], allocated=8192)

    def g_env_tabular_sizes(self):
        env = self.any_env()
        s, a = self.out1(ctypes.c_int32, "num_states_out"), self.out1(ctypes.c_int32, "num_actions_out")
        self.invoke("swiftpg_env_tabular_sizes", [self.handle_arg("env", env), self.a(s), self.a(a)], [s, a])

    def g_env_get_tabular(self):
        env = self.pick("env", lambda e: e.tabular is not None) or self.any_env()
        if env is None:
            return
        S, A = env.tabular or (1, 1)
        outs = [self.buf(ctypes.c_double, S * A * S, "transitions_out", out=True, optional=True),
                self.buf(ctypes.c_double, S * A * S, "rewards_out", out=True, optional=True),
                self.buf(ctypes.c_double, S, "initial_out", out=True, optional=True),
                self.buf(ctypes.c_uint8, S, "terminal_out", out=True, optional=True),
                self.buf(ctypes.c_int32, 1, "horizon_out", out=True, optional=True),
                self.buf(ctypes.c_double, 1, "gamma_out", out=True, optional=True)]
        self.invoke("swiftpg_env_get_tabular", [self.handle_arg("env", env)] + [self.a(b) for b in outs], outs)

    # -- policies --------------------------------------------------------------------------------
    def hidden_arg(self):
        """(hidden_sizes buffer, num_hidden arg, huge?)"""
        r = self.rng
        hid = self.hidden()
        huge = False
        if self.bad(0.3):
            choice = r.randrange(5)
            if choice == 0:
                hid = [65536, 65536]                                 # issue 11, kind 1
                huge = True
            elif choice == 1:
                hid = [r.choice([0, -1, 65537, 2**31 - 1, -(2**31)])]
            elif choice == 2:
                hid = [r.choice([1, 2])] * 65                        # more layers than the cap
            elif choice == 3:
                hid = [4096, 65536, 4096]
                huge = True
            else:
                hid = hid + [0]
        buf = self.buf(ctypes.c_int32, max(1, len(hid)), "hidden_sizes", data=hid or [0], p_null=0.1)
        count = len(hid)
        if self.bad(0.15):
            count = r.choice([-1, -(2**31), 0, max(0, len(hid) - 1)])   # never more than the buffer holds
        return buf, (count, str(count)), huge

    def size_arg(self, valid: int, bad=(0, -1, 65537, 2**31 - 1, -(2**31)), p: float = 0.2):
        return self.i32(valid, bad=bad, p=p)

    def invoke_policy_create(self, kind: str, args) -> None:
        """``swiftpg_policy_create_<kind>(*args(), policy_out)``, keeping the
        policy it creates. ``args()`` builds the arguments after the output
        buffer is drawn, the order a seed's replay depends on."""
        out = self.out1(ctypes.c_uint64, "policy_out")
        self.adopt_call(f"swiftpg_policy_create_{kind}", args(), out, self.register_policy)

    def g_policy_create_softmax(self):
        r = self.rng
        hs, nh, _ = self.hidden_arg()
        self.invoke_policy_create("softmax", lambda: [
            self.size_arg(r.choice([1, 2, 4, 6])), self.size_arg(r.choice([2, 3, 4]), bad=(1, 0, -1, 65537, 2**31 - 1)),
            self.a(hs), nh, self.i32(r.randrange(2), bad=[2, -1, 2**31 - 1]), self.dbl(math.sqrt(2)),
            self.dbl(0.01), self.seed()])

    def g_policy_create_factored_softmax(self):
        r = self.rng
        hs, nh, _ = self.hidden_arg()
        factors = [r.choice([1, 2, 3, 4]) for _ in range(r.choice([1, 2, 3]))]
        if self.bad(0.3):
            factors = r.choice([[0, 2], [-1, 3], [1], [1, 1], [65537, 2], [2] * 31, [40000, 40000], [2] * 64,
                                [2**31 - 1, 2]])
        fs = self.buf(ctypes.c_int32, len(factors), "factor_sizes", data=factors, p_null=0.1)
        count = len(factors)
        if self.bad(0.15):
            count = r.choice([-1, 0, -(2**31), max(0, len(factors) - 1)])   # never more than the buffer holds
        self.invoke_policy_create("factored_softmax", lambda: [
            self.size_arg(r.choice([1, 2, 4])), self.a(fs), (count, str(count)), self.a(hs), nh,
            self.i32(r.randrange(2), bad=[2, -1]), self.dbl(math.sqrt(2)), self.dbl(0.01), self.seed()])

    def g_policy_get_factor_sizes(self):
        r = self.rng
        pol = self.any_policy()
        capacity = r.choice([0, 1, 2, 3, 64])
        buf = self.buf(ctypes.c_int32, max(1, capacity), "factor_sizes_out", out=True, optional=capacity == 0)
        cap = capacity if not self.bad(0.15) else r.choice([-1, -(2**31), 0])
        n = self.out1(ctypes.c_int32, "num_factors_out")
        self.invoke("swiftpg_policy_get_factor_sizes", [self.handle_arg("policy", pol), self.a(buf), (cap, str(cap)),
                                                         self.a(n)], [buf, n])

    def g_policy_create_tabular(self):
        r = self.rng
        self.invoke_policy_create("tabular", lambda: [
            self.size_arg(r.choice([1, 3, 26])), self.size_arg(r.choice([2, 4]), bad=(1, 0, -1, 2**31 - 1)),
            self.seed()])

    def g_policy_create_linear_features(self):
        r = self.rng
        self.invoke_policy_create("linear_features", lambda: [
            self.size_arg(r.choice([1, 2, 3])), self.size_arg(r.choice([2, 3]), bad=(1, 0, -1, 2**31 - 1)),
            self.seed()])

    def g_policy_create_gaussian(self):
        r = self.rng
        hs, nh, _ = self.hidden_arg()
        self.invoke_policy_create("gaussian", lambda: [
            self.size_arg(r.choice([1, 2, 3])), self.size_arg(r.choice([1, 2, 64]), bad=(0, -1, 4097, 2**31 - 1)),
            self.a(hs), nh, self.i32(r.randrange(2), bad=[2, -1]), self.flag(),
            self.dbl(r.choice([0.0, -0.5])), self.dbl(1.0), self.dbl(0.01), self.seed()])

    def g_policy_create_gsde(self):
        r = self.rng
        hs, nh, _ = self.hidden_arg()
        self.invoke_policy_create("gsde", lambda: [
            self.size_arg(r.choice([1, 2, 3])), self.size_arg(r.choice([1, 2]), bad=(0, -1, 4097, 2**31 - 1)),
            self.a(hs), nh, self.i32(r.randrange(2), bad=[2, -1]), self.dbl(-1.0),
            self.i32(r.choice([1, 4]), bad=[0, -1, 2**31 - 1]), self.dbl(1.0), self.dbl(0.01), self.seed()])

    def g_policy_create_clamp(self):
        self.invoke_policy_create("clamp", lambda: [self.dbl(self.rng.choice([0.5, 0.0, 1.0, -0.5, 1.5])), self.seed()])

    def g_policy_destroy(self):
        self.destroy_call("policy", self.any_policy())

    def g_policy_get_info(self):
        self.info_call("policy", self.any_policy())

    def g_policy_get_sizes(self):
        pol = self.any_policy()
        a = self.out1(ctypes.c_int32, "observation_size_out")
        b = self.out1(ctypes.c_int32, "num_actions_out")
        c = self.out1(ctypes.c_int64, "num_params_out")
        self.invoke("swiftpg_policy_get_sizes", [self.handle_arg("policy", pol), self.a(a), self.a(b), self.a(c)],
                    [a, b, c])

    def count_arg(self, valid: int):
        """A count the library compares with an object's size: wrong values
        must be refused (the buffer always has the object's size)."""
        return self.i64(valid, bad=[valid - 1, valid + 1, 0, 1, -1, 2**31 - 1, 2**63 - 1, -(2**63)], p=0.25)

    def params_call(self, prefix: str, obj: Obj | None, setting: bool):
        """``swiftpg_<prefix>_get_params`` / ``_set_params`` of ``obj`` (whose kind is the prefix's)."""
        kind = obj.kind if obj is not None else prefix
        if obj is None:
            return
        p = max(1, obj.num_params)
        if setting:
            b = self.buf(ctypes.c_double, p, "params", data=self.doubles(p, 0.3))
            outs = []
        else:
            b = self.buf(ctypes.c_double, p, "params_out", out=True)
            outs = [b]
        self.invoke(f"swiftpg_{prefix}_{'set' if setting else 'get'}_params",
                    [self.handle_arg(kind, obj), self.a(b), self.count_arg(obj.num_params)], outs)

    def g_policy_get_params(self):
        self.params_call("policy", self.any_policy(), False)

    def g_policy_set_params(self):
        self.params_call("policy", self.any_policy(), True)

    def g_policy_set_precision(self):
        pol = self.any_policy()
        self.invoke("swiftpg_policy_set_precision", [self.handle_arg("policy", pol),
                                                     self.i32(self.rng.choice([32, 64]), bad=[16, 0, -64, 128])])

    def g_value_set_precision(self):
        val = self.any_value()
        self.invoke("swiftpg_value_set_precision", [self.handle_arg("value", val),
                                                    self.i32(self.rng.choice([32, 64]), bad=[16, 0, -64, 128])])

    def g_policy_seed(self):
        pol = self.any_policy()
        self.invoke("swiftpg_policy_seed", [self.handle_arg("policy", pol), self.seed()])

    def observations(self, pol_or_val, batch: int, name: str = "observations") -> Buf:
        """[batch, obs] rows: one-hot for tabular policies, else random."""
        d = pol_or_val.obs
        if getattr(pol_or_val, "family", None) == 2 or getattr(pol_or_val, "one_hot", False):
            data = []
            for _ in range(batch):
                row = [0.0] * d
                row[self.rng.randrange(d)] = 1.0
                data += row
            if data and self.bad(0.2):
                data[self.rng.randrange(len(data))] = self.rng.choice([0.5, 2.0, NAN, -1.0])
        else:
            data = self.doubles(batch * d)
        return self.buf(ctypes.c_double, batch * d, name, data=data)

    def batch_arg(self, batch: int):
        """The batch count: the buffers hold ``batch`` rows; a different
        count is only smaller, or one the library must refuse."""
        return self.i64(batch, bad=[max(0, batch - 1), -1, -(2**63), 2**31 - 1, 2**62, 2**63 - 1, 2**26 + 1],
                        p=0.2)

    def g_policy_sample(self):
        pol = self.any_policy()
        if pol is None:
            return
        b = self.rng.choice([0, 1, 2, 5])
        obs = self.observations(pol, b)
        out = self.buf(ctypes.c_int32 if pol.discrete else ctypes.c_double,
                       b * (1 if pol.discrete else pol.action_size), "actions_out", out=True)
        self.invoke("swiftpg_policy_sample", [self.handle_arg("policy", pol), self.a(obs), self.batch_arg(b),
                                              self.flag(0.1), self.a(out)], [out])

    def g_policy_probabilities(self):
        pol = self.any_policy()
        self.batch_call("swiftpg_policy_probabilities", "policy", pol, "obs batch", "probabilities_out",
                        lambda b: b * max(1, pol.num_actions))

    def policy_batch(self, pol):
        b = self.rng.choice([0, 1, 2, 4])
        return b, self.observations(pol, b), self.actions_for(pol.discrete, pol.num_actions, pol.action_size, b)

    def g_policy_log_prob(self):
        self.batch_call("swiftpg_policy_log_prob", "policy", self.any_policy(), "obs acts batch", "log_probs_out",
                        lambda b: b)

    def g_policy_entropy(self):
        self.batch_call("swiftpg_policy_entropy", "policy", self.any_policy(), "obs batch", "entropies_out",
                        lambda b: b)

    def g_policy_kl(self):
        self.batch_call("swiftpg_policy_kl", "policy", self.any_policy(), "obs batch old count", "kl_out", lambda b: b)

    def weights(self, b: int) -> Buf:
        return self.buf(ctypes.c_double, b, "weights", data=self.doubles(b))

    def batch_call(self, name: str, kind: str, obj: Obj | None, layout: str, out_name: str, out_size) -> None:
        """A call of a policy or value function on a batch of ``b`` rows: the
        handle, the arguments named in ``layout`` (``obs``, ``acts``,
        ``weights``, ``batch``, ``old`` (old parameters), ``vector``,
        ``count`` (the parameter count)), then an output of ``out_size(b)``
        doubles named ``out_name``."""
        if obj is None:
            return
        parts = layout.split()
        if "acts" in parts:
            b, obs, acts = self.policy_batch(obj)
        else:
            b = self.rng.choice([0, 1, 3])
            obs, acts = self.observations(obj, b), None
        n = obj.num_params
        out = self.buf(ctypes.c_double, out_size(b), out_name, out=True)
        made = {
            "obs": lambda: self.a(obs),
            "acts": lambda: self.a(acts),
            "weights": lambda: self.a(self.weights(b)),
            "batch": lambda: self.batch_arg(b),
            "old": lambda: self.a(self.buf(ctypes.c_double, n, "old_params", data=self.doubles(n, 0.3))),
            "vector": lambda: self.a(self.buf(ctypes.c_double, n, "vector", data=self.doubles(n))),
            "count": lambda: self.count_arg(n),
        }
        self.invoke(name, [self.handle_arg(kind, obj)] + [made[p]() for p in parts] + [self.a(out)], [out])

    def params_sized_call(self, function: str, layout: str, out_name: str = "gradient_out") -> None:
        """``batch_call`` of ``swiftpg_policy_<function>``, whose output has
        ``num_params`` entries (a gradient or a product with the Fisher matrix)."""
        pol = self.any_policy()
        self.batch_call(f"swiftpg_policy_{function}", "policy", pol, layout, out_name, lambda b: pol.num_params)

    def g_policy_score_gradient(self):
        self.params_sized_call("score_gradient", "obs acts weights batch")

    def g_policy_score_vectors(self):
        pol = self.any_policy()
        self.batch_call("swiftpg_policy_score_vectors", "policy", pol, "obs acts batch", "scores_out",
                        lambda b: b * pol.num_params)

    def g_policy_entropy_gradient(self):
        self.params_sized_call("entropy_gradient", "obs weights batch")

    def g_policy_kl_gradient(self):
        self.params_sized_call("kl_gradient", "obs old count weights batch")

    def g_policy_fisher_vector_product(self):
        self.params_sized_call("fisher_vector_product", "obs batch vector count", "product_out")

    def adopt_call(self, name: str, args: list, out: Buf, register) -> None:
        """``name(*args, handle_out)`` with ``out`` for the handle; a new
        handle is adopted by ``register``."""
        if self.invoke(name, args + [self.a(out)], [out]) == 0:
            register(out.value())

    def save_call(self, name: str, kind: str, file_kind: str, obj: Obj | None):
        path = self.save_path()
        status = self.invoke(name, [self.handle_arg(kind, obj), self.a(path)])
        if status == 0 and path.data and os.path.isfile(path.data):
            self.files.append((file_kind, path.data.decode("latin-1")))
            if len(self.files) > 40:
                self.files.pop(0)

    def g_policy_save(self):
        self.save_call("swiftpg_policy_save", "policy", "policy", self.any_policy())

    def g_policy_load(self):
        path = self.load_path("policy")
        out = self.out1(ctypes.c_uint64, "policy_out")
        self.adopt_call("swiftpg_policy_load", [self.a(path), self.seed()], out, self.register_policy)

    def episodes_arg(self, out_allowed: bool = True):
        """(episodes arg, returns Buf, lengths Buf): huge counts only with NULL outputs."""
        r = self.rng
        if self.bad(0.25):
            e = r.choice([0, -1, -(2**31), 2**31 - 1, (1 << 24) + 1])
            null = e > 0
        else:
            e = r.choice([1, 2, 3, 5])
            null = False
        ret = self.buf(ctypes.c_double, max(0, e) if not null else 0, "returns_out", out=True, optional=True,
                       null=null)
        lens = self.buf(ctypes.c_int32, max(0, e) if not null else 0, "lengths_out", out=True, optional=True,
                        null=null)
        return (e, str(e)), ret, lens

    def episodic_ok(self, env: Env | None) -> bool:
        """Episodic work (evaluation, episode collection, search) runs on envs
        with a time limit of at most 1000 steps, and rarely on envs without
        one (limit 0: the library must refuse it, issue 11 kind 4). A long
        but finite limit (set by a fuzzed call) is legitimately slow: never."""
        if env is None or env.limit_ok:
            return True
        return env.limit == 0 and self.rng.random() < 0.05

    def g_policy_evaluate(self):
        env, pol = self.env_policy_pair()
        if env is None or pol is None:
            return
        if not self.episodic_ok(env):
            return
        eps, ret, lens = self.episodes_arg()
        self.invoke("swiftpg_policy_evaluate", [self.handle_arg("policy", pol), self.handle_arg("env", env), eps,
                                                self.flag(0.1), self.seed(), self.a(ret), self.a(lens)], [ret, lens])

    # -- estimators ------------------------------------------------------------------------------
    def rollout(self, with_values: bool, values_required: bool):
        r = self.rng
        T, N = r.choice([1, 2, 3, 5]), r.choice([1, 2, 3])
        rewards = self.buf(ctypes.c_double, T * N, "rewards", data=self.doubles(T * N))
        te = self.buf(ctypes.c_uint8, T * N, "terminated", data=self.flags(T * N, 0.2))
        tr = self.buf(ctypes.c_uint8, T * N, "truncated", data=self.flags(T * N, 0.15))
        values = self.buf(ctypes.c_double, (T + 1) * N, "values", data=self.doubles((T + 1) * N),
                          optional=not values_required, null=not with_values)
        final = self.buf(ctypes.c_double, T * N, "final_values", data=self.doubles(T * N), optional=True,
                         null=not with_values)
        steps = self.i64(T, bad=[0, T - 1, -1, 2**31 - 1, 2**62, 2**63 - 1, -(2**63), 2**26 + 1])
        lanes = self.i64(N, bad=[0, N - 1, -1, 2**31 - 1, 2**62, 2**63 - 1, 2**32])
        return T, N, steps, lanes, rewards, te, tr, values, final

    def gamma(self):
        return self.dbl(self.rng.choice([0.0, 0.5, 0.99, 1.0]), p=0.2)

    def rollout_estimator(self, name: str, with_values: bool, values_required: bool, extra: list):
        T, N, steps, lanes, rewards, te, tr, values, final = self.rollout(with_values, values_required)
        out = self.buf(ctypes.c_double, T * N, "out", out=True)
        args = [steps, lanes, self.a(rewards), self.a(te), self.a(tr)]
        if with_values:
            args += [self.a(values), self.a(final)]
        self.invoke(name, args + [self.gamma()] + extra + [self.a(out)], [out])

    def g_discounted_returns(self):
        self.rollout_estimator("swiftpg_discounted_returns", True, False, [])

    def g_td_errors(self):
        self.rollout_estimator("swiftpg_td_errors", True, True, [])

    def g_gae(self):
        self.rollout_estimator("swiftpg_gae", True, True, [self.dbl(self.rng.choice([0.0, 0.95, 1.0]))])

    def g_lambda_returns(self):
        self.rollout_estimator("swiftpg_lambda_returns", True, True, [self.dbl(self.rng.choice([0.0, 0.95, 1.0]))])

    def g_n_step_returns(self):
        self.rollout_estimator("swiftpg_n_step_returns", True, False,
                               [self.i32(self.rng.choice([1, 2, 5]), bad=[0, -1, 2**31 - 1])])

    def g_n_step_advantages(self):
        self.rollout_estimator("swiftpg_n_step_advantages", True, True,
                               [self.i32(self.rng.choice([1, 2, 5]), bad=[0, -1, 2**31 - 1])])

    def g_vtrace(self):
        T, N, steps, lanes, rewards, te, tr, values, final = self.rollout(True, True)
        log_rhos = self.buf(ctypes.c_double, T * N, "log_rhos", data=self.doubles(T * N, 0.5))
        targets = self.buf(ctypes.c_double, T * N, "targets_out", out=True)
        advantages = self.buf(ctypes.c_double, T * N, "advantages_out", out=True)
        bar = lambda: self.dbl(self.rng.choice([1.0, 0.5, float("inf")]))  # noqa: E731
        self.invoke("swiftpg_vtrace",
                    [steps, lanes, self.a(rewards), self.a(te), self.a(tr), self.a(values), self.a(final),
                     self.a(log_rhos), self.gamma(), bar(), bar(), self.dbl(self.rng.choice([0.0, 0.95, 1.0])),
                     self.a(targets), self.a(advantages)], [targets, advantages])

    def g_episode_returns(self):
        self.rollout_estimator("swiftpg_episode_returns", False, False, [])

    def g_discounted_reward_to_go(self):
        self.rollout_estimator("swiftpg_discounted_reward_to_go", False, False, [])

    def g_time_step_baseline(self):
        T, N, steps, lanes, values, te, tr, _, _ = self.rollout(False, False)
        out = self.buf(ctypes.c_double, T * N, "out", out=True)
        self.invoke("swiftpg_time_step_baseline", [steps, lanes, self.a(values), self.a(te), self.a(tr), self.a(out)],
                    [out])

    def g_importance_weights(self):
        T, N, steps, lanes, lp, te, tr, _, _ = self.rollout(False, False)
        blp = self.buf(ctypes.c_double, T * N, "behavior_log_probs", data=self.doubles(T * N))
        out = self.buf(ctypes.c_double, T * N, "weights_out", out=True)
        self.invoke("swiftpg_importance_weights", [steps, lanes, self.a(lp), self.a(blp), self.a(te), self.a(tr),
                                                   self.i32(self.rng.randrange(3), bad=[3, -1]),
                                                   self.dbl(self.rng.choice([INF, 1.0, 10.0])), self.a(out)], [out])

    def sample_count(self, n: int):
        return self.i64(n, bad=[max(0, n - 1), -1, 2**31 - 1, 2**62, 2**63 - 1, -(2**63), 2**26 + 1])

    def g_mean_baseline(self):
        n = self.rng.choice([0, 1, 2, 5])
        vals = self.buf(ctypes.c_double, n, "values", data=self.doubles(n, 10))
        out = self.buf(ctypes.c_double, n, "out", out=True)
        mean = self.buf(ctypes.c_double, 1, "mean_out", out=True, optional=True)
        self.invoke("swiftpg_mean_baseline", [self.sample_count(n), self.a(vals), self.flag(), self.a(out),
                                              self.a(mean)], [out, mean])

    def g_clipped_surrogate(self):
        n = self.rng.choice([0, 1, 3, 6])
        args = [self.sample_count(n)] + [self.a(self.buf(ctypes.c_double, n, nm, data=self.doubles(n)))
                                         for nm in ("log_probs", "old_log_probs", "advantages")]
        outs = [self.buf(ctypes.c_double, n, "objectives_out", out=True, optional=True),
                self.buf(ctypes.c_double, n, "weights_out", out=True, optional=True),
                self.buf(ctypes.c_double, 3, "summary_out", out=True, optional=True)]
        self.invoke("swiftpg_clipped_surrogate", args + [self.dbl(self.rng.choice([0.2, INF, 0.1]))] +
                    [self.a(b) for b in outs], outs)

    def g_kl_estimates(self):
        n = self.rng.choice([0, 1, 3, 6])
        args = [self.sample_count(n)] + [self.a(self.buf(ctypes.c_double, n, nm, data=self.doubles(n)))
                                         for nm in ("log_probs", "old_log_probs")]
        outs = [self.buf(ctypes.c_double, n, "k1_out", out=True, optional=True),
                self.buf(ctypes.c_double, n, "k3_out", out=True, optional=True)]
        self.invoke("swiftpg_kl_estimates", args + [self.a(b) for b in outs], outs)

    def g_optimal_baseline(self):
        r = self.rng
        m, p = r.choice([1, 2, 5]), r.choice([1, 2, 4])
        trajectories = r.choice([1, 2, 3])
        episodes = sorted(r.randrange(trajectories) for _ in range(m))
        if self.bad(0.2):
            episodes[r.randrange(m)] = r.choice([-1, trajectories, 2**31 - 1])
        args = [self.i64(m, bad=[0, -1, 2**31 - 1, 2**63 - 1, 2**62]),
                self.i64(p, bad=[0, -1, (1 << 24) + 1, 2**31 - 1, 2**63 - 1]),
                self.a(self.buf(ctypes.c_double, m * p, "scores", data=self.doubles(m * p))),
                self.a(self.buf(ctypes.c_double, m, "returns", data=self.doubles(m))),
                self.a(self.buf(ctypes.c_int32, m, "episodes", data=episodes)),
                self.i32(trajectories, bad=[0, -1, 2**31 - 1]), self.flag()]
        outs = [self.buf(ctypes.c_double, p, "baseline_out", out=True),
                self.buf(ctypes.c_double, p, "gradient_out", out=True)]
        self.invoke("swiftpg_optimal_baseline", args + [self.a(b) for b in outs], outs)

    def params_count(self, p: int, cap: int = 1 << 24):
        bad = [0, p - 1, -1, 2**31 - 1, 2**62, 2**63 - 1, -(2**63)] + ([cap + 1] if cap < 2**31 - 1 else [])
        return self.i64(p, bad=bad)

    def g_finite_difference_gradient(self):
        p = self.rng.choice([1, 2, 5])
        plus = self.buf(ctypes.c_double, p, "plus", data=self.doubles(p))
        minus = self.buf(ctypes.c_double, p, "minus", data=self.doubles(p), optional=True)
        out = self.buf(ctypes.c_double, p, "gradient_out", out=True)
        self.invoke("swiftpg_finite_difference_gradient", [self.params_count(p), self.dbl(self.rng.gauss(0, 1)),
                                                           self.a(plus), self.a(minus), self.dbl(0.1), self.a(out)],
                    [out])

    def g_scale_gradient(self):
        p = self.rng.choice([1, 2, 5])
        g = self.buf(ctypes.c_double, p, "gradient", data=self.doubles(p, 1e3))
        out = g if self.rng.random() < 0.3 else self.buf(ctypes.c_double, p, "gradient_out", out=True)
        g.aliased = out is g              # documented: gradient_out may equal gradient
        norm = self.buf(ctypes.c_double, 1, "norm_out", out=True, optional=True)
        self.invoke("swiftpg_scale_gradient", [self.params_count(p, cap=1 << 30), self.a(g), self.dbl(self.rng.choice([0.0, 1.0, 0.5])),
                                               self.a(out), self.a(norm)], [norm] + ([out] if out is not g else []))

    def g_clip_gradient(self):
        p = self.rng.choice([1, 2, 5])
        g = self.buf(ctypes.c_double, p, "gradient", data=self.doubles(p, 3))
        out = g if self.rng.random() < 0.3 else self.buf(ctypes.c_double, p, "gradient_out", out=True)
        g.aliased = out is g
        clipped = self.buf(ctypes.c_int64, 1, "clipped_out", out=True, optional=True)
        lo, hi = sorted([self.rng.gauss(0, 1), self.rng.gauss(0, 1)])
        self.invoke("swiftpg_clip_gradient", [self.params_count(p, cap=1 << 30), self.a(g), self.dbl(lo), self.dbl(hi),
                                              self.a(out), self.a(clipped)],
                    [clipped] + ([out] if out is not g else []))

    def inout(self, count: int, name: str, data) -> "Buf":
        """An in-out buffer (updated on success, unchanged on failure)."""
        b = self.buf(ctypes.c_double if name != "t" else ctypes.c_int64, count, name, data=data)
        b.inout = True
        return b

    def g_adam_step(self):
        p = self.rng.choice([1, 2, 5])
        params = self.inout(p, "params", self.doubles(p, 3))
        grad = self.buf(ctypes.c_double, p, "gradient", data=self.doubles(p, 3))
        m = self.inout(p, "m", self.doubles(p))
        v = self.inout(p, "v", [abs(x) for x in self.doubles(p)])
        t = self.inout(1, "t", [self.rng.choice([0, 1, 7])])
        self.invoke("swiftpg_adam_step", [self.params_count(p, cap=1 << 28), self.a(params), self.a(grad), self.a(m),
                                          self.a(v), self.a(t), self.dbl(self.rng.choice([1e-3, 0.1])),
                                          self.dbl(0.9), self.dbl(0.999), self.dbl(1e-8), self.flag()])

    def g_sgd_step(self):
        p = self.rng.choice([1, 2, 5])
        params = self.inout(p, "params", self.doubles(p, 3))
        grad = self.buf(ctypes.c_double, p, "gradient", data=self.doubles(p, 3))
        vel = self.inout(p, "velocity", self.doubles(p, 3))
        self.invoke("swiftpg_sgd_step", [self.params_count(p, cap=1 << 28), self.a(params), self.a(grad), self.a(vel),
                                         self.dbl(self.rng.choice([1e-3, 0.1])), self.dbl(self.rng.choice([0.0, 0.9])),
                                         self.flag()])

    def g_regression_gradient(self):
        r = self.rng
        n, p = r.choice([1, 2, 4]), r.choice([1, 2, 3])
        data = self.doubles(n * p)
        if r.random() < 0.2:
            data = [0.0] * (n * p)                      # rank deficient
        args = [self.i64(n, bad=[0, -1, (1 << 16) + 1, 2**31 - 1, 2**62, 2**63 - 1]),
                self.i64(p, bad=[0, -1, (1 << 12) + 1, 2**31 - 1, 2**63 - 1]),
                self.a(self.buf(ctypes.c_double, n * p, "perturbations", data=data)),
                self.a(self.buf(ctypes.c_double, n, "changes", data=self.doubles(n)))]
        out = self.buf(ctypes.c_double, p, "gradient_out", out=True)
        self.invoke("swiftpg_regression_gradient", args + [self.a(out)], [out])

    # -- exact -----------------------------------------------------------------------------------
    def g_exact_solve(self):
        env = self.pick("env", lambda e: e.tabular is not None) or (
            self.g_env_create_tabular(valid=True) if self.rng.random() < 0.7 else self.any_env())
        if env is None:
            return
        pol = self.pick("policy", lambda p: p.discrete and (env.tabular is None or p.num_actions == env.tabular[1]))
        if pol is None:
            pol = self.policy_for(env) if env.discrete else self.any_policy()
        if pol is None:
            return
        S, A = env.tabular or (1, 1)
        A = max(A, pol.num_actions or 1)
        obs_given = pol.obs != env.obs or self.rng.random() < 0.3
        state_obs = self.buf(ctypes.c_double, S * pol.obs, "state_observations",
                             data=self.doubles(S * pol.obs), null=not obs_given)
        outs = [self.buf(ctypes.c_double, 1, "objective_out", out=True, optional=True),
                self.buf(ctypes.c_double, S, "values_out", out=True, optional=True),
                self.buf(ctypes.c_double, S * A, "action_values_out", out=True, optional=True),
                self.buf(ctypes.c_double, S * A, "advantages_out", out=True, optional=True),
                self.buf(ctypes.c_double, S, "visitation_out", out=True, optional=True),
                self.buf(ctypes.c_double, pol.num_params, "gradient_out", out=True, optional=True)]
        self.invoke("swiftpg_exact_solve", [self.handle_arg("env", env), self.handle_arg("policy", pol),
                                            self.a(state_obs)] + [self.a(b) for b in outs], outs)

    # -- value functions -------------------------------------------------------------------------
    def g_value_create_mlp(self):
        hs, nh, _ = self.hidden_arg()
        out = self.out1(ctypes.c_uint64, "value_out")
        args = [self.size_arg(self.rng.choice([1, 2, 4])), self.a(hs), nh,
                self.i32(self.rng.randrange(2), bad=[2, -1]), self.seed()]
        self.adopt_call("swiftpg_value_create_mlp", args, out, self.register_value)

    def g_value_create_tabular(self):
        out = self.out1(ctypes.c_uint64, "value_out")
        args = [self.i32(self.rng.choice([1, 4, 26]), bad=[0, -1, 2**31 - 1, 2**30])]
        self.adopt_call("swiftpg_value_create_tabular", args, out, self.register_value)

    def g_value_destroy(self):
        self.destroy_call("value", self.any_value())

    def g_value_get_sizes(self):
        val = self.any_value()
        a, b = self.out1(ctypes.c_int32, "observation_size_out"), self.out1(ctypes.c_int64, "num_params_out")
        self.invoke("swiftpg_value_get_sizes", [self.handle_arg("value", val), self.a(a), self.a(b)], [a, b])

    def g_value_get_params(self):
        self.params_call("value", self.any_value(), False)

    def g_value_set_params(self):
        self.params_call("value", self.any_value(), True)

    def g_value_predict(self):
        self.batch_call("swiftpg_value_predict", "value", self.any_value(), "obs batch", "values_out", lambda b: b)

    def g_value_gradient(self):
        val = self.any_value()
        self.batch_call("swiftpg_value_gradient", "value", val, "obs weights batch", "gradient_out",
                        lambda b: val.num_params)

    def g_value_save(self):
        self.save_call("swiftpg_value_save", "value", "value", self.any_value())

    def g_value_load(self):
        path = self.load_path("value")
        out = self.out1(ctypes.c_uint64, "value_out")
        self.adopt_call("swiftpg_value_load", [self.a(path)], out, self.register_value)

    # -- policy-gradient learners --------------------------------------------------------------------
    def default_config_call(self, function: str):
        """Any ``swiftpg_<x>_default_config(swiftpg_<x>_config *config_out)``."""
        out = self.out1(self.S[function[:-len("_default_config")] + "_config"], "config_out")
        self.invoke(function, [self.a(out)], [out])

    def pg_create(self, valid: bool = False, algorithm: int | None = None):
        r = self.rng
        with self.valid_only(valid):
            algorithm = r.randrange(7) if algorithm is None else algorithm
            struct = self.pg_struct(algorithm)
            update_only = r.random() < 0.2
            if update_only:
                pol = self.any_policy()
                env = None
            else:
                env, pol = self.env_policy_pair()
            if pol is None:
                return None
            lanes = env.n if env else 1
            config = self.cheap_pg_config(algorithm, lanes)
            if self.mutating and r.random() < 0.7:
                config = self.random_struct(struct, base=config,
                                            fields_to_change=None if r.random() < 0.2 else r.randrange(1, 4))
            needs_value = algorithm not in (0, 3) or getattr(config, "baseline", 0) == 3
            val = None
            if needs_value or r.random() < 0.2:
                val = self.pick("value", lambda v: v.obs == pol.obs) or self.create_value(obs=pol.obs)
            cfg = self.buf(self.S[struct], 1, "config", data=[config], p_null=0.1)
            if not cfg.null:
                cfg.note = self.struct_text(config)
            out = self.out1(ctypes.c_uint64, "learner_out")
            env_arg = (0, "0") if env is None else self.handle_arg("env", env)
            val_arg = (0, "0") if val is None else self.handle_arg("value", val)
            status = self.invoke(f"swiftpg_{self.PG_PREFIXES[algorithm]}_create",
                                 [env_arg, self.handle_arg("policy", pol), val_arg, self.a(cfg), self.a(out)], [out])
            if status != 0:
                return None
            alg = Alg(out.value(), what=f"pg{algorithm}", pg=True, env=env, policy=pol, value=val,
                      cost=self.config_cost(config), config=config)
            alg.cheap = alg.cost == "cheap"
            return self.adopt(alg)

    def g_pg_algorithm(self):
        alg = self.any_alg(lambda a: a.pg or self.rng.random() < 0.2)
        out = self.out1(ctypes.c_int32, "algorithm_out")
        self.invoke("swiftpg_pg_algorithm", [self.handle_arg("algorithm", alg), self.a(out)], [out])

    def g_pg_set_permutations(self):
        alg = self.any_alg(lambda a: a.pg or self.rng.random() < 0.2)
        rows = self.rng.choice([1, 4, 8, 16, 32])
        count = self.rng.choice([0, 1, 2])
        data = [k for _ in range(count) for k in self.rng.sample(range(rows), rows)]
        perms = self.buf(ctypes.c_int64, max(count * rows, 1), "permutations", data=data or [0], optional=count == 0)
        self.invoke("swiftpg_pg_set_permutations", [self.handle_arg("algorithm", alg), self.a(perms),
                                                    self.i64(count, bad=[-1, count + 1, 2**62]),
                                                    self.i64(rows, bad=[0, -1, rows + 1, 2**62])])

    def g_pg_episodes(self):
        alg = self.any_alg(lambda a: a.pg or self.rng.random() < 0.2)
        cap = self.rng.choice([0, 1, 4, 64, 4096])
        ret = self.buf(ctypes.c_double, cap, "returns_out", out=True, optional=True)
        lens = self.buf(ctypes.c_int32, cap, "lengths_out", out=True, optional=True)
        succ = self.buf(ctypes.c_int8, cap, "successes_out", out=True, optional=True)
        count = self.out1(ctypes.c_int64, "count_out")
        # count_out receives the number of episodes also with BUFFER_TOO_SMALL (documented).
        # The capacity is never more than the buffers hold: that would be the caller's lie, not a fault.
        self.invoke("swiftpg_pg_episodes", [self.handle_arg("algorithm", alg), self.a(ret), self.a(lens),
                                            self.a(succ), self.integer(cap, [-1, -(2**63)], 0.2), self.a(count)],
                    [ret, lens, succ, count], exempt=("count_out",))

    def runnable(self, alg: Alg) -> bool:
        """Iterations are issued on cheap learners, and rarely on ones whose
        config asks for a huge allocation (the library must refuse or fail)."""
        if not self.episodic_ok(alg.env):
            return False
        return alg.cheap or (alg.cost == "alloc" and self.rng.random() < 0.1)

    def g_pg_iterate(self):
        alg = self.any_alg(lambda a: a.pg and a.env is not None)
        if alg is None or not self.runnable(alg):
            return
        out = self.out1(self.S["swiftpg_train_stats"], "stats_out")
        self.invoke("swiftpg_pg_iterate", [self.handle_arg("algorithm", alg), self.a(out)], [out])

    def g_pg_collect(self):
        """Buffers of the learner's segment size (sizes that differ are
        refused before anything is written; larger ones would be the
        caller's lie about its buffers)."""
        alg = self.any_alg(lambda a: a.pg and a.env is not None)
        if alg is None or not alg.pg or alg.env is None or not self.runnable(alg):
            return
        steps = getattr(alg.config, "steps_per_env", None) if alg.config is not None else None
        pol = alg.policy
        if not steps or steps > 4096 or getattr(pol, "obs", None) is None:
            return
        n, d = alg.env.n, pol.obs
        m = steps * n
        continuous = pol.num_actions == 0
        obs = self.buf(ctypes.c_double, m * d, "observations", out=True)
        acts = (self.buf(ctypes.c_double, m * pol.action_size, "actions", out=True) if continuous
                else self.buf(ctypes.c_int32, m, "actions", out=True))
        logp = self.buf(ctypes.c_double, m, "log_probs", out=True)
        vals = self.buf(ctypes.c_double, m, "values", out=True, optional=True)
        rew = self.buf(ctypes.c_double, m, "rewards", out=True)
        te = self.buf(ctypes.c_uint8, m, "terminated", out=True)
        tr = self.buf(ctypes.c_uint8, m, "truncated", out=True)
        fin = self.buf(ctypes.c_double, m * d, "final_observations", out=True)
        nxt = self.buf(ctypes.c_double, n * d, "next_observations", out=True)
        out = self.out1(self.S["swiftpg_train_stats"], "stats_out")
        wrong = [steps + 1, n + 1]
        self.invoke("swiftpg_pg_collect",
                    [self.handle_arg("algorithm", alg), self.integer(steps, [0, -1, wrong[0], 2**62], 0.15),
                     self.integer(n, [0, -1, wrong[1], 2**62], 0.15), self.a(obs), self.a(acts), self.a(logp),
                     self.a(vals), self.a(rew), self.a(te), self.a(tr), self.a(fin), self.a(nxt), self.a(out)],
                    [obs, acts, logp, vals, rew, te, tr, fin, nxt, out])

    def g_pg_train_together(self):
        """1-3 learners (sometimes the same one twice, or on bad handles),
        small totals, few threads; buffers of the documented lengths (a
        count or capacity larger than its buffer is the caller's lie)."""
        r = self.rng
        chosen = []
        for _ in range(r.choice([1, 2, 3])):
            alg = self.any_alg(lambda a: a.pg and a.env is not None)
            if alg is None or not alg.pg or not self.runnable(alg):
                return
            chosen.append(alg)
        if len(chosen) > 1 and r.random() < 0.15:
            chosen[-1] = chosen[0]
        handles = [self.handle_arg("algorithm", alg, p=0.1)[0] for alg in chosen]
        n = len(handles)
        learners = self.buf(ctypes.c_uint64, n, "learners", data=handles)
        cap = r.choice([0, 1, 3])
        stats = self.buf(self.S["swiftpg_train_stats"], n * cap, "stats_out", out=True, optional=cap == 0)
        iterations = self.buf(ctypes.c_int64, n, "iterations_out", out=True)
        self.invoke("swiftpg_pg_train_together",
                    # Only bad values the library can see as bad: a larger total
                    # is a long (valid) run, a larger capacity a lie about stats_out.
                    [self.a(learners), self.i32(n, bad=[4097]),
                     self.integer(r.choice([1, 64, 300]), [0, -1, -(2**63)], 0.2),
                     self.i32(r.choice([1, 2]), bad=[65]), self.a(stats),
                     self.integer(cap, [-1, -(2**62), -(2**63)], 0.2), self.a(iterations)],
                    # Documented: a learner's failure leaves the others' iterations and statistics written.
                    [stats, iterations], exempt=("stats_out", "iterations_out"))

    def g_pg_update(self):
        self.external_update("swiftpg_pg_update", log_probs=False)

    def g_pg_update_behavior(self):
        self.external_update("swiftpg_pg_update_behavior", log_probs=True)

    def g_pg_update_raw(self):
        self.external_update("swiftpg_pg_update_raw", log_probs=True)

    def external_update(self, name: str, log_probs: bool):
        """An update on external samples (``swiftpg_pg_update``; with the
        behaviour log-probabilities after the actions: ``_behavior`` /
        ``_raw``; ``_raw`` also with the observation statistics the batch
        was normalised with, or none)."""
        alg = self.any_alg(lambda a: a.pg)
        if alg is None or not self.runnable(alg):
            return
        r = self.rng
        pol = alg.policy
        T, N = r.choice([1, 2, 4]), r.choice([1, 2])
        d = pol.obs
        obs = self.observations(pol, T * N)
        acts = self.actions_for(pol.discrete, pol.num_actions, pol.action_size, T * N)
        logp = (self.buf(ctypes.c_double, T * N, "log_probs", data=[-abs(x) for x in self.doubles(T * N)])
                if log_probs else None)
        rew = self.buf(ctypes.c_double, T * N, "rewards", data=self.doubles(T * N))
        te = self.buf(ctypes.c_uint8, T * N, "terminated", data=self.flags(T * N, 0.3))
        tr = self.buf(ctypes.c_uint8, T * N, "truncated", data=self.flags(T * N, 0.2))
        fin = self.buf(ctypes.c_double, T * N * d, "final_observations", data=self.doubles(T * N * d), optional=True)
        nxt = self.observations(pol, N, "next_observations")
        out = self.out1(self.S["swiftpg_train_stats"], "stats_out")
        stats = []
        if name == "swiftpg_pg_update_raw":
            # Statistics of the observation size (sometimes of none); a larger
            # obs_size would be a lie about the arrays.
            size = r.choice([0, d])
            k = max(size * N, 1)      # [num_envs, obs_size] each
            mean = self.buf(ctypes.c_double, k, "obs_mean", data=self.doubles(k), optional=size == 0)
            var = self.buf(ctypes.c_double, k, "obs_variance", data=[abs(x) for x in self.doubles(k)],
                           optional=size == 0)
            stats = [self.a(mean), self.a(var), self.integer(size, [-1, -(2**63)], 0.2)]
        args = [self.handle_arg("algorithm", alg),
                self.i64(T, bad=[0, T - 1, -1, 2**31 - 1, 2**62, 2**63 - 1, (1 << 24) + 1]),
                self.i64(N, bad=[0, N - 1, -1, 2**31 - 1, 2**63 - 1]),
                self.a(obs), self.a(acts), *([self.a(logp)] if logp is not None else []), self.a(rew), self.a(te),
                self.a(tr), self.a(fin), self.a(nxt), *stats, self.a(out)]
        self.invoke(name, args, [out])

    def g_pg_set_worker_normalization(self):
        alg = self.any_alg(lambda a: a.pg or self.rng.random() < 0.2)
        d = getattr(alg.policy, "obs", 4) if alg is not None else 4
        size = self.rng.choice([0, d])
        n = max(size, 1)
        mean = self.buf(ctypes.c_double, n, "mean", data=self.doubles(n), optional=size == 0)
        var = self.buf(ctypes.c_double, n, "variance", data=[abs(x) for x in self.doubles(n)], optional=size == 0)
        # A larger size would be a lie about the arrays (the library cannot see it).
        self.invoke("swiftpg_pg_set_worker_normalization",
                    [self.handle_arg("algorithm", alg), self.a(mean), self.a(var),
                     self.integer(size, [-1, -(2**63)], 0.2), self.dbl(self.rng.choice([1e-4, 1.0, 100.0]))])

    def g_pg_set_lane_offset(self):
        alg = self.any_alg(lambda a: a.pg or self.rng.random() < 0.2)
        self.invoke("swiftpg_pg_set_lane_offset",
                    [self.handle_arg("algorithm", alg),
                     self.i64(self.rng.choice([0, 1, 64, 1 << 40]), bad=[-1, (1 << 40) + 1, 2**63 - 1, -(2**63)])])

    def g_pg_evaluate(self):
        alg = self.any_alg(lambda a: a.pg or self.rng.random() < 0.1)
        if alg is None:
            return
        pol = alg.policy
        env = self.pick("env", lambda e: self.compatible(e, pol))
        if env is None:
            env = alg.env if (alg.env is not None and alg.env.alive) else self.any_env()
        if env is None or not self.episodic_ok(env):
            return
        eps, ret, lens = self.episodes_arg()
        self.invoke("swiftpg_pg_evaluate", [self.handle_arg("algorithm", alg), self.handle_arg("env", env), eps,
                                            self.flag(0.1), self.seed(), self.a(ret), self.a(lens)], [ret, lens])

    def policy_params(self, pol: Pol) -> list | None:
        if not pol.alive:
            return None
        b = Buf(ctypes.c_double, pol.num_params, "params_out", out=True)
        if self.invoke("swiftpg_policy_get_params", [(pol.handle, pol.describe()), self.a(b),
                                                     (pol.num_params, str(pol.num_params))], [b]) != 0:
            return None
        return b.values()

    def seq_params(self, pol) -> list | None:
        """A sequence policy's parameters (read directly, not a fuzzed call)."""
        if not pol.alive:
            return None
        b = (ctypes.c_double * max(1, pol.num_params))()
        if self.lib.swiftpg_seq_policy_get_params(pol.handle, ctypes.addressof(b), pol.num_params) != 0:
            return None
        return [struct.pack("<d", x) for x in b]

    def g_pg_save(self):
        alg = self.any_alg(lambda a: a.pg)
        self.save_call("swiftpg_pg_save", "algorithm", "learner", alg)

    def load_into(self, name: str, file_kind: str, alg: Alg | None):
        path = None
        if alg is not None and self.rng.random() < 0.6:
            # a checkpoint of this very learner, often mutated (kinds 5 and 6 of issue 11)
            fresh = self.new_path()
            save = "swiftpg_pg_save" if file_kind == "learner" else "swiftpg_search_save"
            if self.invoke(save, [(alg.handle, alg.describe()), self.a(Str(fresh.encode()))]) == 0:
                if self.rng.random() < 0.7:
                    data = open(fresh, "rb").read()
                    with open(fresh, "wb") as f:
                        f.write(self.mutate_checkpoint(data))
                path = Str(fresh.encode())
        path = path or self.load_path(file_kind)
        before = self.policy_params(alg.policy) if alg is not None else None
        status = self.invoke(name, [self.handle_arg("algorithm", alg), self.a(path)])
        if status != 0 and before is not None:
            after = self.policy_params(alg.policy)
            if after is not None and [struct.pack("<d", x) for x in after] != [struct.pack("<d", x) for x in before]:
                self.finding(f"{name}-changed-policy-{status}",
                             f"{name} failed with {status} but changed the policy's parameters "
                             f"(\"a failed call changes nothing\"); file: {path.describe()}")

    def g_pg_load(self):
        self.load_into("swiftpg_pg_load", "learner", self.any_alg(lambda a: a.pg))

    # -- bundles: open, serialize, deserialize ------------------------------------------------------
    def serialized(self, name: str, obj: Obj) -> bytes | None:
        """The bytes ``swiftpg_<x>_serialize`` writes for a live object (not journaled as a fuzzed call)."""
        size = ctypes.c_int64()
        fn = getattr(self.lib, name)
        fn(obj.handle, None, 0, ctypes.addressof(size))
        if size.value <= 0 or size.value > 1 << 26:
            return None
        buf = (ctypes.c_uint8 * size.value)()
        if fn(obj.handle, ctypes.addressof(buf), size.value, ctypes.addressof(size)) != 0:
            return None
        return bytes(buf)

    def serialize_call(self, name: str, kind: str, obj: Obj | None):
        r = self.rng
        need = len(self.serialized(name, obj) or b"") if obj is not None and obj.alive else 64
        capacity = r.choice([0, 0, 1, max(need - 1, 0), need, need, need + 7])
        buffer = self.buf(ctypes.c_uint8, max(capacity, 1), "buffer", out=True, null=capacity == 0 and r.random() < 0.5)
        cap_arg = (capacity, str(capacity))
        if buffer.null and self.bad(0.5):
            cap_arg = self.i64(capacity, bad=[1, 2**62])           # NULL with a capacity: must be refused
        elif self.bad(0.15):
            cap_arg = (r.choice([-1, -(2**63)]), "negative")
        size = self.out1(ctypes.c_int64, "size_out")
        status = self.invoke(name, [self.handle_arg(kind, obj), self.a(buffer), cap_arg, self.a(size)],
                             [buffer, size], exempt=("size_out",))
        if status == 0 and not size.null and size.value() is not None and size.value() > cap_arg[0]:
            self.finding(f"{name}-size", f"{name} succeeded with size {size.value()} > capacity {cap_arg[0]}")

    def bundle_bytes(self, name: str, kind: str) -> bytes:
        """Bytes to deserialize: a live object's bundle (often damaged), a
        bundle of another kind, a format-1 checkpoint, or garbage."""
        r = self.rng
        pools = {"algorithm": ("swiftpg_pg_serialize", lambda o: o.pg), "policy": ("swiftpg_policy_serialize", None),
                 "value": ("swiftpg_value_serialize", None), "env": ("swiftpg_env_serialize", None),
                 "seq_policy": ("swiftpg_seq_policy_serialize", None),
                 "reward_model": ("swiftpg_reward_model_serialize", None),
                 "board_net": ("swiftpg_board_net_serialize", None)}
        source = kind if r.random() < 0.7 else r.choice(list(pools))
        fn, want = pools[source]
        obj = self.pick(source, want)
        data = self.serialized(fn, obj) if obj is not None else None
        if data is None or r.random() < 0.1:
            files = [p for _, p in self.files if os.path.exists(p)]
            if files and r.random() < 0.6:
                data = open(r.choice(files), "rb").read()
            else:
                data = bytes(r.getrandbits(8) for _ in range(r.choice([0, 7, 28, 64])))
        if self.mutating or r.random() < 0.3:
            data = self.mutate_checkpoint(data)
        return data

    def deserialize_call(self, name: str, kind: str, outs: list[str]):
        data = self.bundle_bytes(name, kind)
        n = len(data)
        raw = self.buf(ctypes.c_uint8, max(n, 1), "bytes", data=bytes(data) or b"\0",
                       null=n == 0 and self.rng.random() < 0.5)
        size = (n, str(n))
        if self.bad(0.15):
            size = self.rng.choice([(-1, "-1"), (2**31 + 1, "2^31+1"), (2**63 - 1, "2^63-1")])   # refused before reading
        out_bufs = [self.out1(ctypes.c_uint64, o) for o in outs]
        status = self.invoke(name, [self.a(raw), size] + [self.a(b) for b in out_bufs], out_bufs)
        if status == 0:
            self.register_opened(dict(zip(outs, (b.value() for b in out_bufs))))

    def register_opened(self, handles: dict):
        """Adopts what open/deserialize created (every handle, so none leaks)."""
        env = None
        if handles.get("env_out"):
            env = self.adopt_env(handles["env_out"], "restored")
        pol = self.register_policy(handles["policy_out"]) if handles.get("policy_out") else None
        val = self.register_value(handles["value_out"]) if handles.get("value_out") else None
        for kind in ("seq_policy", "reward_model", "board_net"):
            if handles.get(f"{kind}_out"):
                getattr(self, f"register_{kind}")(handles[f"{kind}_out"])
        if handles.get("learner_out"):
            # The restored config decides what iterating costs (a damaged but
            # valid file may ask for long loops).
            h = handles["learner_out"]
            if pol is None:                        # its policy was too big to keep: drop the learner too
                self.invoke("swiftpg_algorithm_destroy", [(h, f"algorithm:{h:#x}")])
                return
            code = ctypes.c_int32()
            config, cost = None, "slow"
            if self.lib.swiftpg_pg_algorithm(h, ctypes.addressof(code)) == 0 and 0 <= code.value < 7:
                struct_type = self.S[self.pg_struct(code.value)]
                config = struct_type()
                config.size = ctypes.sizeof(struct_type)
                if self.lib.swiftpg_pg_get_config(h, ctypes.addressof(config)) == 0:
                    cost = self.config_cost(config)
            alg = Alg(h, what="pg-restored", pg=True, env=env, policy=pol, value=val, cost=cost, config=config)
            alg.cheap = cost == "cheap" and pol is not None
            self.adopt(alg)

    def g_pg_open(self):
        alg = self.pick("algorithm", lambda a: a.pg)
        path = None
        if alg is not None and self.rng.random() < 0.5:
            fresh = self.new_path()
            if self.invoke("swiftpg_pg_save", [(alg.handle, alg.describe()), self.a(Str(fresh.encode()))]) == 0:
                if self.mutating or self.rng.random() < 0.3:
                    data = open(fresh, "rb").read()
                    with open(fresh, "wb") as f:
                        f.write(self.mutate_checkpoint(data))
                path = Str(fresh.encode())
        path = path or self.load_path("learner")
        outs = ["learner_out", "env_out", "policy_out", "value_out"]
        out_bufs = [self.out1(ctypes.c_uint64, o) for o in outs]
        status = self.invoke("swiftpg_pg_open", [self.a(path)] + [self.a(b) for b in out_bufs], out_bufs)
        if status == 0:
            self.register_opened(dict(zip(outs, (b.value() for b in out_bufs))))

    def g_pg_serialize(self):
        self.serialize_call("swiftpg_pg_serialize", "algorithm", self.any_alg(lambda a: a.pg or self.rng.random() < 0.2))

    def g_pg_deserialize(self):
        self.deserialize_call("swiftpg_pg_deserialize", "algorithm", ["learner_out", "env_out", "policy_out",
                                                                      "value_out"])

    def g_policy_serialize(self):
        self.serialize_call("swiftpg_policy_serialize", "policy", self.any_policy())

    def g_policy_deserialize(self):
        self.deserialize_call("swiftpg_policy_deserialize", "policy", ["policy_out"])

    def g_value_serialize(self):
        self.serialize_call("swiftpg_value_serialize", "value", self.any_value())

    def g_value_deserialize(self):
        self.deserialize_call("swiftpg_value_deserialize", "value", ["value_out"])

    def g_env_serialize(self):
        self.serialize_call("swiftpg_env_serialize", "env", self.any_env())

    def g_env_deserialize(self):
        self.deserialize_call("swiftpg_env_deserialize", "env", ["env_out"])

    def g_pg_get_config(self):
        alg = self.any_alg(lambda a: a.pg or self.rng.random() < 0.2)
        r = self.rng
        algorithm = r.randrange(7)
        if alg is not None and alg.pg:
            code = Buf(ctypes.c_int32, 1, "algorithm_out", out=True)
            if self.invoke("swiftpg_pg_algorithm", [(alg.handle, alg.describe()), self.a(code)], [code]) == 0 \
                    and r.random() < 0.8:
                algorithm = code.value()
        struct_type = self.S[self.pg_struct(algorithm)]
        c = struct_type()
        c.size = ctypes.sizeof(struct_type)
        if self.bad(0.3):
            c.size = r.choice([0, 1, ctypes.sizeof(struct_type) - 8, 2**32 - 1])   # refused: writes nothing
        out = self.buf(struct_type, 1, "config_out", data=[c], p_null=0.1)
        out.aliased = True                  # an output that carries its size in: checked here, not as a const input
        before = out.snapshot()
        status = self.invoke("swiftpg_pg_get_config", [self.handle_arg("algorithm", alg), self.a(out)])
        if status != 0 and before is not None and ctypes.string_at(out.addr, out.size) != before:
            self.finding("swiftpg_pg_get_config-wrote", f"swiftpg_pg_get_config failed with {status} but wrote "
                                                        "config_out")

    def g_pg_counters(self):
        alg = self.any_alg(lambda a: a.pg or self.rng.random() < 0.2)
        it, steps = self.out1(ctypes.c_int64, "iteration_out"), self.out1(ctypes.c_int64, "total_env_steps_out")
        self.invoke("swiftpg_pg_counters", [self.handle_arg("algorithm", alg), self.a(it), self.a(steps)], [it, steps])

    def g_search_counters(self):
        alg = self.any_alg(lambda a: not a.pg or self.rng.random() < 0.2)
        it, steps = self.out1(ctypes.c_int64, "iteration_out"), self.out1(ctypes.c_int64, "total_env_steps_out")
        self.invoke("swiftpg_search_counters", [self.handle_arg("algorithm", alg), self.a(it), self.a(steps)],
                    [it, steps])

    def g_pg_observation_normalizer(self):
        alg = self.any_alg(lambda a: a.pg or self.rng.random() < 0.2)
        d = getattr(getattr(alg, "policy", None), "obs", 1) if alg is not None else 1
        enabled = self.out1(ctypes.c_int32, "enabled_out")
        mean = self.buf(ctypes.c_double, d, "mean_out", out=True, optional=True)
        var = self.buf(ctypes.c_double, d, "variance_out", out=True, optional=True)
        count, clip = self.out1(ctypes.c_double, "count_out"), self.out1(ctypes.c_double, "clip_out")
        self.invoke("swiftpg_pg_observation_normalizer",
                    [self.handle_arg("algorithm", alg), self.a(enabled), self.a(mean), self.a(var),
                     self.i64(d, bad=(d - 1, d + 1)), self.a(count), self.a(clip)], [enabled, mean, var, count, clip])

    def g_policy_get_precision(self):
        pol = self.any_policy()
        out = self.out1(ctypes.c_int32, "bits_out")
        self.invoke("swiftpg_policy_get_precision", [self.handle_arg("policy", pol), self.a(out)], [out])

    def g_value_get_precision(self):
        val = self.any_value()
        out = self.out1(ctypes.c_int32, "bits_out")
        self.invoke("swiftpg_value_get_precision", [self.handle_arg("value", val), self.a(out)], [out])

    def g_env_get_id(self):
        self.text_call("swiftpg_env_get_id", [self.handle_arg("env", self.any_env())])

    def g_env_spawn(self):
        env = self.any_env()
        n = self.i32(self.rng.choice([1, 2, 3]), bad=[16_777_217, 2**31 - 1, -5], p=0.25)
        out = self.out1(ctypes.c_uint64, "env_out")
        if self.invoke("swiftpg_env_spawn", [self.handle_arg("env", env), n, self.seed(), self.a(out)], [out]) == 0:
            self.adopt_env(out.value(), f"spawn of {env.id if env else '?'}")

    # -- policy search -----------------------------------------------------------------------------
    def g_search_create(self, valid: bool = False):
        r = self.rng
        with self.valid_only(valid):
            env, pol = self.env_policy_pair(discrete_only=True)
            if env is None or pol is None:
                return None
            c = self.S["swiftpg_search_config"]()
            self.lib.swiftpg_search_default_config(ctypes.addressof(c))
            c.method = r.randrange(3)
            c.episodes_per_evaluation = r.choice([1, 2])
            c.population_size = r.choice([2, 3, 6])
            c.elite_count = r.randrange(1, c.population_size)
            c.seed = r.getrandbits(64)
            if self.mutating and r.random() < 0.7:
                c = self.random_struct("swiftpg_search_config", base=c,
                                       fields_to_change=None if r.random() < 0.2 else r.randrange(1, 4))
            if self.bad(0.1):
                c.population_size = 2**31 - 1                         # issue 11, kind 1
            cfg = self.buf(self.S["swiftpg_search_config"], 1, "config", data=[c], p_null=0.1)
            if not cfg.null:
                cfg.note = self.struct_text(c)
            out = self.out1(ctypes.c_uint64, "algorithm_out")
            status = self.invoke("swiftpg_search_create", [self.handle_arg("env", env), self.handle_arg("policy", pol),
                                                           self.a(cfg), self.a(out)], [out])
            if status != 0:
                return None
            cost = self.config_cost(c)
            alg = Alg(out.value(), what=f"search{c.method}", pg=False, env=env, policy=pol, value=None, cost=cost,
                      config=c, cheap=cost == "cheap")
            return self.adopt(alg)

    def g_search_iterate(self):
        alg = self.any_alg(lambda a: not a.pg)
        if alg is None or not self.runnable(alg):
            return
        out = self.out1(self.S["swiftpg_search_stats"], "stats_out")
        self.invoke("swiftpg_search_iterate", [self.handle_arg("algorithm", alg), self.a(out)], [out])

    def g_search_episodes(self):
        alg = self.any_alg(lambda a: not a.pg)
        cap = self.rng.choice([0, 1, 4, 64])
        ret = self.buf(ctypes.c_double, cap, "returns_out", out=True, optional=True)
        lens = self.buf(ctypes.c_int32, cap, "lengths_out", out=True, optional=True)
        count = self.out1(ctypes.c_int64, "count_out")
        # Only capacities the library must refuse, or smaller ones: a larger one would be the caller's lie.
        self.invoke("swiftpg_search_episodes", [self.handle_arg("algorithm", alg), self.a(ret), self.a(lens),
                                                self.integer(cap, [-1, -(2**63), 0], 0.2), self.a(count)],
                    [ret, lens, count], exempt=("count_out",))

    def g_search_candidates(self):
        alg = self.any_alg(lambda a: not a.pg or self.rng.random() < 0.1)
        cap = self.rng.choice([0, 1, 4, 64])
        # Rows as wide as the widest policy of a live algorithm: a bad handle may name another search.
        width = max([getattr(getattr(o, "policy", None), "num_params", 0) for o in self.pool.get("algorithm", [])]
                    + [getattr(o, "num_params", 0) for o in self.pool.get("policy", [])]
                    + [getattr(getattr(alg, "policy", None), "num_params", 0), 64])
        params = self.buf(ctypes.c_double, max(cap * width, 1), "parameters_out", out=True, optional=cap == 0)
        count = self.out1(ctypes.c_int64, "count_out")
        seed = self.out1(ctypes.c_uint64, "seed_out")
        # A larger capacity would be a lie about parameters_out (the library cannot see it).
        self.invoke("swiftpg_search_candidates",
                    [self.handle_arg("algorithm", alg), self.a(params),
                     self.integer(cap, [-1, -(2**63)], 0.2), self.a(count), self.a(seed)], [count, seed],
                    # Documented: the count and seed are written also when the candidates do not fit.
                    exempt=("count_out", "seed_out"))

    def g_search_tell(self):
        alg = self.any_alg(lambda a: not a.pg)
        if alg is None or not self.runnable(alg):
            return
        n = self.rng.choice([1, 2, 10, 50])
        data = [self.rng.choice([0.0, 1.5, -3.0, float("-inf"), float("nan"), float("inf")]) for _ in range(n)]
        u = self.buf(ctypes.c_double, n, "utilities", data=data)
        out = self.out1(self.S["swiftpg_search_stats"], "stats_out")
        self.invoke("swiftpg_search_tell",
                    [self.handle_arg("algorithm", alg), self.a(u), self.i64(n, bad=[0, -1, (1 << 24) + 1]),
                     self.i64(self.rng.choice([0, 10, 1000]), bad=[-1, -(2**63)]), self.a(out)], [out])

    def g_search_save(self):
        self.save_call("swiftpg_search_save", "algorithm", "search", self.any_alg(lambda a: not a.pg))

    def g_search_load(self):
        self.load_into("swiftpg_search_load", "search", self.any_alg(lambda a: not a.pg))

    def g_algorithm_destroy(self):
        self.destroy_call("algorithm", self.any_alg())

    # -- DQN (issue 19) ---------------------------------------------------------------------------
    # Learners are small (a few hidden units, short collections) unless a
    # mutated config made them costly; costly ones are never iterated.
    def any_dqn(self):
        return self.pick("dqn") or self.g_dqn_create(valid=True)

    def dqn_env(self) -> Env | None:
        env = self.pick("env", lambda e: e.discrete and e.limit_ok and not e.one_hot) or self.any_env()
        return env if env is not None and env.discrete else None

    def g_dqn_create(self, valid: bool = False):
        r = self.rng
        with self.valid_only(valid):
            env = self.dqn_env()
            if env is None:
                return None
            c = self.S["swiftpg_dqn_config"]()
            self.lib.swiftpg_dqn_default_config(ctypes.addressof(c))
            c.buffer_size = r.choice([1, 64, 1000])
            c.batch_size = r.choice([1, 4, 16])
            c.learning_starts = r.choice([0, 8, 100])
            c.train_freq = r.choice([1, 4, 16])
            c.gradient_steps = r.choice([0, 1, 4])
            c.num_hidden = r.choice([0, 1, 2])
            for k in range(c.num_hidden):
                c.hidden[k] = r.choice([1, 4, 16])
            c.target_update_interval = r.choice([1, 10, 100])
            c.target_update_unit = r.randrange(2)
            c.loss = r.randrange(2)
            c.double_q = r.randrange(2)
            c.precision = r.choice([32, 64])
            c.tau = r.choice([1.0, 0.5, 0.005])
            c.seed = r.getrandbits(64)
            mutated = self.mutating and r.random() < 0.6
            if mutated:
                c = self.random_struct("swiftpg_dqn_config", base=c,
                                       fields_to_change=None if r.random() < 0.1 else r.randrange(1, 4))
            cfg = self.buf(self.S["swiftpg_dqn_config"], 1, "config", data=[c], p_null=0.1)
            if not cfg.null:
                cfg.note = self.struct_text(c)
            out = self.out1(ctypes.c_uint64, "learner_out")
            if self.invoke("swiftpg_dqn_create", [self.handle_arg("env", env), self.a(cfg), self.a(out)], [out]) != 0:
                return None
            widths = [c.hidden[k] for k in range(max(0, min(c.num_hidden, 8)))]
            cheap = (c.train_freq * env.n <= 64 and 0 <= c.gradient_steps <= 16 and c.batch_size <= 64
                     and all(w <= 64 for w in widths))
            return self.adopt(DQNObj(out.value(), env=env, obs=env.obs, a=env.num_actions, cheap=cheap))

    def g_dqn_iterate(self):
        q = self.any_dqn()
        if q is None or not q.cheap:
            return
        out = self.out1(self.S["swiftpg_dqn_stats"], "stats_out")
        self.invoke("swiftpg_dqn_iterate", [self.handle_arg("dqn", q), self.a(out)], [out])

    def g_dqn_update(self):
        q = self.any_dqn()
        if q is None or not q.cheap:
            return
        r = self.rng
        T, N, d = r.choice([1, 2, 4]), r.choice([1, 2]), q.obs
        obs = self.buf(ctypes.c_double, T * N * d, "observations", data=self.doubles(T * N * d))
        acts = [r.randrange(q.a) for _ in range(T * N)]
        if self.bad(0.2):
            acts[r.randrange(T * N)] = r.choice([-1, q.a, 2**31 - 1])
        act = self.buf(ctypes.c_int32, T * N, "actions", data=acts)
        rew = self.buf(ctypes.c_double, T * N, "rewards", data=self.doubles(T * N))
        te = self.buf(ctypes.c_uint8, T * N, "terminated", data=self.flags(T * N, 0.3))
        tr = self.buf(ctypes.c_uint8, T * N, "truncated", data=self.flags(T * N, 0.2))
        fin = self.buf(ctypes.c_double, T * N * d, "final_observations", data=self.doubles(T * N * d), optional=True)
        nxt = self.buf(ctypes.c_double, N * d, "next_observations", data=self.doubles(N * d))
        out = self.out1(self.S["swiftpg_dqn_stats"], "stats_out")
        self.invoke("swiftpg_dqn_update",
                    [self.handle_arg("dqn", q), self.i64(T, bad=[0, T - 1, -1, 2**62, (1 << 24) + 1]),
                     self.i64(N, bad=[0, N - 1, -1, 2**63 - 1]), self.a(obs), self.a(act), self.a(rew), self.a(te),
                     self.a(tr), self.a(fin), self.a(nxt), self.a(out)], [out])

    def g_dqn_episodes(self):
        q = self.any_dqn()
        cap = self.rng.choice([0, 1, 4, 64])
        ret = self.buf(ctypes.c_double, cap, "returns_out", out=True, optional=True)
        lens = self.buf(ctypes.c_int32, cap, "lengths_out", out=True, optional=True)
        count = self.out1(ctypes.c_int64, "count_out")
        # Only capacities the library must refuse, or smaller ones: a larger one would be the caller's lie.
        self.invoke("swiftpg_dqn_episodes", [self.handle_arg("dqn", q), self.a(ret), self.a(lens),
                                             self.integer(cap, [-1, -(2**63), 0], 0.2), self.a(count)],
                    [ret, lens, count], exempt=("count_out",))

    def dqn_pass(self, name: str, out_type, width, out_name: str):
        q = self.any_dqn()
        if q is None:
            return
        b = self.rng.choice([1, 2, 5])
        obs = self.buf(ctypes.c_double, b * q.obs, "observations", data=self.doubles(b * q.obs))
        out = self.buf(out_type, b * width(q), out_name, out=True)
        self.invoke(name, [self.handle_arg("dqn", q), self.a(obs), self.batch_arg(b), self.a(out)], [out])

    def g_dqn_q_values(self):
        self.dqn_pass("swiftpg_dqn_q_values", ctypes.c_double, lambda q: q.a, "q_out")

    def g_dqn_predict(self):
        self.dqn_pass("swiftpg_dqn_predict", ctypes.c_int32, lambda q: 1, "actions_out")

    def g_dqn_evaluate(self):
        q = self.any_dqn()
        if q is None:
            return
        env = self.pick("env", lambda e: e is not q.env and e.discrete and e.obs == q.obs
                        and e.num_actions == q.a) or q.env
        if not self.episodic_ok(env):
            return
        eps, ret, lens = self.episodes_arg()
        self.invoke("swiftpg_dqn_evaluate", [self.handle_arg("dqn", q), self.handle_arg("env", env), eps,
                                             self.flag(0.1), self.seed(), self.a(ret), self.a(lens)], [ret, lens])

    def g_dqn_save(self):
        q = self.any_dqn()
        path = self.save_path()
        status = self.invoke("swiftpg_dqn_save", [self.handle_arg("dqn", q), self.a(path), self.flag(0.15)])
        if status == 0 and path.data and os.path.isfile(path.data):
            self.files.append(("dqn", path.data.decode("latin-1")))
            if len(self.files) > 40:
                self.files.pop(0)

    def dqn_q(self, q) -> bytes | None:
        """Q-values of a fixed observation (read directly, not a fuzzed call)."""
        if q is None or not q.alive:
            return None
        obs = (ctypes.c_double * q.obs)(*([0.01] * q.obs))
        out = (ctypes.c_double * q.a)()
        if self.lib.swiftpg_dqn_q_values(q.handle, ctypes.addressof(obs), 1, ctypes.addressof(out)) != 0:
            return None
        return bytes(out)

    def g_dqn_load(self):
        q = self.any_dqn()
        path = None
        if q is not None and self.rng.random() < 0.6:
            fresh = self.new_path()
            if self.invoke("swiftpg_dqn_save", [(q.handle, q.describe()), self.a(Str(fresh.encode())),
                                                 self.flag(0.0)]) == 0:
                if self.rng.random() < 0.7:
                    data = open(fresh, "rb").read()
                    with open(fresh, "wb") as f:
                        f.write(self.mutate_checkpoint(data))
                path = Str(fresh.encode())
        path = path or self.load_path("dqn")
        before = self.dqn_q(q)
        status = self.invoke("swiftpg_dqn_load", [self.handle_arg("dqn", q), self.a(path)])
        if status != 0 and before is not None and self.dqn_q(q) != before:
            self.finding(f"swiftpg_dqn_load-changed-{status}", f"swiftpg_dqn_load failed with {status} but changed "
                                                               f"the Q-network; file: {path.describe()}")

    def g_dqn_open(self):
        path = self.load_path("dqn")
        learner, env = self.out1(ctypes.c_uint64, "learner_out"), self.out1(ctypes.c_uint64, "env_out")
        if self.invoke("swiftpg_dqn_open", [self.a(path), self.a(learner), self.a(env)], [learner, env]) == 0:
            e = self.adopt_env(env.value(), "opened DQN env")
            if e is None:
                self.lib.swiftpg_dqn_destroy(learner.value())
                return
            c = self.S["swiftpg_dqn_config"]()
            c.size = ctypes.sizeof(c)
            self.lib.swiftpg_dqn_get_config(learner.value(), ctypes.addressof(c))
            widths = [c.hidden[k] for k in range(c.num_hidden)]
            cheap = (c.train_freq * e.n <= 64 and c.gradient_steps <= 16 and c.batch_size <= 64
                     and all(w <= 64 for w in widths))
            self.adopt(DQNObj(learner.value(), env=e, obs=e.obs, a=e.num_actions, cheap=cheap))

    def g_dqn_get_config(self):
        out = self.out1(self.S["swiftpg_dqn_config"], "config_out")
        self.invoke("swiftpg_dqn_get_config", [self.handle_arg("dqn", self.any_dqn()), self.a(out)], [out])

    def g_dqn_counters(self):
        outs = [self.out1(ctypes.c_int64, n) for n in ("iteration_out", "total_env_steps_out",
                                                       "total_gradient_steps_out", "target_updates_out",
                                                       "buffer_count_out")]
        self.invoke("swiftpg_dqn_counters", [self.handle_arg("dqn", self.any_dqn())] + [self.a(o) for o in outs],
                    outs)

    def g_dqn_destroy(self):
        self.destroy_call("dqn", self.any_dqn())

    # -- sequences and preferences (issue 15) ------------------------------------------------------
    # Objects are small (V <= 4, L <= 4 except the built-in defaults) so exact
    # enumeration stays cheap. Sizes that say how much of a caller buffer to
    # read are only mutated to values the library must refuse.
    BAD_VOCAB = (0, -1, (1 << 20) + 1, 2**31 - 1, -(2**31))
    BAD_LENGTH = (0, -1, 4097, 2**31 - 1, -(2**31))

    def any_seq_task(self):
        return self.pick("seq_task") or self.create_seq_task()

    def any_seq_policy(self, want=None):
        return self.pick("seq_policy", want) or self.create_seq_policy()

    def new_info(self, kind: str, handle: int, what: str):
        """``swiftpg_<kind>_get_info`` of a handle just created, or None (and
        a finding) when it fails."""
        info = Buf(self.S[f"swiftpg_{kind}_info"], 1, "info_out", out=True)
        if getattr(self.lib, f"swiftpg_{kind}_get_info")(handle, info.addr) != 0:
            self.finding(f"{kind.replace('_', '-')}-info", f"swiftpg_{kind}_get_info failed on a new {what}")
            return None
        v = info.value()
        return type(v).from_buffer_copy(v)          # a copy: the struct read views the buffer, freed on return

    def register_seq_task(self, handle: int, what: str):
        i = self.new_info("seq_task", handle, f"task ({what})")
        if i is None:
            return None
        return self.adopt(SeqTask(handle, what=what, v=i.vocab_size, l=i.max_length, p=i.num_prompts,
                                  f=i.num_prompt_features, k=i.num_features, kp=i.num_proxy_features,
                                  n=i.num_responses, huge=i.vocab_size > 4096 or i.num_prompts > 4096))

    def register_seq_policy(self, handle: int):
        i = self.new_info("seq_policy", handle, "policy")
        if i is None:
            return None
        n = sum(i.vocab_size**l for l in range(i.max_length + 1)) if i.vocab_size <= 64 and i.max_length <= 8 else 2**40
        return self.adopt(SeqPol(handle, v=i.vocab_size, l=i.max_length, p=i.num_prompts, family=i.family,
                                 num_params=i.num_params, n=n))

    def create_seq_task(self):
        with self.valid_only():
            choice = self.rng.randrange(4)
            if choice == 0:
                self.g_seq_task_create_summarise(valid=True)
            elif choice == 1:
                self.g_seq_task_create_length_bias(valid=True)
            elif choice == 2:
                self.g_seq_task_create_didactic_bandit(valid=True)
            else:
                self.g_seq_task_create_array(valid=True)
        return self.pick("seq_task")

    def create_seq_policy(self, task=None):
        with self.valid_only():
            if task is not None or self.rng.random() < 0.5:
                task = task or self.any_seq_task()
                if task is None:
                    return None
                self.g_seq_policy_create_tabular(sizes=(task.v, task.l, task.p))
            else:
                self.g_seq_policy_create_neural()
        return self.pick("seq_policy")

    def seq_config(self, struct: str, valid: bool, small: dict):
        c = self.S[struct]()
        prefix = struct[len("swiftpg_"):-len("_config")]
        getattr(self.lib, f"swiftpg_{prefix}_default_config")(ctypes.addressof(c))
        for name, value in small.items():
            setattr(c, name, value)
        if not valid and self.bad(0.5):
            c = self.random_struct(struct, base=c, fields_to_change=self.rng.randrange(1, 3))
            if c.vocab_size > 64 or c.num_prompts > 256 or getattr(c, "post_length", 0) > 256:
                c.size = 0                                       # a refused struct, never a huge task
        return c

    def create_task_call(self, name: str, args: list, what: str):
        out = self.out1(ctypes.c_uint64, "task_out")
        if self.invoke(name, args + [self.a(out)], [out]) == 0:
            self.register_seq_task(out.value(), what)

    def g_seq_task_create_summarise(self, valid: bool = False):
        r = self.rng
        v = r.choice([2, 3, 4])
        c = self.seq_config("swiftpg_summarise_config", valid, dict(
            vocab_size=v, max_length=r.choice([2, 3, 4]), num_prompts=r.choice([1, 2, 3]), post_length=4,
            salient_count=1, seed=r.getrandbits(64)))
        b = self.buf(self.S["swiftpg_summarise_config"], 1, "config", data=[c])
        self.create_task_call("swiftpg_seq_task_create_summarise", [self.a(b)], "summarise")

    def g_seq_task_create_length_bias(self, valid: bool = False):
        r = self.rng
        c = self.seq_config("swiftpg_length_bias_config", valid, dict(
            vocab_size=r.choice([2, 3, 4]), max_length=r.choice([2, 3, 4]), num_prompts=r.choice([1, 2, 4]),
            relevant_count=1))
        b = self.buf(self.S["swiftpg_length_bias_config"], 1, "config", data=[c])
        self.create_task_call("swiftpg_seq_task_create_length_bias", [self.a(b)], "length_bias")

    def g_seq_task_create_didactic_bandit(self, valid: bool = False):
        r = self.rng
        with self.valid_only(valid):
            args = [self.size_arg(r.choice([1, 2, 9, 99]), bad=(0, -1, 65537, 2**31 - 1, -(2**31))),
                    self.i32(r.randrange(2), bad=[2, -1, 2**31 - 1])]
        self.create_task_call("swiftpg_seq_task_create_didactic_bandit", args, "bandit")

    def g_seq_task_create_array(self, valid: bool = False):
        r = self.rng
        with self.valid_only(valid):
            v, l, p, f = r.choice([1, 2, 3]), r.choice([1, 2, 3]), r.choice([1, 2, 3]), r.choice([0, 1, 2])
            n = sum(v**j for j in range(l + 1))
            probs = [1.0 / p] * p
            if self.bad(0.2):
                probs[0] = r.choice([NAN, -0.5, 2.0, INF])
            args = [self.size_arg(v, bad=self.BAD_VOCAB), self.size_arg(l, bad=self.BAD_LENGTH),
                    self.size_arg(p, bad=(0, -1, 65537, 2**31 - 1, -(2**31))),
                    self.a(self.buf(ctypes.c_double, p, "prompt_probs", data=probs)),
                    self.i32(f, bad=[-1, -(2**31)]),
                    self.a(self.buf(ctypes.c_double, max(1, p * f), "prompt_features",
                                    data=self.doubles(max(1, p * f)), optional=f == 0)),
                    self.a(self.buf(ctypes.c_double, p * n, "gold_table", data=self.doubles(p * n))),
                    self.a(self.buf(ctypes.c_double, p * n, "label_table", data=self.doubles(p * n),
                                    optional=True))]
        self.create_task_call("swiftpg_seq_task_create_array", args, "array")

    def g_seq_task_prompt_probs(self):
        t = self.any_seq_task()
        if t is None:
            return
        out = self.buf(ctypes.c_double, t.p, "probs_out", out=True)
        self.invoke("swiftpg_seq_task_prompt_probs", [self.handle_arg("seq_task", t), self.a(out)], [out])

    def g_seq_task_prompt_features(self):
        t = self.any_seq_task()
        if t is None:
            return
        out = self.buf(ctypes.c_double, max(1, t.p * t.f), "features_out", out=True, optional=t.f == 0)
        self.invoke("swiftpg_seq_task_prompt_features", [self.handle_arg("seq_task", t), self.a(out)], [out])

    def g_seq_task_feature_name(self):
        t = self.any_seq_task()
        if t is None:
            return
        index = self.i32(self.rng.randrange(max(1, t.k)), bad=[t.k, -1, 2**31 - 1])
        self.text_call("swiftpg_seq_task_feature_name", [self.handle_arg("seq_task", t), index], allocated=64)

    def g_seq_task_proxy_features(self):
        t = self.any_seq_task()
        if t is None:
            return
        out = self.buf(ctypes.c_int32, max(1, t.kp), "indices_out", out=True)
        self.invoke("swiftpg_seq_task_proxy_features", [self.handle_arg("seq_task", t), self.a(out)], [out])

    def responses(self, v: int, l: int, p: int, b: int):
        """(prompts, tokens, lengths) buffers of ``b`` valid responses with
        random padding (EOS included); in mutating calls sometimes a bad
        token, length or prompt id."""
        r = self.rng
        prompts, tokens, lengths = [], [], []
        for _ in range(b):
            content = r.randrange(l + 1)
            row = [r.randrange(v) for _ in range(content)]
            n = content + 1 if content < l else l
            if content < l:
                row.append(v)
            row += [r.randrange(v + 1) for _ in range(l - len(row))]
            prompts.append(r.randrange(p))
            tokens += row
            lengths.append(n)
        if b and self.bad(0.3):
            i = r.randrange(b)
            what = r.randrange(4)
            if what == 0:
                tokens[i * l + r.randrange(l)] = r.choice([-1, v + 1, 2**31 - 1, -(2**31)])
            elif what == 1:
                lengths[i] = r.choice([0, -1, l + 1, 2**31 - 1])
            elif what == 2:
                prompts[i] = r.choice([-1, p, 2**31 - 1])
            else:
                tokens[i * l] = v                                   # EOS inside a longer response
                lengths[i] = l
        return (self.buf(ctypes.c_int32, max(1, b), "prompts", data=prompts or [0]),
                self.buf(ctypes.c_int32, max(1, b * l), "tokens", data=tokens or [0]),
                self.buf(ctypes.c_int32, max(1, b), "lengths", data=lengths or [1]))

    def task_batch_call(self, name: str, width: str, extra=()):
        t = self.any_seq_task()
        if t is None:
            return
        b = self.rng.choice([0, 1, 2, 5])
        x, y, n = self.responses(t.v, t.l, t.p, b)
        w = {"1": 1, "k": t.k, "kp": t.kp}[width]
        if extra and extra[0][0] == 1:
            w = t.kp
        out = self.buf(ctypes.c_double, max(1, b * max(t.k, 1)), "features_out" if width != "1" else "rewards_out",
                       out=True)
        self.invoke(name, [self.handle_arg("seq_task", t), self.a(x), self.a(y), self.a(n), self.batch_arg(b),
                           *extra, self.a(out)], [out])

    def g_seq_task_rewards(self):
        t = self.any_seq_task()
        if t is None:
            return
        b = self.rng.choice([0, 1, 2, 5])
        x, y, n = self.responses(t.v, t.l, t.p, b)
        out = self.buf(ctypes.c_double, max(1, b), "rewards_out", out=True)
        self.invoke("swiftpg_seq_task_rewards", [self.handle_arg("seq_task", t), self.flag(), self.a(x), self.a(y),
                                                 self.a(n), self.batch_arg(b), self.a(out)], [out])

    def g_seq_task_reward_features(self):
        self.task_batch_call("swiftpg_seq_task_reward_features", "k",
                             extra=(self.i32(self.rng.randrange(2), bad=[2, -1, 2**31 - 1]),))

    def exact_call(self, name: str, pre: list, n: int, out_name: str = "values_out"):
        """``name(*pre, out, capacity, count_out)`` with a buffer of at most
        4096 values; the capacity never exceeds the buffer."""
        r = self.rng
        allocated = max(1, min(n, 4096))
        out = self.buf(ctypes.c_double, allocated, out_name, out=True)
        capacity = r.choice([allocated, allocated, 0, max(0, allocated - 1)])
        if self.bad(0.2):
            capacity = r.choice([-1, -(2**63)])
        count = self.out1(ctypes.c_int64, "count_out")
        self.invoke(name, pre + [self.a(out), (capacity, str(capacity)), self.a(count)], [out, count],
                    exempt=("count_out",))

    def g_seq_task_reward_table(self):
        t = self.any_seq_task()
        if t is None:
            return
        self.exact_call("swiftpg_seq_task_reward_table", [
            self.handle_arg("seq_task", t), self.i32(self.rng.randrange(t.p), bad=[t.p, -1, 2**31 - 1]),
            self.flag()], t.n if t.n >= 0 else 2**40)

    def g_seq_task_sample_prompts(self):
        t = self.any_seq_task()
        if t is None:
            return
        b = self.rng.choice([0, 1, 3, 8])
        out = self.buf(ctypes.c_int32, max(1, b), "prompts_out", out=True)
        first = self.i64(self.rng.choice([0, 5]), bad=[-1, 2**63 - 1, 2**63 - 2], p=0.2)
        self.invoke("swiftpg_seq_task_sample_prompts", [self.handle_arg("seq_task", t), self.batch_arg(b),
                                                        self.seed(), first, self.a(out)], [out])

    def g_seq_task_expert_demonstrations(self):
        t = self.any_seq_task()
        if t is None:
            return
        b = self.rng.choice([0, 1, 3])
        outs = [self.buf(ctypes.c_int32, max(1, b), "prompts_out", out=True),
                self.buf(ctypes.c_int32, max(1, b * t.l), "tokens_out", out=True),
                self.buf(ctypes.c_int32, max(1, b), "lengths_out", out=True)]
        noise = self.dbl(self.rng.choice([0.0, 0.3, 1.0]))
        first = self.i64(self.rng.choice([0, 2]), bad=[-1, 2**63 - 1], p=0.2)
        self.invoke("swiftpg_seq_task_expert_demonstrations",
                    [self.handle_arg("seq_task", t), self.batch_arg(b), noise, self.seed(), first] +
                    [self.a(o) for o in outs], outs)

    # labellers
    def labeller_rewards(self, b: int, k: int) -> Buf:
        return self.buf(ctypes.c_double, max(1, b * k), "rewards", data=self.doubles(max(1, b * k)))

    def scale_arg(self):
        return self.dbl(self.rng.choice([0.0, 0.5, 1.0]))

    def g_labeller_compare_pairs(self):
        b = self.rng.choice([0, 1, 4])
        out = self.buf(ctypes.c_int32, max(1, b), "preferred_out", out=True)
        self.invoke("swiftpg_labeller_compare_pairs", [
            self.batch_arg(b), self.a(self.labeller_rewards(b, 2)), self.scale_arg(), self.seed(),
            self.i64(0, bad=[-1, 2**63 - 1]), self.a(out)], [out])

    def g_labeller_rank(self):
        r = self.rng
        b, k = r.choice([0, 1, 3]), r.choice([2, 3, 5])
        out = self.buf(ctypes.c_int32, max(1, b * k), "rankings_out", out=True)
        kk = self.i32(k, bad=[1, 0, -1, 65537, 2**31 - 1, max(2, k - 1)])
        self.invoke("swiftpg_labeller_rank", [
            self.batch_arg(b), kk, self.a(self.labeller_rewards(b, k)), self.scale_arg(), self.seed(),
            self.i64(0, bad=[-1, 2**63 - 1]), self.a(out)], [out])

    def g_labeller_accuracy_ceiling(self):
        b = self.rng.choice([0, 1, 4])
        out = self.out1(ctypes.c_double, "ceiling_out")
        self.invoke("swiftpg_labeller_accuracy_ceiling", [
            self.batch_arg(b), self.a(self.labeller_rewards(b, 2)), self.scale_arg(), self.a(out)], [out])

    def g_labeller_ranking_pairs(self):
        r = self.rng
        b, k = r.choice([0, 1, 3]), r.choice([2, 3, 4])
        m = max(1, b * k * (k - 1) // 2)
        outs = [self.buf(ctypes.c_int32, m, "chosen_out", out=True), self.buf(ctypes.c_int32, m, "rejected_out", out=True)]
        kk = self.i32(k, bad=[1, 0, -1, 65537, 2**31 - 1, max(2, k - 1)])
        self.invoke("swiftpg_labeller_ranking_pairs", [
            self.batch_arg(b), kk, self.a(self.rankings_buf(b, k))] +
            [self.a(o) for o in outs], outs)

    # sequence policies
    def g_seq_policy_create_tabular(self, sizes=None):
        r = self.rng
        v, l, p = sizes or (r.choice([1, 2, 3]), r.choice([1, 2, 3]), r.choice([1, 2]))
        out = self.out1(ctypes.c_uint64, "seq_policy_out")
        args = [self.size_arg(v, bad=self.BAD_VOCAB + (64,)), self.size_arg(l, bad=self.BAD_LENGTH + (64,)),
                self.size_arg(p, bad=(0, -1, 2**31 - 1, -(2**31)))]
        self.adopt_call("swiftpg_seq_policy_create_tabular", args, out, self.register_seq_policy)

    def g_seq_policy_create_neural(self):
        r = self.rng
        v, l, p, f = r.choice([1, 2, 3]), r.choice([1, 2, 3]), r.choice([1, 2]), r.choice([0, 1, 3])
        hs, nh, _ = self.hidden_arg()
        out = self.out1(ctypes.c_uint64, "seq_policy_out")
        feats = self.buf(ctypes.c_double, max(1, p * f), "prompt_features", data=self.doubles(max(1, p * f)),
                         optional=f == 0)
        args = [self.size_arg(v, bad=self.BAD_VOCAB), self.size_arg(l, bad=self.BAD_LENGTH),
                self.size_arg(p, bad=(0, -1, -(2**31))), self.i32(f, bad=[-1, -(2**31)]), self.a(feats),
                self.i32(r.randrange(l + 1), bad=[-1, l + 1, 2**31 - 1]), self.a(hs), nh,
                self.i32(r.randrange(2), bad=[2, -1]), self.i32(r.choice([32, 64]), bad=[16, 0, -64]),
                self.dbl(math.sqrt(2)), self.dbl(r.choice([0.01, 1.0])), self.seed()]
        self.adopt_call("swiftpg_seq_policy_create_neural", args, out, self.register_seq_policy)

    def g_seq_policy_copy(self):
        pol = self.any_seq_policy()
        out = self.out1(ctypes.c_uint64, "copy_out")
        self.adopt_call("swiftpg_seq_policy_copy", [self.handle_arg("seq_policy", pol)], out, self.register_seq_policy)

    def seq_policy_prompts(self, sizes: list[int]):
        """A live sequence policy (None when there is none), a batch size
        drawn from ``sizes`` and that many valid prompt ids."""
        pol = self.any_seq_policy()
        if pol is None:
            return None, 0, []
        b = self.rng.choice(sizes)
        return pol, b, [self.rng.randrange(pol.p) for _ in range(b)]

    def g_seq_policy_sample(self):
        pol, b, prompts = self.seq_policy_prompts([0, 1, 3, 8])
        if pol is None:
            return
        r = self.rng
        if prompts and self.bad(0.2):
            prompts[r.randrange(b)] = r.choice([-1, pol.p, 2**31 - 1])
        outs = [self.buf(ctypes.c_int32, max(1, b * pol.l), "tokens_out", out=True),
                self.buf(ctypes.c_int32, max(1, b), "lengths_out", out=True),
                self.buf(ctypes.c_double, max(1, b * pol.l), "log_probs_out", out=True, optional=True)]
        self.invoke("swiftpg_seq_policy_sample", [
            self.handle_arg("seq_policy", pol), self.a(self.buf(ctypes.c_int32, max(1, b), "prompts",
                                                                data=prompts or [0])),
            self.batch_arg(b), self.dbl(r.choice([0.0, 0.7, 1.0, 1e-4])), self.seed(),
            self.i64(r.choice([0, 3]), bad=[-1, 2**63 - 1]), *[self.a(o) for o in outs]], outs)

    def seq_batch_call(self, name: str, outs_spec, extra_pre=(), reference=False, weights=False):
        """A teacher-forced call: handle, [reference], prompts, tokens,
        lengths, batch, [weights], outputs (name, per-token?, optional?)."""
        pol = self.any_seq_policy()
        if pol is None:
            return
        r = self.rng
        b = r.choice([0, 1, 2, 5])
        x, y, n = self.responses(pol.v, pol.l, pol.p, b)
        args = [self.handle_arg("seq_policy", pol)]
        if reference:
            ref = pol if r.random() < 0.3 else self.pick("seq_policy")
            args.append(self.handle_arg("seq_policy", ref))
        args += [self.a(x), self.a(y), self.a(n), self.batch_arg(b)]
        if weights:
            mode = r.randrange(4)
            tw = self.buf(ctypes.c_double, max(1, b * pol.l), "token_weights", data=self.doubles(max(1, b * pol.l)),
                          null=mode not in (0, 2))
            sw = self.buf(ctypes.c_double, max(1, b), "sequence_weights", data=self.doubles(max(1, b)),
                          null=mode not in (1, 2))
            args += [self.a(tw), self.a(sw)]
        outs = []
        for oname, per_token, optional in outs_spec:
            size = max(1, pol.num_params) if per_token is None else max(1, b * (pol.l if per_token else 1))
            outs.append(self.buf(ctypes.c_double, size, oname, out=True, optional=optional))
        self.invoke(name, args + [self.a(o) for o in outs], outs)

    def g_seq_policy_log_probs(self):
        self.seq_batch_call("swiftpg_seq_policy_log_probs", [("token_log_probs_out", True, True),
                                                             ("sequence_log_probs_out", False, True)])

    def g_seq_policy_entropies(self):
        self.seq_batch_call("swiftpg_seq_policy_entropies", [("entropies_out", True, False)])

    def g_seq_policy_kl(self):
        self.seq_batch_call("swiftpg_seq_policy_kl", [("kl_out", True, False), ("k1_out", True, True),
                                                      ("k2_out", True, True), ("k3_out", True, True)],
                            reference=True)

    def g_seq_policy_score_gradient(self):
        self.seq_batch_call("swiftpg_seq_policy_score_gradient", [("gradient_out", None, False)], weights=True)

    def g_seq_policy_exact_log_probs(self):
        pol = self.any_seq_policy(lambda o: o.n <= 4096)
        if pol is None:
            return
        self.exact_call("swiftpg_seq_policy_exact_log_probs", [
            self.handle_arg("seq_policy", pol), self.i32(self.rng.randrange(pol.p), bad=[pol.p, -1, 2**31 - 1])],
            pol.n)

    # exact figures over arrays
    def log_prob_array(self, n: int, name: str) -> Buf:
        r = self.rng
        w = [r.random() + 1e-12 for _ in range(n)]
        if n > 1 and r.random() < 0.2:
            w[r.randrange(n)] = 0.0
        data = [math.log(x / sum(w)) if x > 0 else -INF for x in w] or [0.0]   # one whole distribution
        if n and self.bad(0.1):
            data[r.randrange(n)] += math.log(2)                          # not summing to 1: refused
        if n and self.bad(0.2):
            data[r.randrange(n)] = r.choice([NAN, INF, 1e308])
        return self.buf(ctypes.c_double, max(1, n), name, data=data)

    def exact_count(self, n: int):
        return self.i64(n, bad=[-1, -(2**63), 2**28 + 1, 2**63 - 1, max(0, n - 1)], p=0.2)

    def g_exact_expectation(self):
        n = self.rng.choice([0, 1, 5])
        out = self.out1(ctypes.c_double, "expectation_out")
        self.invoke("swiftpg_exact_expectation", [self.exact_count(n), self.a(self.log_prob_array(n, "log_probs")),
                                                  self.a(self.buf(ctypes.c_double, max(1, n), "values",
                                                                  data=self.doubles(max(1, n)))), self.a(out)], [out])

    def g_exact_kl(self):
        n = self.rng.choice([0, 1, 5])
        out = self.out1(ctypes.c_double, "kl_out")
        self.invoke("swiftpg_exact_kl", [self.exact_count(n), self.a(self.log_prob_array(n, "log_p")),
                                         self.a(self.log_prob_array(n, "log_q")), self.a(out)], [out])

    def g_exact_win_rate(self):
        n = self.rng.choice([0, 1, 5])
        out = self.out1(ctypes.c_double, "win_rate_out")
        self.invoke("swiftpg_exact_win_rate", [
            self.exact_count(n), self.a(self.log_prob_array(n, "log_p")), self.a(self.log_prob_array(n, "log_q")),
            self.a(self.buf(ctypes.c_double, max(1, n), "rewards", data=self.doubles(max(1, n)))), self.a(out)], [out])

    def g_exact_win_rate_prompts(self):
        r = self.rng
        m, n = r.choice([1, 2, 3]), r.choice([0, 1, 4])
        probs = [1.0 / m] * m
        if self.bad(0.2):
            probs[0] = r.choice([NAN, -1.0, 2.0])
        out = self.out1(ctypes.c_double, "win_rate_out")
        self.invoke("swiftpg_exact_win_rate_prompts", [
            self.i64(m, bad=[0, -1, -(2**63), 2**63 - 1, max(0, m - 1)]), self.exact_count(n),
            self.a(self.buf(ctypes.c_double, m, "prompt_probs", data=probs)),
            self.a(self.log_prob_array(m * n, "log_p")), self.a(self.log_prob_array(m * n, "log_q")),
            self.a(self.buf(ctypes.c_double, max(1, m * n), "rewards", data=self.doubles(max(1, m * n)))),
            self.a(out)], [out])

    # -- reward models, preference losses, best-of-n, trainers (issue 15) --------------------------------
    def any_reward_model(self):
        return self.pick("reward_model") or self.create_reward_model()

    def create_reward_model(self):
        with self.valid_only():
            self.g_reward_model_create()
        return self.pick("reward_model")

    def g_reward_model_create(self):
        r = self.rng
        hs, nh, _ = self.hidden_arg()
        out = self.out1(ctypes.c_uint64, "reward_model_out")
        k = r.choice([1, 2, 3])
        args = [self.size_arg(k, bad=(0, -1, (1 << 20) + 1, -(2**31))), self.a(hs), nh,
                self.i32(r.randrange(2), bad=[2, -1]), self.seed()]
        self.adopt_call("swiftpg_reward_model_create", args, out, self.register_reward_model)

    def register_reward_model(self, handle: int):
        i = self.new_info("reward_model", handle, "reward model")
        if i is None:
            return None
        return self.adopt(RewardModelObj(handle, k=i.num_features, num_params=i.num_params, hidden=i.num_hidden))

    def feature_rows(self, rows: int, k: int, name: str, optional: bool = False) -> Buf:
        return self.buf(ctypes.c_double, max(1, rows * k), name, data=self.doubles(max(1, rows * k)), optional=optional)

    def g_reward_model_predict(self):
        m = self.any_reward_model()
        if m is None:
            return
        b = self.rng.choice([0, 1, 4])
        out = self.buf(ctypes.c_double, max(1, b), "rewards_out", out=True)
        self.invoke("swiftpg_reward_model_predict", [self.handle_arg("reward_model", m),
                                                     self.a(self.feature_rows(b, m.k, "features")),
                                                     self.batch_arg(b), self.a(out)], [out])

    def g_reward_model_pair_accuracy(self):
        m = self.any_reward_model()
        if m is None:
            return
        b = self.rng.choice([0, 1, 4])
        out = self.out1(ctypes.c_double, "accuracy_out")
        self.invoke("swiftpg_reward_model_pair_accuracy", [
            self.handle_arg("reward_model", m), self.a(self.feature_rows(b, m.k, "chosen")),
            self.a(self.feature_rows(b, m.k, "rejected")), self.batch_arg(b), self.a(out)], [out])

    def fit_config(self, struct: str, prefix: str, small: dict):
        """A default config with ``small`` fields (epochs kept small); in
        mutating calls sometimes other fields changed (then, if epochs grew
        beyond the output buffers, a refused size)."""
        c = self.S[struct]()
        getattr(self.lib, f"swiftpg_{prefix}_default_config")(ctypes.addressof(c))
        for name, value in small.items():
            setattr(c, name, value)
        if self.bad(0.4):
            c = self.random_struct(struct, base=c, fields_to_change=self.rng.randrange(1, 3))
            if not 1 <= c.epochs <= 3 or c.minibatch_size > 1 << 16:
                c.size = 0
        return c, self.buf(self.S[struct], 1, "config", data=[c])

    def reward_fit_call(self, rankings: bool):
        m = self.any_reward_model()
        if m is None:
            return
        r = self.rng
        b, k = r.choice([0, 1, 4]), r.choice([2, 3])
        c, cb = self.fit_config("swiftpg_reward_model_fit_config", "reward_model_fit", dict(
            epochs=r.choice([1, 2]), minibatch_size=r.choice([1, 2, 64]), standardize=r.randrange(2)))
        outs = [self.buf(ctypes.c_double, 3, "loss_out", out=True, optional=True),
                self.buf(ctypes.c_double, 3, "accuracy_out", out=True, optional=True)]
        h = self.handle_arg("reward_model", m)
        if rankings:
            args = [h, self.a(self.feature_rows(b * k, m.k, "candidates")), self.a(self.rankings_buf(b, k)),
                    self.batch_arg(b), self.i32(k, bad=[1, 0, -1, 65537, 2**31 - 1, k - 1])]
        else:
            args = [h, self.a(self.feature_rows(b, m.k, "chosen")), self.a(self.feature_rows(b, m.k, "rejected")),
                    self.a(self.feature_rows(b, 1, "margins", optional=True)), self.batch_arg(b)]
        name = "swiftpg_reward_model_fit_" + ("rankings" if rankings else "pairs")
        self.invoke(name, args + [self.a(cb)] + [self.a(o) for o in outs], outs)

    # checkpoints of sequence policies and reward models (ABI 11)
    def checkpoint_call(self, kind: str, op: str, any_obj) -> None:
        """``swiftpg_<kind>_<op>`` (save, load, serialize, deserialize) of a
        kind whose checkpoint calls take only the handle and a path or bytes:
        a live object (``any_obj``), or a file or bundle of the kind, of
        another kind, damaged, garbage or a bad path; a new handle is adopted."""
        name = f"swiftpg_{kind}_{op}"
        if op == "save":
            self.save_call(name, kind, kind, any_obj())
        elif op == "serialize":
            self.serialize_call(name, kind, any_obj())
        elif op == "load":
            self.adopt_call(name, [self.a(self.load_path(kind))], self.out1(ctypes.c_uint64, f"{kind}_out"),
                            getattr(self, f"register_{kind}"))
        else:
            self.deserialize_call(name, kind, [f"{kind}_out"])

    def g_reward_model_hidden_sizes(self):
        m = self.any_reward_model()
        nh = getattr(m, "hidden", 1) if m is not None else 1
        out = self.buf(ctypes.c_int32, max(1, nh), "sizes_out", out=True, optional=nh == 0)
        self.invoke("swiftpg_reward_model_hidden_sizes", [self.handle_arg("reward_model", m), self.a(out)], [out])

    # next-token distributions, the KL-regularised reward, reference policies (ABI 11)
    def g_seq_policy_next_token_log_probs(self):
        pol, b, prompts = self.seq_policy_prompts([0, 1, 3, 6])
        if pol is None:
            return
        r = self.rng
        positions = [r.randrange(pol.l) for _ in range(b)]
        tokens = []
        for t in positions:
            tokens += [r.randrange(pol.v) for _ in range(t)] + [r.randrange(-2, pol.v + 3) for _ in range(pol.l - t)]
        if b and self.bad(0.3):
            i = r.randrange(b)
            what = r.randrange(3)
            if what == 0:
                prompts[i] = r.choice([-1, pol.p, 2**31 - 1])
            elif what == 1:
                positions[i] = r.choice([-1, pol.l, 2**31 - 1, -(2**31)])
            elif positions[i] > 0:
                tokens[i * pol.l + r.randrange(positions[i])] = r.choice([-1, pol.v, pol.v + 1, 2**31 - 1])
        out = self.buf(ctypes.c_double, max(1, b * (pol.v + 1)), "log_probs_out", out=True)
        self.invoke("swiftpg_seq_policy_next_token_log_probs", [
            self.handle_arg("seq_policy", pol), self.a(self.buf(ctypes.c_int32, max(1, b), "prompts",
                                                                data=prompts or [0])),
            self.a(self.buf(ctypes.c_int32, max(1, b * pol.l), "tokens", data=tokens or [0])),
            self.a(self.buf(ctypes.c_int32, max(1, b), "positions", data=positions or [0])),
            self.batch_arg(b), self.a(out)], [out])

    def kl_arrays(self):
        """(batch, L, lengths Buf) of a KL-reward call; a bad length or
        max_length only in mutating calls (a max_length is only ever
        smaller than the buffers' or one the library refuses)."""
        r = self.rng
        b, l = r.choice([0, 1, 3]), r.choice([1, 2, 4])
        lengths = [r.randint(1, l) for _ in range(b)]
        if b and self.bad(0.3):
            lengths[r.randrange(b)] = r.choice([0, -1, l + 1, 2**31 - 1])
        return b, l, self.buf(ctypes.c_int32, max(1, b), "lengths", data=lengths or [1])

    def max_length_arg(self, l: int):
        return self.i32(l, bad=[0, 4097, max(1, l - 1)])

    def g_kl_penalties(self):
        b, l, lengths = self.kl_arrays()
        lp = [-abs(x) for x in self.doubles(max(1, b * l))]
        lq = [-abs(x) for x in self.doubles(max(1, b * l))]
        out = self.buf(ctypes.c_double, max(1, b * l), "penalties_out", out=True)
        self.invoke("swiftpg_kl_penalties", [
            self.batch_arg(b), self.max_length_arg(l), self.a(self.buf(ctypes.c_double, len(lp), "log_probs", data=lp)),
            self.a(self.buf(ctypes.c_double, len(lq), "ref_log_probs", data=lq)), self.a(lengths),
            self.i32(self.rng.randint(1, 3), bad=[4, 0, -1]), self.a(out)], [out])

    def g_kl_regularized_rewards(self):
        b, l, lengths = self.kl_arrays()
        out = self.buf(ctypes.c_double, max(1, b * l), "rewards_out", out=True)
        self.invoke("swiftpg_kl_regularized_rewards", [
            self.batch_arg(b), self.max_length_arg(l),
            self.a(self.buf(ctypes.c_double, max(1, b), "rewards", data=self.doubles(max(1, b)))),
            self.a(self.buf(ctypes.c_double, max(1, b * l), "penalties", data=self.doubles(max(1, b * l)))),
            self.a(lengths), self.dbl(self.rng.choice([0.05, 1.0])), self.flag(), self.a(out)], [out])

    def g_seq_task_reference_policy(self):
        t = self.any_seq_task()
        out = self.out1(ctypes.c_uint64, "seq_policy_out")
        self.adopt_call("swiftpg_seq_task_reference_policy", [self.handle_arg("seq_task", t)], out,
                        self.register_seq_policy)

    def g_reward_model_fit_pairs(self):
        self.reward_fit_call(False)

    def g_reward_model_fit_rankings(self):
        self.reward_fit_call(True)

    def rankings_buf(self, b: int, k: int) -> Buf:
        r = self.rng
        data = []
        for _ in range(b):
            row = list(range(k))
            r.shuffle(row)
            data += row
        if data and self.bad(0.3):
            data[r.randrange(len(data))] = r.choice([-1, k, data[0], 2**31 - 1])
        return self.buf(ctypes.c_int32, max(1, b * k), "rankings", data=data or [0])

    def loss_call(self, name: str, stats: str, pre: list, derivatives: dict) -> None:
        outs = [self.out1(self.S[stats], "stats_out")] + [
            self.buf(ctypes.c_double, max(1, size), out_name, out=True, optional=True)
            for out_name, size in derivatives.items()]
        self.invoke(name, pre + [self.a(o) for o in outs], outs)

    def g_bradley_terry_loss(self):
        n = self.rng.choice([0, 1, 4])
        self.loss_call("swiftpg_bradley_terry_loss", "swiftpg_pairwise_stats", [
            self.exact_count(n), self.a(self.feature_rows(n, 1, "chosen")),
            self.a(self.feature_rows(n, 1, "rejected")), self.a(self.feature_rows(n, 1, "margins", optional=True)),
            self.dbl(self.rng.choice([0.0, 0.1]))], {"d_chosen_out": n, "d_rejected_out": n})

    def g_ranking_loss(self):
        n, k = self.rng.choice([0, 1, 3]), self.rng.choice([2, 3, 4])
        self.loss_call("swiftpg_ranking_loss", "swiftpg_pairwise_stats", [
            self.exact_count(n), self.i32(k, bad=[1, 0, -1, 65537, k - 1]),
            self.a(self.feature_rows(n, k, "scores")), self.a(self.rankings_buf(n, k))], {"d_scores_out": n * k})

    def g_direct_loss(self):
        r = self.rng
        n = r.choice([0, 1, 4])
        kind = r.randrange(2)
        self.loss_call("swiftpg_direct_loss", "swiftpg_direct_stats", [
            self.i32(kind, bad=[2, -1]), self.exact_count(n)] + [
            self.a(self.feature_rows(n, 1, name)) for name in
            ("policy_chosen", "policy_rejected", "reference_chosen", "reference_rejected")] + [
            self.dbl(r.choice([0.1, 1.0])), self.dbl(0.0 if kind else r.choice([0.0, 0.2])),
            self.a(self.buf(ctypes.c_double, max(1, n), "weights", data=[abs(v) for v in self.doubles(max(1, n))],
                            optional=True))], {"d_chosen_out": n, "d_rejected_out": n})

    def g_best_of_n_select(self):
        r = self.rng
        rows, n = r.choice([1, 2]), r.choice([1, 3])
        out = self.buf(ctypes.c_int32, rows, "selected_out", out=True)
        scores = [float(r.randrange(3)) for _ in range(rows * n)]
        self.invoke("swiftpg_best_of_n_select", [
            self.exact_count(rows), self.i64(n, bad=[0, -1, 2**31, n - 1]),
            self.a(self.buf(ctypes.c_double, rows * n, "scores", data=scores)), self.seed(),
            self.i64(0, bad=[-1, 2**63 - 1]), self.a(out)], [out])

    def best_of_n_args(self):
        r = self.rng
        m = r.choice([1, 2, 5])
        probs = [1.0 / m] * m
        if self.bad(0.2):
            probs[0] = r.choice([NAN, -0.5, 2.0])
        return m, [self.exact_count(m), self.a(self.buf(ctypes.c_double, m, "base_probs", data=probs)),
                   self.a(self.buf(ctypes.c_double, m, "scores", data=[float(r.randrange(3)) for _ in range(m)])),
                   self.i64(r.choice([1, 4, 2**40]), bad=[0, -1, 2**40 + 1, -(2**63)])]

    def g_best_of_n_distribution(self):
        m, args = self.best_of_n_args()
        out = self.buf(ctypes.c_double, m, "probs_out", out=True)
        self.invoke("swiftpg_best_of_n_distribution", args + [self.a(out)], [out])

    def g_best_of_n_kl(self):
        _, args = self.best_of_n_args()
        out = self.out1(ctypes.c_double, "kl_out")
        self.invoke("swiftpg_best_of_n_kl", args + [self.a(out)], [out])

    def g_best_of_n_kl_bound(self):
        out = self.out1(ctypes.c_double, "bound_out")
        self.invoke("swiftpg_best_of_n_kl_bound", [self.i64(self.rng.choice([1, 4, 2**40]), bad=[0, -1, 2**40 + 1]),
                                                   self.a(out)], [out])

    def g_rank_correlation(self):
        n = self.rng.choice([0, 1, 2, 5])
        out = self.out1(ctypes.c_double, "correlation_out")
        self.invoke("swiftpg_rank_correlation", [
            self.i32(self.rng.randrange(2), bad=[2, -1]), self.exact_count(n),
            self.a(self.feature_rows(n, 1, "x")), self.a(self.feature_rows(n, 1, "y")), self.a(out)], [out])

    # trainers
    def any_trainer(self, dpo: bool):
        return self.pick("pref_trainer", lambda t: t.dpo == dpo) or self.create_trainer(dpo)

    def create_trainer(self, dpo: bool):
        with self.valid_only():
            (self.g_dpo_create if dpo else self.g_sft_create)()
        return self.pick("pref_trainer", lambda t: t.dpo == dpo)

    def small_seq_policy(self):
        return self.any_seq_policy(lambda o: o.v <= 4 and o.l <= 4)

    def trainer_call(self, name: str, dpo: bool, policies: list, struct: str, small: dict) -> None:
        c, cb = self.fit_config(struct, "dpo" if dpo else "sft", small)
        out = self.out1(ctypes.c_uint64, "trainer_out")
        handles = [self.handle_arg("seq_policy", p) for p in policies]
        if self.invoke(name, handles + [self.a(cb), self.a(out)], [out]) == 0:
            self.adopt(Trainer(out.value(), dpo=dpo, policy=policies[0], epochs=c.epochs))

    def g_sft_create(self):
        pol = self.small_seq_policy()
        if pol is not None:
            self.trainer_call("swiftpg_sft_create", False, [pol], "swiftpg_sft_config",
                              dict(epochs=self.rng.choice([1, 2]), minibatch_size=self.rng.choice([1, 8, 256])))

    def g_dpo_create(self):
        pol = self.small_seq_policy()
        if pol is None:
            return
        ref = self.pick("seq_policy", lambda o: o is not pol and (o.v, o.l, o.p) == (pol.v, pol.l, pol.p))
        if ref is None or self.bad(0.1):
            ref = pol                                                # refused: the policy itself
        self.trainer_call("swiftpg_dpo_create", True, [pol, ref], "swiftpg_dpo_config",
                          dict(epochs=self.rng.choice([1, 2]), minibatch_size=self.rng.choice([1, 64]),
                               loss=self.rng.randrange(2), label_smoothing=0.0))

    def g_pref_trainer_destroy(self):
        self.destroy_call("pref_trainer", self.pick("pref_trainer") or self.create_trainer(self.rng.random() < 0.5))

    def trainer_batch(self, t, b: int):
        x, y, n = self.responses(t.policy.v, t.policy.l, t.policy.p, b)
        return [self.a(x), self.a(y), self.a(n), self.batch_arg(b)]

    def g_sft_fit(self):
        t = self.any_trainer(False)
        if t is None:
            return
        b, hb = self.rng.choice([0, 1, 3]), self.rng.choice([1, 2])
        held = self.trainer_batch(t, hb) if self.rng.random() < 0.5 else [(None, "NULL")] * 3 + [self.i64(0, [1])]
        outs = [self.buf(ctypes.c_double, 3, name, out=True, optional=True)
                for name in ("loss_out", "accuracy_out", "held_out_loss_out", "held_out_accuracy_out")]
        self.invoke("swiftpg_sft_fit", [self.handle_arg("pref_trainer", t)] + self.trainer_batch(t, b) + held +
                    [self.a(o) for o in outs], outs)

    def g_sft_evaluate(self):
        t = self.any_trainer(False)
        if t is None:
            return
        outs = [self.out1(ctypes.c_double, "loss_out"), self.out1(ctypes.c_double, "accuracy_out")]
        self.invoke("swiftpg_sft_evaluate", [self.handle_arg("pref_trainer", t)] +
                    self.trainer_batch(t, self.rng.choice([0, 1, 3])) + [self.a(o) for o in outs], outs)

    def dpo_call(self, name: str, count: int):
        t = self.any_trainer(True)
        if t is None:
            return
        b = self.rng.choice([0, 1, 3])
        pol = t.policy
        x, yw, nw = self.responses(pol.v, pol.l, pol.p, b)
        _, yl, nl = self.responses(pol.v, pol.l, pol.p, b)
        w = self.buf(ctypes.c_double, max(1, b), "weights", data=[abs(v) for v in self.doubles(max(1, b))],
                     optional=True)
        out = self.buf(self.S["swiftpg_direct_stats"], count, "stats_out", out=True, optional=count > 1)
        self.invoke(name, [self.handle_arg("pref_trainer", t), self.a(x), self.a(yw), self.a(nw), self.a(yl),
                           self.a(nl), self.batch_arg(b), self.a(w), self.a(out)], [out])

    # online RLHF learners (issue 16): small batches, so an iteration stays cheap
    def rlhf_config(self, algorithm: int):
        c = self.S["swiftpg_rlhf_config"]()
        self.lib.swiftpg_rlhf_default_config(algorithm, ctypes.addressof(c))
        r = self.rng
        c.prompts_per_iteration = r.choice([1, 2])
        c.samples_per_prompt = 2 if algorithm in (1, 3, 4) else r.choice([1, 2])
        c.epochs = r.choice([1, 2])
        c.beta = r.choice([0.0, 0.1, 1.0])
        if self.bad(0.4):
            c = self.random_struct("swiftpg_rlhf_config", base=c, fields_to_change=r.randrange(1, 3))
            if not (1 <= c.prompts_per_iteration <= 4 and 1 <= c.samples_per_prompt <= 4 and 1 <= c.epochs <= 3):
                c.size = 0                                       # a refused struct, never a huge iteration
        return c

    def g_rlhf_default_config(self):
        out = self.out1(self.S["swiftpg_rlhf_config"], "config_out")
        self.invoke("swiftpg_rlhf_default_config", [self.i32(self.rng.randrange(6), bad=[6, -1, 2**31 - 1]),
                                                    self.a(out)], [out])

    def g_rlhf_create(self):
        r = self.rng
        pol = self.small_seq_policy()
        if pol is None:
            return
        task = self.pick("seq_task", lambda t: (t.v, t.l, t.p) == (pol.v, pol.l, pol.p))
        ref = self.pick("seq_policy", lambda o: o is not pol and (o.v, o.l, o.p) == (pol.v, pol.l, pol.p))
        if task is None or ref is None:
            return
        algorithm = r.randrange(6)
        model = self.pick("reward_model", lambda m: m.k == task.k) if r.random() < 0.3 else None
        critic = None
        if algorithm == 5 and r.random() < 0.5:
            critic = self.pick("seq_policy", lambda o: o not in (pol, ref) and (o.v, o.l, o.p) == (pol.v, pol.l, pol.p))
        c = self.rlhf_config(algorithm)
        cb = self.buf(self.S["swiftpg_rlhf_config"], 1, "config", data=[c])
        out = self.out1(ctypes.c_uint64, "learner_out")
        args = [self.handle_arg("seq_policy", pol), self.handle_arg("seq_policy", ref if not self.bad(0.1) else pol),
                self.handle_arg("seq_task", task),
                (model.handle, model.describe()) if model is not None else (0, "0 (gold)"),
                self.i32(0, bad=[1, 2, -1]), (critic.handle, critic.describe()) if critic is not None else (0, "0"),
                self.a(cb), self.a(out)]
        if self.invoke("swiftpg_rlhf_create", args, [out]) == 0:
            self.adopt(RLHFLearner(out.value(), algorithm=algorithm, policy=pol, k=c.samples_per_prompt))

    def any_rlhf_learner(self):
        if self.pick("rlhf_learner") is None:
            with self.valid_only():
                self.g_rlhf_create()
        return self.pick("rlhf_learner")

    def g_rlhf_destroy(self):
        obj = self.any_rlhf_learner()
        h = self.handle_arg("rlhf_learner", obj, p=0.4)
        if self.invoke("swiftpg_rlhf_destroy", [h]) == 0 and obj is not None and h[0] == obj.handle:
            self.forget(obj)

    def g_rlhf_get_info(self):
        outs = [self.out1(ctypes.c_int32, "algorithm_out"), self.out1(ctypes.c_int64, "iteration_out"),
                self.out1(ctypes.c_int64, "total_samples_out")]
        self.invoke("swiftpg_rlhf_get_info", [self.handle_arg("rlhf_learner", self.any_rlhf_learner())] +
                    [self.a(o) for o in outs], outs)

    def g_rlhf_iterate(self):
        out = self.out1(self.S["swiftpg_rlhf_stats"], "stats_out")
        self.invoke("swiftpg_rlhf_iterate", [self.handle_arg("rlhf_learner", self.any_rlhf_learner()), self.a(out)],
                    [out])

    def rlhf_samples(self, t) -> list:
        """The learner handle and external samples of swiftpg_rlhf_update /
        _gradient_estimate: whole groups of k (sometimes none), rewards, k."""
        k = t.k
        b = k * self.rng.choice([0, 1, 2])
        x, y, n = self.responses(t.policy.v, t.policy.l, t.policy.p, b)
        rewards = self.buf(ctypes.c_double, max(1, b), "rewards", data=self.doubles(max(1, b)))
        return [self.handle_arg("rlhf_learner", t), self.a(x), self.a(y), self.a(n), self.a(rewards),
                self.batch_arg(b), self.i32(k, bad=[0, -1, 3, 2**31 - 1])]

    def g_rlhf_update(self):
        t = self.any_rlhf_learner()
        if t is None:
            return
        out = self.out1(self.S["swiftpg_rlhf_stats"], "stats_out")
        self.invoke("swiftpg_rlhf_update", self.rlhf_samples(t) + [self.a(out)], [out])

    def g_rlhf_gradient_estimate(self):
        t = self.any_rlhf_learner()
        if t is None:
            return
        p = t.policy.num_params
        grad = self.buf(ctypes.c_double, max(1, p), "gradient_out", out=True)
        self.invoke("swiftpg_rlhf_gradient_estimate",
                    self.rlhf_samples(t) + [self.a(grad), self.i64(p, bad=[p + 1, 0, -1])], [grad])

    def g_rlhf_save(self):
        self.save_call("swiftpg_rlhf_save", "rlhf_learner", "rlhf_learner", self.any_rlhf_learner())

    def g_rlhf_load(self):
        t = self.any_rlhf_learner()
        path = self.load_path("rlhf_learner")
        before = self.seq_params(t.policy) if t is not None else None
        status = self.invoke("swiftpg_rlhf_load", [self.handle_arg("rlhf_learner", t), self.a(path)])
        if status != 0 and before is not None and self.seq_params(t.policy) != before:
            self.finding(f"swiftpg_rlhf_load-changed-policy-{status}",
                         f"swiftpg_rlhf_load failed with {status} but changed the policy's parameters; "
                         f"file: {path.describe()}")

    def exact_rlhf_objects(self):
        pol = self.small_seq_policy()
        if pol is None:
            return None
        task = self.pick("seq_task", lambda t: (t.v, t.l, t.p) == (pol.v, pol.l, pol.p))
        return None if task is None else (pol, task)

    def g_rlhf_exact_objective(self):
        objs = self.exact_rlhf_objects()
        if objs is None:
            return
        pol, task = objs
        out = self.out1(ctypes.c_double, "value_out")
        grad = self.buf(ctypes.c_double, max(1, pol.num_params), "gradient_out", out=True, optional=True)
        self.invoke("swiftpg_rlhf_exact_objective", [
            self.handle_arg("seq_policy", pol), self.handle_arg("seq_policy", pol), self.handle_arg("seq_task", task),
            (0, "0 (gold)"), self.i32(0, bad=[2]), self.dbl(self.rng.choice([0.0, 0.5])),
            self.a(out), self.a(grad), self.i64(pol.num_params, bad=[pol.num_params + 1, -1])], [out, grad])

    def g_rlhf_exact_optimum(self):
        objs = self.exact_rlhf_objects()
        if objs is None:
            return
        pol, task = objs
        self.exact_call("swiftpg_rlhf_exact_optimum", [
            self.handle_arg("seq_policy", pol), self.handle_arg("seq_task", task), (0, "0 (gold)"),
            self.i32(0, bad=[2]), self.dbl(self.rng.choice([0.1, 1.0])),
            self.i32(self.rng.randrange(task.p), bad=[task.p, -1])], task.n, "log_probs_out")

    def g_dpo_fit(self):
        self.dpo_call("swiftpg_dpo_fit", 3)

    def g_dpo_evaluate(self):
        self.dpo_call("swiftpg_dpo_evaluate", 1)

    # -- generic generator (functions without pointers to arrays) ------------------------------------
    def generic(self, name: str):
        """Builds a call from the header's parameter types alone; used for a
        function that has no dedicated generator and takes only scalars,
        handles, struct pointers and single-value outputs. Functions with
        other pointers need a generator (``coverage()`` lists them)."""
        fn = self.h.functions[name]
        args, outs = [], []
        for p in fn.params:
            if p.pointer:
                if p.is_struct:
                    st = self.S[p.base]
                    b = self.buf(st, 1, p.name, data=None if not p.const else [self.random_struct(p.base)],
                                 out=not p.const)
                else:
                    b = self.buf(cabi.SCALARS[p.base], 1, p.name, out=not p.const,
                                 data=None if not p.const else [0])
                if b.out:
                    outs.append(b)
                args.append(self.a(b))
            elif p.name in KIND_TAG:
                args.append(self.handle_arg(p.name, self.pick(p.name)))
            elif p.base == "double":
                args.append(self.dbl(self.rng.random()))
            elif p.base == "uint64_t":
                args.append(self.u64())
            else:
                args.append(self.i32(self.rng.randrange(3)) if p.base == "int32_t" else self.i64(1))
        self.invoke(name, args, outs)

    # -- two-player games (issue 17) ---------------------------------------------------------------
    # Batches are small (N <= 5); actions are mostly legal (from the mask), so
    # games reach their ends; states are a game's own, all zeros, or random.
    def register_game(self, handle: int, what: str):
        i = self.new_info("game", handle, what)
        if i is None:
            return None
        return self.adopt(GameObj(handle, what=what, n=i.num_games, a=i.num_actions, h=i.board_height,
                                  w=i.board_width, planes=i.num_planes, obs=i.observation_planes * i.board_height
                                  * i.board_width, state=i.state_size, symmetries=i.num_symmetries))

    def any_game(self):
        if self.pick("game") is None:
            with self.valid_only():
                self.rng.choice([self.g_game_create_connect_n, self.g_game_create_tic_tac_toe,
                                 self.g_game_create_go])()
        return self.pick("game")

    def create_game_call(self, name: str, args: list, what: str) -> None:
        r = self.rng
        n = self.i32(r.choice([1, 2, 5]), bad=[0, -1, (1 << 24) + 1, 2**31 - 1])
        out = self.out1(ctypes.c_uint64, "game_out")
        if self.invoke(name, args + [n, self.flag(), self.a(out)], [out]) == 0:
            self.register_game(out.value(), what)

    def g_game_create_tic_tac_toe(self):
        self.create_game_call("swiftpg_game_create_tic_tac_toe", [], "tic_tac_toe")

    def g_game_create_connect_n(self):
        r = self.rng
        rows, cols = r.choice([(6, 7), (4, 5), (4, 4), (1, 3), (7, 8)])
        k = r.randrange(1, max(rows, cols) + 1)
        args = [self.i32(rows, bad=[9, 64]), self.i32(cols, bad=[9, 65]), self.i32(k, bad=[max(rows, cols) + 1])]
        self.create_game_call("swiftpg_game_create_connect_n", args, "connect_n")

    def g_game_create_go(self):
        r = self.rng
        size = r.choice([5, 7, 9])
        args = [self.i32(size, bad=[4, 10, -1, 2**31 - 1]), self.dbl(r.choice([7.5, 0.0, -3.0, 0.5])),
                self.i32(r.choice([0, 3, 2 * size * size]), bad=[-1, 4097, 2**31 - 1])]
        self.create_game_call("swiftpg_game_create_go", args, "go")

    def g_game_score_margin(self):
        self.game_outputs("swiftpg_game_score_margin",
                          lambda g: [self.buf(ctypes.c_double, g.n, "margins_out", out=True)])

    def g_game_destroy(self):
        self.destroy_call("game", self.pick("game"))

    def g_game_get_info(self):
        self.info_call("game", self.any_game())

    def game_outputs(self, name: str, outputs, pre=()) -> None:
        """A call of a game (its handle, then ``pre``) that writes the buffers ``outputs(game)`` makes."""
        game = self.any_game()
        if game is None:
            return
        bufs = outputs(game)
        self.invoke(name, [self.handle_arg("game", game), *pre] + [self.a(b) for b in bufs], bufs)

    def legal_actions(self, game) -> list[int]:
        """An action per game: legal where the mask has one (read now), else 0."""
        mask = Buf(ctypes.c_uint8, game.n * game.a, "mask", out=True)
        if self.lib.swiftpg_game_legal_mask(game.handle, mask.addr) != 0:
            return [0] * game.n
        m = mask.values()
        legal = [[j for j in range(game.a) if m[i * game.a + j]] for i in range(game.n)]
        return [self.rng.choice(row) if row else 0 for row in legal]

    def g_game_reset(self):
        game = self.any_game()
        n = game.n if game else 1
        which = self.buf(ctypes.c_uint8, n, "which", data=self.flags(n, 0.5), optional=True)
        self.invoke("swiftpg_game_reset", [self.handle_arg("game", game), self.a(which)])

    def g_game_step(self):
        game = self.any_game()
        if game is None:
            return
        n = game.n
        actions = self.legal_actions(game)
        if self.bad(0.3):
            actions[self.rng.randrange(n)] = self.rng.choice([-1, game.a, 2**31 - 1, -(2**31), 0])
        acts = self.buf(ctypes.c_int32, n, "actions", data=actions)
        active = self.buf(ctypes.c_uint8, n, "active", data=self.flags(n, 0.7), optional=True)
        outs = [self.buf(ctypes.c_uint8, n, "ended_out", out=True, optional=True),
                self.buf(ctypes.c_double, n, "outcomes_out", out=True, optional=True),
                self.buf(ctypes.c_int32, 1, "ended_count_out", out=True, optional=True)]
        self.invoke("swiftpg_game_step", [self.handle_arg("game", game), self.a(acts), self.a(active)]
                    + [self.a(b) for b in outs], outs)

    def g_game_apply(self):
        game = self.any_game()
        if game is None:
            return
        index = self.rng.randrange(game.n)
        action = self.legal_actions(game)[index]
        if self.bad(0.3):
            action = self.rng.choice([-1, game.a, 2**31 - 1, -(2**31), 0])
        outs = [self.buf(ctypes.c_uint8, 1, "ended_out", out=True, optional=True),
                self.buf(ctypes.c_double, 1, "outcome_out", out=True, optional=True),
                self.buf(ctypes.c_int32, 1, "player_out", out=True, optional=True),
                self.buf(ctypes.c_uint8, game.a, "legal_mask_out", out=True, optional=True)]
        self.invoke("swiftpg_game_apply", [self.handle_arg("game", game),
                                           self.i32(index, bad=[-1, game.n, 2**31 - 1]), self.i32(action)]
                    + [self.a(b) for b in outs], outs)

    def g_game_clone(self):
        game = self.any_game()
        n = game.n if game else 1
        out = self.out1(ctypes.c_uint64, "game_out")
        if self.invoke("swiftpg_game_clone", [self.handle_arg("game", game),
                                              self.i32(self.rng.randrange(n), bad=[-1, n, 2**31 - 1]),
                                              self.a(out)], [out]) == 0:
            self.register_game(out.value(), game.what if game else "clone")

    def g_game_set_threads(self):
        self.invoke("swiftpg_game_set_threads", [self.handle_arg("game", self.any_game()),
                                                 self.i32(self.rng.choice([1, 2, 4]), bad=[0, 65, -1])])

    def g_game_legal_mask(self):
        self.game_outputs("swiftpg_game_legal_mask", lambda g: [self.buf(ctypes.c_uint8, g.n * g.a, "mask_out",
                                                                         out=True)])

    def g_game_status(self):
        self.game_outputs("swiftpg_game_status", lambda g: [
            self.buf(ctypes.c_int32, g.n, "players_out", out=True, optional=True),
            self.buf(ctypes.c_uint8, g.n, "terminal_out", out=True, optional=True),
            self.buf(ctypes.c_double, 2 * g.n, "returns_out", out=True, optional=True)])

    def g_game_observation(self):
        self.game_outputs("swiftpg_game_observation",
                          lambda g: [self.buf(ctypes.c_double, g.n * g.obs, "observations_out", out=True)])

    def g_game_planes(self):
        self.game_outputs("swiftpg_game_planes",
                          lambda g: [self.buf(ctypes.c_double, g.n * g.planes * g.h * g.w, "planes_out", out=True)])

    def g_game_get_state(self):
        self.game_outputs("swiftpg_game_get_state",
                          lambda g: [self.buf(ctypes.c_int32, g.n * g.state, "states_out", out=True)])

    def g_game_set_state(self):
        game = self.any_game()
        if game is None:
            return
        count = game.n * game.state
        current = Buf(ctypes.c_int32, count, "states", out=True)
        choice = self.rng.randrange(4)
        if choice in (0, 3) and self.lib.swiftpg_game_get_state(game.handle, current.addr) == 0:
            data = list(current.values())
            if choice == 3:  # one word of a real state changed (Go: its counters, ko point, history)
                data[self.rng.randrange(count)] = self.rng.choice([-1, 0, 1, 2, 3, 2**31 - 1, -(2**31)])
        elif choice == 1:
            data = [0] * count
        else:
            data = [self.rng.choice([0, 0, 0, 1, 2, 3, -1]) for _ in range(count)]
        states = self.buf(ctypes.c_int32, count, "states", data=data)
        self.invoke("swiftpg_game_set_state", [self.handle_arg("game", game), self.a(states)])

    def g_game_render_text(self):
        game = self.any_game()
        n = game.n if game else 1
        index = self.i32(self.rng.randrange(n), bad=[n, -1, 2**31 - 1])
        self.text_call("swiftpg_game_render_text", [self.handle_arg("game", game), index], allocated=1024)

    def g_game_symmetry(self):
        self.game_outputs("swiftpg_game_symmetry", lambda g: [
            self.buf(ctypes.c_int32, g.h * g.w, "cell_map_out", out=True, optional=True),
            self.buf(ctypes.c_int32, g.a, "action_map_out", out=True, optional=True)],
            pre=[self.i32(self.rng.randrange(8), bad=[8, -1, 2**31 - 1])])

    def g_game_playouts(self):
        game = self.any_game()
        if game is None:
            return
        p = self.rng.choice([1, 2, 3])
        count, text = self.i32(p, bad=[0, -1, -(2**31)])
        outs = [self.buf(ctypes.c_double, game.n * p, "outcomes_out", out=True),
                self.buf(ctypes.c_int32, game.n * p, "lengths_out", out=True, optional=True)]
        self.invoke("swiftpg_game_playouts", [self.handle_arg("game", game), self.seed(), (count, text)]
                    + [self.a(b) for b in outs], outs)

    # -- games: players and arena (issue 17) ------------------------------------------------------------
    # Players are made for small games only where they search (minimax depth
    # <= 3, MCTS <= 40 simulations, solvers on boards of at most 20 cells),
    # so every call ends in well under a second.
    @staticmethod
    def game_key(game) -> tuple:
        return (game.what, game.h, game.w, game.a)

    def create_player_call(self, name: str, args: list, what: str, want=None) -> None:
        game = self.pick("game", want) or self.any_game()
        if game is None or (want is not None and not want(game)):
            return
        out = self.out1(ctypes.c_uint64, "player_out")
        if self.invoke(name, [self.handle_arg("game", game), *args, self.a(out)], [out]) == 0:
            self.adopt(PlayerObj(out.value(), what=what, game_key=self.game_key(game)))

    def g_player_create_random(self):
        self.create_player_call("swiftpg_player_create_random", [], "random")

    def g_player_create_minimax(self):
        depth = self.i32(self.rng.randrange(1, 4), bad=[65, 0, -3])
        self.create_player_call("swiftpg_player_create_minimax", [depth], "minimax")

    def g_player_create_mcts(self):
        sims = self.i32(self.rng.choice([1, 5, 40]), bad=[0, (1 << 20) + 1])
        self.create_player_call("swiftpg_player_create_mcts", [sims, self.dbl(self.rng.choice([0.0, 1.4, 2.0]))],
                                "mcts")

    def g_player_create_solver(self):
        self.create_player_call("swiftpg_player_create_solver", [], "solver", want=lambda g: g.h * g.w <= 20)

    def g_player_destroy(self):
        self.destroy_call("player", self.pick("player"))

    def player_and_game(self, want=None):
        """A live player (``want``: a filter) and, mostly, a game of its kind."""
        player = self.pick("player", want)
        if player is None:
            with self.valid_only():
                self.rng.choice([self.g_player_create_random, self.g_player_create_mcts, self.g_player_create_solver,
                                 self.g_player_create_minimax])()
            player = self.pick("player", want)
        games = [g for g in self.pool["game"] if self.game_key(g) == getattr(player, "game_key", None)]
        game = self.rng.choice(games) if games and self.rng.random() < 0.85 else self.pick("game")
        return player, game

    def g_player_action(self):
        player, game = self.player_and_game()
        n = game.n if game else 1
        index = self.i32(self.rng.randrange(n), bad=[n, -1])
        out = self.out1(ctypes.c_int32, "action_out")
        self.invoke("swiftpg_player_action", [self.handle_arg("player", player), self.handle_arg("game", game),
                                              index, self.seed(), self.a(out)], [out])

    def g_arena_play(self):
        a, game = self.player_and_game()
        same = [p for p in self.pool["player"] if a is not None and p.game_key == a.game_key]
        b = self.rng.choice(same) if same and self.rng.random() < 0.85 else self.pick("player")
        games = self.i32(self.rng.choice([1, 2, 4]), bad=[0, -5, (1 << 24) + 1])
        out = self.buf(ctypes.c_int32, 9, "record_out", out=True)
        self.invoke("swiftpg_arena_play", [self.handle_arg("game", game), self.handle_arg("player", a),
                                           self.handle_arg("player", b), games, self.seed(), self.a(out)], [out])

    def g_elo_fit(self):
        r = self.rng
        n = r.randrange(1, 5)
        data = []
        for i in range(n):
            for j in range(n):
                data += [0, 0, 0] if i == j else [r.randrange(4) for _ in range(3)]
        if self.bad(0.3):
            data[r.randrange(len(data))] = r.choice([-1, 2**31 - 1, 5])
        records = self.buf(ctypes.c_int32, 3 * n * n, "records", data=data)
        count = self.i32(n, bad=[0, 257, -1])  # never more than the buffers hold: that is a caller's lie, not a fault
        anchor = self.i32(r.randrange(n), bad=[n, -1])
        prior = self.dbl(r.choice([0.0, 1.0, 0.5]))
        outs = [self.buf(ctypes.c_double, n, "ratings_out", out=True),
                self.buf(ctypes.c_double, n, "errors_out", out=True, optional=True)]
        self.invoke("swiftpg_elo_fit", [self.a(records), count, anchor, prior] + [self.a(b) for b in outs], outs)

    def solver_call(self, name: str, outputs) -> None:
        player, game = self.player_and_game(want=lambda p: p.what == "solver" or self.rng.random() < 0.1)
        n = game.n if game else 1
        index = self.i32(self.rng.randrange(n), bad=[n, -1])
        bufs = outputs(game)
        self.invoke(name, [self.handle_arg("player", player), self.handle_arg("game", game), index]
                    + [self.a(b) for b in bufs], bufs)

    def g_solver_score(self):
        self.solver_call("swiftpg_solver_score", lambda g: [self.out1(ctypes.c_int32, "score_out")])

    def g_solver_column_scores(self):
        self.solver_call("swiftpg_solver_column_scores",
                         lambda g: [self.buf(ctypes.c_int32, g.a if g else 1, "scores_out", out=True)])

    def g_solver_node_count(self):
        out = self.out1(ctypes.c_int64, "count_out")
        self.invoke("swiftpg_solver_node_count", [self.handle_arg("player", self.pick("player")), self.a(out)], [out])

    # -- board networks, AlphaGo and AlphaZero (issue 18) ------------------------------------------------
    # Networks are small (MLP widths <= 16, convs of <= 4 channels), games of
    # any kind; learners iterate on tic-tac-toe or tiny Connect-N only, with
    # a few games and simulations, so every call ends in well under a second.
    def register_board_net(self, handle: int, game=None):
        i = self.new_info("board_net", handle, "board network")
        if i is None:
            return None
        return self.adopt(BoardNet(handle, policy=i.head == 1, c=i.num_planes, h=i.board_height, w=i.board_width,
                                   a=i.num_outputs, num_params=i.num_params, game_key=None if game is None else
                                   self.game_key(game)))

    def any_board_net(self, want=None):
        net = self.pick("board_net", want)
        if net is None:
            with self.valid_only():
                self.g_board_net_create()
            net = self.pick("board_net", want)
        return net

    def fits(self, net, game) -> bool:
        return (net is not None and game is not None and (net.c, net.h, net.w) == (game.planes, game.h, game.w)
                and (not net.policy or net.a == game.a))

    def net_and_game(self, want=None):
        net = self.any_board_net(want)
        games = [g for g in self.pool["game"] if self.fits(net, g)]
        game = self.rng.choice(games) if games and self.rng.random() < 0.85 else self.any_game()
        return net, game

    def g_board_net_create(self):
        r = self.rng
        game = self.any_game()
        trunk = r.choice([1, 2])
        n = r.choice([0, 1, 2]) if trunk == 1 else r.choice([1, 2])
        sizes = [r.choice([1, 4, 16]) for _ in range(max(n, 1))]
        if self.bad(0.2):
            sizes[0] = r.choice([0, -1, 2**31 - 1, 70000])
        buf = self.buf(ctypes.c_int32, max(n, 1), "sizes", data=sizes, optional=n == 0)
        out = self.out1(ctypes.c_uint64, "net_out")
        args = [self.handle_arg("game", game), self.i32(r.choice([1, 2]), bad=[3, 0, -1]),
                self.i32(trunk, bad=[0, 3, -1]), self.a(buf), self.i32(n, bad=[33, 65, -1, 2**31 - 1]),
                self.i32(r.choice([1, 3]), bad=[2, 11, 0, -3]), self.seed(), self.a(out)]
        if self.invoke("swiftpg_board_net_create", args, [out]) == 0:
            self.register_board_net(out.value(), game)

    def g_board_net_set_precision(self):
        net = self.any_board_net()
        self.invoke("swiftpg_board_net_set_precision", [self.handle_arg("board_net", net),
                                                        self.i32(self.rng.choice([32, 64]), bad=[16, 0, -64, 128])])

    def board_planes(self, net, b: int, name: str = "planes") -> Buf:
        d = net.c * net.h * net.w if net is not None else 1
        return self.buf(ctypes.c_double, max(1, b * d), name, data=self.doubles(max(1, b * d)))

    def board_masks(self, net, b: int, name: str = "masks") -> Buf:
        a = net.a if net is not None and net.policy else 9
        data = []
        for _ in range(max(1, b)):
            row = [self.rng.randrange(2) for _ in range(a)]
            row[self.rng.randrange(a)] = 1
            data += row
        if self.bad(0.15):
            data[self.rng.randrange(len(data))] = self.rng.choice([0, 2, 255])
        return self.buf(ctypes.c_uint8, len(data), name, data=data, optional=net is not None and not net.policy)

    def g_board_net_forward(self):
        net = self.any_board_net()
        if net is None:
            return
        b = self.rng.choice([0, 1, 3])
        out = self.buf(ctypes.c_double, max(1, b * net.a), "out", out=True)
        self.invoke("swiftpg_board_net_forward", [self.handle_arg("board_net", net), self.a(self.board_planes(net, b)),
                                                  self.a(self.board_masks(net, b)), self.batch_arg(b), self.a(out)],
                    [out])

    def g_board_net_evaluate_game(self):
        net, game = self.net_and_game()
        if net is None or game is None:
            return
        out = self.buf(ctypes.c_double, game.n * max(net.a, game.a), "out", out=True)
        self.invoke("swiftpg_board_net_evaluate_game", [self.handle_arg("board_net", net),
                                                        self.handle_arg("game", game), self.a(out)], [out])

    def g_board_net_policy_gradient(self):
        net = self.any_board_net(lambda n: n.policy or self.rng.random() < 0.1)
        if net is None:
            return
        r = self.rng
        b = r.choice([0, 1, 3])
        masks = self.board_masks(net, b)
        acts = [r.randrange(-1, net.a + 1) if self.bad(0.2) else r.randrange(net.a) for _ in range(max(1, b))]
        outs = [self.buf(ctypes.c_double, max(1, b), "log_probs_out", out=True, optional=True),
                self.buf(ctypes.c_double, max(1, net.num_params), "grad_out", out=True),
                self.out1(ctypes.c_double, "objective_out")]
        args = [self.handle_arg("board_net", net), self.a(self.board_planes(net, b)), self.a(masks),
                self.a(self.buf(ctypes.c_int32, max(1, b), "actions", data=acts)),
                self.a(self.buf(ctypes.c_double, max(1, b), "weights", data=self.doubles(max(1, b)), optional=True)),
                self.batch_arg(b), self.a(outs[0]), self.a(outs[1]), self.count_arg(net.num_params), self.a(outs[2])]
        self.invoke("swiftpg_board_net_policy_gradient", args, outs)

    def g_board_net_value_gradient(self):
        net = self.any_board_net(lambda n: not n.policy or self.rng.random() < 0.1)
        if net is None:
            return
        b = self.rng.choice([0, 1, 3])
        outs = [self.buf(ctypes.c_double, max(1, b), "values_out", out=True, optional=True),
                self.buf(ctypes.c_double, max(1, net.num_params), "grad_out", out=True),
                self.out1(ctypes.c_double, "loss_out")]
        args = [self.handle_arg("board_net", net), self.a(self.board_planes(net, b)),
                self.a(self.buf(ctypes.c_double, max(1, b), "targets", data=self.doubles(max(1, b)))),
                self.a(self.buf(ctypes.c_double, max(1, b), "weights", data=self.doubles(max(1, b)), optional=True)),
                self.batch_arg(b), self.a(outs[0]), self.a(outs[1]), self.count_arg(net.num_params), self.a(outs[2])]
        self.invoke("swiftpg_board_net_value_gradient", args, outs)

    def g_board_net_fit_policy(self):
        net = self.any_board_net(lambda n: n.policy or self.rng.random() < 0.1)
        if net is None:
            return
        r = self.rng
        b, hb = r.choice([0, 1, 4]), r.choice([0, 2])
        c, cb = self.fit_config("swiftpg_sft_config", "sft", dict(epochs=r.choice([1, 2]), minibatch_size=r.choice([1, 8])))
        epochs = c.epochs if 1 <= c.epochs <= 3 else 3
        acts = lambda n: self.buf(ctypes.c_int32, max(1, n), "actions", data=[r.randrange(net.a) for _ in range(max(1, n))])
        hist = self.buf(ctypes.c_double, 4 * epochs, "history_out", out=True)
        args = [self.handle_arg("board_net", net), self.a(self.board_planes(net, b)), self.a(self.board_masks(net, b)),
                self.a(acts(b)), self.batch_arg(b), self.a(self.board_planes(net, hb, "held_planes")),
                self.a(self.board_masks(net, hb, "held_masks")), self.a(acts(hb)), self.batch_arg(hb), self.a(cb),
                self.a(hist)]
        self.invoke("swiftpg_board_net_fit_policy", args, [hist])

    def g_board_net_fit_value(self):
        net = self.any_board_net(lambda n: not n.policy or self.rng.random() < 0.1)
        if net is None:
            return
        r = self.rng
        b, hb = r.choice([0, 1, 4]), r.choice([0, 2])
        c, cb = self.fit_config("swiftpg_sft_config", "sft", dict(epochs=r.choice([1, 2]), minibatch_size=r.choice([1, 8]),
                                                                  weight_decay=0.0))
        epochs = c.epochs if 1 <= c.epochs <= 3 else 3
        t = lambda n, name: self.buf(ctypes.c_double, max(1, n), name, data=[r.choice([-1.0, 0.0, 1.0]) for _ in range(max(1, n))])
        outs = [self.buf(ctypes.c_double, epochs, "losses_out", out=True),
                self.buf(ctypes.c_double, 1, "held_out_mse_out", out=True, optional=True)]
        args = [self.handle_arg("board_net", net), self.a(self.board_planes(net, b)), self.a(t(b, "targets")),
                self.batch_arg(b), self.a(self.board_planes(net, hb, "held_planes")), self.a(t(hb, "held_targets")),
                self.batch_arg(hb), self.a(cb), self.a(outs[0]), self.a(outs[1])]
        self.invoke("swiftpg_board_net_fit_value", args, outs)

    def small_game(self, game) -> bool:
        return game is not None and game.h * game.w <= 20

    def g_expert_moves(self):
        player, game = self.player_and_game(want=lambda p: p.what in ("random", "solver", "minimax"))
        if game is None or not self.small_game(game):
            return
        r = self.rng
        n = r.choice([1, 2])
        cap = n * (game.h * game.w + 1)
        outs = [self.buf(ctypes.c_double, cap * game.planes * game.h * game.w, "planes_out", out=True),
                self.buf(ctypes.c_uint8, cap * game.a, "masks_out", out=True),
                self.buf(ctypes.c_int32, cap, "actions_out", out=True), self.out1(ctypes.c_int64, "count_out"),
                self.out1(ctypes.c_int64, "held_out_count_out")]
        args = [self.handle_arg("game", game), self.handle_arg("player", player),
                self.i32(n, bad=[0, -1, (1 << 20) + 1]), self.dbl(r.choice([0.2, 0.5])), self.seed(),
                self.integer(cap, [0, 1, -1, max(0, cap - 1)], 0.2)] + [self.a(o) for o in outs]
        self.invoke("swiftpg_expert_moves", args, outs)

    def g_value_targets(self):
        net, game = self.net_and_game(lambda n: n.policy or self.rng.random() < 0.1)
        if net is None or game is None or not self.small_game(game):
            return
        n = self.rng.choice([1, 3])
        outs = [self.buf(ctypes.c_double, n * net.c * net.h * net.w, "planes_out", out=True),
                self.buf(ctypes.c_double, n, "targets_out", out=True)]
        args = [self.handle_arg("game", game), self.handle_arg("board_net", net),
                self.i32(n, bad=[0, -1, (1 << 20) + 1]), self.seed()] + [self.a(o) for o in outs]
        self.invoke("swiftpg_value_targets", args, outs)

    def optional_net(self, net):
        return (0, "0") if net is None or self.rng.random() < 0.2 else self.handle_arg("board_net", net)

    def g_player_create_puct(self):
        r = self.rng
        pol, game = self.net_and_game(lambda n: n.policy or r.random() < 0.1)
        val = self.pick("board_net", lambda n: not n.policy and self.fits(n, game))
        c = self.S["swiftpg_puct_config"]()
        self.lib.swiftpg_puct_default_config(ctypes.addressof(c))
        c.simulations = r.choice([1, 4, 16])
        c.rollout_weight = r.choice([0.0, 0.5, 1.0])
        if self.bad(0.3):
            c = self.random_struct("swiftpg_puct_config", base=c, fields_to_change=1)
            if not 1 <= c.simulations <= 64:
                c.size = 0
        cb = self.buf(self.S["swiftpg_puct_config"], 1, "config", data=[c])
        out = self.out1(ctypes.c_uint64, "player_out")
        if self.invoke("swiftpg_player_create_puct", [self.handle_arg("game", game), self.optional_net(pol),
                                                      self.optional_net(val), self.a(cb), self.a(out)], [out]) == 0:
            self.adopt(PlayerObj(out.value(), what="puct", game_key=self.game_key(game)))

    def g_player_create_policy(self):
        pol, game = self.net_and_game(lambda n: n.policy or self.rng.random() < 0.1)
        out = self.out1(ctypes.c_uint64, "player_out")
        if self.invoke("swiftpg_player_create_policy", [self.handle_arg("game", game), self.optional_net(pol),
                                                        self.dbl(self.rng.choice([0.0, 1.0])), self.a(out)],
                       [out]) == 0:
            self.adopt(PlayerObj(out.value(), what="policy", game_key=self.game_key(game)))

    def learner_call(self, name: str, struct: str, small: dict, az: bool):
        r = self.rng
        pol, game = self.net_and_game(lambda n: n.policy and n.h * n.w <= 20 or r.random() < 0.05)
        if game is None or not self.small_game(game):
            return
        val = self.pick("board_net", lambda n: not n.policy and self.fits(n, game))
        c = self.S[struct]()
        getattr(self.lib, f"swiftpg_{name}_default_config")(ctypes.addressof(c))
        for k, v in small.items():
            setattr(c, k, v)
        if self.bad(0.3):
            c = self.random_struct(struct, base=c, fields_to_change=1)
            if not 1 <= c.games_per_iteration <= 4 or getattr(c, "simulations", 1) > 8 or getattr(c, "epochs", 1) > 2:
                c.size = 0
        cb = self.buf(self.S[struct], 1, "config", data=[c])
        out = self.out1(ctypes.c_uint64, "learner_out")
        if self.invoke(f"swiftpg_{name}_create", [self.handle_arg("game", game), self.optional_net(pol),
                                                  self.optional_net(val), self.a(cb), self.a(out)], [out]) == 0:
            self.adopt(BoardLearner(out.value(), az=az, game_key=self.game_key(game)))

    def g_selfplay_create(self):
        self.learner_call("selfplay", "swiftpg_selfplay_config", dict(games_per_iteration=self.rng.choice([1, 2, 4])),
                          False)

    def g_alphazero_create(self):
        self.learner_call("alphazero", "swiftpg_alphazero_config", dict(
            games_per_iteration=self.rng.choice([1, 2]), simulations=self.rng.choice([1, 4, 8]), epochs=1,
            minibatch_size=8), True)

    def learner_iterate(self, az: bool):
        learner = self.pick("board_learner", lambda l: l.az == az or self.rng.random() < 0.1)
        if learner is None:
            with self.valid_only():
                (self.g_alphazero_create if az else self.g_selfplay_create)()
            learner = self.pick("board_learner")
        stats = self.out1(self.S["swiftpg_alphazero_stats" if az else "swiftpg_selfplay_stats"], "stats_out")
        self.invoke(f"swiftpg_{'alphazero' if az else 'selfplay'}_iterate",
                    [self.handle_arg("board_learner", learner), self.a(stats)], [stats])

    def g_selfplay_iterate(self):
        self.learner_iterate(False)

    def g_alphazero_iterate(self):
        self.learner_iterate(True)

    def board_learner_file_call(self, op: str):
        learner = self.pick("board_learner")
        path = self.save_path() if op == "save" else self.load_path("board_learner")
        status = self.invoke(f"swiftpg_board_learner_{op}", [self.handle_arg("board_learner", learner), self.a(path)])
        if op == "save" and status == 0 and path.data and os.path.isfile(path.data):
            self.files.append(("board_learner", path.data.decode("latin-1")))

    def g_board_learner_save(self):
        self.board_learner_file_call("save")

    def g_board_learner_load(self):
        self.board_learner_file_call("load")

    def g_board_learner_destroy(self):
        self.destroy_call("board_learner", self.pick("board_learner"))
    # -- self-play pipeline, mistake rate, ladder (issue 18) ------------------------------------------
    # Pipelines are tiny (a few networks units, a handful of games and
    # epochs) and only stepped on small boards (at most 20 cells; Go only
    # until its evaluation, which has no solver); the mistake rate and the
    # ladder only run on small boards with cheap rungs (the mistake rate,
    # which visits every reachable position, on boards of at most 12
    # cells), so every call ends well under a second.
    @staticmethod
    def small(game) -> bool:
        return game is not None and game.what != "go" and game.h * game.w <= 20

    def any_pipeline(self):
        return self.pick("pipeline") or self.g_alphago_create(valid=True)

    def g_alphago_create(self, valid: bool = False):
        r = self.rng
        with self.valid_only(valid):
            game = self.pick("game", self.small) or self.any_game()
            if game is None:
                return None
            c = self.S["swiftpg_alphago_config"]()
            self.lib.swiftpg_alphago_default_config(ctypes.addressof(c))
            c.num_hidden = 1
            c.hidden[0] = r.choice([2, 4, 8])
            c.num_conv = r.choice([0, 0, 1])
            c.conv_channels[0] = 2
            for name, values in (("expert_games", [1, 3]), ("expert_simulations", [1, 4]),
                                 ("supervised_epochs", [1, 2]), ("supervised_minibatch", [1, 8]),
                                 ("selfplay_iterations", [0, 1, 2]), ("selfplay_games", [1, 2]),
                                 ("snapshot_interval", [1, 2]), ("pool_capacity", [1, 4]),
                                 ("evaluation_games", [0, 2]), ("value_games", [2, 5]), ("value_epochs", [1]),
                                 ("value_minibatch", [1, 8]), ("alphazero_iterations", [0, 1]),
                                 ("alphazero_games", [1]), ("alphazero_epochs", [1]), ("alphazero_simulations", [1, 3]),
                                 ("alphazero_minibatch", [1, 8]), ("alphazero_temperature_moves", [0, 2]),
                                 ("search_simulations", [1, 3]), ("solver_games", [0, 2]),
                                 ("measure_mistakes", [0, 1]), ("elo_games_per_pair", [0, 1])):
                setattr(c, name, r.choice(values))
            c.seed = r.getrandbits(64)
            mutated = self.mutating and r.random() < 0.6
            if mutated:
                c = self.random_struct("swiftpg_alphago_config", base=c,
                                       fields_to_change=None if r.random() < 0.1 else r.randrange(1, 4))
            widths = [c.hidden[k] for k in range(max(0, min(c.num_hidden, 8)))]
            channels = [c.conv_channels[k] for k in range(max(0, min(c.num_conv, 8)))]
            small_values = all(0 <= getattr(c, f) <= 9 for f, t in c._fields_ if t is ctypes.c_int32)
            cheap = (small_values and all(w <= 16 for w in widths + channels) and self.small(game)
                     and c.measure_mistakes == 0)
            cfg = self.buf(self.S["swiftpg_alphago_config"], 1, "config", data=[c], p_null=0.1)
            if not cfg.null:
                cfg.note = self.struct_text(c)
            if self.bad(0.1):
                directory = Str(r.choice([None, b"", b"/proc/no/such/dir", b"d" * 5000, b"\xff"]))
            else:
                directory = Str(os.path.join(self.tmp, f"selfplay{r.randrange(3)}").encode())
            out = self.out1(ctypes.c_uint64, "pipeline_out")
            if self.invoke("swiftpg_alphago_create", [self.handle_arg("game", game), self.a(cfg), self.a(directory),
                                                       self.a(out)], [out]) != 0:
                return None
            return self.adopt(PipelineObj(out.value(), game=game, cheap=cheap, game_key=self.game_key(game)))

    def g_alphago_destroy(self):
        p = self.any_pipeline()
        h = self.handle_arg("pipeline", p, p=0.4)
        if self.invoke("swiftpg_alphago_destroy", [h]) == 0 and p is not None and h[0] == p.handle:
            self.forget(p)

    def g_alphago_step(self):
        p = self.any_pipeline()
        if p is None or not p.cheap:
            return
        out = self.out1(self.S["swiftpg_alphago_progress"], "progress_out")
        self.invoke("swiftpg_alphago_step", [self.handle_arg("pipeline", p), self.a(out)], [out])

    def g_alphago_checkpoint_count(self):
        out = self.out1(ctypes.c_int32, "count_out")
        self.invoke("swiftpg_alphago_checkpoint_count", [self.handle_arg("pipeline", self.any_pipeline()),
                                                          self.a(out)], [out])

    def indexed_text(self, name: str, tail):
        r = self.rng
        index = self.i32(r.randrange(4), bad=[-1, 2**31 - 1])
        allocated = 4200
        buffer = self.buf(ctypes.c_char, allocated, "buffer", out=True, p_null=0.1)
        capacity = 0 if buffer.null else r.choice([0, 1, 5, allocated, r.randrange(allocated + 1)])
        length = self.out1(ctypes.c_size_t, "length_out")
        outs = tail()
        self.invoke(name, [self.handle_arg("pipeline", self.any_pipeline()), index, self.a(buffer),
                           (capacity, str(capacity)), self.a(length)] + [self.a(b) for b in outs],
                    [buffer, length] + outs, exempt=("length_out",))

    def g_alphago_checkpoint(self):
        self.indexed_text("swiftpg_alphago_checkpoint",
                          lambda: [self.buf(ctypes.c_int32, 3, "info_out", out=True, optional=True)])

    def g_alphago_rating(self):
        self.indexed_text("swiftpg_alphago_rating",
                          lambda: [self.out1(ctypes.c_double, "rating_out"),
                                   self.buf(ctypes.c_double, 1, "error_out", out=True, optional=True)])

    def g_alphago_evaluation_summary(self):
        out = self.out1(self.S["swiftpg_alphago_evaluation"], "evaluation_out")
        self.invoke("swiftpg_alphago_evaluation_summary", [self.handle_arg("pipeline", self.any_pipeline()),
                                                            self.a(out)], [out])

    def g_alphago_player(self):
        p = self.any_pipeline()
        sims = self.i32(self.rng.choice([1, 2, 4]), bad=[0, -1, (1 << 20) + 1])
        out = self.out1(ctypes.c_uint64, "player_out")
        if self.invoke("swiftpg_alphago_player", [self.handle_arg("pipeline", p), sims, self.a(out)], [out]) == 0:
            self.adopt(PlayerObj(out.value(), what="network", game_key=p.game_key))

    def g_mistake_rate(self):
        player, game = self.player_and_game(want=lambda p: p.what in ("random", "solver", "network")
                                            or (p.what in ("mcts", "minimax") and self.rng.random() < 0.2))
        if game is not None and getattr(player, "game_key", None) == self.game_key(game) and game.what != "go" \
                and game.h * game.w > 12:
            return  # every reachable position of a larger board (4 x 5 Connect-4: about 10^5) takes too long
        sides = self.i32(self.rng.choice([1, 2, 3]), bad=[0, 4, -1])
        n = game.h * game.w if game is not None and game.what != "go" else 1
        outs = [self.out1(self.S["swiftpg_mistake_report"], "report_out"),
                self.buf(ctypes.c_int64, n, "positions_by_ply_out", out=True, optional=True),
                self.buf(ctypes.c_int64, n, "mistakes_by_ply_out", out=True, optional=True)]
        if game is not None and game.what == "go":   # max_game_length of Go is larger: by-ply outputs stay NULL
            outs[1] = Buf(ctypes.c_int64, 1, "positions_by_ply_out", null=True, out=True)
            outs[2] = Buf(ctypes.c_int64, 1, "mistakes_by_ply_out", null=True, out=True)
        self.invoke("swiftpg_mistake_rate", [self.handle_arg("player", player), self.handle_arg("game", game),
                                             sides, self.seed()] + [self.a(b) for b in outs], outs)

    def g_ladder_play(self):
        r = self.rng
        player, game = self.player_and_game(want=lambda p: p.what in ("random", "solver", "network"))
        if game is not None and not self.small(game):
            return  # the solver rung on a large board takes minutes
        c = self.S["swiftpg_ladder_config"]()
        self.lib.swiftpg_ladder_default_config(ctypes.addressof(c))
        c.games_per_rung = r.choice([1, 2])
        c.mcts_rungs = r.choice([0, 1, 2])
        c.num_minimax_depths = r.choice([0, 1])
        c.minimax_depths[0] = r.choice([1, 2])
        c.solver = r.randrange(2)
        if self.mutating and r.random() < 0.5:
            c = self.random_struct("swiftpg_ladder_config", base=c, fields_to_change=r.randrange(1, 3))
            depths = [c.minimax_depths[k] for k in range(max(0, min(c.num_minimax_depths, 8)))]
            if (0 < c.games_per_rung <= 9 and 0 <= c.mcts_rungs <= 16 and 0 < c.mcts_base <= 1 << 20
                    and 1 <= min(depths, default=1) and max(depths, default=1) <= 64
                    and (c.games_per_rung > 4 or c.mcts_base * 10 ** (c.mcts_rungs / 2) > 400 or max(depths, default=1) > 4)):
                return  # valid but costly
        cfg = self.buf(self.S["swiftpg_ladder_config"], 1, "config", data=[c], p_null=0.1)
        if not cfg.null:
            cfg.note = self.struct_text(c)
        count = r.choice([26, 26, 8, 3, 0])
        rungs = self.buf(self.S["swiftpg_ladder_rung"], max(count, 1), "rungs_out", out=True)
        out = self.out1(ctypes.c_int32, "count_out")
        self.invoke("swiftpg_ladder_play", [self.handle_arg("player", player), self.handle_arg("game", game),
                                            self.a(cfg), self.a(rungs), (count, str(count)), self.a(out)],
                    [rungs, out])

    # -- concurrency (--threads) -----------------------------------------------------------------------
    CONCURRENT_MENU = ["swiftpg_env_step", "swiftpg_env_reset", "swiftpg_env_get_state", "swiftpg_env_set_parameter",
                       "swiftpg_env_destroy", "swiftpg_env_set_threads", "swiftpg_policy_set_params",
                       "swiftpg_policy_sample", "swiftpg_policy_destroy", "swiftpg_policy_evaluate", "swiftpg_cancel",
                       "swiftpg_pg_save", "swiftpg_pg_iterate", "swiftpg_algorithm_destroy", "swiftpg_value_set_params",
                       "swiftpg_search_iterate", "swiftpg_policy_get_params"]

    def concurrent(self) -> None:
        """A long call on a background thread while this thread calls
        functions on the same objects (BUSY, cancellation, destroy while in
        use). Thread timing varies, so a replay may take another path."""
        r = self.rng
        alg = self.pick("algorithm", lambda a: a.cheap and a.env is not None and self.episodic_ok(a.env))
        env = alg.env if alg is not None else self.any_env()
        if env is None or not env.limit_ok:
            return
        pol = alg.policy if alg is not None else (self.pick("policy", lambda p: self.compatible(env, p))
                                                  or self.policy_for(env))
        if pol is None:
            return
        was = self.mutating
        self.mutating = False
        choice = r.randrange(3 if alg is not None else 2)
        if choice == 0:
            n, d = env.n, env.obs
            bufs = [self.actions_for(env.discrete, env.num_actions, env.action_size, n)] + [
                Buf(t, c, nm, out=True) for t, c, nm in ((ctypes.c_double, n * d, "observations_out"),
                                                         (ctypes.c_double, n, "rewards_out"),
                                                         (ctypes.c_uint8, n, "terminated_out"),
                                                         (ctypes.c_uint8, n, "truncated_out"))]
            args = [(env.handle, env.describe())] + [self.a(b) for b in bufs] + [(None, "NULL"), (None, "NULL")]
            job = ("swiftpg_env_step", args, bufs[1:], r.randrange(50, 400))
        elif choice == 1:
            ret = Buf(ctypes.c_double, 8, "returns_out", out=True)
            job = ("swiftpg_policy_evaluate", [(pol.handle, pol.describe()), (env.handle, env.describe()), (8, "8"),
                                               (0, "0"), (1, "1"), self.a(ret), (None, "NULL")], [ret], 1)
        else:
            out = Buf(self.S["swiftpg_train_stats" if alg.pg else "swiftpg_search_stats"], 1, "stats_out", out=True)
            job = ("swiftpg_pg_iterate" if alg.pg else "swiftpg_search_iterate",
                   [(alg.handle, alg.describe()), self.a(out)], [out], r.randrange(1, 4))
        self.mutating = was
        name, args, outs, repeat = job

        def background():
            for _ in range(repeat):
                for b in outs:
                    ctypes.memset(b.addr, 0xA5, b.size)
                self.invoke(name, args, outs)
        self.focus = {"env": env, "policy": pol}
        if alg is not None:
            self.focus["algorithm"] = alg
        thread = threading.Thread(target=background, daemon=True)
        thread.start()
        try:
            for _ in range(r.randrange(3, 12)):
                self.mutating = r.random() < 0.3
                gen = self.generators.get(r.choice(self.CONCURRENT_MENU))
                gen()
        finally:
            thread.join()
            self.focus = {}

    # -- driving -----------------------------------------------------------------------------------
    def call_one(self, name: str) -> None:
        if self.threads and self.rng.random() < 0.01:
            self.concurrent()
        self.mutating = self.rng.random() < 0.6
        gen = self.generators.get(name)
        if gen is None:
            self.generic(name)
        else:
            gen()

    def teardown(self) -> None:
        for kind in ("pipeline", "dqn", "algorithm", "policy", "value", "env", "rlhf_learner", "pref_trainer",
                     "reward_model", "seq_policy", "seq_task", "board_learner", "board_net", "game", "player"):
            for obj in list(self.pool[kind]):
                self.destroy(obj)
        count = ctypes.c_int64(-1)
        self.lib.swiftpg_live_handles(0, ctypes.addressof(count))
        if count.value != 0:
            self.finding("leak-at-end", f"{count.value} handle(s) still live after destroying every handle the "
                                        f"fuzzer holds (a failed call leaked a handle, or a load/create handle was "
                                        f"not reported)")


#: Output parameters the generic generator may treat as one value.
GENERIC_OUT = re.compile(r"(\w*_)?(count|version|size|handle|status|id|env|policy|value|algorithm)_out")


def coverage(header: cabi.Header) -> tuple[list[str], list[str]]:
    """(functions with a dedicated generator, functions without one that the
    generic generator cannot call safely). The second list must be empty."""
    covered, missing = [], []
    for name, fn in header.functions.items():
        if hasattr(Fuzzer, "g_" + name[len("swiftpg_"):]):
            covered.append(name)
            continue
        unsafe = [p for p in fn.params if p.pointer and not p.is_struct and not GENERIC_OUT.fullmatch(p.name)]
        if unsafe:
            missing.append(name)
        else:
            covered.append(name)
    return covered, missing


# --------------------------------------------------------------------------------------------- main

def worker(args) -> int:
    supervise.deterministic_hashing()
    supervise.limit_memory(args.memory_mb)
    header = cabi.parse_header(args.header)
    _, missing = coverage(header)
    if missing:
        print(f"functions without a generator: {', '.join(missing)}", file=sys.stderr)
        return supervise.INTERNAL_ERROR
    private = args.library is None
    path = cabi.private_copy() if private else args.library
    lib = cabi.load(path, header)
    if private:
        shutil.rmtree(os.path.dirname(path), ignore_errors=True)     # the mapping stays valid
    tmp = supervise.worker_directory(args.tmp, "swiftpg-fuzz-c-")
    rng = random.Random(args.seed)
    fz = Fuzzer(lib, header, rng, tmp)
    fz.trace = args.trace
    fz.threads = args.threads
    return supervise.run_calls(fz, sorted(header.functions), rng, args.calls, args.seconds)


# The destroy and get_info generators of the sequence task, sequence policy and reward model kinds, and
# the get/set_params and checkpoint (save, load, serialize, deserialize) generators of the last two.
for _prefix, _any in (("seq_task", "any_seq_task"), ("seq_policy", "any_seq_policy"),
                      ("reward_model", "any_reward_model"), ("board_net", "any_board_net")):
    setattr(Fuzzer, f"g_{_prefix}_destroy", lambda self, k=_prefix, a=_any: self.destroy_call(k, getattr(self, a)()))
    setattr(Fuzzer, f"g_{_prefix}_get_info", lambda self, k=_prefix, a=_any: self.info_call(k, getattr(self, a)()))
    for _setting in (False, True) if _prefix != "seq_task" else ():
        setattr(Fuzzer, f"g_{_prefix}_{'set' if _setting else 'get'}_params",
                lambda self, k=_prefix, a=_any, w=_setting: self.params_call(k, getattr(self, a)(), w))
    for _op in ("save", "load", "serialize", "deserialize") if _prefix != "seq_task" else ():
        setattr(Fuzzer, f"g_{_prefix}_{_op}",
                lambda self, k=_prefix, a=_any, o=_op: self.checkpoint_call(k, o, getattr(self, a)))

# One generator per learner's create function.
for _number, _prefix in enumerate(Fuzzer.PG_PREFIXES):
    setattr(Fuzzer, f"g_{_prefix}_create", lambda self, n=_number: self.pg_create(algorithm=n))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    supervise.add_common_arguments(ap, default_calls=20000, call_timeout=20.0)
    ap.add_argument("--library", default=None, help="library to fuzz (default: a private copy of "
                                                    "$SWIFTPG_LIBRARY or python/swiftpg/libswiftpg.so)")
    ap.add_argument("--threads", action="store_true",
                    help="sometimes run a long call on a second thread while calling on the same objects "
                         "(BUSY, cancellation, destroy while in use; thread timing makes replays inexact)")
    ap.add_argument("--list", action="store_true", help="list header functions and their generators")
    ap.add_argument("--header", default=cabi.HEADER, help="the C header to read (default Include/swiftpg.h)")
    args = supervise.parse_arguments(ap, argv)
    header = cabi.parse_header(args.header)
    if args.list:
        covered, missing = coverage(header)
        for name in sorted(header.functions):
            how = ("dedicated" if hasattr(Fuzzer, "g_" + name[len("swiftpg_"):]) else
                   "generic" if name in covered else "MISSING")
            print(f"{how:9} {header.functions[name].signature()}")
        return 1 if missing else 0
    if args.worker:
        return worker(args)
    library = cabi.private_copy(args.library)
    print(f"[fuzz_c] seed {args.seed}, library {cabi.describe_library(library)}, "
          f"{len(header.functions)} functions in {os.path.relpath(args.header)}", flush=True)
    options = (["--header", os.path.abspath(args.header)] if args.header != cabi.HEADER else []) + \
              (["--trace"] if args.trace else []) + (["--threads"] if args.threads else []) + \
              ["--memory-mb", str(args.memory_mb)]
    try:
        return supervise.supervise(label="fuzz_c", script=os.path.abspath(__file__), seed=args.seed,
                                   calls=args.calls, seconds=args.seconds, call_timeout=args.call_timeout,
                                   memory_mb=args.memory_mb, max_deaths=args.max_deaths, verbose=args.verbose,
                                   extra=["--library", library] + options,
                                   replay_extra=(["--library", args.library] if args.library else []) + options)
    finally:
        shutil.rmtree(os.path.dirname(library), ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
