"""Issue 16's miniature table of learning from preferences, over seeds, and
the over-optimisation curves (Gao et al. 2022): a thin caller of
``python -m swiftpg rlhf table`` (the logic is swiftpg.rlhf_table).

Two runs: the table on the summarise task (every row, 10 seeds, the
defaults: β = 0.1, 2048 sampled responses per online method, best-of-16),
then the gameable length_bias task (its reward model sees only proxy
features), whose curves show gold reward falling while the proxy rises.
Each writes table.txt, table.json and over_optimisation.png into
bench/results/rlhf_table/<task>/ and prints the table.

    python bench/rlhf_table.py [--seeds 10] [--length-bias-seeds 5]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from swiftpg import cli

HERE = os.path.dirname(os.path.abspath(__file__))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=10, help="seeds of the summarise table")
    parser.add_argument("--length-bias-seeds", type=int, default=5, help="seeds of the length_bias run (0: skip)")
    parser.add_argument("--out", default=os.path.join(HERE, "results", "rlhf_table"))
    args = parser.parse_args(argv)
    runs = [("summarise", args.seeds), ("length_bias", args.length_bias_seeds)]
    for task, seeds in runs:
        if seeds <= 0:
            continue
        started = time.perf_counter()
        print(f"== rlhf table: {task}, {seeds} seeds", flush=True)
        code = cli.main(["rlhf", "table", "--task", task, "--seeds", str(seeds), "--out",
                         os.path.join(args.out, task)])
        print(f"== {task}: {time.perf_counter() - started:.1f} s wall time", flush=True)
        if code:
            return code
    return 0


if __name__ == "__main__":
    sys.exit(main())
