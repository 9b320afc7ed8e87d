"""Random playouts per second with pgx (JAX), for bench/games_vs_openspiel.py.

Runs in the JAX benchmark venv (.bench-jax-venv, with ``pip install pgx``):
for each game, B games are initialised with ``jax.vmap(env.init)`` and
stepped together inside one jitted ``lax.while_loop`` with uniformly random
legal actions (drawn from ``legal_action_mask``) until every game is over —
pgx's intended use: the whole batch of playouts in one compiled call. The
compile is done before timing. Prints one JSON object: ``{"pgx_version",
"jax_version", "batch", "rates": {game: playouts per second}}``.

pgx's Go differs from OpenSpiel's in details (its komi and repetition
rule), so the Go row compares speed, not rules.

Usage: .bench-jax-venv/bin/python bench/pgx_playouts.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import time

import jax
import jax.numpy as jnp
import pgx

GAMES = {"tic_tac_toe": "tic_tac_toe", "connect_four": "connect_four", "go9x9": "go_9x9"}


def playouts(env, batch: int):
    """A jitted function key -> number of finished games after playing B
    random games to the end."""
    init = jax.vmap(env.init)
    step = jax.vmap(env.step)

    def random_actions(key, mask):
        logits = jnp.where(mask, 0.0, -jnp.inf)
        return jax.random.categorical(key, logits, axis=-1)

    @jax.jit
    def run(key):
        key, sub = jax.random.split(key)
        state = init(jax.random.split(sub, batch))

        def cond(carry):
            state, _ = carry
            return ~jnp.all(state.terminated | state.truncated)

        def body(carry):
            state, key = carry
            key, k1, k2 = jax.random.split(key, 3)
            actions = random_actions(k1, state.legal_action_mask)
            return step(state, actions, jax.random.split(k2, batch)), key

        state, _ = jax.lax.while_loop(cond, body, (state, key))
        return jnp.sum(state.terminated | state.truncated)

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter timing")
    parser.add_argument("--batch", type=int, default=256)
    args = parser.parse_args()
    seconds = 0.5 if args.quick else 2.0
    rates = {}
    for label, name in GAMES.items():
        run = playouts(pgx.make(name), args.batch)
        key = jax.random.PRNGKey(0)
        int(run(key))  # compile
        n, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            key, sub = jax.random.split(key)
            n += int(run(sub))
        rates[label] = n / (time.perf_counter() - start)
    print(json.dumps({"pgx_version": pgx.__version__, "jax_version": jax.__version__, "batch": args.batch,
                      "rates": rates}))


if __name__ == "__main__":
    main()
