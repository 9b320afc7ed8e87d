"""Random playouts per second: swiftpg's games against OpenSpiel (pyspiel).

For tic-tac-toe, Connect Four 6×7, Connect-3 on 4×5 and Go on 5×5, 7×7 and
9×9 (komi 7.5; OpenSpiel's move limit board_size² · 2), measured in the same
run, contenders in alternation (best of the rounds):
  * pyspiel, one Python call per move: ``new_initial_state()``, then
    ``apply_action(random.choice(legal_actions()))`` until ``is_terminal()``
    (OpenSpiel's C++ core through pybind11);
  * swiftpg.games, the same loop with the same calls (one native call each);
  * swiftpg GameBatch.step from Python: N = 256 games with auto-reset, one
    step call per move of all games (random legal actions drawn with numpy
    from the mask);
  * swiftpg GameBatch.playouts: whole random playouts inside one native call
    (N = 256 games × P playouts each from the start), on one thread and on
    two (``num_threads=2``: chunks of games on both cores; same results).
Prints playouts per second and the ratios to pyspiel's loop (the issue's
targets: per-move calls at least as fast as pyspiel's, whole playouts in one
call at least 10×). Then the other anchors, where installed:
  * PettingZoo's classic ``tic_tac_toe_v3`` and ``connect_four_v3`` (AEC:
    ``agent_iter``, ``last``, a random action from the observation's
    ``action_mask``, ``step``), beside swiftpg's per-move loop;
  * pgx (JAX): B = 256 games played to the end inside one jitted
    ``lax.while_loop`` (bench/pgx_playouts.py, run in the JAX venv given by
    ``--pgx-python``), beside swiftpg's ``playouts()``. With ``--align N`` it first plays N random games per
variant in both libraries and compares, after every move, the legal
actions, terminal flag, returns, current player, observation tensor and
text (the tests do a few hundred; ``make bench`` thousands).

Usage: python bench/games_vs_openspiel.py [--quick] [--align N] [--json PATH] [--pgx-python PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time

import numpy as np

from swiftpg import games
from timing import external_result

try:
    import pyspiel
except ImportError as e:  # the reference is the point of the benchmark
    raise SystemExit("needs pyspiel: pip install open_spiel") from e

VARIANTS = [("tic_tac_toe", {}), ("connect_four", {}), ("connect_four", {"rows": 4, "columns": 5, "x_in_row": 3}),
            ("go", {"board_size": 5, "komi": 7.5}), ("go", {"board_size": 7, "komi": 7.5}),
            ("go", {"board_size": 9, "komi": 7.5})]


def label(name: str, params: dict) -> str:
    if name == "go":
        return f"go{params['board_size']}x{params['board_size']}"
    return name + (f"{params['rows']}x{params['columns']}k{params['x_in_row']}" if params else "")
BATCH = 256


def python_loop(new_state):
    """One random playout with one call per move (pyspiel's API)."""
    choice = random.choice

    def play():
        s = new_state()
        while not s.is_terminal():
            s.apply_action(choice(s.legal_actions()))
    return play


def rate(play, seconds: float, per_call: int = 1) -> float:
    """Playouts per second of ``play()`` (``per_call`` playouts each) over about ``seconds``."""
    n, start = 0, time.perf_counter()
    while True:
        play()
        n += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return n * per_call / elapsed


def batched_steps(game):
    """Playouts per second of N games stepped together from Python."""
    batch = game.new_batch(BATCH, auto_reset=True)
    rng = np.random.default_rng(0)

    def play(seconds: float) -> float:
        ended, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            mask = batch.legal_mask()
            scores = rng.random(mask.shape) * mask
            done, _ = batch.step(scores.argmax(axis=1).astype(np.int32))
            ended += int(done.sum())
        return ended / (time.perf_counter() - start)
    return batch, play


def pettingzoo_loop(module):
    """One random playout of a PettingZoo classic AEC env per call (its
    documented loop: the action drawn from the observation's action mask)."""
    env = module.env()
    choice = random.choice

    def play():
        env.reset()
        for agent in env.agent_iter():
            observation, _, terminated, truncated, _ = env.last()
            if terminated or truncated:
                action = None
            else:
                mask = observation["action_mask"]
                action = choice([a for a in range(len(mask)) if mask[a]])
            env.step(action)
    return play


def other_anchors(seconds: float, rounds: int, pgx_python: str | None, quick: bool) -> list[dict]:
    """PettingZoo's per-move loop and pgx's batched playouts beside swiftpg's."""
    rows = []
    try:
        from pettingzoo.classic import connect_four_v3, tictactoe_v3
    except ImportError:
        print("PettingZoo not installed: no PettingZoo rows")
    else:
        for variant, module, name in [("tic_tac_toe", tictactoe_v3, "tic_tac_toe"),
                                      ("connect_four", connect_four_v3, "connect_four")]:
            game = games.load(name)
            contenders = {"pettingzoo": lambda: rate(pettingzoo_loop(module), seconds),
                          "swiftpg_loop": lambda: rate(python_loop(game.new_initial_state), seconds)}
            best = {k: max(f() for _ in range(rounds)) for k, f in contenders.items()}
            rows.append({"game": variant, "anchor": "PettingZoo AEC loop", "playouts_per_second": best,
                         "ratio": best["swiftpg_loop"] / best["pettingzoo"]})
    if pgx_python is None:
        print("no --pgx-python: no pgx rows (make bench passes the JAX venv)")
        return rows
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pgx_playouts.py")
    pgx = external_result([pgx_python, script] + (["--quick"] if quick else []), timeout=1800, label="pgx")
    if pgx is None:
        print("no pgx rows")
        return rows
    for variant, (name, params) in {"tic_tac_toe": ("tic_tac_toe", {}), "connect_four": ("connect_four", {}),
                                    "go9x9": ("go", {"board_size": 9, "komi": 7.5})}.items():
        per_game = {"tic_tac_toe": 64, "connect_four": 16}.get(name, 2)
        with games.load(name, **params).new_batch(BATCH) as fresh:
            ours = max(rate(lambda: fresh.playouts(per_game, seed=1), seconds, BATCH * per_game)
                       for _ in range(rounds))
        best = {"pgx": pgx["rates"][variant], "playouts": ours}
        rows.append({"game": variant, "anchor": f"pgx {pgx['pgx_version']} jitted, B={pgx['batch']}",
                     "jax_version": pgx["jax_version"], "playouts_per_second": best,
                     "ratio": ours / best["pgx"]})
    return rows


def differences(ours, theirs) -> list[str]:
    """What differs between a swiftpg state and a pyspiel state."""
    checks = {
        "current player": (ours.current_player(), theirs.current_player()),
        "terminal": (ours.is_terminal(), theirs.is_terminal()),
        "legal actions": (ours.legal_actions(), theirs.legal_actions()),
        "returns": (ours.returns(), theirs.returns()),
        "observation": (ours.observation_tensor(0), theirs.observation_tensor(0)),
        "text": (str(ours), str(theirs)),
    }
    return [name for name, (a, b) in checks.items() if a != b]


def align(name: str, params: dict, count: int, seed: int = 17) -> tuple[int, list[str]]:
    """(moves compared, differences found) over ``count`` random games."""
    rng = random.Random(seed)
    ref, game = pyspiel.load_game(name, params), games.load(name, **params)
    moves, found = 0, []
    for g in range(count):
        with game.new_initial_state() as ours:
            theirs = ref.new_initial_state()
            for move in range(ref.max_game_length() + 1):
                found += [f"game {g} after move {move}: {d}" for d in differences(ours, theirs)]
                if theirs.is_terminal() or found:
                    break
                action = rng.choice(theirs.legal_actions())
                ours.apply_action(action)
                theirs.apply_action(action)
                moves += 1
        if found:
            break
    return moves, found


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="short rounds (a smoke test, not a measurement)")
    ap.add_argument("--json", help="also write the results here")
    ap.add_argument("--pgx-python", metavar="PATH", help="a Python with pgx installed (the JAX venv) for pgx rows")
    ap.add_argument("--align", type=int, default=0, metavar="N",
                    help="first compare N random games per variant with pyspiel, move by move")
    args = ap.parse_args()
    for name, params in VARIANTS if args.align else ():
        moves, found = align(name, params, args.align)
        print(f"aligned with pyspiel: {name} {params or ''}: {args.align} games, {moves} moves, "
              f"{len(found)} differences{': ' + found[0] if found else ''}")
        if found:
            raise SystemExit(1)
    seconds, rounds = (0.2, 1) if args.quick else (1.0, 3)
    random.seed(0)
    results = []
    print(f"{'game':20} {'pyspiel loop':>13} {'swiftpg loop':>13} {'batch.step':>11} {'playouts()':>11}"
          f" {'2 threads':>10} {'loop ×':>7} {'step ×':>7} {'playouts ×':>10} {'2 thr. ×':>8}")
    for name, params in VARIANTS:
        ref = pyspiel.load_game(name, params)
        game = games.load(name, **params)
        per_game = {"tic_tac_toe": 64, "connect_four": 16}.get(name, 2)
        with game.new_batch(BATCH) as fresh:
            contenders = {
                "pyspiel": lambda: rate(python_loop(ref.new_initial_state), seconds),
                "swiftpg_loop": lambda: rate(python_loop(game.new_initial_state), seconds),
                "playouts": lambda: rate(lambda: fresh.playouts(per_game, seed=1), seconds, BATCH * per_game),
                "playouts_2t": lambda: rate(lambda: fresh.playouts(per_game, seed=1, num_threads=2), seconds,
                                            BATCH * per_game),
            }
            batch, step_rate = batched_steps(game)
            contenders["batch_step"] = lambda: step_rate(seconds)
            best = {k: 0.0 for k in contenders}
            for _ in range(rounds):
                for k, f in contenders.items():
                    best[k] = max(best[k], f())
            batch.close()
        variant = label(name, params)
        ratios = {k: best[k] / best["pyspiel"] for k in ("swiftpg_loop", "batch_step", "playouts", "playouts_2t")}
        print(f"{variant:20} {best['pyspiel']:13,.0f} {best['swiftpg_loop']:13,.0f} {best['batch_step']:11,.0f}"
              f" {best['playouts']:11,.0f} {best['playouts_2t']:10,.0f} {ratios['swiftpg_loop']:7.2f}"
              f" {ratios['batch_step']:7.1f} {ratios['playouts']:10.1f} {ratios['playouts_2t']:8.1f}")
        results.append({"game": variant, "playouts_per_second": best, "ratio_to_pyspiel": ratios})
    others = other_anchors(seconds, rounds, args.pgx_python, args.quick)
    if others:
        print(f"\n{'game':14} {'anchor':26} {'playouts/s':>12}   {'swiftpg (same kind)':24} {'playouts/s':>12}"
              f" {'swiftpg ×':>9}")
        for row in others:
            rates = row["playouts_per_second"]
            anchor = rates.get("pettingzoo", rates.get("pgx"))
            ours = rates.get("swiftpg_loop", rates.get("playouts"))
            what = "per-move loop" if "pettingzoo" in rates else "playouts(), B=256"
            print(f"{row['game']:14} {row['anchor']:26} {anchor:12,.0f}   {what:24} {ours:12,.0f} {row['ratio']:9.1f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"pyspiel": results, "other_anchors": others}, f, indent=2)


if __name__ == "__main__":
    main()
