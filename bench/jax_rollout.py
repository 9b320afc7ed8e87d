"""The JAX anchor of bench/rollouts.py: collecting T steps from N vmapped
gymnax environments with the policy in the loop, as PureJaxRL's rollout
does it (purejaxrl/ppo.py, `_env_step` under `lax.scan`).

Each step, inside one ``jax.jit``-compiled ``lax.scan``: the actor (64x64
tanh, flax.linen, float32) gives logits (CartPole-v1: a categorical
distribution) or a mean (Pendulum-v1: a diagonal Gaussian with a learned
log-std), the action is sampled and its log-probability taken, the critic
(64x64 tanh) gives the value, and gymnax steps every environment (resetting
finished ones itself). The scan stacks observations, actions,
log-probabilities, values, rewards and done flags ``[T, N]`` — what
swiftpg's ``learner.collect()`` returns.

Timing: the compilation is timed on its own; ``seconds`` is the median over
--repeats calls of the compiled function (``block_until_ready``) with a
fresh key each time. Prints one JSON line: steps per second per (env, N).

    .bench-jax-venv/bin/python bench/jax_rollout.py --env CartPole-v1 --num-envs 64 --steps 128
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from importlib.metadata import version

import gymnax
import jax
import jax.numpy as jnp
import numpy as np
from jax_ppo_cartpole import Actor, Critic  # the PPO anchor's networks


def make_rollout(env_id: str, num_envs: int, num_steps: int):
    """(rollout(key) -> stacked arrays, init(key) -> state)."""
    env, env_params = gymnax.make(env_id)
    obs_dim = env.observation_space(env_params).shape[0]
    space = env.action_space(env_params)
    discrete = hasattr(space, "n")
    width = space.n if discrete else int(np.prod(space.shape))
    actor, critic = Actor(width), Critic()

    def init(key):
        k_actor, k_critic, k_reset = jax.random.split(key, 3)
        dummy = jnp.zeros((1, obs_dim), jnp.float32)
        params = dict(actor=actor.init(k_actor, dummy), critic=critic.init(k_critic, dummy),
                      log_std=jnp.zeros(width, jnp.float32))
        obs, state = jax.vmap(env.reset, in_axes=(0, None))(jax.random.split(k_reset, num_envs), env_params)
        return params, obs, state

    def rollout(params, obs, state, key):
        def step(carry, _):
            obs, state, key = carry
            key, k_act, k_step = jax.random.split(key, 3)
            out = actor.apply(params["actor"], obs)
            if discrete:
                action = jax.random.categorical(k_act, out)
                log_prob = jnp.take_along_axis(jax.nn.log_softmax(out), action[:, None], axis=-1)[:, 0]
                env_action = action
            else:
                std = jnp.exp(params["log_std"])
                action = out + std * jax.random.normal(k_act, out.shape)
                z = (action - out) / std
                log_prob = (-0.5 * z * z - params["log_std"] - 0.5 * jnp.log(2 * jnp.pi)).sum(-1)
                env_action = action
            value = critic.apply(params["critic"], obs)
            next_obs, state, reward, done, _ = jax.vmap(env.step, in_axes=(0, 0, 0, None))(
                jax.random.split(k_step, num_envs), state, env_action, env_params)
            return (next_obs, state, key), (obs, action, log_prob, value, reward, done)

        (obs, state, _), stacked = jax.lax.scan(step, (obs, state, key), None, num_steps)
        return stacked, obs, state

    return jax.jit(rollout), init


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", default="CartPole-v1", choices=["CartPole-v1", "Pendulum-v1"])
    parser.add_argument("--num-envs", type=int, default=64)
    parser.add_argument("--steps", type=int, default=128, help="steps per environment per call (T)")
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()

    rollout, init = make_rollout(args.env, args.num_envs, args.steps)
    params, obs, state = init(jax.random.PRNGKey(0))
    start = time.perf_counter()
    compiled = rollout.lower(params, obs, state, jax.random.PRNGKey(1)).compile()
    compile_seconds = time.perf_counter() - start
    times = []
    for r in range(args.repeats):
        key = jax.random.PRNGKey(2 + r)
        start = time.perf_counter()
        stacked, obs, state = compiled(params, obs, state, key)
        jax.block_until_ready(stacked)
        times.append(time.perf_counter() - start)
    seconds = statistics.median(times)
    print(json.dumps(dict(env=args.env, num_envs=args.num_envs, steps=args.steps, seconds=seconds,
                          steps_per_second=args.num_envs * args.steps / seconds, compile_seconds=compile_seconds,
                          jax=version("jax"), gymnax=version("gymnax"), flax=version("flax"))))


if __name__ == "__main__":
    main()
