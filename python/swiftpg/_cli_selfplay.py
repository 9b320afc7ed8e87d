"""``python -m swiftpg selfplay GAME``: AlphaGo's four steps in miniature on a
small game, with progress, then the evaluation ladder and an Elo/ladder plot
(issue 18).

    python -m swiftpg selfplay tic_tac_toe --out runs/ttt
    python -m swiftpg selfplay connect_four --rows 4 --columns 4 --x_in_row 3 --out runs/c3 --seed 1
    python -m swiftpg selfplay connect_four --rows 4 --columns 5 --x_in_row 3 --minutes 10

Each pipeline step prints one line (SL epochs with held-out accuracy,
self-play iterations with the score against the SL policy, the value fit
with its MSEs, AlphaZero iterations, the evaluation). The settings are
:func:`swiftpg.ladder.recommended_config` for the game (overridable with
``--config KEY=VALUE``). ``--minutes`` caps the training time: when it runs
out, the remaining steps are skipped and the networks trained so far are
evaluated. The evaluation rates the checkpoints by Elo (``--elo-games``
per pair, random anchored at 0). Afterwards the raw policy network and PUCT with both networks
climb the ladder (random, MCTS at 10·10^(n/2) simulations, minimax, the
solver), their mistake rates are measured where an exact solver exists,
and OUT/results.json and OUT/ladder.png (matplotlib: ``pip install
'swiftpg[plot]'``) are written. Ctrl-C stops with status 130.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from typing import Any
import sys
import time


def add_parser(sub) -> None:
    p = sub.add_parser("selfplay", help="AlphaGo's four steps on a small board game, then the evaluation ladder")
    p.add_argument("game", choices=("tic_tac_toe", "connect_four"))
    p.add_argument("--rows", type=int, default=4, help="connect_four rows (default 4)")
    p.add_argument("--columns", type=int, default=4, help="connect_four columns (default 4)")
    p.add_argument("--x_in_row", "--x-in-row", type=int, default=3, dest="x_in_row",
                   help="connect_four stones in a row that win (default 3)")
    p.add_argument("--out", metavar="DIR", default=None, help="checkpoints, results.json and ladder.png "
                   "(default runs/selfplay_GAME)")
    p.add_argument("--seed", type=int, default=0, help="the run's seed (default 0)")
    p.add_argument("--minutes", type=float, default=10.0, help="training time cap in minutes (default 10)")
    p.add_argument("--config", nargs="*", default=[], metavar="KEY=VALUE",
                   help="SelfPlayConfig overrides, e.g. selfplay_iterations=100 hidden=256,256")
    p.add_argument("--ladder-games", type=int, default=10, help="games per ladder rung (default 10)")
    p.add_argument("--elo-games", type=int, default=10,
                   help="round-robin games per pair for the checkpoints' Elo (default 10; 0: none)")
    p.add_argument("--no-plot", action="store_true", help="do not write ladder.png")
    p.set_defaults(fn=selfplay_command)


def _parse_overrides(config, items):
    import dataclasses
    fields = {f.name: f for f in dataclasses.fields(config)}
    changes: dict[str, Any] = {}
    for item in items:
        if "=" not in item:
            raise ValueError(f"--config takes KEY=VALUE, got {item!r}")
        key, value = item.split("=", 1)
        if key not in fields:
            raise ValueError(f"unknown SelfPlayConfig field {key!r}; fields: {', '.join(fields)}")
        default = fields[key].default
        if isinstance(default, tuple):
            changes[key] = tuple(int(v) for v in value.split(",") if v)
        elif isinstance(default, bool):
            changes[key] = value.lower() in ("1", "true", "yes")
        elif isinstance(default, float):
            changes[key] = float(value)
        else:
            changes[key] = int(value)
    return config.replace(**changes)


def _plot(path: str, rows: dict, ratings: list, title: str) -> None:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as e:
        raise ImportError("the ladder plot needs matplotlib: pip install 'swiftpg[plot]' (or pass --no-plot)") from e
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    ax = axes[0]
    for name, rungs in rows.items():
        labels = [r["opponent"] for r in rungs]
        ax.plot(range(len(rungs)), [r["score"] for r in rungs], marker="o", label=name)
    if rows:
        ax.set_xticks(range(len(labels)))
        ax.set_xticklabels(labels, rotation=45, ha="right")
    ax.set_ylim(-0.05, 1.05)
    ax.set_ylabel("score (win 1, draw 1/2)")
    ax.set_title("evaluation ladder")
    ax.legend()
    ax = axes[1]
    if ratings:
        ax.errorbar(range(len(ratings)), [r["rating"] for r in ratings], yerr=[r["error"] for r in ratings],
                    marker="o", capsize=3)
        ax.set_xticks(range(len(ratings)))
        ax.set_xticklabels([r["label"] for r in ratings], rotation=45, ha="right")
    ax.set_ylabel("Elo (random = 0)")
    ax.set_title("checkpoints")
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def selfplay_command(args) -> int:
    from . import games, ladder

    if args.no_plot is False:
        import importlib.util
        if importlib.util.find_spec("matplotlib") is None:
            print("error: the ladder plot needs matplotlib: pip install 'swiftpg[plot]' (or pass --no-plot)",
                  file=sys.stderr)
            return 2
    if args.game == "tic_tac_toe":
        game = games.load("tic_tac_toe")
        name = "tic_tac_toe"
    else:
        game = games.load("connect_four", rows=args.rows, columns=args.columns, x_in_row=args.x_in_row)
        name = f"connect{args.x_in_row}_{args.rows}x{args.columns}"
    out = args.out or os.path.join("runs", f"selfplay_{name}")
    from ._lib import SwiftPGError
    try:  # every setting checked before anything is written
        if not (math.isfinite(args.minutes) and args.minutes > 0):
            raise ValueError(f"--minutes must be a positive number, got {args.minutes}")
        if args.ladder_games < 1:
            raise ValueError(f"--ladder-games must be >= 1, got {args.ladder_games}")
        config = _parse_overrides(ladder.recommended_config(game).replace(seed=args.seed,
                                                                           elo_games_per_pair=args.elo_games),
                                  args.config)
        config.to_c()                                  # the library's checks of every field
        if os.path.exists(out) and not os.path.isdir(out):
            raise ValueError(f"--out {out} exists and is not a directory")
    except (ValueError, TypeError, SwiftPGError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    created = not os.path.exists(out)
    os.makedirs(out, exist_ok=True)
    try:
        pipeline = ladder.SelfPlayPipeline(game, out, config)
    except SwiftPGError as e:                          # a setting the library refuses
        if created and not os.listdir(out):
            os.rmdir(out)
        print(f"error: {e}", file=sys.stderr)
        return 2
    budget = args.minutes * 60
    start = time.monotonic()
    try:
        with pipeline:
            print(f"selfplay {name}: seed {config.seed}, checkpoints in {out}", flush=True)
            while not pipeline.done:
                progress = pipeline.step()
                print(progress, flush=True)
                if time.monotonic() - start > budget and not pipeline.done:
                    print(f"time cap of {args.minutes} min reached: evaluating the networks trained so far",
                          flush=True)
                    break
            train_seconds = time.monotonic() - start
            evaluation = pipeline.evaluation()
            players = {"raw policy": pipeline.player(1),
                       f"puct({config.search_simulations})": pipeline.player(config.search_simulations)}
            results = {"game": name, "seed": config.seed, "train_seconds": train_seconds,
                       "config": dataclasses.asdict(config),
                       "checkpoints": [c.path for c in pipeline.checkpoints], "ladder": {}, "mistakes": {},
                       "ratings": [dict(label=r.label, rating=r.rating, error=r.error)
                                   for r in (evaluation.ratings if evaluation else [])]}
            small = game.num_distinct_actions() <= 25 and (
                game.name == "tic_tac_toe" or game.get_parameters()["rows"] * game.get_parameters()["columns"] <= 25)
            # The solver rung and the mistake rate need the exact solver: boards of at most 25 cells.
            lc = ladder.LadderConfig(games_per_rung=args.ladder_games, seed=config.seed, solver=small)
            for label, player in players.items():
                rungs = ladder.ladder(game, player, lc)
                results["ladder"][label] = [dict(opponent=r.label, score=r.result.score, wins=r.result.wins,
                                                 draws=r.result.draws, losses=r.result.losses) for r in rungs]
                print(f"{label}: " + "  ".join(f"{r.label} {r.result.wins}/{r.result.draws}/{r.result.losses}"
                                               for r in rungs), flush=True)
                try:
                    if not small:
                        raise ValueError("the board has more than 25 cells")
                    m = ladder.mistake_rate(game, player, seed=config.seed)
                except Exception as e:  # noqa: BLE001 - a game without a solver: reported, not fatal
                    print(f"{label}: no mistake rate ({e})", flush=True)
                else:
                    results["mistakes"][label] = dict(positions=m.positions, mistakes=m.mistakes, rate=m.rate,
                                                      by_stage=m.rate_by_stage(3))
                    print(f"{label}: mistake rate {m.rate:.4f} ({m.mistakes} of {m.positions} positions; by stage "
                          + ", ".join("-" if math.isnan(v) else f"{v:.4f}" for v in m.rate_by_stage(3)) + ")",
                          flush=True)
                player.close()
            for r in results["ratings"]:
                print(f"elo {r['label']}: {r['rating']:.0f} ± {r['error']:.0f}")
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump(results, f, indent=1)
    if not args.no_plot:
        plot = os.path.join(out, "ladder.png")
        _plot(plot, results["ladder"], results["ratings"], f"{name}, seed {config.seed}")
        print(f"wrote {plot}")
    print(f"wrote {os.path.join(out, 'results.json')}")
    return 0
