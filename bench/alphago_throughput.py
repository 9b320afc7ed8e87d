"""Issue 18 throughput: tree-search simulations per second and self-play games per second, side by
side with OpenSpiel in one run (ratios).

1. UCT with random rollouts (one rollout per leaf, c = 2, the most visited move): swiftpg's
   ``MCTSPlayer`` against ``pyspiel``'s ``open_spiel.python.algorithms.mcts.MCTSBot`` with a
   ``RandomRolloutEvaluator(n_rollouts=1)``, the same number of simulations per move, on
   tic-tac-toe and Connect Four 6x7, from the empty board and from a middle-game position.
   Simulations per second = simulations per move / seconds per move (median of repeats).
2. PUCT with a policy and a value network (no rollouts), swiftpg only: simulations per second
   with an MLP of the size the AlphaZero comparison uses.
3. Self-play with search: swiftpg's ``AlphaZero`` learner (games per second of its self-play,
   the fit included) against OpenSpiel's AlphaZero (JAX, ``alpha_zero._play_game`` with its
   ``AlphaZeroEvaluator`` over an MLP of the same widths) when it imports in the JAX benchmark
   venv (``--openspiel-az-python``), else the row says why it is missing. OpenSpiel's time is its
   search only (one warm-up game for JAX's compilation untimed); swiftpg's includes the fit.

One thread everywhere. Usage: ``python bench/alphago_throughput.py [--quick] [--json PATH]
[--openspiel-az-python .bench-jax-venv/bin/python]``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from timing import median_seconds  # noqa: E402

import swiftpg  # noqa: E402
from swiftpg import games  # noqa: E402
from swiftpg.board_networks import AlphaZero, PolicyNetwork, PUCTPlayer, ValueNetwork  # noqa: E402
from swiftpg.game_players import MCTSPlayer  # noqa: E402

#: Moves played before the middle-game position (the same moves in both libraries).
MIDDLE = {"tic_tac_toe": [4, 0], "connect_four": [3, 3, 2, 4, 2, 2, 5, 1]}
OPENSPIEL_NAME = {"tic_tac_toe": "tic_tac_toe", "connect_four": "connect_four"}


def uct_rows(simulations: int, repeats: int) -> list[dict]:
    import pyspiel
    from open_spiel.python.algorithms import mcts

    rows = []
    for name in ("tic_tac_toe", "connect_four"):
        game = games.load(name)
        spiel_game = pyspiel.load_game(OPENSPIEL_NAME[name])
        for stage, moves in (("empty board", []), ("middle game", MIDDLE[name])):
            state = game.new_initial_state()
            spiel_state = spiel_game.new_initial_state()
            for m in moves:
                state.apply_action(m)
                spiel_state.apply_action(m)
            ours = MCTSPlayer(simulations=simulations, c=2.0)
            ours.action(state, seed=0)                                  # native handle made outside the timing
            seeds = iter(range(1, 10_000))
            t_ours = median_seconds(lambda: ours.action(state, seed=next(seeds)), repeats)
            bot = mcts.MCTSBot(spiel_game, uct_c=2.0, max_simulations=simulations,
                               evaluator=mcts.RandomRolloutEvaluator(1, np.random.RandomState(0)),
                               random_state=np.random.RandomState(1), solve=False)
            t_theirs = median_seconds(lambda: bot.step(spiel_state), max(1, repeats // 2))
            rows.append(dict(kind="uct", game=name, stage=stage, simulations=simulations,
                             ours_sims_per_s=simulations / t_ours, openspiel_sims_per_s=simulations / t_theirs,
                             ratio=t_theirs / t_ours))
            ours.close()
    return rows


def puct_rows(simulations: int, repeats: int, width: int) -> list[dict]:
    rows = []
    for name in ("tic_tac_toe", "connect_four"):
        game = games.load(name)
        policy = PolicyNetwork(game, sizes=(width, width), seed=0)
        value = ValueNetwork(game, sizes=(width, width), seed=1)
        player = PUCTPlayer(policy, value, simulations=simulations)
        state = game.new_initial_state()
        player.action(state, seed=0)
        seeds = iter(range(1, 10_000))
        t = median_seconds(lambda: player.action(state, seed=next(seeds)), repeats)
        rows.append(dict(kind="puct", game=name, stage="empty board", simulations=simulations,
                         ours_sims_per_s=simulations / t, width=width))
        player.close()
    return rows


def alphazero_ours(game_name: str, games_count: int, simulations: int, width: int) -> dict:
    game = games.load(game_name)
    policy = PolicyNetwork(game, sizes=(width, width), seed=0)
    value = ValueNetwork(game, sizes=(width, width), seed=1)
    learner = AlphaZero(game, policy, value, games_per_iteration=games_count, simulations=simulations, epochs=1,
                        seed=0)
    start = time.perf_counter()
    stats = learner.iterate()
    seconds = time.perf_counter() - start
    return dict(games=stats.games, seconds=seconds, games_per_s=stats.games / seconds)


#: Runs in the JAX venv: OpenSpiel's AlphaZero self-play games (its _play_game with an MLP of the
#: given widths and MCTS with the given simulations), printing one JSON line.
OPENSPIEL_AZ = r"""
import json, sys, time
import numpy as np
import pyspiel
from open_spiel.python.algorithms import mcts
from open_spiel.python.algorithms.alpha_zero import evaluator as evaluator_lib, model_nnx
name, games_count, simulations, width = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
game = pyspiel.load_game(name)
model = model_nnx.Model.build_model("mlp", game.observation_tensor_shape(), game.num_distinct_actions(),
                                    nn_width=width, nn_depth=2, weight_decay=1e-4, learning_rate=1e-3,
                                    path=None)
ev = evaluator_lib.AlphaZeroEvaluator(game, model)
def bot(player):
    return mcts.MCTSBot(game, 2.0, simulations, ev, solve=False, dirichlet_noise=(0.25, 0.3),
                        child_selection_fn=mcts.SearchNode.puct_value, verbose=False, dont_return_chance_node=True)
start = None
for g in range(games_count + 1):          # game 0 warms up (JIT compilation), untimed
    if g == 1:
        start = time.time()
    state = game.new_initial_state()
    bots = [bot(0), bot(1)]
    while not state.is_terminal():
        root = bots[state.current_player()].mcts_search(state)
        policy = np.zeros(game.num_distinct_actions())
        for c in root.children:
            policy[c.action] = c.explore_count
        state.apply_action(int(np.argmax(policy)) if len(state.history()) >= 4 else
                           int(np.random.choice(len(policy), p=policy / policy.sum())))
seconds = time.time() - start
print(json.dumps(dict(games=games_count, seconds=seconds, games_per_s=games_count / seconds)))
"""


def alphazero_rows(python: str | None, games_count: int, simulations: int, width: int) -> list[dict]:
    rows = []
    for name in ("tic_tac_toe", "connect_four"):
        ours = alphazero_ours(name, games_count, simulations, width)
        row = dict(kind="alphazero self-play", game=name, simulations=simulations, width=width,
                   ours_games_per_s=ours["games_per_s"])
        if python is None:
            row["openspiel"] = "not run: pass --openspiel-az-python (the JAX venv with open_spiel, chex, orbax)"
        else:
            env = dict(os.environ, JAX_PLATFORMS="cpu", XLA_FLAGS="--xla_cpu_multi_thread_eigen=false "
                       "intra_op_parallelism_threads=1", OMP_NUM_THREADS="1")
            proc = subprocess.run([python, "-c", OPENSPIEL_AZ, name, str(games_count), str(simulations), str(width)],
                                  capture_output=True, text=True, timeout=3600, env=env)
            if proc.returncode != 0:
                row["openspiel"] = "failed: " + (proc.stderr.strip().splitlines() or ["?"])[-1][:300]
            else:
                theirs = json.loads(proc.stdout.strip().splitlines()[-1])
                row["openspiel_games_per_s"] = theirs["games_per_s"]
                row["ratio"] = ours["games_per_s"] / theirs["games_per_s"]
        rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer simulations and repeats")
    parser.add_argument("--json", help="write the rows here")
    parser.add_argument("--openspiel-az-python", help="a Python with OpenSpiel's JAX AlphaZero importable")
    args = parser.parse_args()
    simulations = 200 if args.quick else 1000
    repeats = 3 if args.quick else 7
    rows = uct_rows(simulations, repeats)
    rows += puct_rows(simulations, repeats, width=64)
    rows += alphazero_rows(args.openspiel_az_python, 4 if args.quick else 16, 50 if args.quick else 100, 64)
    print(f"swiftpg {swiftpg.__version__}; one thread; simulations per move {simulations}")
    for r in rows:
        if r["kind"] == "uct":
            print(f"UCT   {r['game']:<13} {r['stage']:<12} swiftpg {r['ours_sims_per_s']:>10,.0f} sims/s   "
                  f"pyspiel MCTSBot {r['openspiel_sims_per_s']:>9,.0f} sims/s   {r['ratio']:6.1f}x")
        elif r["kind"] == "puct":
            print(f"PUCT  {r['game']:<13} {r['stage']:<12} swiftpg {r['ours_sims_per_s']:>10,.0f} sims/s   "
                  f"(policy + value MLP {r['width']}x{r['width']})")
        else:
            theirs = (f"OpenSpiel AlphaZero {r['openspiel_games_per_s']:.2f} games/s   {r['ratio']:6.1f}x"
                      if "ratio" in r else f"OpenSpiel AlphaZero {r['openspiel']}")
            print(f"AZ    {r['game']:<13} self-play    swiftpg {r['ours_games_per_s']:>8.2f} games/s   {theirs}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
