"""Fingerprints of every policy-gradient learner after a few iterations.

Trains each algorithm for a fixed number of iterations with fixed seeds and
prints the SHA-256 of its final policy (and critic) parameters plus the
per-iteration statistics, and the largest relative parameter difference to a
recorded run. Used to show that a refactor of the training layer leaves
behaviour bit-identical (or, where arithmetic is only re-associated, within
1e-12 relative):

    python tools/learner_hashes.py --record before.json   # before the change
    python tools/learner_hashes.py --compare before.json  # after it
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys

import numpy as np

import swiftpg.algorithms as A

RUNS = [
    # (name, learner class, env, iterations, config overrides)
    ("reinforce", "REINFORCE", "CartPole-v1", 6, dict(steps_per_iteration=1000)),
    ("reinforce-value", "REINFORCE", "CartPole-v1", 4, dict(steps_per_iteration=1000, baseline="value")),
    ("reinforce-optimal", "REINFORCE", "CartPole-v1", 3, dict(steps_per_iteration=600, baseline="optimal")),
    ("actor-critic", "ActorCritic", "CartPole-v1", 20, {}),
    ("a2c", "A2C", "CartPole-v1", 20, {}),
    ("offpolicy-pg", "OffPolicyPG", "CartPole-v1", 5, dict(steps_per_iteration=800)),
    ("npg", "NPG", "CartPole-v1", 3, {}),
    ("trpo", "TRPO", "CartPole-v1", 3, {}),
    ("trpo-pendulum", "TRPO", "Pendulum-v1", 3, {}),
    ("ppo", "PPO", "CartPole-v1", 3, {}),
    ("ppo-pendulum-norm", "PPO", "Pendulum-v1", 3,
     dict(normalize_observations=True, normalize_rewards=True, value_clip_range=0.2, target_kl=0.02)),
    ("ppo-kl", "PPO", "CartPole-v1", 3, dict(kl_penalty=True)),
    ("ppo-shared", "PPO", "CartPole-v1", 3, dict(shared_network=True)),
    ("ppo-2threads", "PPO", "CartPole-v1", 3, dict(update_threads=2)),
    # float32 networks (policy_kwargs precision): the fast path's own bits.
    ("reinforce-float32", "REINFORCE", "CartPole-v1", 4, dict(steps_per_iteration=1000, precision="float32")),
    ("a2c-float32", "A2C", "CartPole-v1", 20, dict(precision="float32")),
    ("trpo-float32", "TRPO", "CartPole-v1", 3, dict(precision="float32")),
    ("ppo-float32", "PPO", "CartPole-v1", 3, dict(precision="float32")),
    ("ppo-float32-2threads", "PPO", "CartPole-v1", 3, dict(precision="float32", update_threads=2)),
    ("ppo-pendulum-float32", "PPO", "Pendulum-v1", 3, dict(precision="float32")),
]


def fingerprint(cls_name: str, env: str, iterations: int, overrides: dict, seed: int = 3) -> dict:
    cls = getattr(A, cls_name)
    overrides = dict(overrides)
    # float64 unless the run names float32 (the learners' default is float32 since issue 14).
    policy_kwargs = {"precision": overrides.pop("precision", "float64")}
    config = cls._config_class(seed=seed).replace(**overrides)
    with cls(env, config=config, num_envs=4, policy_kwargs=policy_kwargs) as learner:
        stats = [learner.iterate().as_dict() for _ in range(iterations)]
        params = np.array(learner.policy.get_params(), dtype=np.float64)
        critic = learner.value
        values = np.array(critic.get_params(), dtype=np.float64) if critic is not None else np.zeros(0)
    h = hashlib.sha256(params.tobytes() + values.tobytes()).hexdigest()
    keep = ("mean_return", "policy_loss", "value_loss", "entropy", "approx_kl", "explained_variance", "grad_norm")
    return dict(hash=h, policy=params.tolist(), value=values.tolist(),
                stats=[{k: s.get(k) for k in keep if k in s} for s in stats])


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--record", help="write the fingerprints to this JSON file")
    p.add_argument("--compare", help="compare with the fingerprints in this JSON file")
    args = p.parse_args()
    now = {name: fingerprint(c, e, n, o) for name, c, e, n, o in RUNS}
    if args.record:
        with open(args.record, "w") as f:
            json.dump(now, f)
    worst = 0.0
    for name, fp in now.items():
        line = f"{name:20s} {fp['hash'][:16]}"
        if args.compare:
            with open(args.compare) as f:
                old = json.load(f).get(name)
            if old is None:
                print(line + "  (not in the recording)")
                continue
            a = np.array(fp["policy"] + fp["value"])
            b = np.array(old["policy"] + old["value"])
            rel = float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300))) if a.shape == b.shape else float("inf")
            worst = max(worst, rel)
            line += "  identical" if fp["hash"] == old["hash"] else f"  differs: max relative {rel:.3g}"
        print(line)
    if args.compare:
        print(f"largest relative parameter difference: {worst:.3g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
