"""A/B of the network forward pass between two builds of libswiftpg.so in
one process (interleaved rounds, medians): e.g. the row-invariant float32
kernel (`spg_dense_rows_f`, issue 22) against a build that used OpenBLAS's
sgemm. Rows: softmax policies of 8 inputs, 4 actions, hidden 64x64 and
256x256, `swiftpg_policy_probabilities` on batches of 1-2048 rows; the
ratio is baseline time / candidate time (> 1: the candidate is faster).

    python bench/forward_ab.py BASELINE.so [CANDIDATE.so] [--precision float32]

CANDIDATE defaults to python/swiftpg/libswiftpg.so. Both libraries must
export the (unchanged) policy entry points used here.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import statistics
import time
from ctypes import POINTER, c_double, c_int32, c_int64, c_uint64, c_void_p

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def load(path: str):
    lib = ctypes.CDLL(path)
    lib.swiftpg_policy_create_softmax.argtypes = [c_int32, c_int32, c_void_p, c_int32, c_int32, c_double, c_double,
                                                  c_uint64, POINTER(c_uint64)]
    lib.swiftpg_policy_set_precision.argtypes = [c_uint64, c_int32]
    lib.swiftpg_policy_probabilities.argtypes = [c_uint64, c_void_p, c_int64, c_void_p]
    return lib


def policy(lib, hidden, bits: int) -> int:
    h = (c_int32 * len(hidden))(*hidden)
    out = c_uint64()
    if lib.swiftpg_policy_create_softmax(8, 4, h, len(hidden), 0, 2 ** 0.5, 0.01, 1, ctypes.byref(out)) != 0:
        raise RuntimeError("swiftpg_policy_create_softmax failed")
    if lib.swiftpg_policy_set_precision(out.value, bits) != 0:
        raise RuntimeError("swiftpg_policy_set_precision failed")
    return out.value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("baseline")
    parser.add_argument("candidate", nargs="?", default=os.path.join(HERE, "..", "python", "swiftpg", "libswiftpg.so"))
    parser.add_argument("--precision", choices=("float32", "float64"), default="float32")
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    libs = {"baseline": load(args.baseline), "candidate": load(args.candidate)}
    bits = 32 if args.precision == "float32" else 64
    rng = np.random.default_rng(0)
    print(f"load average {os.getloadavg()}; {args.precision}; time per call, medians of {args.rounds} rounds")
    for hidden in ((64, 64), (256, 256)):
        handles = {name: policy(lib, hidden, bits) for name, lib in libs.items()}
        for batch in (1, 8, 64, 256, 2048):
            obs = rng.standard_normal((batch, 8))
            out = np.empty((batch, 4))
            reps = max(20, 20000 // batch)
            times: dict[str, list[float]] = {name: [] for name in libs}
            for _ in range(args.rounds):
                for name, lib in libs.items():
                    f, h = lib.swiftpg_policy_probabilities, handles[name]
                    start = time.perf_counter()
                    for _ in range(reps):
                        f(h, obs.ctypes.data, batch, out.ctypes.data)
                    times[name].append((time.perf_counter() - start) / reps)
            base, cand = statistics.median(times["baseline"]), statistics.median(times["candidate"])
            print(f"{hidden[0]}x{hidden[1]} batch {batch:5d}: baseline {base * 1e6:9.2f} us  "
                  f"candidate {cand * 1e6:9.2f} us  ratio {base / cand:.3f}")
    print(f"load average {os.getloadavg()}")


if __name__ == "__main__":
    main()
