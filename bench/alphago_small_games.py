"""AlphaGo in miniature reaching perfect play on small games (issue 18).

For tic-tac-toe and Connect-3 on 4×4 and 4×5, and each seed, runs the
whole pipeline (``swiftpg.ladder.SelfPlayPipeline`` with
``recommended_config``: supervised policy on solver moves, REINFORCE
self-play against former selves, value network, PUCT with both networks)
and measures, for the raw policy network (its most probable move) and for
the search (the PUCT simulations stated in the output):

* wins / draws / losses against the perfect solver from both seats
  (``solver_games`` games, half from each seat);
* the mistake rate over ALL positions reachable when the agent plays
  either seat against any opponent, and by game stage (thirds of the
  plies);
* the ladder: random, MCTS with random rollouts at 10·10^(n/2)
  simulations, minimax at depths 1, 2, 4, the solver.

Anchors measured in the same run: the solver's mistake rate (0 by
construction, a check of the measurement) and the mistake rates of plain
UCT with random rollouts at 100 and 1000 simulations per move (no
networks), so the networks' contribution reads as a ratio to them. The training time is
the pipeline's own (its steps), measured on this machine, whose two cores
are shared with other work: the times are upper bounds of a quiet run.

Usage: python bench/alphago_small_games.py [--seeds 0 1 2] [--games tic_tac_toe c3_4x4 c3_4x5] [--anchors-only]
Writes bench/results/alphago_small_games.json.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time

from swiftpg import game_players as P
from swiftpg import games
from swiftpg import ladder as L

GAMES = {
    "tic_tac_toe": ("tic_tac_toe", {}),
    "c3_4x4": ("connect_four", {"rows": 4, "columns": 4, "x_in_row": 3}),
    "c3_4x5": ("connect_four", {"rows": 4, "columns": 5, "x_in_row": 3}),
}
RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results", "alphago_small_games.json")


def record(r) -> dict:
    def one(m):
        return {"wins": m.wins, "draws": m.draws, "losses": m.losses}
    return {"all": one(r.record), "as_first": one(r.as_first), "as_second": one(r.as_second)}


def mistakes(game, player, seed) -> dict:
    m = L.mistake_rate(game, player, seed=seed)
    return {"positions": m.positions, "mistakes": m.mistakes, "rate": m.rate, "lost_wins": m.lost_wins,
            "lost_draws": m.lost_draws, "rate_by_stage": m.rate_by_stage(3),
            "first": [m.mistakes_first, m.positions_first], "second": [m.mistakes_second, m.positions_second]}


def run(key: str, seed: int, directory: str) -> dict:
    name, params = GAMES[key]
    game = games.load(name, **params)
    config = L.recommended_config(game).replace(seed=seed)
    out = {"game": key, "seed": seed, "config": {k: (list(v) if isinstance(v, tuple) else v)
                                                for k, v in vars(config).items()}}
    with L.SelfPlayPipeline(game, directory, config) as p:
        cpu = time.process_time()
        load = os.getloadavg()[0]
        progress = p.run()
        out["train_seconds"] = progress[-1].seconds
        # The machine's cores are shared: the process's CPU time and the load show the contention.
        out["train_cpu_seconds"] = time.process_time() - cpu
        out["load_average"] = [load, os.getloadavg()[0]]
        sl = [x for x in progress if x.stage == "supervised"][-1]
        rl = [x for x in progress if x.stage == "self_play" and x.score_vs_supervised == x.score_vs_supervised]
        value = [x for x in progress if x.stage == "value"][-1]
        out["sl_held_out_accuracy"] = sl.held_out_accuracy
        out["rl_score_vs_sl"] = rl[-1].score_vs_supervised if rl else None
        out["value_held_out_mse"] = value.value_held_out_mse
        out["value_exact_mse"] = value.value_exact_mse
        e = p.evaluation()
        out["search_simulations"] = config.search_simulations
        out["raw_vs_solver"] = record(e.raw_vs_solver)
        out["search_vs_solver"] = record(e.search_vs_solver)
        for label, sims in (("raw", 1), ("search", config.search_simulations)):
            with p.player(sims) as agent:
                out[f"{label}_mistakes"] = mistakes(game, agent, seed)
                rungs = L.ladder(game, agent, L.LadderConfig(games_per_rung=10, seed=seed))
                out[f"{label}_ladder"] = {r.label: record(r.result) for r in rungs}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--games", nargs="+", default=list(GAMES), choices=list(GAMES))
    ap.add_argument("--json", default=RESULTS)
    ap.add_argument("--anchors-only", action="store_true", help="measure the anchors only")
    args = ap.parse_args()
    report = {"runs": [], "anchors": {}}
    for key in args.games:
        name, params = GAMES[key]
        game = games.load(name, **params)
        t = time.monotonic()
        report["anchors"][key] = {"solver": mistakes(game, P.SolverPlayer(), 0),
                                  "mcts_100": mistakes(game, P.MCTSPlayer(100), 0),
                                  "mcts_1000": mistakes(game, P.MCTSPlayer(1000), 0)}
        report["anchors"][key]["seconds"] = time.monotonic() - t
        a = report["anchors"][key]
        print(f"{key}: anchors: solver {a['solver']['mistakes']}/{a['solver']['positions']} mistakes, "
              f"UCT(100) {a['mcts_100']['rate']:.4f}, UCT(1000) {a['mcts_1000']['rate']:.4f}", flush=True)
        if args.anchors_only:
            continue
        for seed in args.seeds:
            with tempfile.TemporaryDirectory() as d:
                r = run(key, seed, d)
            report["runs"].append(r)
            ratio = (r["search_mistakes"]["rate"] / a["mcts_100"]["rate"]) if a["mcts_100"]["rate"] else None
            print(f"{key} seed {seed}: {r['train_seconds']:.0f} s; raw policy {r['raw_mistakes']['mistakes']}/"
                  f"{r['raw_mistakes']['positions']} mistakes, vs solver {r['raw_vs_solver']['all']}; "
                  f"search({r['search_simulations']}) {r['search_mistakes']['mistakes']}/"
                  f"{r['search_mistakes']['positions']} mistakes (ratio to UCT(100) {ratio}), "
                  f"vs solver {r['search_vs_solver']['all']}", flush=True)
    os.makedirs(os.path.dirname(args.json), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump(report, f, indent=1)
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
