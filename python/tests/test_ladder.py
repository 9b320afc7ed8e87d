"""swiftpg.ladder (issue 18): the mistake rate (the solver's is 0, counts add
up, seats and stages), the evaluation ladder, the self-play pipeline (stages,
checkpoints, reproducibility by seed, bad inputs), perfect play on
tic-tac-toe with a fast setting, and ``python -m swiftpg selfplay``."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import numpy as np
import pytest

from swiftpg import _lib, games
from swiftpg import game_players as P
from swiftpg import ladder as L
from swiftpg._arrays import DTypeError
from swiftpg._lib import InvalidArgumentError, NotSupportedError

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

TINY = dict(hidden=(8,), expert_games=20, supervised_epochs=2, selfplay_iterations=2, selfplay_games=4,
            snapshot_interval=1, evaluation_games=2, value_games=10, value_epochs=1, search_simulations=3,
            solver_games=2, elo_games_per_pair=1)


@pytest.fixture(scope="module")
def ttt():
    return games.load("tic_tac_toe")


def test_the_solver_makes_no_mistake_and_counts_add_up(ttt):
    r = L.mistake_rate(ttt, P.SolverPlayer(), seed=3)
    assert r.mistakes == 0 and r.rate == 0 and r.positions > 0
    assert r.positions == r.positions_first + r.positions_second == r.positions_by_ply.sum()
    # as second player, each of x's 9 openings is met once at ply 1
    assert r.positions_by_ply[0] == 1 and r.positions_by_ply[1] == 9
    assert r.positions_by_ply.dtype == np.int64 and r.positions_by_ply.shape == (9,)


def test_a_weak_player_blunders_consistently(ttt):
    both = L.mistake_rate(ttt, P.MinimaxPlayer(1), seed=5)
    first = L.mistake_rate(ttt, P.MinimaxPlayer(1), sides="first", seed=5)
    assert both.mistakes > 0 and both.rate == both.mistakes / both.positions
    assert first.positions_second == 0 and first.positions == both.positions_first
    assert first.mistakes == both.mistakes_first
    assert both.mistakes == both.mistakes_by_ply.sum() == both.mistakes_first + both.mistakes_second
    assert both.lost_wins + both.lost_draws == both.mistakes
    again = L.mistake_rate(ttt, P.MinimaxPlayer(1), seed=5)
    assert again.mistakes == both.mistakes and np.array_equal(again.positions_by_ply, both.positions_by_ply)
    stages = both.rate_by_stage(3)
    assert len(stages) == 3 and all(math.isnan(s) or 0 <= s <= 1 for s in stages)


def test_mistake_rate_refuses_bad_inputs(ttt):
    with pytest.raises(DTypeError):
        L.mistake_rate("tic_tac_toe", P.SolverPlayer())
    with pytest.raises(DTypeError):
        L.mistake_rate(ttt, lambda s: 0)
    with pytest.raises(InvalidArgumentError):
        L.mistake_rate(ttt, P.SolverPlayer(), sides="left")
    with pytest.raises(NotSupportedError):
        L.mistake_rate(games.load("go", board_size=5), P.RandomPlayer())


def test_the_ladder_from_random_to_the_solver(ttt):
    config = L.LadderConfig(games_per_rung=2, mcts_rungs=2, minimax_depths=(1, 9), seed=2)
    rungs = L.ladder(ttt, P.SolverPlayer(), config)
    assert [r.label for r in rungs] == ["random", "mcts(10)", "mcts(32)", "minimax(1)", "minimax(9)", "solver"]
    assert [r.parameter for r in rungs[1:3]] == P.mcts_budgets(10, 2)
    assert all(r.result.losses == 0 and r.result.games == 2 for r in rungs)
    assert rungs[-1].result.draws == 2 and rungs[-2].result.draws == 2
    assert L.LadderConfig.library_defaults() == L.LadderConfig()
    with pytest.raises(InvalidArgumentError):
        L.ladder(ttt, P.SolverPlayer(), L.LadderConfig(minimax_depths=(0,)))
    with pytest.raises(DTypeError):
        L.ladder(ttt, P.SolverPlayer(), config={"games_per_rung": 2})


def test_config_defaults_match_the_library():
    assert L.SelfPlayConfig.library_defaults() == L.SelfPlayConfig()
    assert "expert_games" in L.SelfPlayConfig.describe()
    with pytest.raises(InvalidArgumentError):
        L.SelfPlayConfig().replace(no_such_field=1)


def _run(game, directory, seed):
    with L.SelfPlayPipeline(game, directory, L.SelfPlayConfig(seed=seed, **TINY)) as p:
        progress = p.run()
        return progress, p.checkpoints, p.evaluation()


def test_pipeline_stages_checkpoints_and_reproducibility(ttt, tmp_path):
    progress, checkpoints, evaluation = _run(ttt, tmp_path / "a", 7)
    assert [p.stage for p in progress] == ["supervised"] * 2 + ["self_play"] * 2 + ["value", "evaluation"]
    assert progress[-1].done and 0 <= progress[1].held_out_accuracy <= 1
    assert not math.isnan(progress[3].score_vs_supervised) and not math.isnan(progress[4].value_exact_mse)
    assert [(c.is_policy, c.stage) for c in checkpoints] == [(True, "supervised"), (True, "self_play"),
                                                             (True, "self_play"), (False, "value")]
    assert all(os.path.isfile(c.path) for c in checkpoints)
    assert evaluation.raw_vs_solver.games == 2 and evaluation.raw_positions > 0
    assert [r.label for r in evaluation.ratings][0] == "random" and evaluation.ratings[0].rating == 0
    same, same_checkpoints, same_eval = _run(ttt, tmp_path / "b", 7)
    other, other_checkpoints, _ = _run(ttt, tmp_path / "c", 8)
    for x, y in zip(checkpoints, same_checkpoints):
        assert open(x.path, "rb").read() == open(y.path, "rb").read()
    assert [p.held_out_accuracy for p in progress[:2]] == [p.held_out_accuracy for p in same[:2]]
    assert [p.score_vs_opponent for p in progress[2:4]] == [p.score_vs_opponent for p in same[2:4]]
    assert same_eval.raw_mistakes == evaluation.raw_mistakes
    assert open(checkpoints[0].path, "rb").read() != open(other_checkpoints[0].path, "rb").read()


def test_pipeline_players_and_bad_inputs(ttt, tmp_path):
    with pytest.raises(DTypeError):
        L.SelfPlayPipeline("tic_tac_toe", tmp_path)
    with pytest.raises(DTypeError):
        L.SelfPlayPipeline(ttt, tmp_path, config={"seed": 1})
    with pytest.raises(InvalidArgumentError):
        L.SelfPlayPipeline(ttt, "")
    with pytest.raises(InvalidArgumentError):
        L.SelfPlayPipeline(ttt, tmp_path, L.SelfPlayConfig(hidden=(), **{k: v for k, v in TINY.items()
                                                                          if k != "hidden"}))
    with pytest.raises(InvalidArgumentError):
        L.SelfPlayPipeline(ttt, tmp_path, L.SelfPlayConfig(held_out_share=1.5))
    with pytest.raises(DTypeError):
        L.SelfPlayPipeline(ttt, tmp_path, L.SelfPlayConfig(expert_games=2.5))
    before = _lib_live()
    with L.SelfPlayPipeline(ttt, tmp_path / "p", L.SelfPlayConfig(seed=1, **TINY)) as p:
        p.step()
        with p.player(3) as agent:
            r = P.arena(ttt, agent, P.RandomPlayer(), games=2, seed=1)
            assert r.games == 2
            with pytest.raises(InvalidArgumentError):
                agent.native(games.load("connect_four", rows=4, columns=4, x_in_row=3))
        with pytest.raises(DTypeError):
            p.player(0.5)
        p.run()
        with pytest.raises(InvalidArgumentError):
            p.step()
    assert _lib_live() == before


def _lib_live() -> int:
    from ctypes import byref, c_int64
    n = c_int64()
    _lib.call("live_handles", 0, byref(n))
    return n.value


def test_tic_tac_toe_reaches_perfect_play_fast(ttt, tmp_path):
    # A fast variant of bench/alphago_small_games.py (seed 0, about 2 s):
    # PUCT with both networks never loses to the solver from either seat
    # and makes no mistake over all reachable positions.
    config = L.SelfPlayConfig(seed=0, expert_games=3000, supervised_epochs=40, selfplay_iterations=20,
                              value_games=2000, value_epochs=10, search_simulations=200,
                              search_rollout_weight=0.5, evaluation_games=0)
    with L.SelfPlayPipeline(ttt, tmp_path, config) as p:
        p.run()
        e = p.evaluation()
    assert e.search_vs_solver.losses == 0 and e.search_vs_solver.as_first.games == 10
    assert e.search_mistakes == 0 and e.search_positions > 400
    assert e.raw_mistake_rate < 0.05


def test_the_selfplay_command(tmp_path):
    out = tmp_path / "run"
    overrides = [f"{k}={','.join(map(str, v)) if isinstance(v, tuple) else v}" for k, v in TINY.items()]
    cmd = [sys.executable, "-m", "swiftpg", "selfplay", "tic_tac_toe", "--out", str(out), "--seed", "3",
           "--ladder-games", "2", "--config", *overrides]
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        cmd.append("--no-plot")
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python"))
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "supervised 1/2" in done.stdout and "mistake rate" in done.stdout
    results = json.loads((out / "results.json").read_text())
    assert results["seed"] == 3 and set(results["ladder"]) == {"raw policy", "puct(3)"}
    assert results["mistakes"]["raw policy"]["positions"] > 0
    if "--no-plot" not in cmd:
        assert (out / "ladder.png").stat().st_size > 0
    bad = subprocess.run(cmd[:5] + ["--config", "no_such=1", "--no-plot"], capture_output=True, text=True,
                         env=env, timeout=60)
    assert bad.returncode == 2 and "unknown SelfPlayConfig field" in bad.stderr


def test_ctrl_c_stops_the_solver_inside_mistake_rate_and_ladder():
    """On Connect Four 6×7 the exact solver takes minutes per early
    position: Ctrl-C (SIGINT) stops mistake_rate and the ladder's solver
    rung within seconds (the solver shares the call's cancellation flag)."""
    code = """
import os, signal, threading, time
from swiftpg import games, game_players as gp, ladder as L
for run in (lambda: L.mistake_rate(games.load("connect_four"), gp.RandomPlayer()),
            lambda: L.ladder(games.load("connect_four"), gp.RandomPlayer(),
                             L.LadderConfig(games_per_rung=1, mcts_rungs=0, minimax_depths=(), random=False))):
    threading.Timer(1.0, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
    start = time.time()
    try:
        run()
    except KeyboardInterrupt:
        print("stopped", round(time.time() - start, 1))
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, PYTHONPATH=os.path.join(os.path.dirname(__file__), "..")))
    assert proc.returncode == 0, proc.stderr[-2000:]
    times = [float(line.split()[1]) for line in proc.stdout.splitlines() if line.startswith("stopped")]
    assert len(times) == 2 and max(times) < 30, proc.stdout


def test_selfplay_cli_refuses_bad_settings_cleanly(tmp_path):
    """Bad settings end in one `error:` line and exit 2, with no directory
    left behind (the review found tracebacks and empty run folders)."""
    for extra in (["--minutes", "0"], ["--minutes", "nan"], ["--ladder-games", "0"], ["--seed", "-5"],
                  ["--config", "hidden=0"], ["--config", "held_out_share=1"],
                  ["--config", "search_rollout_weight=nan"]):
        out = tmp_path / "run"
        proc = subprocess.run([sys.executable, "-m", "swiftpg", "selfplay", "tic_tac_toe", "--out", str(out),
                               "--no-plot", *extra], capture_output=True, text=True, timeout=120,
                              env=dict(os.environ, PYTHONPATH=os.path.join(os.path.dirname(__file__), "..")))
        assert proc.returncode == 2 and proc.stderr.startswith("error: ") and "Traceback" not in proc.stderr, \
            (extra, proc.stderr[-500:])
        assert not out.exists(), extra
