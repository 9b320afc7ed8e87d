"""bench/alphago_connect_four.py (issue 18, Connect Four 6×7 results): its
measuring parts on a small board — mirror images, the mistake rate by
stage against the solver's own classification, the one-ply value arm
taking a win, the match records — and a tiny end-to-end run (about 3 s)."""

from __future__ import annotations

import importlib.util
import json
import os

import numpy as np
import pytest

from conftest import ROOT
from swiftpg import board_networks as B
from swiftpg import game_players as P
from swiftpg import games

spec = importlib.util.spec_from_file_location("alphago_connect_four",
                                              os.path.join(ROOT, "bench", "alphago_connect_four.py"))
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)


@pytest.fixture(scope="module")
def c3():
    return games.load("connect_four", rows=4, columns=5, x_in_row=3)


def test_mirror_images_are_legal_and_involutive(c3):
    rng = np.random.default_rng(0)
    planes, masks, actions = [], [], []
    for _ in range(20):
        with c3.new_initial_state() as s:
            for _ in range(int(rng.integers(0, 8))):
                if s.is_terminal():
                    break
                s.apply_action(int(rng.choice(s.legal_actions())))
            if s.is_terminal():
                continue
            planes.append(s.planes())
            masks.append(np.asarray(s.legal_actions_mask(), np.uint8))
            actions.append(int(rng.choice(s.legal_actions())))
    p, m, a = np.array(planes), np.array(masks, np.uint8), np.array(actions, np.int32)
    mp, mm, ma = bench.mirror(p, m, a)
    assert mm[np.arange(len(ma)), ma].all()
    assert not np.array_equal(mp, p)
    back = bench.mirror(mp, mm, ma)
    assert np.array_equal(back[0], p) and np.array_equal(back[1], m) and np.array_equal(back[2], a)


def test_held_out_positions_are_not_trained_on_even_as_mirrors(c3):
    """split_and_mirror holds out by position up to mirror image: no
    held-out position appears in the training side (mirrors included), and
    a position's mirror falls on its side. Symmetric positions are common
    early in the game, so a split by position alone leaked."""
    rng = np.random.default_rng(3)
    planes, masks, actions = [], [], []
    for _ in range(200):
        s = c3.new_initial_state()
        for _ in range(int(rng.integers(0, 3))):
            s.apply_action(int(rng.choice(s.legal_actions())))
        planes.append(s.planes())
        masks.append(np.asarray(s.legal_actions_mask(), np.uint8))
        actions.append(int(rng.choice(s.legal_actions())))
    p, m, a = np.array(planes), np.array(masks, np.uint8), np.array(actions, np.int32)
    training, held, _ = bench.split_and_mirror(p, m, a, seed=0)
    trained = {x.tobytes() for x in training[0]}
    assert len(held[2]) >= 1
    assert not any(x.tobytes() in trained for x in held[0])
    assert len(training[2]) == 2 * (len(a) - len(held[2]))  # everything else is trained on, with its mirror


def test_mistake_rates_count_the_solvers_worse_moves_by_stage(c3):
    """Positions from random games, each paired with its worst move: a
    mistake exactly where the solver's classes differ, in the stage of its
    stone count; the best moves make none."""
    rng = np.random.default_rng(1)
    edges = bench.stage_edges(c3, 4, 4)
    expected = np.zeros(len(edges) - 1, int)
    worst, best = [], []
    with bench.solver_for(c3) as solver:
        while len(worst) < 30:
            moves = []
            with c3.new_initial_state() as s:
                for _ in range(int(rng.integers(4, 14))):
                    if s.is_terminal():
                        break
                    a = int(rng.choice(s.legal_actions()))
                    s.apply_action(a)
                    moves.append(a)
                if s.is_terminal() or tuple(moves) in {m for m, _ in worst}:
                    continue
            scores = solver.column_scores(moves)
            legal = [(v, c) for c, v in enumerate(scores) if v is not None]
            lo, hi = min(legal)[1], max(legal)[1]
            worst.append((tuple(moves), lo))
            best.append((tuple(moves), hi))
            if bench.outcome_class(scores[lo]) < bench.outcome_class(scores[hi]):
                expected[min(np.searchsorted(edges, len(moves), side="right") - 1, len(expected) - 1)] += 1
        cache: dict = {}
        m = bench.mistake_rates(c3, worst, solver, cache, edges, cap=100, limit=5.0, seed=0)
        assert [s["mistakes"] for s in m["by_stage"]] == list(expected) and expected.sum() > 5
        assert m["positions"] == 30 and m["skipped"] == 0 and m["rate"] == expected.sum() / 30
        lost = sum(max(v for v in solver.column_scores(list(p)) if v is not None) < 0 for p, _ in worst)
        assert m["lost_positions"] == lost
        assert bench.mistake_rates(c3, best, solver, cache, edges, cap=100, limit=5.0, seed=0)["mistakes"] == 0
        capped = bench.mistake_rates(c3, worst, solver, cache, edges, cap=10, limit=5.0, seed=0)
        assert capped["positions"] == 10 and capped["distinct_positions_met"] == 30


def test_the_one_ply_value_arm_takes_an_immediate_win(c3):
    value = B.ValueNetwork(c3, (8,), seed=0)
    arm = bench.OnePlyValue(value)
    # x on columns 0 and 1 of the bottom row, o above them: x wins with column 2.
    with bench.state_of(c3, [0, 0, 1, 1]) as s:
        assert arm(s) == 2


def test_play_games_counts_each_seat(c3):
    # The first player wins Connect-3 on 4×5; the solver wins from the first seat against random play.
    with P.SolverPlayer() as solver, P.RandomPlayer() as rnd:
        counts, distinct, met = bench.play_games(c3, solver, rnd, 6, seed=2)
    assert counts["first"] == [3, 0, 0] and sum(counts["second"]) == 3
    assert distinct >= 2 and all(len(m) % 2 == 0 for m, _ in met[:1])
    r = bench.summarise(counts, distinct)
    assert r["games"] == 6 and r["score_se"] >= 0 and r["wins"] == 3 + counts["second"][0]


def test_a_tiny_run_writes_the_report(tmp_path):
    out = tmp_path / "report.json"
    report = bench.main(["--minutes", "0.003", "--rows", "4", "--columns", "4", "--x-in-row", "3", "--games", "2",
                         "--mcts", "10", "--minimax", "1", "--rl-vs-sl-games", "2", "--expert-check", "0",
                         "--mistake-from", "4", "--mistake-positions", "5", "--search-simulations", "5",
                         "--config", "hidden=8", "expert_simulations=50", "solver_from=2", "rl_games_per_iteration=4",
                         "value_max_games=600", "--out", str(tmp_path / "ckpt"), "--json", str(out)])
    saved = json.loads(out.read_text())
    assert set(saved["arms"]) == {"sl", "rl", "value", "search"}
    assert saved["arms"]["search"]["rungs"]["mcts(10)"]["games"] == 2
    assert report["steps"]["supervised"]["positions"] > 0
    for name in ("sl_policy", "rl_policy", "value"):
        assert (tmp_path / "ckpt" / f"{name}.swiftpg").stat().st_size > 0
