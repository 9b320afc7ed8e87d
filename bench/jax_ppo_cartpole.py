"""A JAX PPO anchor for the CartPole benchmarks, in the PureJaxRL style.

PPO on gymnax's CartPole-v1 (episodes end at 500 steps, as in Gymnasium's
v1), written the way PureJaxRL (Chris Lu's single-file JAX agents,
github.com/luchris429/purejaxrl, purejaxrl/ppo.py) writes it, so that the
benchmarks can compare swiftpg with end-to-end compiled training on the CPU:

- the whole training run is one function under a single ``jax.jit``:
  ``lax.scan`` over the update iterations, inside it over the rollout steps,
  then over the epochs and the minibatches; environments, networks and
  optimiser all run inside it, in float32, with no Python in the loop;
- the environments are ``jax.vmap``-ed (gymnax resets them automatically)
  and, with ``--num-seeds K``, so is the whole training run over K seeds;
- separate flax.linen actor and critic, 64x64 tanh each, orthogonal
  initialisation (gain sqrt 2 for the hidden layers, 0.01 for the actor's
  head, 1 for the critic's), zero biases; optax Adam (eps 1e-5) after
  clipping the global gradient norm to 0.5.

The hyper-parameters are the rl-baselines3-zoo CartPole-v1 preset that
swiftpg and Stable-Baselines3 use in bench/ppo_vs_sb3.py: 8 environments,
32 steps each per iteration (256), one minibatch of 256, 20 epochs,
gamma 0.98, GAE lambda 0.8, learning rate 1e-3 and clip range 0.2 both
annealed linearly towards 0, no entropy bonus, value coefficient 0.5 on the
squared error (not clipped, as in SB3 and swiftpg), advantages normalised
per minibatch. The budget is rounded down to whole iterations, as PureJaxRL
does: 100 000 steps -> 390 iterations = 99 840 env steps. Iteration i
(from 0) uses the factor 1 - i/390 for both the learning rate and the clip
range. With one minibatch the epoch skips PureJaxRL's shuffle (the losses
are means, so the order changes nothing). As in PureJaxRL, an episode cut
at 500 steps counts as terminal (gymnax 0.0.9 does not tell truncation
apart), where SB3 bootstraps it.

Timing: the compilation (``jax.jit(f).lower(keys).compile()``) is timed on
its own; run_seconds is the median over --repeats calls of the compiled
function (``block_until_ready``). The final policy is then evaluated
greedily (argmax actions), also in one jitted JAX function that is not part
of run_seconds: 100 episodes per seed. No XLA flags are set (PureJaxRL sets
none). Prints one JSON line at the end.

jaxlib 0.10.2's CPU runtime sometimes deadlocks in the vmapped training
(K > 1; PureJaxRL's own ppo.py too): a watchdog restarts the script in a
fresh process when it stops using the CPU (--stall-seconds, --retries); the
JSON says how many restarts it took (stall_restarts).

It needs jax, flax, optax and gymnax, not swiftpg: ``make bench`` creates
.bench-jax-venv/ with pinned versions for it.

    .bench-jax-venv/bin/python bench/jax_ppo_cartpole.py --seed 0 [--steps 100000] [--num-seeds 16] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
from importlib.metadata import version
from typing import NamedTuple

import flax.linen as nn
import gymnax
import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax.linen.initializers import constant, orthogonal

CONFIG = dict(num_envs=8, num_steps=32, minibatch_size=256, epochs=20, gamma=0.98, gae_lambda=0.8, lr=1e-3,
              clip_eps=0.2, ent_coef=0.0, vf_coef=0.5, max_grad_norm=0.5, hidden=64)
EVAL_EPISODES = 100


class Actor(nn.Module):
    num_actions: int
    hidden: int = 64

    @nn.compact
    def __call__(self, x):
        for _ in range(2):
            x = nn.tanh(nn.Dense(self.hidden, kernel_init=orthogonal(np.sqrt(2)), bias_init=constant(0.0))(x))
        return nn.Dense(self.num_actions, kernel_init=orthogonal(0.01), bias_init=constant(0.0))(x)


class Critic(nn.Module):
    hidden: int = 64

    @nn.compact
    def __call__(self, x):
        for _ in range(2):
            x = nn.tanh(nn.Dense(self.hidden, kernel_init=orthogonal(np.sqrt(2)), bias_init=constant(0.0))(x))
        return nn.Dense(1, kernel_init=orthogonal(1.0), bias_init=constant(0.0))(x)[..., 0]


class Rollout(NamedTuple):
    obs: jax.Array
    action: jax.Array
    log_prob: jax.Array
    value: jax.Array
    reward: jax.Array
    done: jax.Array


def make_train(total_steps: int, cfg: dict = CONFIG):
    """The training function train(key) -> params, and its number of iterations."""
    env, env_params = gymnax.make("CartPole-v1")
    obs_dim = env.observation_space(env_params).shape[0]
    actor, critic = Actor(env.action_space(env_params).n, cfg["hidden"]), Critic(cfg["hidden"])
    batch = cfg["num_envs"] * cfg["num_steps"]
    num_minibatches = batch // cfg["minibatch_size"]
    assert num_minibatches * cfg["minibatch_size"] == batch, "the minibatch size must divide the rollout"
    num_updates = total_steps // batch
    assert num_updates > 0, f"--steps must be at least one iteration ({batch} steps)"
    steps_per_update = num_minibatches * cfg["epochs"]

    def schedule(count):  # optimiser step count -> learning rate, constant within an iteration
        return cfg["lr"] * (1.0 - (count // steps_per_update) / num_updates)

    optimizer = optax.chain(optax.clip_by_global_norm(cfg["max_grad_norm"]),
                            optax.adam(learning_rate=schedule, eps=1e-5))

    def loss_fn(params, mb: Rollout, advantages, targets, clip_eps):
        log_probs = jax.nn.log_softmax(actor.apply(params["actor"], mb.obs))
        log_prob = jnp.take_along_axis(log_probs, mb.action[:, None], axis=-1)[:, 0]
        value = critic.apply(params["critic"], mb.obs)
        advantages = (advantages - advantages.mean()) / (advantages.std() + 1e-8)
        ratio = jnp.exp(log_prob - mb.log_prob)
        policy_loss = -jnp.minimum(ratio * advantages,
                                   jnp.clip(ratio, 1.0 - clip_eps, 1.0 + clip_eps) * advantages).mean()
        loss = policy_loss + cfg["vf_coef"] * jnp.square(value - targets).mean()
        if cfg["ent_coef"]:
            loss -= cfg["ent_coef"] * -(jnp.exp(log_probs) * log_probs).sum(-1).mean()
        return loss

    grad_fn = jax.grad(loss_fn)

    def train(key):
        key, k_actor, k_critic, k_reset = jax.random.split(key, 4)
        dummy = jnp.zeros((obs_dim,), jnp.float32)
        params = {"actor": actor.init(k_actor, dummy), "critic": critic.init(k_critic, dummy)}
        opt_state = optimizer.init(params)
        obs, env_state = jax.vmap(env.reset, in_axes=(0, None))(jax.random.split(k_reset, cfg["num_envs"]),
                                                              env_params)

        def update(carry, iteration):
            params, opt_state, env_state, obs, key = carry

            def env_step(carry, _):
                env_state, obs, key = carry
                key, k_action, k_step = jax.random.split(key, 3)
                log_probs = jax.nn.log_softmax(actor.apply(params["actor"], obs))
                action = jax.random.categorical(k_action, log_probs)
                log_prob = jnp.take_along_axis(log_probs, action[:, None], axis=-1)[:, 0]
                value = critic.apply(params["critic"], obs)
                next_obs, env_state, reward, done, _ = jax.vmap(env.step, in_axes=(0, 0, 0, None))(
                    jax.random.split(k_step, cfg["num_envs"]), env_state, action, env_params)
                return (env_state, next_obs, key), Rollout(obs, action, log_prob, value, reward, done)

            (env_state, obs, key), rollout = jax.lax.scan(env_step, (env_state, obs, key), None, cfg["num_steps"])

            # GAE(lambda), backwards over the rollout; gymnax's next observation after a
            # done is already the reset one, so (1 - done) cuts the bootstrap there.
            last_value = critic.apply(params["critic"], obs)

            def gae_step(carry, t: Rollout):
                gae, next_value = carry
                not_done = 1.0 - t.done.astype(jnp.float32)
                delta = t.reward + cfg["gamma"] * next_value * not_done - t.value
                gae = delta + cfg["gamma"] * cfg["gae_lambda"] * not_done * gae
                return (gae, t.value), gae

            _, advantages = jax.lax.scan(gae_step, (jnp.zeros_like(last_value), last_value), rollout,
                                         reverse=True, unroll=16)
            targets = advantages + rollout.value
            data = jax.tree_util.tree_map(lambda x: x.reshape((batch,) + x.shape[2:]),
                                          (rollout, advantages, targets))
            clip_eps = cfg["clip_eps"] * (1.0 - iteration / num_updates)

            def epoch(carry, _):
                params, opt_state, key = carry
                if num_minibatches > 1:  # one minibatch: the losses are means, the order does not matter
                    key, k_perm = jax.random.split(key)
                    perm = jax.random.permutation(k_perm, batch)
                    shuffled = jax.tree_util.tree_map(lambda x: jnp.take(x, perm, axis=0), data)
                else:
                    shuffled = data
                minibatches = jax.tree_util.tree_map(
                    lambda x: x.reshape((num_minibatches, -1) + x.shape[1:]), shuffled)

                def minibatch_step(carry, mb):
                    params, opt_state = carry
                    grads = grad_fn(params, *mb, clip_eps)
                    updates, opt_state = optimizer.update(grads, opt_state, params)
                    return (optax.apply_updates(params, updates), opt_state), None

                (params, opt_state), _ = jax.lax.scan(minibatch_step, (params, opt_state), minibatches)
                return (params, opt_state, key), None

            (params, opt_state, key), _ = jax.lax.scan(epoch, (params, opt_state, key), None, cfg["epochs"])
            return (params, opt_state, env_state, obs, key), None

        carry = (params, opt_state, env_state, obs, key)
        (params, *_), _ = jax.lax.scan(update, carry, jnp.arange(num_updates, dtype=jnp.float32))
        return params

    return train, num_updates, num_updates * batch


def make_evaluate(episodes: int = EVAL_EPISODES):
    """evaluate(params, key) -> mean return of `episodes` greedy episodes (argmax actions)."""
    env, env_params = gymnax.make("CartPole-v1")
    actor = Actor(env.action_space(env_params).n, CONFIG["hidden"])
    horizon = env_params.max_steps_in_episode

    def evaluate(params, key):
        k_reset, k_step = jax.random.split(key)
        obs, state = jax.vmap(env.reset, in_axes=(0, None))(jax.random.split(k_reset, episodes), env_params)

        def step(carry, key):
            state, obs, total, alive = carry
            action = jnp.argmax(actor.apply(params["actor"], obs), axis=-1)
            obs, state, reward, done, _ = jax.vmap(env.step, in_axes=(0, 0, 0, None))(
                jax.random.split(key, episodes), state, action, env_params)
            total = total + reward * alive
            return (state, obs, total, alive & ~done), None

        carry = (state, obs, jnp.zeros(episodes), jnp.ones(episodes, bool))
        (_, _, total, _), _ = jax.lax.scan(step, carry, jax.random.split(k_step, horizon))
        return total.mean()

    return evaluate


RETRY_ENV = "JAX_PPO_CARTPOLE_RETRY"


def stall_watchdog(stall_seconds: float, retries: int) -> None:
    """Restart the whole script (in place, with the same arguments) if the process stops using the CPU.

    jaxlib 0.10.2's CPU runtime now and then deadlocks while running the
    vmapped (K > 1) training: every thread parks and block_until_ready never
    returns. PureJaxRL's own ppo.py does the same here (1 call in about 25 at
    16 seeds); one seed never did. A stalled process uses no CPU time, so when
    the process's CPU time has not moved for `stall_seconds` the script starts
    again from scratch in a fresh process, at most `retries` times, then gives up
    with exit status 3. Compilation and evaluation are guarded too.
    """
    attempt = int(os.environ.get(RETRY_ENV, "0"))

    def watch():
        last, since = time.process_time(), time.monotonic()
        while True:
            time.sleep(1.0)
            now = time.process_time()
            if now - last > 0.05:
                last, since = now, time.monotonic()
            elif time.monotonic() - since > stall_seconds:
                if attempt >= retries:
                    print(f"jax_ppo_cartpole: the XLA CPU runtime stalled {attempt + 1} times; giving up",
                          file=sys.stderr, flush=True)
                    os._exit(3)
                print(f"jax_ppo_cartpole: no CPU progress for {stall_seconds:.0f} s (XLA CPU runtime deadlock); "
                      f"restarting (retry {attempt + 1} of {retries})", file=sys.stderr, flush=True)
                os.environ[RETRY_ENV] = str(attempt + 1)
                os.execv(sys.executable, [sys.executable] + sys.argv)

    threading.Thread(target=watch, daemon=True).start()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=0, help="first seed; with --num-seeds K, seeds seed..seed+K-1")
    parser.add_argument("--steps", type=int, default=100_000, help="env steps (rounded down to whole iterations)")
    parser.add_argument("--num-seeds", type=int, default=1, help="K > 1: train K seeds at once under jax.vmap")
    parser.add_argument("--repeats", type=int, default=3, help="timed calls of the compiled training (median)")
    parser.add_argument("--stall-seconds", type=float, default=30.0,
                        help="restart when the process used no CPU for this long (see stall_watchdog; 0: off)")
    parser.add_argument("--retries", type=int, default=5, help="restarts after a stall before giving up")
    args = parser.parse_args()
    if args.stall_seconds > 0:
        stall_watchdog(args.stall_seconds, args.retries)
    load = os.getloadavg()[0]

    train, num_updates, env_steps = make_train(args.steps)
    seeds = list(range(args.seed, args.seed + args.num_seeds))
    if args.num_seeds > 1:
        keys = jnp.stack([jax.random.PRNGKey(s) for s in seeds])
        train = jax.vmap(train)
    else:
        keys = jax.random.PRNGKey(args.seed)

    start = time.perf_counter()
    compiled = jax.jit(train).lower(keys).compile()
    compile_seconds = time.perf_counter() - start
    times = []
    for _ in range(max(1, args.repeats)):
        start = time.perf_counter()
        params = jax.block_until_ready(compiled(keys))
        times.append(time.perf_counter() - start)
    run_seconds = statistics.median(times)

    evaluate = make_evaluate()
    eval_keys = jnp.stack([jax.random.PRNGKey(s + 1_000_003) for s in seeds])
    if args.num_seeds == 1:
        params = jax.tree_util.tree_map(lambda x: x[None], params)
    returns = np.asarray(jax.jit(jax.vmap(evaluate))(params, eval_keys)).tolist()

    print(json.dumps(dict(
        library="PureJaxRL-style PPO (" + ", ".join(f"{name} {version(name)}" for name in
                                                   ("jax", "jaxlib", "gymnax", "flax", "optax")) + f", {jax.default_backend()})",
        seed=args.seed, seeds=seeds, num_seeds=args.num_seeds, updates=num_updates, env_steps=env_steps,
        compile_seconds=round(compile_seconds, 3), run_seconds=round(run_seconds, 3),
        run_seconds_repeats=[round(t, 3) for t in times], seeds_per_second=round(args.num_seeds / run_seconds, 3),
        eval_episodes=EVAL_EPISODES, eval_means=[round(r, 2) for r in returns],
        eval_mean=round(float(np.mean(returns)), 2), loadavg_1min=round(load, 2),
        stall_restarts=int(os.environ.get(RETRY_ENV, "0")))), flush=True)


if __name__ == "__main__":
    main()
