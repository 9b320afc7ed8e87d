"""``python -m swiftpg rlhf ...``: the miniature table of learning from
preferences and single online RLHF runs (issue 16), over
:mod:`swiftpg.rlhf_table`.

    python -m swiftpg rlhf table --seeds 5 --task summarise --out runs/rlhf
    python -m swiftpg rlhf train --method rloo --k 4 --task summarise --seed 0 --json

Every argument is checked before any training (exit status 2 with a
message naming it). Progress goes to stderr (a line per stage, or per
iteration for ``train``); ``--json`` prints the summary as one JSON line on
stdout. Training errors exit with status 1, Ctrl-C with 130.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys

from . import _lib
from .cli import UsageError, _check_output_dir, _check_output_file, _need_module, _print_result

#: Command-line spellings of the table's rows (``--methods``).
ROW_OPTIONS = {"sft": "SFT", "dpo": "DPO", "best-of-n": "best-of-n", "reinforce": "REINFORCE", "ppo": "PPO",
               "rloo-k2": "RLOO k=2", "rloo-k4": "RLOO k=4", "rebel": "REBEL", "grpo": "GRPO", "remax": "ReMax"}
#: TableConfig fields set from options of the same name (``--batch-size`` → batch_size).
_FIELDS = ("budget", "batch_size", "beta", "learning_rate", "best_of", "demonstrations", "comparisons",
           "human_samples", "check_samples", "curve_points", "sft_epochs", "dpo_epochs")


def _option(field: str) -> str:
    return "--" + field.replace("_", "-")


def _config(args, **extra):
    """The TableConfig of the arguments; its errors name the options."""
    from .rlhf_table import TableConfig
    values = {f: getattr(args, f) for f in _FIELDS if getattr(args, f, None) is not None}
    values.update(extra)
    try:
        return TableConfig(task=args.task, **values)
    except _lib.SwiftPGError as e:
        message = str(e)
        for field in sorted(_FIELDS + ("seeds", "first_seed", "methods", "task"), key=len, reverse=True):
            message = re.sub(rf"\b{field}\b", _option(field), message)
        raise UsageError(message) from None


def _common(p: argparse.ArgumentParser) -> None:
    from .rlhf_table import TASKS
    p.add_argument("--task", choices=sorted(TASKS), default="summarise",
                   help="task preset (default summarise; tiny is a small tabular variant for tests)")
    p.add_argument("--budget", type=int, help="sampled responses per online method (default 2048)")
    p.add_argument("--batch-size", type=int, help="responses per iteration (default 64)")
    p.add_argument("--beta", type=float, help="KL coefficient β of every method (default 0.1)")
    p.add_argument("--learning-rate", type=float, help="Adam learning rate of the online methods (default 0.01)")
    p.add_argument("--demonstrations", type=int, help="expert demonstrations for SFT (default 8000)")
    p.add_argument("--comparisons", type=int, help="labelled pairs of SFT responses (default 12000)")
    p.add_argument("--sft-epochs", type=int, help="SFT epochs (default 10)")
    p.add_argument("--dpo-epochs", type=int, help="DPO epochs (default 10)")
    p.add_argument("--human-samples", type=int,
                   help="expert responses for the win rate against the human reference (default 20000)")
    p.add_argument("--check-samples", type=int,
                   help="sampled pairs cross-checking each exact win rate against SFT (default 4000)")
    p.add_argument("--json", action="store_true", help="print the summary as one JSON line on stdout")
    p.add_argument("--quiet", action="store_true", help="no progress output")


def add_parser(sub) -> None:
    """Adds the ``rlhf`` command (``table`` and ``train``) to the subparsers ``sub``."""
    r = sub.add_parser("rlhf", help="learning from preferences: the miniature table, single online RLHF runs")
    rs = r.add_subparsers(dest="rlhf_command", required=True)

    t = rs.add_parser("table", help="the miniature table over seeds, and the over-optimisation curves")
    _common(t)
    t.add_argument("--seeds", type=int, default=5, help="independent pipelines (default 5)")
    t.add_argument("--first-seed", type=int, default=0)
    t.add_argument("--methods", nargs="+", choices=list(ROW_OPTIONS), metavar="ROW",
                   help=f"rows (default all): {', '.join(ROW_OPTIONS)}")
    t.add_argument("--best-of", type=int, help="n of the best-of-n row (default 16)")
    t.add_argument("--curve-points", type=int, help="exact evaluations along each online run (default 16)")
    t.add_argument("--out", metavar="DIR", help="write DIR/table.txt, DIR/table.json and, with matplotlib, "
                   "DIR/over_optimisation.png")
    t.add_argument("--plot", metavar="PATH.png", help="write the over-optimisation curves here (needs matplotlib: "
                   "pip install 'swiftpg[plot]')")
    t.add_argument("--no-plot", action="store_true", help="no PNG, even with --out")
    t.set_defaults(fn=table_command)

    n = rs.add_parser("train", help="one method against the reward model, with a line per iteration")
    _common(n)
    n.add_argument("--method", required=True, choices=["reinforce", "rloo", "remax", "grpo", "rebel", "ppo", "dpo"])
    n.add_argument("--k", type=int, help="samples per prompt (default: rloo and grpo 4, rebel 2, others 1)")
    n.add_argument("--seed", type=int, default=0)
    n.add_argument("--save", metavar="PATH", help="save the trained policy (SequencePolicy.save)")
    n.set_defaults(fn=train_command)


def _stopped(e: BaseException) -> int:
    """Says on stderr why a run stopped (^C, or a library or file-system error) and returns the exit code:
    130 for ^C, 1 for an error."""
    if isinstance(e, KeyboardInterrupt):
        print("interrupted", file=sys.stderr)
        return 130
    print(f"error: {e}", file=sys.stderr)
    return 1


def _plot_target(args) -> str | None:
    """The PNG path of ``table`` (None: no plot), checked."""
    if args.no_plot:
        if args.plot is not None:
            raise UsageError("--plot and --no-plot contradict each other")
        return None
    if args.plot is not None:
        _need_module("matplotlib", "--plot", "plot")
        _check_output_file(args.plot, "--plot")
        if os.path.splitext(args.plot)[1].lower() not in ("", ".png"):
            raise UsageError(f"--plot {args.plot!r}: the curves are written as PNG (give a .png path)")
        return args.plot if args.plot.lower().endswith(".png") else args.plot + ".png"
    if args.out is not None:
        import importlib.util
        if importlib.util.find_spec("matplotlib") is None:
            if not args.quiet:
                print("note: no over-optimisation PNG: it needs matplotlib (pip install 'swiftpg[plot]')",
                      file=sys.stderr)
            return None
        return os.path.join(args.out, "over_optimisation.png")
    return None


def table_command(args) -> int:
    from . import rlhf_table
    try:
        if not 0 <= args.first_seed < 2**62:
            raise UsageError(f"--first-seed must be in [0, 2**62), got {args.first_seed}")
        methods = tuple(ROW_OPTIONS[m] for m in args.methods) if args.methods else rlhf_table.METHODS
        config = _config(args, seeds=args.seeds, first_seed=args.first_seed, methods=methods,
                         **({"best_of": args.best_of} if args.best_of is not None else {}))
        _check_output_dir(args.out, "--out")
        plot = _plot_target(args)
    except UsageError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    say = None if args.quiet else (lambda line: print(line, file=sys.stderr, flush=True))
    try:
        table = rlhf_table.run_table(config, progress=say)
        files = {}
        if args.out is not None:
            os.makedirs(args.out, exist_ok=True)
            files.update(rlhf_table.save_table(table, args.out))
        if plot is not None:
            os.makedirs(os.path.dirname(os.path.abspath(plot)), exist_ok=True)
            files["plot"] = table.plot(plot)
    except (KeyboardInterrupt, _lib.SwiftPGError, OSError) as e:
        return _stopped(e)
    if args.json:
        s = table.summary()
        print(json.dumps(dict(config=s["config"], seeds=s["seeds"], rows=s["rows"], pipeline=s["pipeline"],
                              seconds=s["seconds"], files=files)))
    else:
        print(table.format())
        for kind, path in files.items():
            print(f"{kind}: {path}", file=sys.stderr)
    return 0


def train_command(args) -> int:
    from . import rlhf_table
    try:
        if not 0 <= args.seed < 2**63:
            raise UsageError(f"--seed must be in [0, 2**63), got {args.seed}")
        methods = ("DPO",) if args.method == "dpo" else ("SFT",)
        config = _config(args, seeds=1, methods=methods)
        if args.method == "dpo" and args.k is not None:
            raise UsageError("--k does not apply to dpo")
        if args.k is not None:
            if not 1 <= args.k <= 4096:
                raise UsageError(f"--k must be in [1, 4096], got {args.k}")
            if args.method == "rebel" and args.k != 2:
                raise UsageError(f"--k: rebel learns from pairs (k = 2), got {args.k}")
            if args.method in ("rloo", "grpo") and args.k < 2:
                raise UsageError(f"--k: {args.method} needs at least 2 samples per prompt, got {args.k}")
        k = None if args.method == "dpo" else (args.k or rlhf_table.DEFAULT_K[args.method])
        if k is not None and config.batch_size % k:
            raise UsageError(f"--k ({k}) must divide --batch-size ({config.batch_size})")
        if args.save is not None:
            _check_output_file(args.save, "--save")
    except UsageError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    say = (lambda line: None) if args.quiet else (lambda line: print(line, file=sys.stderr, flush=True))
    total = config.dpo_epochs if args.method == "dpo" else config.iterations

    epoch = 0

    def line(stats: dict) -> None:
        nonlocal epoch
        if "iteration" in stats:
            extra = "".join(f"  {label} {stats[key]:.3g}" for key, label in (
                ("clip_fraction", "clip"), ("approx_kl", "approx-kl"), ("value_loss", "value-loss"))
                if stats.get(key))
            say(f"iter {stats['iteration']:4d}/{total}  samples {stats['total_samples']:7d}  reward "
                f"{stats['mean_reward']:7.3f}  gold {stats['mean_gold_reward']:6.3f}  kl {stats['mean_kl_k3']:6.3f}  "
                f"reward-βKL {stats['mean_regularized_reward']:7.3f}  length {stats['mean_length']:4.2f}  eos "
                f"{stats['eos_rate']:4.2f}  |g| {stats['grad_norm']:.3g}{extra}")
        else:
            epoch += 1
            say(f"epoch {epoch:3d}/{total}  loss {stats['loss']:.4f}  implicit-reward accuracy "
                f"{stats['reward_accuracy']:.3f}  margin {stats['reward_margin']:.3f}")
    pipeline = None
    try:
        pipeline = rlhf_table.prepare(config, args.seed)
        st = pipeline.stats
        say(f"SFT: {st['sft_seconds']:.2f} s, held-out cross-entropy {st['sft_held_out_loss']:.3f} nats/token; "
            f"reward model: held-out pair accuracy {st['reward_model_accuracy']:.3f} (ceiling "
            f"{st['labeller_ceiling']:.3f})")
        result = rlhf_table.train_method(pipeline, args.method, config, k=k, callback=line)
        figures = rlhf_table.evaluate(result, config)
        if args.save is not None:
            os.makedirs(os.path.dirname(os.path.abspath(args.save)), exist_ok=True)
            assert result.policy is not None           # dpo and the online methods train one
            result.policy.save(args.save)
    except (KeyboardInterrupt, _lib.SwiftPGError, OSError) as e:
        return _stopped(e)
    finally:
        if pipeline is not None:
            pipeline.close()
    summary = dict(task=config.task, method=args.method, k=k, seed=args.seed, beta=config.beta,
                   budget=config.budget, batch_size=config.batch_size, learning_rate=config.learning_rate,
                   iterations=len(result.history), train_seconds=round(figures.pop("seconds"), 4), **figures,
                   pipeline=st, curve=result.curve)
    if args.save is not None:
        summary["policy"] = args.save
    _print_result(args, summary, (
        f"{args.method}{'' if k is None else f' k={k}'} on {config.task}, seed {args.seed}: "
        f"{summary['samples']} sampled responses in {summary['train_seconds']:.2f} s; under the gold reward: "
        f"win rate vs SFT {100 * summary['win_rate']:.1f}% (exact), vs human reference "
        f"{100 * summary['human_win_rate']:.1f} ± {100 * summary['human_win_rate_se']:.1f}%; "
        f"KL(π‖π_SFT) {summary['kl']:.3f} nats; E[r*] {summary['gold']:.3f}; RM score "
        f"{summary['rm_score']:.3f}"))
    return 0
