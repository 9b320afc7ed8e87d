"""Mutated checkpoints of every kind (policy of each family, value function,
policy-gradient learner, policy search): truncations, bit flips and every
header and specification field set to extreme values with a recomputed
checksum. Each must load cleanly or be refused with BadFormatError /
CheckpointIOError — never kill the process, never leave the target changed.

The mutations run in one subprocess per checkpoint kind, which prints each
mutation before trying it, so a death names the input that caused it.
"""

from __future__ import annotations

import math
import struct
import subprocess
import sys
import textwrap

import pytest

from checkpoint_file import decode, encode, seal

EXTREMES = [float("nan"), float("inf"), -float("inf"), -1.0, 0.0, 0.5, 2.0**31, 2.0**53, 2.0**63, 1e300, -1e300,
            65536.0, 65537.0]

MAKERS = {
    "softmax": "policies.SoftmaxPolicy(4, 2, hidden_sizes=(4,))",
    "tabular": "policies.TabularSoftmaxPolicy(5, 3)",
    "gaussian": "policies.GaussianPolicy(3, 2, hidden_sizes=(4,))",
    "gsde": "policies.GaussianPolicy(3, 1, hidden_sizes=(4,), gsde=True)",
    "linear": "policies.LinearSoftmaxPolicy(3, 2)",
    "clamp": "policies.ClampPolicy(0.3)",
    "factored": "policies.FactoredSoftmaxPolicy(4, (2, 3), hidden_sizes=(4,))",
    "value": "policies.ValueFunction(4, hidden_sizes=(4,))",
    "tabular_value": "policies.ValueFunction.tabular(5)",
    "ppo": "algorithms.PPO('CartPole-v1', num_envs=2, hidden_sizes=(4,), "
           "config=algorithms.PPOConfig(steps_per_env=8, minibatch_size=16, epochs=1, normalize_observations=True))",
    "reinforce": "algorithms.REINFORCE('CartPole-v1', num_envs=2, hidden_sizes=(4,), "
                 "config=algorithms.ReinforceConfig(steps_per_iteration=50))",
    "cem": "algorithms.PolicySearch('CartPole-v1', config=algorithms.SearchConfig(population_size=4, elite_count=2, "
           "episodes_per_evaluation=1))",
    "ga": "algorithms.PolicySearch('CartPole-v1', config=algorithms.SearchConfig(method='ga', population_size=4, "
          "elite_count=2, episodes_per_evaluation=1))",
    "pattern": "algorithms.PolicySearch('CartPole-v1', config=algorithms.SearchConfig(method='pattern-search', "
               "episodes_per_evaluation=1))",
}


def damaged_bytes(data: bytes, short_lengths):
    """(name, bytes, True) triples no format accepts: empty, truncated (to
    each of ``short_lengths``, to half, to 9 and 1 bytes short), one
    trailing byte, and every fifth of the first 512 bits flipped."""
    yield "empty", b"", True
    for n in (*short_lengths, len(data) // 2, len(data) - 9, len(data) - 1):
        yield f"truncated to {n}", data[:n], True
    yield "trailing byte", data + b"\0", True
    for bit in range(0, 8 * min(len(data), 64), 5):
        flipped = bytearray(data)
        flipped[bit // 8] ^= 1 << (bit % 8)
        yield f"bit {bit} flipped", bytes(flipped), True


def mutations(data: bytes, weights_only: bool, free_spec=None):
    """(name, bytes, must_refuse) triples: truncations, bit flips, extreme
    fields with a valid checksum. ``must_refuse`` marks what cannot be a
    valid checkpoint of the same object (a changed header or specification,
    a broken checksum or length; for policies and value functions, whose
    parameters are all weights, a non-finite parameter). Other mutations may
    load (a finite weight is a valid weight) or be refused. ``free_spec``:
    {specification index: (low, high)} entries any whole number in the range
    is valid for."""
    yield from damaged_bytes(data, (7, 8, 23, 24, 31))
    free_spec = free_spec or {}
    kind, family, spec, params = decode(data)
    body = data[:-8]
    header = {8: 1, 12: kind, 16: family, 20: len(spec)}
    for offset, what in ((8, "version"), (12, "kind"), (16, "family"), (20, "spec count")):
        for value in (0, 1, 2, 3, 7, 100, 101, 102, 2**31 - 1, 2**31, 2**32 - 1):
            raw = bytearray(body)
            struct.pack_into("<I", raw, offset, value)
            yield f"{what} = {value}", seal(raw), value != header[offset]
    count_at = 24 + 8 * len(spec)
    for value in (0, len(params) - 1, len(params) + 1, 2**31, 2**63, 2**64 - 1):
        raw = bytearray(body)
        struct.pack_into("<Q", raw, count_at, value)
        yield f"parameter count = {value}", seal(raw), True
    for i in range(len(spec)):
        for value in EXTREMES:
            s = list(spec)
            s[i] = value
            free = (i in free_spec and math.isfinite(value) and value == int(value)
                    and free_spec[i][0] <= value <= free_spec[i][1])
            yield f"spec[{i}] = {value}", encode(kind, family, s, params), not (value == spec[i] or free)
    positions = sorted({0, 1, 2, 3, 7, len(params) // 2, len(params) - 2, len(params) - 1} & set(range(len(params))))
    for i in positions:
        for value in EXTREMES:
            p = list(params)
            p[i] = value
            yield f"params[{i}] = {value}", encode(kind, family, spec, p), weights_only and not math.isfinite(value)


def bundle_mutations(data: bytes, optional=()):
    """(name, bytes, must_refuse) triples for a bundle (format version 2):
    truncations, bit flips, other header values, and for every field at any
    depth: removed, retyped, an unknown sibling added (all must be refused,
    except removing a field of ``optional``), scalars set to extremes and
    array entries to non-finite or out-of-range values (non-finite doubles
    must be refused: every double array is checked finite). Valid checksums
    except where the bytes themselves are damaged."""
    from swiftpg import _bundle as B

    yield from damaged_bytes(data, (7, 8, 15, 16, 27))
    kind, record = B.decode(data)
    for value in (0, 1, 3, 2**31, 2**32 - 1):
        yield f"version = {value}", B.encode(kind, record, version=value), True
    for value in (0, 1, 2, 4, 5, 2**31, 2**32 - 1):
        yield f"kind = {value}", B.encode(value, record), value != kind
    import copy
    for path, tag in list(B.paths(record)):
        name = "/".join(map(str, path))
        r = copy.deepcopy(record)
        B.set_field(r, path, None, None)
        yield f"{name} removed", B.encode(kind, r), path not in optional
        r = copy.deepcopy(record)
        B.set_field(r, path, *((B.TEXT, "x") if tag != B.TEXT else (B.INT, 1)))
        yield f"{name} retyped", B.encode(kind, r), True
        if tag == B.RECORD:
            r = copy.deepcopy(record)
            B.set_field(r, path + ("unknown_field",), B.BOOL, True)
            yield f"{name}/unknown_field added", B.encode(kind, r), True
        value = B.get(record, path)[1]
        extremes = {B.INT: [-1, 0, 2**31, 2**53 + 1, 2**63 - 1, -2**63], B.UINT: [0, 2**64 - 1],
                    B.DOUBLE: [math.nan, math.inf, -1.0, 0.0, 1e300], B.BOOL: [not value] if tag == B.BOOL else [],
                    B.TEXT: ["", "ppo", "TabularMDP", "\u00e9"]}.get(tag, [])
        for v in extremes:
            r = copy.deepcopy(record)
            B.set_field(r, path, tag, v)
            yield f"{name} = {v!r}", B.encode(kind, r), False
        if tag in (B.DOUBLES, B.INTS, B.WORDS) and value:
            for i in sorted({0, len(value) // 2, len(value) - 1}):
                items = {B.DOUBLES: [math.nan, -math.inf, 1e300, -1.0], B.INTS: [-1, 2**31, 2**63 - 1],
                         B.WORDS: [0, 2**64 - 1]}[tag]
                for v in items:
                    r = copy.deepcopy(record)
                    changed = list(value)
                    changed[i] = v
                    B.set_field(r, path, tag, changed)
                    yield (f"{name}[{i}] = {v!r}", B.encode(kind, r),
                           tag == B.DOUBLES and not math.isfinite(v))
            r = copy.deepcopy(record)
            B.set_field(r, path, tag, list(value) + [value[0]])
            yield f"{name} one longer", B.encode(kind, r), False
        if tag == B.RECORDS and value:
            r = copy.deepcopy(record)
            B.set_field(r, path, tag, list(value) + [value[0]])
            yield f"{name} one more record", B.encode(kind, r), False


def _fnv(data: bytes) -> int:
    from checkpoint_file import fnv1a64
    return fnv1a64(data)


@pytest.mark.parametrize("kind", sorted(MAKERS))
def test_mutated_checkpoints_are_refused_cleanly(tmp_path, kind):
    original = tmp_path / "original.ckpt"
    maker = MAKERS[kind]
    script = textwrap.dedent(f"""
        import sys, os, numpy as np, swiftpg
        from swiftpg import policies, algorithms
        obj = {maker}
        if hasattr(obj, "iterate"):
            obj.iterate()
        obj.save({str(original)!r})
        if {kind!r} in ("softmax", "tabular", "gaussian", "gsde", "linear", "clamp", "factored"):
            load = lambda path: policies.load(path)
            state = lambda: None
        elif {kind!r} in ("value", "tabular_value"):
            load = lambda path: policies.load_value(path)
            state = lambda: None
        else:
            load = obj.load
            state = lambda: np.concatenate([obj.policy.get_params()] + ([obj.value.get_params()]
                                           if getattr(obj, "value", None) is not None else [])
                                           + ([obj.env.get_state().ravel(), [obj.total_env_steps]]
                                              if hasattr(obj, "set_minibatch_permutations") else []))
        print("SAVED", flush=True)
        sys.stdin.readline()
        accepted = refused = 0
        for line in sys.stdin:
            path = line.strip()
            before = state()
            print("TRY", os.path.basename(path), flush=True)
            try:
                load(path)
                print("ACCEPTED", os.path.basename(path), flush=True)
            except (swiftpg.BadFormatError, swiftpg.CheckpointIOError):
                after = state()
                assert before is None or np.array_equal(before, after, equal_nan=True), "a failed load changed state"
            if hasattr(obj, "load"):
                obj.load({str(original)!r})              # back to the original for the next mutation
        print("DONE", flush=True)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "SAVED", proc.stderr.read()
    data = original.read_bytes()
    names, lines, must_refuse = [], [], []
    weights_only = kind in ("softmax", "tabular", "gaussian", "gsde", "linear", "clamp", "value", "tabular_value")
    # Entries a different but valid object shares the parameter count with:
    # gSDE's noise interval, a linear-features policy's action count.
    free_spec = ({len(decode(data)[2]) - 1: (1, 2**30)} if kind == "gsde" else {1: (2, 65536)} if kind == "linear"
                 else {})
    if data[8:12] == struct.pack("<I", 2):
        # A learner bundle. Without its environment or its episodes in
        # progress a learner still loads (the environment is left as it is,
        # collection restarts); without the collector's observations (files
        # before 0.2) they are re-observed from the environment's state.
        # Config fields added in ABI 16 take their defaults when missing
        # (files written before them).
        generated = bundle_mutations(data, optional={("environment",), ("learner", "collector"),
                                                     ("learner", "collector", "observations"),
                                                     ("config", "normalization_update"), ("config", "vtrace_rho_bar"),
                                                     ("config", "vtrace_c_bar")})
    else:
        generated = mutations(data, weights_only, free_spec)
    for i, (name, blob, refuse) in enumerate(generated):
        path = tmp_path / f"m{i}.ckpt"
        path.write_bytes(blob)
        names.append(name)
        lines.append(str(path))
        must_refuse.append(refuse)
    out, err = proc.communicate("\n" + "\n".join(lines) + "\n", timeout=300)
    tried = [line.split()[1] for line in out.splitlines() if line.startswith("TRY")]
    last = names[int(tried[-1][1:].split(".")[0])] if tried else "none"
    assert proc.returncode == 0, f"died (exit {proc.returncode}) at mutation {last!r}\n{err[-2000:]}"
    assert "DONE" in out and len(tried) == len(names), out[-2000:]
    accepted = [int(line.split()[1][1:].split(".")[0]) for line in out.splitlines() if line.startswith("ACCEPTED")]
    wrongly = [names[i] for i in accepted if must_refuse[i]]
    assert not wrongly, f"invalid checkpoints accepted: {wrongly}"
    assert sum(must_refuse) > 50
