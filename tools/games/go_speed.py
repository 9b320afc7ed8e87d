"""Random Go playouts per second: OpenSpiel's C++ core through pyspiel with
one Python call per move (legal_actions + apply_action, uniform over the
legal actions), beside swiftpg's GoState run natively (tools/games/go_speed.sh
builds tools/games/go_playouts.swift with swiftc -O and runs it).

Run: sh tools/games/go_speed.sh
"""

import random
import time

import pyspiel


def pyspiel_playouts(n, seconds=3.0):
  game = pyspiel.load_game("go", {"board_size": n})
  rng = random.Random(7)
  games = moves = 0
  start = time.perf_counter()
  while time.perf_counter() - start < seconds:
    state = game.new_initial_state()
    while not state.is_terminal():
      state.apply_action(rng.choice(state.legal_actions()))
      moves += 1
    state.returns()
    games += 1
  elapsed = time.perf_counter() - start
  return games / elapsed, moves / elapsed, moves / games


if __name__ == "__main__":
  for n in (5, 7, 9):
    g, m, per = pyspiel_playouts(n)
    print(f"pyspiel go {n}x{n}: {g:.0f} playouts/s, {m:.0f} moves/s, {per:.1f} moves/game")
