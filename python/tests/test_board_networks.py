"""Issue 18 from Python: board policy and value networks (masked softmax,
gradients against finite differences, checkpoints and pickling, refusals
that change nothing), the supervised step on solver moves, value targets
and regression, the PUCT and raw-policy players in the arena, self-play
policy gradient improving against random on tic-tac-toe, AlphaZero, and
`python -m swiftpg play ... --opponent PATH`."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys

import numpy as np
import pytest

from swiftpg import _lib, board_networks as B, game_players as P, games as G

TTT = G.load("tic_tac_toe")


def positions(n=4, seed=0, moves=3):
    """Planes, masks and legal actions of n tic-tac-toe positions a few random moves in."""
    rng = np.random.default_rng(seed)
    with TTT.new_batch(n) as batch:
        for _ in range(moves):
            mask = batch.legal_mask()
            batch.step(np.array([rng.choice(np.flatnonzero(m)) for m in mask], np.int32))
        mask = batch.legal_mask()
        actions = np.array([rng.choice(np.flatnonzero(m)) for m in mask], np.int32)
        return batch.planes(), mask, actions


def sharpen(net, scale=0.3):
    net.params = scale * np.sin(1.3 * np.arange(net.num_params) + 0.2)


@pytest.mark.parametrize("trunk,sizes", [("mlp", (8,)), ("conv", (3, 2))])
def test_policy_masks_illegal_actions_and_gradient_matches_finite_differences(trunk, sizes):
    net = B.PolicyNetwork(TTT, sizes, trunk=trunk, seed=3)
    sharpen(net)
    planes, masks, actions = positions(3)
    probs = net.probabilities(planes, masks)
    assert np.all(probs[masks == 0] == 0) and np.allclose(probs.sum(1), 1, atol=1e-12)
    assert np.all(np.isneginf(net.log_probabilities(planes, masks)[masks == 0]))
    w = np.array([1.0, -0.5, 2.0])
    obj, grad, logs = net.gradient(planes, masks, actions, w)
    assert np.allclose(logs, np.log(probs[np.arange(3), actions]))
    assert obj == pytest.approx(float(w @ logs))
    theta = net.params
    h = 1e-6
    for i in np.random.default_rng(1).choice(net.num_params, 25, replace=False):
        for sign in (1, -1):
            t = theta.copy()
            t[i] += sign * h
            net.params = t
            if sign == 1:
                hi = net.gradient(planes, masks, actions, w)[0]
            else:
                lo = net.gradient(planes, masks, actions, w)[0]
        fd = (hi - lo) / (2 * h)
        assert abs(fd - grad[i]) <= 1e-6 * (1 + abs(fd)), (i, fd, grad[i])
    net.params = theta


def test_value_gradient_matches_finite_differences_and_values_are_bounded():
    net = B.ValueNetwork(TTT, (2, 2), trunk="conv", seed=5)
    sharpen(net, 0.5)
    planes, _, _ = positions(4, seed=2)
    targets = np.array([1.0, -1.0, 0.0, 1.0])
    loss, grad, values = net.gradient(planes, targets)
    assert np.all(np.abs(values) <= 1) and np.allclose(values, net.values(planes))
    assert loss == pytest.approx(0.5 * np.sum((values - targets) ** 2))
    theta = net.params
    h = 1e-6
    for i in range(0, net.num_params, 3):
        t = theta.copy()
        t[i] += h
        net.params = t
        hi = net.gradient(planes, targets)[0]
        t[i] -= 2 * h
        net.params = t
        lo = net.gradient(planes, targets)[0]
        fd = (hi - lo) / (2 * h)
        assert abs(fd - grad[i]) <= 1e-6 * (1 + abs(fd)), (i, fd, grad[i])


def test_evaluate_game_matches_forward_and_finished_rows_are_zero():
    net = B.PolicyNetwork(TTT, (8,), seed=1)
    with TTT.new_batch(2) as batch:
        for a in ([0, 0], [3, 1], [1, 2], [4, 3], [2, 4]):  # game 0 ends: x takes the top row
            batch.step(np.array(a, np.int32), active=np.array([1, 1], np.uint8) if not batch.is_terminal()[0]
                       else np.array([0, 1], np.uint8))
        out = net.evaluate(batch)
        assert batch.is_terminal()[0] and np.all(out[0] == 0)
        assert np.allclose(out[1], net.probabilities(batch.planes()[1:], batch.legal_mask()[1:])[0])


def test_same_seed_same_network_and_float32_option():
    a, b = B.PolicyNetwork(TTT, (8,), seed=9), B.PolicyNetwork(TTT, (8,), seed=9)
    c = B.PolicyNetwork(TTT, (8,), seed=10)
    assert np.array_equal(a.params, b.params) and not np.array_equal(a.params, c.params)
    planes, masks, _ = positions(2)
    p64 = a.probabilities(planes, masks)
    a.set_precision(32)
    assert a.precision == 32
    assert np.allclose(a.probabilities(planes, masks), p64, atol=1e-5)


def test_bad_arguments_raise_and_change_nothing():
    net = B.PolicyNetwork(TTT, (8,), seed=2)
    theta = net.params
    planes, masks, actions = positions(2)
    with pytest.raises(_lib.InvalidArgumentError):
        net.probabilities(planes[:, :2], masks)                      # wrong plane shape
    with pytest.raises(_lib.InvalidArgumentError):
        net.probabilities(planes, masks[:, :8])                      # wrong mask shape
    with pytest.raises(_lib.InvalidArgumentError):
        net.probabilities(planes, np.zeros_like(masks))              # no legal action
    illegal = actions.copy()
    illegal[0] = int(np.flatnonzero(masks[0] == 0)[0])
    with pytest.raises(_lib.InvalidArgumentError):
        net.gradient(planes, masks, illegal)
    with pytest.raises(_lib.InvalidArgumentError):
        net.params = np.zeros(net.num_params + 1)
    with pytest.raises(_lib.SwiftPGError):
        net.fit(planes, masks, actions, epochs=1, learning_rate=-1.0)
    assert np.array_equal(net.params, theta)
    # A network of another game, through the native checks.
    c3 = G.load("connect_four", rows=4, columns=5, x_in_row=3)
    other = B.PolicyNetwork(c3, (4,), seed=0)
    with TTT.new_batch(1) as batch, pytest.raises(_lib.InvalidArgumentError):
        other.evaluate(batch)
    with pytest.raises(_lib.InvalidArgumentError):
        P.arena(TTT, B.PolicyPlayer(other), P.RandomPlayer(), 2)
    # A foreign handle (a game's) where a network's is expected, at the C boundary.
    out = np.zeros(18)
    with TTT.new_batch(1) as batch:
        status = _lib.lib.swiftpg_board_net_forward(batch.handle, planes.ctypes.data, masks.ctypes.data, 2,
                                                    out.ctypes.data)
    assert status == _lib.ERR_BAD_HANDLE and np.all(out == 0)
    with pytest.raises(TypeError):
        B.SelfPlayReinforce(TTT, B.ValueNetwork(TTT, (4,)))
    assert np.array_equal(net.params, theta)


def test_checkpoint_round_trip_pickle_and_corrupted_file(tmp_path):
    net = B.ValueNetwork(TTT, (3,), trunk="conv", seed=4)
    net.set_precision(32)
    path = tmp_path / "v.swiftpg"
    net.save(path)
    loaded = B.load_network(path, TTT)
    assert isinstance(loaded, B.ValueNetwork) and loaded.precision == 32 and loaded.trunk == "conv"
    assert np.array_equal(loaded.params, net.params)
    planes, _, _ = positions(3)
    assert np.array_equal(loaded.values(planes), net.values(planes))
    copy = pickle.loads(pickle.dumps(net))
    assert np.array_equal(copy.values(planes), net.values(planes))
    data = bytearray(path.read_bytes())
    for k in (10, len(data) // 2, len(data) - 3):
        bad = bytearray(data)
        bad[k] ^= 0x40
        (tmp_path / "bad").write_bytes(bytes(bad))
        with pytest.raises(_lib.BadFormatError):
            B.load_network(tmp_path / "bad")
    (tmp_path / "short").write_bytes(bytes(data[:-9]))
    with pytest.raises(_lib.BadFormatError):
        B.load_network(tmp_path / "short")
    with pytest.raises(_lib.InvalidArgumentError):
        B.load_network(path, G.load("connect_four", rows=4, columns=5, x_in_row=3))


def test_supervised_step_learns_solver_moves_with_held_out_accuracy():
    data = B.expert_moves(TTT, P.SolverPlayer(), num_games=150, held_out_share=0.2, seed=1)
    assert len(data.held_actions) > 0 and len(data.actions) > 3 * len(data.held_actions)
    assert np.all(data.masks[np.arange(len(data.actions)), data.actions] == 1)
    net = B.PolicyNetwork(TTT, (64,), seed=0)
    before = net.accuracy(*data.held_out)
    history = net.fit(data.planes, data.masks, data.actions, held_out=data.held_out, epochs=30,
                      minibatch_size=32, learning_rate=3e-3, seed=0)
    assert history["held_out_accuracy"].shape == (30,)
    assert history["loss"][-1] < history["loss"][0]
    # Solver moves are ties among several best moves; still the fit must beat the untrained net clearly.
    assert history["accuracy"][-1] > 0.6 and history["held_out_accuracy"][-1] > before + 0.15, (before, history)


def test_value_targets_and_regression():
    policy = B.PolicyNetwork(TTT, (16,), seed=0)
    planes, targets = B.value_targets(policy, num_games=400, seed=3)
    assert planes.shape == (400, 3, 3, 3) and set(np.unique(targets)) <= {-1.0, 0.0, 1.0}
    again = B.value_targets(policy, num_games=400, seed=3)
    assert np.array_equal(again[0], planes) and np.array_equal(again[1], targets)
    value = B.ValueNetwork(TTT, (32,), seed=0)
    losses, mse = value.fit(planes[:300], targets[:300], held_out=(planes[300:], targets[300:]), epochs=20,
                            minibatch_size=32, learning_rate=3e-3)
    base = float(np.mean((targets[300:] - targets[:300].mean()) ** 2))
    assert losses[-1] < losses[0] and np.isfinite(mse)
    assert mse < base + 0.1, (mse, base)   # no worse than the constant predictor, within noise


def test_puct_and_policy_players_in_the_arena():
    rollouts = B.PUCTPlayer(simulations=200, rollout_weight=1.0)
    r = P.arena(TTT, rollouts, P.RandomPlayer(), 20, seed=2)
    assert r.losses <= 1 and r.wins >= 14, r
    net = B.PolicyNetwork(TTT, (8,), seed=0)
    greedy = B.PolicyPlayer(net)
    state = TTT.new_initial_state()
    state.apply_action(4)
    mask = np.zeros(9, np.uint8)
    mask[state.legal_actions()] = 1
    probs = net.probabilities(state.planes(), mask)[0]
    assert probs[greedy.action(state, seed=0)] == probs.max()
    assert P.arena(TTT, greedy, greedy, 2).games == 2
    with pytest.raises(_lib.InvalidArgumentError):
        B.PUCTPlayer(net, c_puct=0.0)
    with pytest.raises(_lib.InvalidArgumentError):
        B.PolicyPlayer(net, temperature=-1)
    copy = pickle.loads(pickle.dumps(B.PUCTPlayer(net, simulations=7)))
    assert copy.simulations == 7 and np.array_equal(copy.policy.params, net.params)


def test_selfplay_improves_against_random_and_replays_by_seed():
    def run(seed):
        policy = B.PolicyNetwork(TTT, (32,), seed=seed)
        learner = B.SelfPlayReinforce(TTT, policy, games_per_iteration=64, learning_rate=0.01,
                                      snapshot_interval=5, seed=seed)
        stats = [learner.iterate() for _ in range(40)]
        return policy, stats

    policy0 = B.PolicyNetwork(TTT, (32,), seed=0)
    before = P.arena(TTT, B.PolicyPlayer(policy0, temperature=1.0), P.RandomPlayer(), 400, seed=5).score
    policy, stats = run(0)
    assert stats[-1].iteration == 40 and stats[-1].pool_size == 9
    assert all(s.games == 64 and s.wins + s.draws + s.losses == 64 for s in stats)
    after = P.arena(TTT, B.PolicyPlayer(policy, temperature=1.0), P.RandomPlayer(), 400, seed=5).score
    # 400 games: a score's standard error is below 0.025; demand 4 of them.
    assert after > before + 0.1, (before, after)
    again, _ = run(0)
    assert np.array_equal(again.params, policy.params)


def test_alphazero_improves_the_raw_policy_against_random():
    policy, value = B.PolicyNetwork(TTT, (64,), seed=0), B.ValueNetwork(TTT, (64,), seed=0)
    before = P.arena(TTT, B.PolicyPlayer(policy), P.RandomPlayer(), 400, seed=5).score
    az = B.AlphaZero(TTT, policy, value, games_per_iteration=32, simulations=32, epochs=4, learning_rate=3e-3, seed=0)
    stats = [az.iterate() for _ in range(15)]
    assert stats[-1].policy_loss < stats[0].policy_loss
    after = P.arena(TTT, B.PolicyPlayer(policy), P.RandomPlayer(), 400, seed=5).score
    # 400 games: standard errors below 0.025; measured 0.44 -> 0.72.
    assert after > before + 0.15, (before, after)


def test_alphazero_iterates_and_cancels_cleanly():
    policy, value = B.PolicyNetwork(TTT, (16,), seed=1), B.ValueNetwork(TTT, (16,), seed=1)
    az = B.AlphaZero(TTT, policy, value, games_per_iteration=4, simulations=16, epochs=2, seed=3)
    s = az.iterate()
    assert s.games == 4 and s.examples >= 20 and s.iteration == 1
    assert s.policy_loss >= s.target_entropy - 1e-9 and np.isfinite(s.value_loss)
    theta = policy.params
    _lib.call("cancel", az.handle, 1)
    with pytest.raises(_lib.CancelledError):
        az.iterate()
    assert np.array_equal(policy.params, theta)
    policy.params = theta          # the learner is idle: its networks are free again
    az.close()
    with pytest.raises(TypeError):
        pickle.dumps(az)


def test_cli_play_against_a_saved_network(tmp_path):
    net = B.PolicyNetwork(TTT, (8,), seed=0)
    path = tmp_path / "p.swiftpg"
    net.save(path)
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(os.path.abspath(B.__file__))))
    moves = "\n".join(str(m) for m in range(9)) + "\n"
    out = subprocess.run([sys.executable, "-m", "swiftpg", "play", "tic_tac_toe", "--opponent", str(path), "--first"],
                         input=moves, capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "network player plays" in out.stdout and ("you win" in out.stdout or "you lose" in out.stdout
                                                      or "draw" in out.stdout or "bye" in out.stdout)
    bad = subprocess.run([sys.executable, "-m", "swiftpg", "play", "connect_four", "--opponent", str(path)],
                         input="", capture_output=True, text=True, env=env, timeout=60)
    assert bad.returncode == 2 and "planes" in bad.stderr
    go = G.load("go", board_size=5)
    B.PolicyNetwork(go, (8,), seed=0).save(tmp_path / "go.swiftpg")
    out = subprocess.run([sys.executable, "-m", "swiftpg", "play", "go", "--board-size", "5", "--opponent",
                          str(tmp_path / "go.swiftpg"), "--search", "20"], input="c3\nzz\n", capture_output=True,
                         text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "network player plays" in out.stdout and "'zz' is not a legal move" in out.stdout
    # With a value network the leaves mix in rollouts (--rollout-weight, AlphaGo's λ); λ outside [0, 1] is refused.
    B.ValueNetwork(TTT, (8,), seed=0).save(tmp_path / "v.swiftpg")
    base = [sys.executable, "-m", "swiftpg", "play", "tic_tac_toe", "--opponent", str(path), "--value",
            str(tmp_path / "v.swiftpg"), "--search", "16", "--first"]
    out = subprocess.run(base + ["--rollout-weight", "0.5"], input=moves, capture_output=True, text=True, env=env,
                         timeout=60)
    assert out.returncode == 0 and "network player plays" in out.stdout, out.stderr
    bad = subprocess.run(base + ["--rollout-weight", "2"], input=moves, capture_output=True, text=True, env=env,
                         timeout=60)
    assert bad.returncode == 2 and "rollout_weight" in bad.stderr, bad.stderr


def test_learner_checkpoint_continues_exactly_and_refuses_other_files(tmp_path):
    policy, value = B.PolicyNetwork(TTT, (16,), seed=2), B.ValueNetwork(TTT, (16,), seed=2)
    learner = B.SelfPlayReinforce(TTT, policy, value, games_per_iteration=16, snapshot_interval=2, seed=4)
    for _ in range(5):
        learner.iterate()
    path = tmp_path / "learner.swiftpg"
    learner.save(path)
    later = [learner.iterate() for _ in range(3)]
    expected = policy.params, value.params
    # A fresh learner (other initial networks, same settings) continues from the file.
    p2, v2 = B.PolicyNetwork(TTT, (16,), seed=7), B.ValueNetwork(TTT, (16,), seed=7)
    resumed = B.SelfPlayReinforce(TTT, p2, v2, games_per_iteration=16, snapshot_interval=2, seed=4)
    resumed.load(path)
    again = [resumed.iterate() for _ in range(3)]
    assert again == later
    assert np.array_equal(p2.params, expected[0]) and np.array_equal(v2.params, expected[1])
    # Refusals change nothing: another architecture, no value network, a damaged file, a network file.
    before = p2.params
    other = B.SelfPlayReinforce(TTT, B.PolicyNetwork(TTT, (8,), seed=0), games_per_iteration=4)
    with pytest.raises(_lib.BadFormatError):
        other.load(path)
    data = bytearray(path.read_bytes())
    data[len(data) // 3] ^= 0x08
    (tmp_path / "bad").write_bytes(bytes(data))
    with pytest.raises(_lib.BadFormatError):
        resumed.load(tmp_path / "bad")
    p2.save(tmp_path / "net")
    with pytest.raises(_lib.BadFormatError):
        resumed.load(tmp_path / "net")
    az = B.AlphaZero(TTT, p2, v2, games_per_iteration=1, simulations=4, epochs=1)
    with pytest.raises(_lib.BadFormatError):
        az.load(path)
    assert np.array_equal(p2.params, before)
    az.iterate()
    az.save(tmp_path / "az")
    az.load(tmp_path / "az")


def test_networks_that_overflow_make_the_search_fail_cleanly():
    """A network whose outputs overflow to NaN (extreme but finite
    parameters) makes PUCT search and the AlphaZero learner raise
    NumericalError instead of trapping (the C fuzzer found the trap), in a
    subprocess in case it kills the process."""
    code = """
import numpy as np
from swiftpg import board_networks as B, games as G, NumericalError
game = G.load("tic_tac_toe")
policy, value = B.PolicyNetwork(game, sizes=(8,), seed=0), B.ValueNetwork(game, sizes=(8,), seed=1)
policy.params = np.full(policy.num_params, 1e300)
value.params = np.full(value.num_params, 1e300)
for make in (lambda: B.PUCTPlayer(policy, value, simulations=20).action(game.new_initial_state()),
             lambda: B.AlphaZero(game, policy, value, games_per_iteration=2, simulations=5).iterate()):
    try:
        make()
    except NumericalError as e:
        print("refused:", e)
    else:
        raise SystemExit("accepted a NaN network")
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, PYTHONPATH=os.path.join(os.path.dirname(__file__), "..")))
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.count("refused:") == 2, proc.stdout


def test_value_targets_outside_the_tanh_range_and_empty_accuracy():
    """The review's cases: value targets outside [-1, 1] are refused (V =
    tanh cannot reach them) and change nothing; accuracy over no positions
    is NaN, not 0."""
    game = G.load("tic_tac_toe")
    value = B.ValueNetwork(game, sizes=(8,), seed=1)
    data = B.expert_moves(game, P.SolverPlayer(), num_games=5, seed=0)
    planes = data.planes[:2]
    before = value.params.copy()
    for bad in ([0.5, 5.0], [np.nan, 0.0], [-1.5, 0.0]):
        with pytest.raises(_lib.SwiftPGError):
            value.fit(planes, np.array(bad), epochs=1)
    np.testing.assert_array_equal(value.params, before)
    value.fit(planes, np.array([1.0, -1.0]), epochs=1)
    policy = B.PolicyNetwork(game, sizes=(8,), seed=0)
    assert np.isnan(policy.accuracy(data.planes[:0], data.masks[:0], data.actions[:0]))
