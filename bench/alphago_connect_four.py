"""AlphaGo in miniature on Connect Four 6×7 at a time budget per step, and
the ablation of its four steps (issue 18, "Results to show", second bullet).

The four steps, each stopped by its own wall-clock budget (``--minutes``,
default 8 per step, at most the issue's 30):

1. **Supervised (SL) policy.** Expert-labelled positions from games in
   which each move is the expert's with probability 1 − ε and uniformly
   random otherwise (ε = 0.5: positions near good play, yet varied), each
   distinct position labelled once: the exact solver (a best move, ties at
   random) on positions with at least ``solver_from`` stones when it
   answers within ``solver_limit`` seconds, otherwise UCT with random
   rollouts at ``expert_simulations`` (3000). Why this mix: on 6×7 the
   solver answers in about 0.1 s from 14 stones on but takes seconds to
   minutes earlier, so it labels exactly only the later positions; UCT
   labels the rest. Why 3000 simulations: a first run with UCT(10 000)
   labelled only 10 320 positions in its 5.6 minutes of labelling on the
   loaded machine and the network overfit them after 10 epochs (held-out
   top-1 44 %); a third of the budget gives about three times the
   positions, and ``expert_check`` measures what it costs in quality
   (the share of UCT's moves of the best exact class on solver-checked
   12-stone positions of the labelling distribution). Left–right mirror
   images double the training set. Held-out top-1 accuracy on 5 % of the
   positions, split by position up to mirror image (a held-out position is
   never trained on, not even as a mirror); the fit stops early at
   the least held-out loss. ``--trunk-comparison`` fits the MLP and the
   ConvNet on the same labels for the same time (the trunk's choice).
2. **Self-play policy gradient.** ``SelfPlayReinforce`` from the SL
   weights: REINFORCE against a pool of former selves (snapshot every 10
   iterations), both sides sampling, G = ±1 / 0. The RL policy's score
   against the SL policy (both sampling, as AlphaGo's 80 %) is measured
   during and after the step.
3. **Value network.** ``value_targets`` of the SL policy (``value_policy``;
   AlphaGo used the RL policy's, which collapsed here — bench/README.md) (one position
   per self-play game, AlphaGo's detail; in calls of 65 536 games, see
   ``value_targets``; mirrored), ½(V − G)² regression,
   held-out MSE, and the MSE against the exact outcomes of the positions
   the solver answered in the evaluation.
4. **Search.** PUCT with a policy prior and leaf value (1 − λ)·V + λ·z
   (z one random rollout) at ``--search-simulations``. The step's budget
   chooses the prior (SL or RL policy) and λ ∈ {0, 0.5} by games against
   UCT(1000) (the table is in the JSON).

Ablation arms, all at the same budgets, all deterministic up to tie
breaks:

* ``sl``: the SL policy network's most probable legal move;
* ``rl``: the RL policy network's most probable legal move;
* ``value``: one-ply lookahead with the value network, no search: the move
  maximising the outcome of the child position — its game result when the
  move ends the game, else −V(child) (V is for the player to move);
* ``search``: PUCT with the step-4 choice of prior and λ and the value
  network, ``--search-simulations`` simulations, most visited move.

For each arm: wins / draws / losses against UCT with random rollouts at
``--mcts`` simulations (default 100, 316, 1000, 3162) and minimax at
``--minimax`` depths (default 2, 4, 6), ``--games`` games per opponent
(half from each seat; score standard error ≤ 0.5/√games, 5 points at 100),
from the empty board. Minimax and the networks are deterministic up to
ties, so the distinct games per rung are counted too: against minimax a
rung may repeat a few games, and its standard error then says little.
Then the mistake rate by game stage: the distinct positions the arm met
with at least ``--mistake-from`` stones (12) in those games, at most
``--mistake-positions`` of them drawn at random, each solved with a
``--solver-limit`` second limit (the unanswered are counted as skipped); a
mistake is a move whose exact outcome (win / draw / loss) is worse than
the best move's. In a lost position no move is a mistake, so an arm that
is usually lost by move 12 shows a low rate (``lost_positions`` counts
them), and its opening mistakes (under 12 stones) are not measured.

The machine's two cores are shared with other work: the wall times are
upper bounds; ``uptime`` is recorded before and after.

Usage: python bench/alphago_connect_four.py [--minutes 8] [--seed 0] [--games 100] [--out DIR] [--json PATH]
Writes bench/results/alphago_connect_four.json and the checkpoints
(sl_policy.swiftpg, rl_policy.swiftpg, value.swiftpg) into ``--out``
(default runs/alphago_connect_four); play the agent with
``python -m swiftpg play connect_four --opponent OUT/sl_policy.swiftpg --value OUT/value.swiftpg --search 800``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import pickle
import signal
import subprocess
import time

import numpy as np

from swiftpg import board_networks as B
from swiftpg import game_players as P
from swiftpg import games
from swiftpg.game_players import _mix

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results", "alphago_connect_four.json")
MAX_MINUTES = 30.0

#: The recommended configuration for 6×7 (the settings of the measured run).
CONFIG = dict(
    epsilon=0.5,                 # share of random moves in the labelling games
    expert_simulations=3000,     # UCT expert where the solver is not asked or times out
    solver_from=14,              # the solver labels positions with at least this many stones ...
    solver_limit=0.5,            # ... when it answers within this many seconds
    label_share=0.7,             # share of step 1's budget spent labelling (the rest: fitting)
    hidden=(256, 256),           # MLP trunk of both networks
    trunk="mlp",                 # "conv": 3x3 convolutions with conv_channels instead (--trunk-comparison)
    conv_channels=(32, 32, 32),
    sl_learning_rate=1e-3,
    sl_minibatch=128,
    sl_chunk=5,                  # epochs between held-out checks (early stopping on the held-out loss)
    rl_games_per_iteration=128,
    rl_learning_rate=1e-4,
    snapshot_interval=10,
    pool_capacity=64,
    value_policy="sl",           # whose self-play games train the value network: "sl", or "rl" as AlphaGo (the
                                 # RL policy collapsed on 6x7 and its games taught "the second player wins")
    value_data_share=0.6,        # share of step 3's budget spent on self-play positions ...
    value_max_games=400000,      # ... up to this many games (memory: 1 KB a position, twice with mirrors)
    value_learning_rate=1e-3,
    value_minibatch=128,
    value_chunk=2,
    search_simulations=800,
    c_puct=B.DEFAULT_C_PUCT,
    tuning_opponent=1000,        # UCT budget of step 4's games
)


class _OutOfTime(Exception):
    pass


def _alarm(*_):
    raise _OutOfTime


def within(limit: float, fn, *args):
    """fn(*args), or None when it does not return within ``limit`` seconds
    (a SIGALRM stops the native call; main thread only)."""
    previous = signal.signal(signal.SIGALRM, _alarm)
    try:
        signal.setitimer(signal.ITIMER_REAL, limit)
        try:
            return fn(*args)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    except _OutOfTime:
        return None
    finally:
        signal.signal(signal.SIGALRM, previous)


def solver_for(game) -> P.ConnectFourSolver:
    p = game.get_parameters()
    return P.connect_four_solver(p["rows"], p["columns"], p["x_in_row"])


def state_of(game, moves):
    s = game.new_initial_state()
    for m in moves:
        s.apply_action(m)
    return s


def outcome_class(score) -> int:
    return (score > 0) - (score < 0)


def mirror(planes: np.ndarray, masks: np.ndarray, actions: np.ndarray):
    """The left–right mirror images: planes ``[M, C, H, W]``, masks ``[M, A]``, actions ``[M]``."""
    return planes[..., ::-1].copy(), masks[:, ::-1].copy(), (masks.shape[1] - 1 - actions).astype(np.int32)


# -- step 1 ----------------------------------------------------------------------------------------------
def label_positions(game, seconds: float, seed: int, cfg: dict, solver: P.ConnectFourSolver):
    """Expert-labelled distinct positions met within ``seconds`` (see the
    module). Returns (planes, masks, actions, sources) with sources counting
    the labels by origin."""
    rng = np.random.default_rng(seed)
    expert = P.MCTSPlayer(cfg["expert_simulations"])
    seen: dict = {}
    planes, masks, actions = [], [], []
    sources = {"mcts": 0, "solver": 0, "solver_timeouts": 0, "games": 0}
    deadline = time.monotonic() + seconds
    g = 0
    while time.monotonic() < deadline:
        with game.new_initial_state() as state:
            moves: list = []
            while not state.is_terminal() and time.monotonic() < deadline:
                key = tuple(moves)
                a = seen.get(key)
                if a is None:
                    a = -1
                    if len(moves) >= cfg["solver_from"]:
                        scores = within(cfg["solver_limit"], solver.column_scores, moves)
                        if scores is None:
                            sources["solver_timeouts"] += 1
                        else:
                            best = max(v for v in scores if v is not None)
                            a = int(rng.choice([c for c, v in enumerate(scores) if v == best]))
                            sources["solver"] += 1
                    if a < 0:
                        a = expert.action(state, seed=_mix(seed, g, len(moves)))
                        sources["mcts"] += 1
                    seen[key] = a
                    planes.append(state.planes())
                    masks.append(np.asarray(state.legal_actions_mask(), np.uint8))
                    actions.append(a)
                play = a if rng.random() >= cfg["epsilon"] else int(rng.choice(state.legal_actions()))
                state.apply_action(play)
                moves.append(play)
        g += 1
    sources["games"] = g
    return np.array(planes), np.array(masks, np.uint8), np.array(actions, np.int32), sources


def expert_check(game, seed: int, cfg: dict, solver, positions: int = 40, stones: int = 12, limit: float = 2.0):
    """How often the UCT expert's move is of the best exact class, on
    positions of ``stones`` stones from the labelling distribution (games
    with ε-random moves of the UCT expert) that the solver answers."""
    rng = np.random.default_rng(seed + 1)
    expert = P.MCTSPlayer(cfg["expert_simulations"])
    good = checked = 0
    attempts = 0
    while checked < positions and attempts < 4 * positions:
        attempts += 1
        with game.new_initial_state() as state:
            moves: list = []
            while len(moves) < stones and not state.is_terminal():
                a = expert.action(state, seed=_mix(seed, attempts, len(moves))) if rng.random() >= cfg["epsilon"] \
                    else int(rng.choice(state.legal_actions()))
                state.apply_action(a)
                moves.append(a)
            if state.is_terminal():
                continue
            scores = within(limit, solver.column_scores, moves)
            if scores is None:
                continue
            a = expert.action(state, seed=_mix(seed, attempts, 99))
            best = max(v for v in scores if v is not None)
            good += outcome_class(scores[a]) == outcome_class(best)
            checked += 1
    return {"positions": checked, "best_class": good, "stones": stones,
            "share": good / checked if checked else math.nan}


def fit_timed(seconds: float, net, fit, held_out_loss, chunk: int) -> dict:
    """Fits in chunks of ``chunk`` epochs (``fit(epochs)``, a fresh Adam
    each) while the next chunk fits in ``seconds``; keeps the parameters of
    the chunk with the least held-out loss (``held_out_loss(fit's result)``,
    early stopping). Returns {epochs, best_epochs, curve}."""
    start = time.monotonic()
    best = (math.inf, None, 0)
    epochs = 0
    curve = []
    while True:
        t = time.monotonic()
        out = fit(chunk)
        epochs += chunk
        loss = float(held_out_loss(out))
        curve.append([epochs, loss])
        if loss < best[0]:
            best = (loss, net.params.copy(), epochs)
        if time.monotonic() - start + (time.monotonic() - t) > seconds:
            break
    if best[1] is not None:
        net.params = best[1]
    return {"epochs": epochs, "best_epochs": best[2], "curve": curve}


def split_and_mirror(planes, masks, actions, seed: int):
    """5 % held out, by position up to mirror image: a position and its
    left–right mirror fall on the same side (else a held-out position could
    be trained on as the mirror of a training one); the training side gets
    its mirror images added. Returns (training with mirrors, held out,
    training without mirrors)."""
    n = len(actions)
    mirrored = mirror(planes, masks, actions)[0]
    keys = [min(planes[i].tobytes(), mirrored[i].tobytes()) for i in range(n)]
    index: dict[bytes, int] = {}
    group = np.array([index.setdefault(key, len(index)) for key in keys])
    groups = np.random.default_rng(seed).permutation(len(index))
    held_groups = np.zeros(len(index), bool)
    held_groups[groups[:max(1, len(index) // 20)]] = True
    held, train = np.flatnonzero(held_groups[group]), np.flatnonzero(~held_groups[group])
    mp, mm, ma = mirror(planes[train], masks[train], actions[train])
    training = (np.concatenate([planes[train], mp]), np.concatenate([masks[train], mm]),
                np.concatenate([actions[train], ma]))
    return training, (planes[held], masks[held], actions[held]), (planes[train], masks[train], actions[train])


def fit_policy(game, training, held_out, seconds: float, seed: int, cfg: dict, trunk: str, sizes) -> tuple:
    """A fresh policy network fitted for ``seconds`` (early stopping on the held-out loss)."""
    policy = B.PolicyNetwork(game, sizes, trunk=trunk, seed=seed)

    def fit(epochs):
        return policy.fit(*training, held_out=held_out, epochs=epochs, minibatch_size=cfg["sl_minibatch"],
                          learning_rate=cfg["sl_learning_rate"], seed=_mix(seed, epochs))

    fitted = fit_timed(seconds, policy, fit, lambda h: h["held_out_loss"][-1], cfg["sl_chunk"])
    return policy, fitted


def step_supervised(game, seconds: float, seed: int, cfg: dict, solver) -> tuple:
    start = time.monotonic()
    planes, masks, actions, sources = label_positions(game, seconds * cfg["label_share"], seed, cfg, solver)
    training, held_out, originals = split_and_mirror(planes, masks, actions, seed)
    sizes = cfg["conv_channels"] if cfg["trunk"] == "conv" else cfg["hidden"]
    policy, fitted = fit_policy(game, training, held_out, seconds - (time.monotonic() - start), seed, cfg,
                                cfg["trunk"], sizes)
    stats = {"positions": len(actions), "train_positions_with_mirrors": len(training[2]),
             "held_out_positions": len(held_out[2]), "sources": sources, **fitted,
             "held_out_accuracy": policy.accuracy(*held_out), "train_accuracy": policy.accuracy(*originals),
             "seconds": time.monotonic() - start}
    return policy, stats


def trunk_comparison(game, label_seconds: float, fit_seconds: float, seed: int, cfg: dict, solver,
                     games_: int = 100) -> dict:
    """The SL step's trunk choice: the same labelled positions fitted for
    the same time by the MLP (``hidden``) and by the ConvNet
    (``conv_channels``, 3×3): held-out top-1 accuracy and loss, the raw
    policy's score against UCT(316), and the time of a PUCT move of 400
    simulations with the network as prior (what the search pays)."""
    planes, masks, actions, sources = label_positions(game, label_seconds, seed, cfg, solver)
    training, held_out, _ = split_and_mirror(planes, masks, actions, seed)
    out = {"positions": len(actions), "sources": sources, "fit_seconds": fit_seconds, "trunks": {}}
    for trunk, sizes in (("mlp", cfg["hidden"]), ("conv", cfg["conv_channels"])):
        policy, fitted = fit_policy(game, training, held_out, fit_seconds, seed, cfg, trunk, sizes)
        with B.PUCTPlayer(policy, None, 400) as search, game.new_initial_state() as s:
            search.action(s, seed=0)  # the native copy of the network is made on the first move
            t = time.perf_counter()
            for k in range(5):
                search.action(s, seed=k)
            search_ms = (time.perf_counter() - t) / 5 * 1e3
        with B.PolicyPlayer(policy) as me, P.MCTSPlayer(316) as uct:
            versus = score_vs(game, me, uct, games_, _mix(seed, 5))
        out["trunks"][trunk] = {"sizes": list(sizes), "parameters": policy.num_params, **fitted,
                                "held_out_accuracy": policy.accuracy(*held_out),
                                "held_out_loss": min(c[1] for c in fitted["curve"]),  # the kept parameters
                                "puct400_ms_per_move": search_ms,
                                "raw_policy_vs_mcts316": versus}
    return out


# -- step 2 ----------------------------------------------------------------------------------------------
def score_vs(game, a, b, games_: int, seed: int) -> dict:
    r = P.arena(game, a, b, games_, seed)
    return {"wins": r.wins, "draws": r.draws, "losses": r.losses, "score": r.score, "interval": list(r.interval)}


def step_selfplay(game, sl, seconds: float, seed: int, cfg: dict, curve_points: int = 4,
                  curve_games: int = 200) -> tuple:
    start = time.monotonic()
    rl = pickle.loads(pickle.dumps(sl))
    learner = B.SelfPlayReinforce(game, rl, None, games_per_iteration=cfg["rl_games_per_iteration"],
                                  learning_rate=cfg["rl_learning_rate"], snapshot_interval=cfg["snapshot_interval"],
                                  pool_capacity=cfg["pool_capacity"], seed=seed)
    sl_player = B.PolicyPlayer(sl, temperature=1.0)
    curve = []
    iterations = 0
    next_point = seconds / curve_points
    reserve = 0.0
    with learner:
        while True:
            elapsed = time.monotonic() - start
            if elapsed >= next_point or elapsed + reserve >= seconds:
                t = time.monotonic()
                with B.PolicyPlayer(rl, temperature=1.0) as me:
                    s = score_vs(game, me, sl_player, curve_games, _mix(seed, iterations))
                reserve = time.monotonic() - t
                curve.append({"iteration": iterations, "seconds": time.monotonic() - start, "score_vs_sl": s["score"]})
                next_point += seconds / curve_points
                if time.monotonic() - start + reserve >= seconds:
                    break
            learner.iterate()
            iterations += 1
    sl_player.close()
    return rl, {"iterations": iterations, "games": iterations * cfg["rl_games_per_iteration"],
                "curve_vs_sl": curve, "seconds": time.monotonic() - start}


# -- step 3 ----------------------------------------------------------------------------------------------
def step_value(game, rl, seconds: float, seed: int, cfg: dict) -> tuple:
    """The value network on self-play games of ``rl`` (the policy of
    ``value_policy``)."""
    start = time.monotonic()
    t = time.monotonic()
    chunks = [B.value_targets(rl, 500, seed=_mix(seed, 0), game=game)]
    per_game = (time.monotonic() - t) / 500
    more = min(int((seconds * cfg["value_data_share"] - (time.monotonic() - start)) / per_game),
               cfg["value_max_games"] - 500)
    # In calls of at most 65536 games: value_targets plays its games as one batch, and the policy's
    # workspace (games × the layers' widths) must stay under the library's 2^28 elements.
    while more > 0:
        chunks.append(B.value_targets(rl, min(more, 65536), seed=_mix(seed, len(chunks)), game=game))
        more -= 65536
    planes = np.concatenate([c[0] for c in chunks])
    targets = np.concatenate([c[1] for c in chunks])
    n = len(targets)
    order = np.random.default_rng(seed).permutation(n)
    k = max(1, n // 20)
    held, train = order[:k], order[k:]
    tp = np.concatenate([planes[train], planes[train][..., ::-1]])
    tt = np.concatenate([targets[train], targets[train]])
    value = B.ValueNetwork(game, cfg["conv_channels"] if cfg["trunk"] == "conv" else cfg["hidden"], trunk=cfg["trunk"],
                           seed=_mix(seed, 3))
    held_out = (planes[held], targets[held])

    def fit(epochs):
        return value.fit(tp, tt, held_out=held_out, epochs=epochs, minibatch_size=cfg["value_minibatch"],
                         learning_rate=cfg["value_learning_rate"], seed=_mix(seed, epochs))

    fitted = fit_timed(seconds - (time.monotonic() - start), value, fit, lambda r: r[1], cfg["value_chunk"])
    mse = float(np.mean((value.values(planes[held]) - targets[held]) ** 2))
    baseline = float(np.mean((targets[held] - targets[train].mean()) ** 2))
    return value, {"games": n, **fitted, "held_out_mse": mse, "held_out_mse_of_constant": baseline,
                   "seconds": time.monotonic() - start}


# -- step 4 and the arms ---------------------------------------------------------------------------------
class OnePlyValue:
    """The ``value`` arm: the move maximising the child's outcome (its
    result if the move ends the game, else −V(child)), ties to the lowest
    column. A callable ``f(state) -> action``."""

    def __init__(self, value: B.ValueNetwork):
        self.value = value

    def __call__(self, state) -> int:
        best, choice = -math.inf, -1
        me = state.current_player()
        for a in state.legal_actions():
            with state.child(a) as child:
                if child.is_terminal():
                    v = child.returns()[me]
                else:
                    v = -self.value.evaluate(child)
            if v > best:
                best, choice = v, a
        return choice

    def action(self, state, seed: int = 0) -> int:
        return self(state)

    def close(self):
        pass


def step_search(game, sl, rl, value, seconds: float, seed: int, cfg: dict, chunk: int = 10) -> tuple:
    start = time.monotonic()
    candidates = [("sl", 0.5), ("rl", 0.5), ("sl", 0.0), ("rl", 0.0)]
    players = [B.PUCTPlayer(sl if p == "sl" else rl, value, cfg["search_simulations"], c_puct=cfg["c_puct"],
                            rollout_weight=lam) for p, lam in candidates]
    opponent = P.MCTSPlayer(cfg["tuning_opponent"])
    records = [[0, 0, 0] for _ in candidates]
    rounds = 0
    while rounds == 0 or time.monotonic() - start < seconds:
        for i, pl in enumerate(players):
            r = P.arena(game, pl, opponent, chunk, _mix(seed, rounds, i))
            records[i][0] += r.wins
            records[i][1] += r.draws
            records[i][2] += r.losses
        rounds += 1
    scores = [(w + d / 2) / (w + d + l) for w, d, l in records]
    best = int(np.argmax(scores))
    for p in players:
        p.close()
    opponent.close()
    table = [{"prior": p, "rollout_weight": lam, "wins": r[0], "draws": r[1], "losses": r[2], "score": s}
             for (p, lam), r, s in zip(candidates, records, scores)]
    return candidates[best], {"opponent": f"mcts({cfg['tuning_opponent']})", "table": table,
                              "chosen": {"prior": candidates[best][0], "rollout_weight": candidates[best][1]},
                              "seconds": time.monotonic() - start}


def play_games(game, agent, opponent, n: int, seed: int):
    """``n`` games of ``agent`` against ``opponent`` from the empty board,
    the agent first in games 0, 2, 4, …. Returns (counts {seat: [w, d,
    l]}, distinct games, the agent's (moves, action) pairs)."""
    counts = {"first": [0, 0, 0], "second": [0, 0, 0]}
    distinct = set()
    met = []
    for i in range(n):
        agent_seat = i % 2
        with game.new_initial_state() as state:
            moves: list = []
            while not state.is_terminal():
                p = agent if state.current_player() == agent_seat else opponent
                a = p.action(state, seed=_mix(seed, i, len(moves)))
                if p is agent:
                    met.append((tuple(moves), a))
                state.apply_action(a)
                moves.append(a)
            r = state.returns()[agent_seat]
        counts["first" if agent_seat == 0 else "second"][0 if r > 0 else (1 if r == 0 else 2)] += 1
        distinct.add(tuple(moves))
    return counts, len(distinct), met


def summarise(counts: dict, distinct: int) -> dict:
    w = counts["first"][0] + counts["second"][0]
    d = counts["first"][1] + counts["second"][1]
    l_ = counts["first"][2] + counts["second"][2]
    n = w + d + l_
    score = (w + d / 2) / n
    var = (w * (1 - score) ** 2 + d * (0.5 - score) ** 2 + l_ * score ** 2) / n
    return {"wins": w, "draws": d, "losses": l_, "games": n, "score": score,
            "score_se": math.sqrt(var / n), "win_rate": w / n, "as_first": counts["first"],
            "as_second": counts["second"], "distinct_games": distinct}


def stage_edges(game, start: int, stages: int = 4) -> list:
    cells = game.max_game_length()
    return [int(round(x)) for x in np.linspace(start, cells, stages + 1)]


def mistake_rates(game, met, solver, cache: dict, edges: list, cap: int, limit: float, seed: int) -> dict:
    """Mistake rates by stage on the distinct positions of ``met`` with at
    least edges[0] stones, at most ``cap`` drawn at random (see the module)."""
    pairs = sorted({(m, a) for m, a in met if len(m) >= edges[0]})
    rng = np.random.default_rng(seed)
    if len(pairs) > cap:
        pairs = [pairs[i] for i in sorted(rng.choice(len(pairs), cap, replace=False))]
    stages = [{"stones": [a, b - 1], "positions": 0, "mistakes": 0, "skipped": 0, "lost": 0}
              for a, b in zip(edges, edges[1:])]
    for moves, a in pairs:
        k = min(np.searchsorted(edges, len(moves), side="right") - 1, len(stages) - 1)
        if moves not in cache:
            cache[moves] = within(limit, solver.column_scores, list(moves))
        scores = cache[moves]
        if scores is None:
            stages[k]["skipped"] += 1
            continue
        best = max(v for v in scores if v is not None)
        stages[k]["positions"] += 1
        stages[k]["lost"] += int(outcome_class(best) < 0)  # every move loses: no mistake is possible
        stages[k]["mistakes"] += int(outcome_class(scores[a]) < outcome_class(best))
    for s in stages:
        s["rate"] = s["mistakes"] / s["positions"] if s["positions"] else math.nan
    total = sum(s["positions"] for s in stages)
    mistakes = sum(s["mistakes"] for s in stages)
    return {"distinct_positions_met": len({(m, a) for m, a in met if len(m) >= edges[0]}),
            "positions": total, "mistakes": mistakes, "skipped": sum(s["skipped"] for s in stages),
            "lost_positions": sum(s["lost"] for s in stages),
            "rate": mistakes / total if total else math.nan,
            "rate_se": math.sqrt(mistakes / total * (1 - mistakes / total) / total) if total else math.nan,
            "by_stage": stages}


def value_exact_mse(game, value, cache: dict) -> dict:
    """MSE of V against the exact outcome (±1, 0) on the solved positions."""
    errors = []
    for moves, scores in cache.items():
        if scores is None:
            continue
        exact = outcome_class(max(v for v in scores if v is not None))
        with state_of(game, moves) as s:
            errors.append((value.evaluate(s) - exact) ** 2)
    return {"positions": len(errors), "mse": float(np.mean(errors)) if errors else math.nan}


def uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unavailable"


def run(game, args, cfg: dict, log=print) -> dict:
    """The four steps and the ablation; returns the report (see the module)."""
    budget = args.minutes * 60
    report = {"game": {"name": "connect_four", **game.get_parameters()}, "seed": args.seed,
              "minutes_per_step": args.minutes, "config": {k: list(v) if isinstance(v, tuple) else v
                                                           for k, v in cfg.items()},
              "uptime_start": uptime(), "steps": {}}
    os.makedirs(args.out, exist_ok=True)
    with solver_for(game) as solver:
        if args.expert_check:
            t = time.monotonic()
            report["expert_check"] = expert_check(game, args.seed, cfg, solver, positions=args.expert_check,
                                                  stones=args.mistake_from)
            report["expert_check"]["seconds"] = time.monotonic() - t
            e = report["expert_check"]
            log(f"expert check: UCT({cfg['expert_simulations']}) picks a best-class move on {e['best_class']}/"
                f"{e['positions']} solver-checked {e['stones']}-stone positions")
        if args.resume:
            # Steps 1 and 2 from an earlier run's checkpoints (their numbers are in that run's report).
            sl = B.load_network(os.path.join(args.resume, "sl_policy.swiftpg"), game)
            rl = B.load_network(os.path.join(args.resume, "rl_policy.swiftpg"), game)
            report["resumed_from"] = args.resume
            sl.save(os.path.join(args.out, "sl_policy.swiftpg"))
            rl.save(os.path.join(args.out, "rl_policy.swiftpg"))
        else:
            sl, s1 = step_supervised(game, budget, args.seed, cfg, solver)
            report["steps"]["supervised"] = s1
            sl.save(os.path.join(args.out, "sl_policy.swiftpg"))
            log(f"step 1 (SL): {s1['positions']} positions {s1['sources']}, {s1['epochs']} epochs (kept "
                f"{s1['best_epochs']}), held-out top-1 "
                f"{s1['held_out_accuracy']:.3f}, {s1['seconds']:.0f} s")
            rl, s2 = step_selfplay(game, sl, budget, args.seed, cfg)
            report["steps"]["self_play"] = s2
            rl.save(os.path.join(args.out, "rl_policy.swiftpg"))
            log(f"step 2 (RL): {s2['iterations']} iterations, score vs SL "
                + ", ".join(f"{c['score_vs_sl']:.3f}@{c['iteration']}" for c in s2["curve_vs_sl"])
                + f", {s2['seconds']:.0f} s")
        value, s3 = step_value(game, sl if cfg["value_policy"] == "sl" else rl, budget, args.seed, cfg)
        report["steps"]["value"] = s3
        value.save(os.path.join(args.out, "value.swiftpg"))
        log(f"step 3 (value): {s3['games']} games, {s3['epochs']} epochs (kept {s3['best_epochs']}), held-out MSE {s3['held_out_mse']:.4f} "
            f"(constant predictor {s3['held_out_mse_of_constant']:.4f}), {s3['seconds']:.0f} s")
        (prior, lam), s4 = step_search(game, sl, rl, value, budget, args.seed, cfg)
        report["steps"]["search"] = s4
        log(f"step 4 (search): " + ", ".join(f"{r['prior']}/λ={r['rollout_weight']}: {r['score']:.3f} "
                                             f"({r['wins']}/{r['draws']}/{r['losses']})" for r in s4["table"])
            + f" -> {prior}, λ={lam}, {s4['seconds']:.0f} s")
        report["checkpoints"] = {name: os.path.join(args.out, f"{name}.swiftpg")
                                 for name in ("sl_policy", "rl_policy", "value")}
        report["search"] = {"prior": prior, "rollout_weight": lam, "simulations": cfg["search_simulations"],
                            "c_puct": cfg["c_puct"]}

        t = time.monotonic()
        with B.PolicyPlayer(rl, 1.0) as a, B.PolicyPlayer(sl, 1.0) as b:
            report["rl_vs_sl_sampling"] = score_vs(game, a, b, args.rl_vs_sl_games, _mix(args.seed, 7))
        with B.PolicyPlayer(rl) as a, B.PolicyPlayer(sl) as b:
            report["rl_vs_sl_greedy"] = score_vs(game, a, b, 2, _mix(args.seed, 8))
        report["rl_vs_sl_seconds"] = time.monotonic() - t
        r = report["rl_vs_sl_sampling"]
        log(f"RL vs SL (both sampling, {args.rl_vs_sl_games} games): score {r['score']:.3f} "
            f"({r['wins']}/{r['draws']}/{r['losses']}); greedy: {report['rl_vs_sl_greedy']}")

        arms = {"sl": B.PolicyPlayer(sl), "rl": B.PolicyPlayer(rl), "value": OnePlyValue(value),
                "search": B.PUCTPlayer(sl if prior == "sl" else rl, value, cfg["search_simulations"],
                                       c_puct=cfg["c_puct"], rollout_weight=lam)}
        opponents = [(f"mcts({n})", P.MCTSPlayer(n)) for n in args.mcts] + \
                    [(f"minimax({d})", P.MinimaxPlayer(d)) for d in args.minimax]
        edges = stage_edges(game, args.mistake_from)
        cache: dict = {}
        report["arms"] = {}
        for arm, agent in arms.items():
            t = time.monotonic()
            met_all = []
            rungs = {}
            for k, (label, opp) in enumerate(opponents):
                counts, distinct, met = play_games(game, agent, opp, args.games, _mix(args.seed, 100 + k))
                rungs[label] = summarise(counts, distinct)
                met_all += met
                r = rungs[label]
                log(f"  {arm} vs {label}: {r['wins']}/{r['draws']}/{r['losses']} score {r['score']:.3f} ± "
                    f"{r['score_se']:.3f} ({distinct} distinct games) [{time.monotonic() - t:.0f} s]")
            play_seconds = time.monotonic() - t
            m = mistake_rates(game, met_all, solver, cache, edges, args.mistake_positions, args.solver_limit,
                              _mix(args.seed, 200))
            report["arms"][arm] = {"rungs": rungs, "mistakes": m, "play_seconds": play_seconds,
                                   "mistake_seconds": time.monotonic() - t - play_seconds}
            log(f"{arm}: mistake rate {m['rate']:.3f} ± {m['rate_se']:.3f} over {m['positions']} positions "
                f"({m['skipped']} skipped); by stage "
                + ", ".join(f"{s['stones'][0]}-{s['stones'][1]}: {s['mistakes']}/{s['positions']}"
                            for s in m["by_stage"]))
            agent.close()
        for _, opp in opponents:
            opp.close()
        report["value_exact"] = value_exact_mse(game, value, cache)
        log(f"value network vs exact outcomes: MSE {report['value_exact']['mse']:.4f} over "
            f"{report['value_exact']['positions']} solved positions")
    report["uptime_end"] = uptime()
    return report


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=8.0, help=f"budget per step (default 8, at most {MAX_MINUTES:g})")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--games", type=int, default=100, help="games per ladder opponent, half per seat (default 100)")
    ap.add_argument("--mcts", type=int, nargs="*", default=[100, 316, 1000, 3162])
    ap.add_argument("--minimax", type=int, nargs="*", default=[2, 4, 6])
    ap.add_argument("--search-simulations", type=int, default=CONFIG["search_simulations"])
    ap.add_argument("--mistake-from", type=int, default=12, help="least stones of a mistake-rate position (12)")
    ap.add_argument("--mistake-positions", type=int, default=300, help="at most this many per arm (300)")
    ap.add_argument("--solver-limit", type=float, default=1.0, help="seconds per mistake-rate position (1)")
    ap.add_argument("--rl-vs-sl-games", type=int, default=1000)
    ap.add_argument("--expert-check", type=int, default=40, help="positions of the expert's check (0: none)")
    ap.add_argument("--rows", type=int, default=6)
    ap.add_argument("--columns", type=int, default=7)
    ap.add_argument("--x-in-row", type=int, default=4)
    ap.add_argument("--config", nargs="*", default=[], metavar="KEY=VALUE", help="CONFIG overrides")
    ap.add_argument("--trunk-comparison", type=float, nargs=2, metavar=("LABEL_MIN", "FIT_MIN"),
                    help="only compare the MLP and ConvNet SL policies on the same labels (minutes of labelling, "
                         "of fitting each) and write that to --json")
    ap.add_argument("--resume", metavar="DIR", help="take steps 1 and 2 from DIR's sl_policy.swiftpg and "
                    "rl_policy.swiftpg (an earlier run's --out) and run steps 3 and 4 and the evaluation")
    ap.add_argument("--out", default=os.path.join("runs", "alphago_connect_four"))
    ap.add_argument("--json", default=RESULTS)
    args = ap.parse_args(argv)
    if not (0 < args.minutes <= MAX_MINUTES):
        ap.error(f"--minutes must be in (0, {MAX_MINUTES:g}]")
    if args.games < 2 or args.games % 2:
        ap.error("--games must be an even number >= 2")
    cfg = dict(CONFIG, search_simulations=args.search_simulations)
    for item in args.config:
        key, _, value = item.partition("=")
        if key not in CONFIG:
            ap.error(f"unknown config key {key!r}; keys: {', '.join(CONFIG)}")
        d = CONFIG[key]
        cfg[key] = tuple(int(v) for v in value.split(",")) if isinstance(d, tuple) else type(d)(value)
    game = games.load("connect_four", rows=args.rows, columns=args.columns, x_in_row=args.x_in_row)
    start = time.monotonic()
    if args.trunk_comparison:
        with solver_for(game) as solver:
            report = {"uptime_start": uptime(), "seed": args.seed, "config": {
                k: list(v) if isinstance(v, tuple) else v for k, v in cfg.items()}}
            report["trunk_comparison"] = trunk_comparison(game, 60 * args.trunk_comparison[0],
                                                          60 * args.trunk_comparison[1], args.seed, cfg, solver)
            report["uptime_end"] = uptime()
        for trunk, r in report["trunk_comparison"]["trunks"].items():
            print(f"{trunk} {r['sizes']}: {r['parameters']} parameters, {r['epochs']} epochs (kept "
                  f"{r['best_epochs']}), held-out top-1 {r['held_out_accuracy']:.3f}, PUCT(400) "
                  f"{r['puct400_ms_per_move']:.0f} ms a move, raw policy vs UCT(316) {r['raw_policy_vs_mcts316']['score']:.3f}")
    else:
        report = run(game, args, cfg, log=lambda s: print(s, flush=True))
    report["total_seconds"] = time.monotonic() - start
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1)
        print(f"wrote {args.json}")
    return report


if __name__ == "__main__":
    main()
