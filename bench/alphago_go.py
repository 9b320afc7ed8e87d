"""AlphaGo in miniature on small Go boards against random and GNU Go (issue 18).

For each board size (5×5 and 7×7 by default; komi 7.5, OpenSpiel's rules:
area scoring of the stones and regions on the board as it stands, no
dead-stone removal, the game ends after two passes, at 2·N² actions, or as
a draw on a positional-superko repetition), trains the whole pipeline
(``swiftpg.ladder.SelfPlayPipeline``: supervised policy on the moves of UCT
with a large budget in positions of random games, REINFORCE self-play
against former selves, value network, PUCT with both networks) within the
stated budget, then plays

* the raw policy network (its most probable move) and the search (PUCT with
  both networks, the simulations stated) against uniform random and
  against GNU Go at ``--level`` (0, its weakest), half the games with each
  colour; GNU Go gets a different random seed (``set_random_seed``) in each
  game, and the number of distinct games is reported beside the count;
* the anchors, measured in the same run against the same opponents: plain
  UCT with random rollouts at the search's simulations (no networks) and
  the uniformly random player.

Win / draw / loss are counted from the swiftpg player's side, with the
score (wins + draws/2) / games and its standard error
sqrt(score·(1 − score)/games).

**Scoring agreement.** After every game against GNU Go its board is brought
to the final position and asked ``final_score`` (GNU Go with Chinese
rules: area scoring after its own dead-stone judgement); the winner and the
margin are compared with swiftpg's (``State.score_margin``, black's area
minus white's minus komi). Every disagreement is listed with GNU Go's dead
stones (``final_status_list dead``) and how the game ended.

Usage: python bench/alphago_go.py [--sizes 5 7] [--seed 0] [--komi 7.5] [--level 0]
       [--random-games 100] [--gnugo-games 40] [--quick]
Writes bench/results/alphago_go.json. Needs GNU Go (``apt-get install
gnugo``; ``make bench`` installs it when it can); without it the games
against GNU Go are skipped and the JSON says so.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import tempfile
import time

from swiftpg import game_players as P
from swiftpg import games
from swiftpg import gnugo as G
from swiftpg import ladder as L

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results", "alphago_go.json")

#: The pipeline's settings per board size, chosen to train within about 10
#: minutes on this 2-core machine (the expert's UCT labels dominate).
CONFIGS = {
    5: dict(hidden=(256, 256), expert_games=400, expert_simulations=1000, held_out_share=0.05,
            supervised_epochs=30, selfplay_iterations=100, selfplay_games=64, selfplay_learning_rate=1e-4,
            value_games=8000, value_epochs=20, evaluation_games=100, search_simulations=400,
            search_c_puct=1.5, search_rollout_weight=0.5, solver_games=0, measure_mistakes=False),
    7: dict(hidden=(256, 256), expert_games=100, expert_simulations=1000, held_out_share=0.05,
            supervised_epochs=30, selfplay_iterations=100, selfplay_games=64, selfplay_learning_rate=1e-4,
            value_games=8000, value_epochs=20, evaluation_games=100, search_simulations=400,
            search_c_puct=1.5, search_rollout_weight=0.5, solver_games=0, measure_mistakes=False),
}
#: A smoke run (minutes in all): the same code path with tiny budgets.
QUICK = dict(expert_games=20, expert_simulations=200, supervised_epochs=3, selfplay_iterations=4,
             value_games=300, value_epochs=2, evaluation_games=20, search_simulations=50)


def score(record: dict) -> dict:
    """The record with its games, score (wins + draws/2) / games, the
    score's standard error, the win rate and the Wilson 95 % interval of the
    win rate (useful at 0 wins, where the standard error is 0)."""
    n = record["wins"] + record["draws"] + record["losses"]
    s = (record["wins"] + 0.5 * record["draws"]) / n if n else math.nan
    w = record["wins"] / n if n else math.nan
    z = 1.959964
    centre = (w + z * z / (2 * n)) / (1 + z * z / n) if n else math.nan
    half = z * math.sqrt(w * (1 - w) / n + z * z / (4 * n * n)) / (1 + z * z / n) if n else math.nan
    return {**record, "games": n, "score": s, "score_se": math.sqrt(s * (1 - s) / n) if n else math.nan,
            "win_rate": w, "win_rate_wilson95": [max(0.0, centre - half), min(1.0, centre + half)]}


def arena_record(r) -> dict:
    def one(m):
        return score({"wins": m.wins, "draws": m.draws, "losses": m.losses})
    return {"all": one(r.record), "as_black": one(r.as_first), "as_white": one(r.as_second)}


def parse_gnugo_score(text: str) -> float:
    """Black's margin of a GNU Go ``final_score`` answer (``B+3.5``, ``W+1.5``, ``0``)."""
    t = text.strip().upper()
    if t in ("0", "DRAW", "JIGO"):
        return 0.0
    if t[:2] in ("B+", "W+"):
        v = float(t[2:])
        return v if t[0] == "B" else -v
    raise ValueError(f"unexpected final_score {text!r}")


def dame(state) -> int:
    """The empty points in regions of a go state that touch both colours
    (neutral under area scoring as the board stands)."""
    n = state.game.get_parameters()["board_size"]
    obs = state.observation_tensor()
    colour = [0 if obs[p] > 0 else (1 if obs[n * n + p] > 0 else -1) for p in range(n * n)]
    seen, count = set(), 0
    for start in range(n * n):
        if colour[start] >= 0 or start in seen:
            continue
        region, touches, stack = 0, set(), [start]
        seen.add(start)
        while stack:
            p = stack.pop()
            region += 1
            r, c = divmod(p, n)
            for q in ([p - n] if r else []) + ([p + n] if r < n - 1 else []) + ([p - 1] if c else []) + \
                     ([p + 1] if c < n - 1 else []):
                if colour[q] >= 0:
                    touches.add(colour[q])
                elif q not in seen:
                    seen.add(q)
                    stack.append(q)
        count += region if len(touches) == 2 else 0
    return count


def ending(state, game) -> str:
    history = state.history()
    n = len(history)
    passing = game.get_parameters()["board_size"] ** 2
    if n >= 2 and history[-1] == passing and history[-2] == passing:
        return "two passes"
    if n >= game.max_game_length():
        return "move limit"
    return "superko repetition"


def play_gnugo(game, agent, gnugo, games_count: int, seed: int, check_score: bool) -> dict:
    """``games_count`` games of ``agent`` (a native Player or None for the
    uniformly random player) against ``gnugo``, the agent black in even
    games. Returns the record, the distinct games and the scoring check."""
    counts = {"black": [0, 0, 0], "white": [0, 0, 0]}
    histories = set()
    agree = disagree = not_comparable = 0
    disagreements, replacements, lengths = [], 0, []
    endings: dict[str, int] = {}
    random_player = P.RandomPlayer()
    player = agent if agent is not None else random_player
    for i in range(games_count):
        agent_black = i % 2 == 0
        gnugo.command_line(f"set_random_seed {seed * 100003 + i}")
        before = len(gnugo.replacements)
        with game.new_initial_state() as state:
            ply = 0
            while not state.is_terminal():
                if (state.current_player() == 0) == agent_black:
                    action = player.action(state, seed=(seed * 1000003 + i) * 4096 + ply)
                else:
                    action = gnugo(state)
                state.apply_action(int(action))
                ply += 1
            replacements += len(gnugo.replacements) - before
            history = tuple(state.history())
            histories.add(history)
            lengths.append(len(history))
            how = ending(state, game)
            endings[how] = endings.get(how, 0) + 1
            r = state.returns()[0 if agent_black else 1]
            counts["black" if agent_black else "white"][0 if r > 0 else (1 if r == 0 else 2)] += 1
            if check_score:
                margin = state.score_margin()
                black_return = state.returns()[0]
                gnugo.command_line("clear_board")
                n = game.get_parameters()["board_size"]
                refused = None
                for k, a in enumerate(history):
                    try:
                        gnugo.command_line(f"play {'BW'[k % 2]} {G.action_to_vertex(a, n)}")
                    except G.GnuGoError as e:
                        refused = f"move {k} ({'BW'[k % 2]} {G.action_to_vertex(a, n)}): {e}"
                        break
                if refused is not None:
                    # GNU Go (positional superko) refuses the repetition that ended the game as a
                    # draw in swiftpg: nothing to compare.
                    not_comparable += 1
                    disagreements.append({"game": i, "ending": how, "moves": len(history),
                                          "swiftpg": f"margin {margin:+g}, black return {black_return:+g}",
                                          "gnugo_refused": refused, "history": list(history)})
                    continue
                text = gnugo.command_line("final_score")
                theirs = parse_gnugo_score(text)
                ours_sign = 0 if black_return == 0 else (1 if black_return > 0 else -1)
                theirs_sign = 0 if theirs == 0 else (1 if theirs > 0 else -1)
                if ours_sign == theirs_sign and (black_return == 0 or abs(theirs - margin) < 1e-9):
                    agree += 1
                else:
                    disagree += 1
                    dead = gnugo.command_line("final_status_list dead").split()
                    disagreements.append({"game": i, "ending": how, "moves": len(history),
                                          "swiftpg": f"margin {margin:+g}, black return {black_return:+g}",
                                          "gnugo_final_score": text, "gnugo_dead_stones": dead,
                                          "same_winner": ours_sign == theirs_sign,
                                          "dame": dame(state), "history": list(history)})
    black, white = counts["black"], counts["white"]
    rec = {"all": score({"wins": black[0] + white[0], "draws": black[1] + white[1], "losses": black[2] + white[2]}),
           "as_black": score(dict(zip(("wins", "draws", "losses"), black))),
           "as_white": score(dict(zip(("wins", "draws", "losses"), white)))}
    out = {"record": rec, "distinct_games": len(histories), "gnugo_replacements": replacements,
           "mean_moves": sum(lengths) / len(lengths), "endings": endings}
    if check_score:
        out["scoring"] = {"agree": agree, "disagree": disagree, "not_comparable": not_comparable,
                          "disagreements": disagreements}
    return out


def line(label: str, r: dict) -> str:
    a = r["all"]
    return (f"{label}: {a['wins']}-{a['draws']}-{a['losses']} (score {a['score']:.3f} ± {a['score_se']:.3f}; "
            f"black {r['as_black']['wins']}-{r['as_black']['draws']}-{r['as_black']['losses']}, "
            f"white {r['as_white']['wins']}-{r['as_white']['draws']}-{r['as_white']['losses']})")


def run_size(n: int, args, gnugo_path) -> dict:
    game = games.load("go", board_size=n, komi=args.komi)
    settings = dict(CONFIGS[n])
    if args.quick:
        settings.update(QUICK)
    config = L.SelfPlayConfig(**settings).replace(seed=args.seed)
    out = {"board_size": n, "komi": args.komi, "seed": args.seed,
           "config": {k: (list(v) if isinstance(v, tuple) else v) for k, v in vars(config).items()}}
    t = time.monotonic()
    with tempfile.TemporaryDirectory() as d, L.SelfPlayPipeline(game, d, config) as p:
        stage_seconds: dict[str, float] = {}
        last = 0.0

        def show(x):
            nonlocal last
            stage_seconds[x.stage] = stage_seconds.get(x.stage, 0.0) + x.seconds - last
            last = x.seconds
            if x.iteration == x.iterations:
                print(f"  {n}x{n} {x}", flush=True)

        progress = p.run(show)
        out["train_seconds"] = progress[-1].seconds
        out["stage_seconds"] = stage_seconds
        sl = [x for x in progress if x.stage == "supervised"][-1]
        rl = [x for x in progress if x.stage == "self_play" and x.score_vs_supervised == x.score_vs_supervised]
        value = [x for x in progress if x.stage == "value"][-1]
        out["sl_held_out_accuracy"] = sl.held_out_accuracy
        out["rl_score_vs_sl"] = rl[-1].score_vs_supervised if rl else None
        out["value_held_out_mse"] = value.value_held_out_mse
        out["search_simulations"] = config.search_simulations
        print(f"{n}x{n}: trained in {out['train_seconds']:.0f} s; SL held-out accuracy {sl.held_out_accuracy:.3f} "
              f"(UCT({config.expert_simulations}) labels), RL vs SL {out['rl_score_vs_sl']}, "
              f"value held-out MSE {value.value_held_out_mse:.3f}", flush=True)
        raw, search = p.player(1), p.player(config.search_simulations)
        uct = P.MCTSPlayer(config.search_simulations)
        players = {"raw_policy": raw, f"search({config.search_simulations})": search,
                   f"uct({config.search_simulations})": uct, "random": None}
        out["vs_random"], out["vs_gnugo"], out["eval_seconds"] = {}, {}, {}
        try:
            for label, player in players.items():
                t0 = time.monotonic()
                if player is not None:
                    r = arena_record(P.arena(game, player, P.RandomPlayer(), args.random_games, seed=args.seed + 11))
                    out["vs_random"][label] = r
                    print(f"  {n}x{n} {line(label + ' vs random', r)}", flush=True)
                if gnugo_path is not None:
                    with G.GnuGoPlayer(level=args.level, board_size=n, komi=args.komi, executable=gnugo_path) as gg:
                        r = play_gnugo(game, player, gg, args.gnugo_games, args.seed, check_score=True)
                    out["vs_gnugo"][label] = r
                    s = r["scoring"]
                    print(f"  {n}x{n} {line(f'{label} vs GNU Go level {args.level}', r['record'])}; "
                          f"{r['distinct_games']} distinct games, endings {r['endings']}, scoring agrees "
                          f"{s['agree']}/{s['agree'] + s['disagree']} ({s['not_comparable']} not comparable)", flush=True)
                out["eval_seconds"][label] = time.monotonic() - t0
        finally:
            raw.close()
            search.close()
            uct.close()
    out["wall_seconds"] = time.monotonic() - t
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[5, 7], choices=sorted(CONFIGS))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--komi", type=float, default=7.5)
    ap.add_argument("--level", type=int, default=0, help="GNU Go's --level (0 the weakest)")
    ap.add_argument("--random-games", type=int, default=100)
    ap.add_argument("--gnugo-games", type=int, default=40)
    ap.add_argument("--quick", action="store_true", help="tiny budgets: a smoke run of the code path")
    ap.add_argument("--json", default=RESULTS)
    args = ap.parse_args()
    try:
        gnugo_path = G.find_gnugo()
        with G.GnuGoPlayer(level=args.level, board_size=5, komi=args.komi, executable=gnugo_path) as gg:
            version = gg.command_line("version")
    except G.GnuGoError as e:
        print(f"GNU Go unavailable ({e}): the games against it are skipped")
        gnugo_path, version = None, None
    report = {"gnugo": {"path": gnugo_path, "version": version, "level": args.level},
              "load_average_start": os.getloadavg(), "quick": args.quick, "runs": []}
    for n in args.sizes:
        report["runs"].append(run_size(n, args, gnugo_path))
    report["load_average_end"] = os.getloadavg()
    os.makedirs(os.path.dirname(args.json), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump(report, f, indent=1)
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
