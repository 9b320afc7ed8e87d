"""Writes Tests/SwiftPGTests/Fixtures/go_openspiel.json: seeded random games of
OpenSpiel's `go` (pyspiel 2.0.2) recorded move by move, which GoTests.swift
replays against swiftpg's GoState.

Per game: its parameters, the actions, and after every action (and at the
start) the current player, the terminal flag and the legal actions as a hex
bitmask over action ids (bit a set when a is legal); at the end the returns,
the observation tensor at a few move numbers (each of the 4 planes as a hex
bitmask over points) and the text of the final state.

Games come from several random policies so the fixture holds games that end by
two passes, games cut at max_game_length, ko captures, points refused as
suicide, and positional-superko repetitions (which OpenSpiel scores as draws);
integer komi gives drawn scores. Run: python3 tools/games/go_fixtures.py
(`--games-per-size`, `--seed`, `--out` write a larger or different set, e.g.
for a one-off check; GoTests reads the default file only).
"""

import argparse

import json
import os
import random
import sys

import pyspiel
from importlib.metadata import version

GAMES_PER_SIZE = 60
SIZES = (5, 7, 9)
KOMIS = (7.5, 0.5, 6.0, 0.0)
OUT = os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "SwiftPGTests", "Fixtures",
                   "go_openspiel.json")


def mask(actions):
  m = 0
  for a in actions:
    m |= 1 << a
  return format(m, "x")


def plane_masks(tensor, n):
  planes = []
  for k in range(4):
    m = 0
    for p in range(n * n):
      v = tensor[k * n * n + p]
      assert v in (0.0, 1.0), v
      if v == 1.0:
        m |= 1 << p
    planes.append(format(m, "x"))
  return planes


def stones(state, n):
  t = state.observation_tensor(0)
  return [0 if t[p] else (1 if t[n * n + p] else None) for p in range(n * n)]


def play(n, komi, max_len, pass_prob, seed):
  """One game; pass_prob None = uniform over the legal actions, "never" = uniform
  over the stone placements while there is one (these reach the move limit)."""
  params = {"board_size": n, "komi": komi}
  if max_len is not None:
    params["max_game_length"] = max_len
  game = pyspiel.load_game("go", params)
  rng = random.Random(seed)
  state = game.new_initial_state()
  pass_action = n * n
  record = {"n": n, "komi": komi, "max": game.max_game_length(), "actions": [],
            "players": [state.current_player()], "terminal": [int(state.is_terminal())],
            "legal": [mask(state.legal_actions())], "obs": []}
  kos = suicides = 0
  obs_at = {0}
  while not state.is_terminal():
    legal = state.legal_actions()
    if pass_prob == "never":
      a = rng.choice(legal[:-1] or legal)
    elif pass_prob is None or rng.random() >= pass_prob:
      a = rng.choice(legal)
    else:
      a = pass_action
    before = stones(state, n)
    mover = state.current_player()
    state.apply_action(a)
    after = stones(state, n)
    legal_after = state.legal_actions()
    captured = [p for p in range(n * n) if before[p] is not None and before[p] != mover
                and after[p] is None]
    if len(captured) == 1 and not state.is_terminal() and captured[0] not in legal_after:
      kos += 1
      obs_at.add(len(record["actions"]) + 1)
    if not state.is_terminal():
      empty_refused = [p for p in range(n * n) if after[p] is None and p not in legal_after]
      suicides += len([p for p in empty_refused if not (len(captured) == 1 and p == captured[0])])
    record["actions"].append(a)
    record["players"].append(state.current_player())
    record["terminal"].append(int(state.is_terminal()))
    record["legal"].append(mask(legal_after))
  moves = len(record["actions"])
  obs_at |= {moves // 2, moves}
  record["obs"] = [{"at": k} for k in sorted(obs_at)]
  # Observation tensors at the chosen move numbers: replay to each.
  replay = game.new_initial_state()
  for k in range(moves + 1):
    for o in record["obs"]:
      if o["at"] == k:
        o["planes"] = plane_masks(replay.observation_tensor(0), n)
    if k < moves:
      replay.apply_action(record["actions"][k])
  record["returns"] = state.returns()
  record["text"] = str(state)
  a = record["actions"]
  if len(a) >= 2 and a[-1] == pass_action and a[-2] == pass_action:
    record["end"] = "two_passes"
  elif moves >= game.max_game_length():
    record["end"] = "max_game_length"
  else:
    record["end"] = "superko"
  record["kos"] = kos
  record["suicides"] = suicides
  return record


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--games-per-size", type=int, default=GAMES_PER_SIZE)
  parser.add_argument("--seed", type=int, default=0, help="offset added to every game's seed")
  parser.add_argument("--out", default=OUT)
  args = parser.parse_args()
  games = []
  for n in SIZES:
    chosen = []
    # A few positional-superko games: search seeds for them.
    seed = 0
    while sum(g["end"] == "superko" for g in chosen) < 4 and seed < 20000:
      g = play(n, 7.5, None, 0.03, 1_000_000 * n + seed + args.seed)
      seed += 1
      if g["end"] == "superko":
        chosen.append(g)
    policies = [None, "never", 0.02, 0.1, 0.3]
    i = 0
    while len(chosen) < args.games_per_size:
      komi = KOMIS[i % len(KOMIS)]
      pass_prob = policies[(i // len(KOMIS)) % len(policies)]
      max_len = (n * n) if i % 10 == 9 else None  # a shorter move limit now and then
      chosen.append(play(n, komi, max_len, pass_prob, 10_000_000 * n + i + args.seed))
      i += 1
    games += chosen
    ends = {e: sum(g["end"] == e for g in chosen) for e in ("two_passes", "max_game_length", "superko")}
    draws = sum(g["returns"] == [0.0, 0.0] for g in chosen)
    print(f"{n}x{n}: {len(chosen)} games, ends {ends}, draws {draws}, "
          f"kos {sum(g['kos'] for g in chosen)}, suicide points {sum(g['suicides'] for g in chosen)}",
          file=sys.stderr)
  text = json.dumps({"source": f"open_spiel {version('open_spiel')} go", "games": games},
                    separators=(",", ":"))
  with open(args.out, "w") as f:
    f.write(text)
  print(f"wrote {args.out} ({len(text)} bytes)", file=sys.stderr)


if __name__ == "__main__":
  main()
