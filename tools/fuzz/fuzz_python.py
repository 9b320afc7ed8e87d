#!/usr/bin/env python3
"""Seeded fuzzer of swiftpg's public Python API.

The public API is enumerated by introspection (the ``__all__`` of swiftpg and
of its modules envs, policies, estimators, exact, algorithms, lab,
randomization, rlhf, plus the public names of modules without ``__all__``; every
public method and property of the classes they export), so a new function or
method is fuzzed without touching this file. Each call is built from a valid
example (hand-written below for the main entry points, otherwise from the
signature: parameter names map to value providers, defaults are varied by
type) and then, in most calls, one or two arguments are replaced by hostile
values: wrong shapes (transposed, extra or missing axes, empty), dtypes
(float32, ints, bool, complex, object, str), non-contiguous arrays, NaN and
±inf, huge and negative ints (2**31, 2**63, 2**64), strings with NUL bytes,
None, lists, closed objects, objects of the wrong class; sometimes the arity
is wrong. Sizes are bounded: valid sizes are small, and the huge ones are
those the library must refuse.

Any exception must be a ``swiftpg.SwiftPGError`` (or a ``TypeError`` when the
arity was wrong; a few documented exceptions are allowed per target, e.g.
``gymnasium.error.ResetNeeded`` from ``SwiftEnv.step``). Others are reported
as findings; a process death (signal, abort, Swift trap) or a hang fails the
run.

Usage::

    python tools/fuzz/fuzz_python.py --seed 1 --calls 3000
    python tools/fuzz/fuzz_python.py --seconds 600
    python tools/fuzz/fuzz_python.py --list            # targets and whether each is covered
    python tools/fuzz/fuzz_python.py --worker --seed S --calls N    # replay in-process
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import inspect
import json
import math
import os
import random
import sys
import tempfile
import time
import traceback
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import supervise  # noqa: E402

MODULES = ["swiftpg", "swiftpg.envs", "swiftpg.policies", "swiftpg.estimators", "swiftpg.exact",
           "swiftpg.algorithms", "swiftpg.lab", "swiftpg.randomization", "swiftpg.optim", "swiftpg.trained", "swiftpg.callbacks",
           "swiftpg.rlhf", "swiftpg.rlhf_table", "swiftpg.games", "swiftpg.game_aec", "swiftpg.sgf", "swiftpg.gnugo",
           "swiftpg.game_players", "swiftpg.sb3", "swiftpg.board_networks",
           "swiftpg.distributed", "swiftpg.ladder"]
DUNDERS = {"__init__", "__getitem__", "__iter__", "__str__", "__repr__", "__enter__", "__exit__", "__len__"}
NAN, INF = float("nan"), float("inf")


# ------------------------------------------------------------------------------------ the public API

def public_api():
    """{canonical name: (kind, owner class or None, attribute name, object)}.
    kind: "function", "constructor", "method", "property"."""
    import swiftpg  # noqa: F401
    api = {}
    seen_classes = set()
    for mname in MODULES:
        mod = importlib.import_module(mname)
        names = getattr(mod, "__all__", None)
        if names is None:
            names = [n for n in vars(mod) if not n.startswith("_")
                     and getattr(getattr(mod, n), "__module__", None) == mname]
        for n in names:
            obj = getattr(mod, n, None)
            if inspect.isclass(obj):
                if not obj.__module__.startswith("swiftpg") or obj in seen_classes:
                    continue
                seen_classes.add(obj)
                cname = f"{obj.__module__}.{obj.__qualname__}"
                api[cname] = ("constructor", obj, "__init__", obj)
                for cls in obj.__mro__:
                    if not cls.__module__.startswith("swiftpg"):
                        continue
                    for attr, v in vars(cls).items():
                        if attr == "__init__" or (attr.startswith("_") and attr not in DUNDERS):
                            continue
                        key = f"{cname}.{attr}"
                        if key in api:
                            continue
                        # C types (swiftpg._gamestate.StateCore) have getset and method descriptors.
                        if isinstance(v, property) or inspect.isgetsetdescriptor(v):
                            api[key] = ("property", obj, attr, v)
                        elif (isinstance(v, (classmethod, staticmethod)) or inspect.isfunction(v)
                              or inspect.ismethoddescriptor(v) or getattr(v, "_fuzz_kind", None) == "method"):
                            api[key] = ("method", obj, attr, v)
            elif inspect.isfunction(obj) or inspect.isbuiltin(obj):
                key = f"{obj.__module__}.{obj.__qualname__}"
                if key not in api:
                    api[key] = ("function", None, n, obj)
    # The Gymnasium registrations are public entry points too.
    api["gymnasium.make(swiftpg/*)"] = ("function", None, "gymnasium.make", None)
    api["gymnasium.check_env(swiftpg env)"] = ("function", None, "check_env", None)
    # So is unpickling: each native object's reduce function, given its
    # bundle damaged field by field or byte by byte.
    api["pickle(swiftpg object)"] = ("function", None, "pickle", None)
    return api


# ------------------------------------------------------------------------------------- value reprs

def short(v, depth: int = 0) -> str:
    import numpy as np
    if isinstance(v, np.ndarray):
        flags = "" if v.flags.c_contiguous else ",noncontig"
        body = ""
        if v.size and v.size <= 6 and v.dtype.kind in "biuf":
            body = ":" + " ".join(np.array2string(v.ravel(), precision=3, separator=",", threshold=6).split())
        elif v.size and v.dtype.kind == "f":
            bad = int((~np.isfinite(v)).sum())
            body = f":{bad} non-finite" if bad else ""
        return f"array{v.shape}{v.dtype}{flags}{body}"
    if isinstance(v, (list, tuple)) and depth < 1:
        inner = ", ".join(short(x, depth + 1) for x in list(v)[:6])
        more = ", ..." if len(v) > 6 else ""
        return ("[%s%s]" if isinstance(v, list) else "(%s%s)") % (inner, more)
    if isinstance(v, dict) and depth < 1:
        return "{" + ", ".join(f"{k!r}: {short(x, depth + 1)}" for k, x in list(v.items())[:8]) + "}"
    if isinstance(v, (str, bytes)):
        r = repr(v)
        return r if len(r) <= 80 else r[:60] + f"...(len {len(v)})"
    if isinstance(v, (int, float, bool, type(None), complex)):
        return repr(v)
    if isinstance(v, np.generic):
        return f"np.{type(v).__name__}({v!r})"
    if inspect.isclass(v):
        return v.__name__
    tag = getattr(v, "_fuzz_tag", None)
    return tag or f"<{type(v).__name__}>"


# ------------------------------------------------------------------------------------------ fuzzer

class Skip(Exception):
    """The target cannot be called right now (no suitable object)."""


class PyFuzzer:
    MAX_POOL = 5

    def __init__(self, rng: random.Random, tmp: str, write=None):
        import gymnasium
        import numpy as np

        import swiftpg
        self.sp, self.np, self.gym = swiftpg, np, gymnasium
        self.rng, self.tmp = rng, tmp
        self.write = write or (lambda line: (sys.stdout.write(line + "\n"), sys.stdout.flush()))
        self.calls = 0
        self.serial = 0
        self.pool: dict[str, list] = {}
        self.api = public_api()
        self.ids = swiftpg.env_ids()
        self.mutating = False
        self.trace = False
        self.np_rng = np.random.default_rng(rng.getrandbits(32))

    # -- helpers --------------------------------------------------------------------------------
    def tag(self, obj, text: str):
        try:
            obj._fuzz_tag = text
        except Exception:
            pass
        return obj

    def keep(self, kind: str, obj):
        objs = self.pool.setdefault(kind, [])
        objs.append(obj)
        if len(objs) > self.MAX_POOL:
            close_quietly(objs.pop(0))
        return obj

    def get(self, kind: str, make, fresh: float = 0.15):
        objs = [o for o in self.pool.get(kind, []) if not getattr(o, "closed", False)]
        if objs and self.rng.random() > fresh:
            return self.rng.choice(objs)
        return self.keep(kind, make())

    def path(self, suffix: str = ".ckpt") -> str:
        self.serial += 1
        return os.path.join(self.tmp, f"f{self.serial}{suffix}")

    # -- object factories (valid, cheap) --------------------------------------------------------
    def vec(self, discrete: bool | None = None, n: int | None = None):
        sp, r = self.sp, self.rng

        def make():
            choice = r.randrange(8)
            if discrete is False or (discrete is None and choice == 0):
                i = r.choice(["Pendulum-v1", "MountainCarContinuous-v0", "SimpleRegulator-v0"])
            elif choice == 1:
                env = sp.envs.gridworld(num_envs=n or r.choice([1, 2]), seed=r.randrange(100))
                return self.tag(env, f"gridworld(N={env.num_envs})")
            elif choice == 2:
                env = sp.envs.tabular(*self.tabular_arrays(), gamma=0.9, num_envs=n or 1, seed=1)
                return self.tag(env, f"tabular(N={env.num_envs})")
            elif choice == 3:
                env = sp.envs.bandit([0.1, 0.5, 0.9], num_envs=n or 2, seed=2)
                return self.tag(env, "bandit(3)")
            else:
                i = r.choice(["CartPole-v1", "Acrobot-v1", "MountainCar-v0", "TwoAction-v0", "ShortCorridor-v0",
                              "GridWorld-v0"])
            env = sp.make_vec(i, n or r.choice([1, 2, 3]), seed=r.randrange(1000))
            return self.tag(env, f"make_vec({i!r}, {env.num_envs})")

        pool = "vec" if discrete is None else ("vec_d" if discrete else "vec_c")
        env = self.get(pool, make)
        if (discrete is not None and env.discrete != discrete) or (n is not None and env.num_envs != n):
            env = self.keep(pool, make())
            if (discrete is not None and env.discrete != discrete) or (n is not None and env.num_envs != n):
                raise Skip
        return env

    def tabular_arrays(self, S: int | None = None, A: int | None = None):
        np, r = self.np, self.rng
        S = S or r.choice([2, 3, 4])
        A = A or r.choice([2, 3])
        P = self.np_rng.random((S, A, S)) + 0.05
        P /= P.sum(axis=2, keepdims=True)
        R = self.np_rng.standard_normal((S, A))
        mu = np.full(S, 1.0 / S)
        return P, R, mu

    def single(self):
        sp, r = self.sp, self.rng

        def make():
            choice = r.randrange(4)
            if choice == 0:
                return self.tag(sp.envs.single(sp.envs.gridworld(seed=1)), "single(gridworld)")
            if choice == 1:
                i = r.choice(self.ids)
                env = self.gym.make(f"swiftpg/{i}").unwrapped
                return self.tag(env, f"gymnasium.make('swiftpg/{i}').unwrapped")
            i = r.choice(self.ids)
            return self.tag(sp.make(i, seed=r.randrange(100)), f"make({i!r})")
        return self.get("single", make)

    def policy_for(self, env, family: str | None = None, hidden=None):
        sp, r = self.sp, self.rng
        P = sp.policies
        if not env.discrete:
            gsde = r.random() < 0.3
            pol = P.GaussianPolicy(env.observation_size, env.action_size, hidden_sizes=r.choice([(), (4,)]),
                                   gsde=gsde, seed=r.randrange(100))
            return self.tag(pol, f"Gaussian({env.observation_size},{env.action_size}{',gsde' if gsde else ''})")
        family = family or r.choice(["softmax", "softmax", "tabular", "clamp", "linear", "factored"])
        if family == "factored":
            n = env.num_actions
            factors = (2, n // 2) if n % 2 == 0 and n > 2 else (n,)
            return self.tag(P.FactoredSoftmaxPolicy(env.observation_size, factors, hidden_sizes=r.choice([(), (4,)]),
                                                    seed=r.randrange(100)), f"Factored({env.observation_size},{factors})")
        if family == "tabular" and env.observation_kind == "one_hot":
            return self.tag(P.TabularSoftmaxPolicy(env.observation_size, env.num_actions), "Tabular")
        if family == "clamp" and env.observation_size == 1 and env.num_actions == 2:
            return self.tag(P.ClampPolicy(r.random()), "Clamp")
        if family == "linear" and env.observation_size % env.num_actions == 0:
            return self.tag(P.LinearSoftmaxPolicy(env.observation_size // env.num_actions, env.num_actions),
                            "LinearSoftmax")
        pol = P.SoftmaxPolicy(env.observation_size, env.num_actions,
                              hidden_sizes=r.choice([(), (4,), (8, 4)]) if hidden is None else hidden,
                              seed=r.randrange(100))
        return self.tag(pol, f"Softmax({env.observation_size},{env.num_actions})")

    def policy(self, cls=None):
        def make():
            env = self.vec(discrete=None if cls is None else not issubclass(cls, self.sp.policies.GaussianPolicy))
            fam = {None: None}.get(cls, None)
            if cls is not None:
                fam = {"SoftmaxPolicy": "softmax", "TabularSoftmaxPolicy": "tabular", "ClampPolicy": "clamp",
                       "LinearSoftmaxPolicy": "linear", "FactoredSoftmaxPolicy": "factored"}.get(cls.__name__)
                if fam == "tabular" and env.observation_kind != "one_hot":
                    env = self.sp.envs.gridworld(seed=3)
                    self.keep("vec", env)
                if fam == "clamp":
                    return self.tag(self.sp.policies.ClampPolicy(self.rng.random()), "Clamp")
            return self.policy_for(env, fam)
        pol = self.get("policy" if cls is None else f"policy:{cls.__name__}", make)
        if cls is not None and not isinstance(pol, cls):
            raise Skip
        return pol

    def value(self):
        V = self.sp.policies.ValueFunction

        def make():
            if self.rng.random() < 0.3:
                return self.tag(V.tabular(self.rng.choice([2, 4, 26])), "ValueFunction.tabular")
            d = self.rng.choice([1, 2, 4])
            return self.tag(V(d, hidden_sizes=self.rng.choice([(), (4,)])), f"ValueFunction({d})")
        return self.get("value", make)

    def cheap_config(self, cls):
        """A config of ``cls`` with small loops (fast iterations)."""
        fields = {f.name for f in dataclasses.fields(cls)}
        small = dict(steps_per_env=self.rng.choice([2, 4]), steps_per_iteration=self.rng.choice([16, 32]), epochs=1,
                     minibatch_size=0, value_epochs=1, cg_iterations=3, line_search_steps=3, reuse_batches=2,
                     population_size=4, elite_count=2, episodes_per_evaluation=1, seed=self.rng.randrange(1000),
                     # DQNConfig
                     train_freq=self.rng.choice([4, 16]), gradient_steps=self.rng.choice([0, 1, 4]),
                     learning_starts=self.rng.choice([0, 20]), hidden_sizes=self.rng.choice([(), (4,)]),
                     buffer_size=500, batch_size=self.rng.choice([1, 8]))
        return cls(**{k: v for k, v in small.items() if k in fields})

    def dqn(self):
        """A small DQN learner (from the pool)."""
        A = self.sp.algorithms

        def make():
            ident = self.rng.choice(["CartPole-v1", "Acrobot-v1", "MountainCar-v0", "TwoAction-v0"])
            config = self.cheap_config(A.DQNConfig).replace(total_env_steps=2000)    # train()'s default budget
            obj = A.DQN(ident, config, num_envs=self.rng.choice([1, 2]))
            return self.tag(obj, f"DQN({ident!r})")
        return self.get("dqn", make)

    def learner(self, cls=None):
        A = self.sp.algorithms
        classes = list(A.PG_ALGORITHMS.values())

        def make():
            c = cls or self.rng.choice(classes + [A.PolicySearch])
            if c is A.PolicySearch:
                env = self.vec(discrete=True)
                obj = A.PolicySearch(env, config=self.cheap_config(A.SearchConfig))
                return self.tag(obj, f"PolicySearch({env._fuzz_tag})")
            ident = self.rng.choice(["CartPole-v1", "TwoAction-v0", "Pendulum-v1", "MountainCar-v0"])
            obj = c(ident, config=self.cheap_config(c._config_class), num_envs=2, hidden_sizes=(4,))
            return self.tag(obj, f"{c.__name__}({ident!r})")
        obj = self.get("learner" if cls is None else f"learner:{cls.__name__}", make)
        if cls is not None and not isinstance(obj, cls):
            raise Skip
        return obj

    def problem(self):
        lab, r = self.sp.lab, self.rng

        def make():
            choice = r.randrange(6)
            if choice == 0:
                return self.tag(lab.tabular(*self.tabular_arrays(), gamma=0.9), "lab.tabular")
            if choice == 1:
                return self.tag(lab.gridworld("S.G", slip=0.0), "lab.gridworld")
            if choice == 2:
                return self.tag(lab.short_corridor(50), "lab.short_corridor")
            if choice == 3:
                return self.tag(lab.bandit([0.2, 0.8]), "lab.bandit")
            if choice == 4:
                return self.tag(lab.two_action(), "lab.two_action")
            return self.tag(lab.simple_regulator(depth=3), "lab.simple_regulator")
        return self.get("problem", make)

    def policy_for_problem(self, problem):
        sp = self.sp
        if isinstance(problem, sp.lab._SimpleRegulator):
            return self.tag(sp.policies.GaussianPolicy(1, 1, hidden_sizes=()), "Gaussian(1,1)")
        env = problem.make_env(1, 0)
        try:
            return self.policy_for(env, self.rng.choice(["softmax", "tabular", "clamp"]), hidden=())
        finally:
            env.close()

    def gym_env(self, vector: bool = False):
        gym = self.gym
        if vector:
            from gymnasium.vector import AutoresetMode
            env = gym.make_vec("CartPole-v1", 2, vectorization_mode="sync",
                               vector_kwargs={"autoreset_mode": AutoresetMode.SAME_STEP})
            return self.tag(env, "gymnasium.make_vec('CartPole-v1', 2, SAME_STEP)")
        ident = self.rng.choice(["CartPole-v1", "Pendulum-v1"])
        return self.tag(gym.make(ident), f"gymnasium.make({ident!r})")

    def instance(self, owner):
        """A live object of class ``owner`` (or a subclass) for a method call."""
        sp = self.sp
        if owner.__module__ == "swiftpg.distributed":
            # A live trainer needs a Ray instance; the fuzzer starts none (its constructors are
            # fuzzed with arguments refused before Ray starts, see distributed_example).
            raise Skip
        A, P, lab = sp.algorithms, sp.policies, sp.lab
        R = sp.rlhf
        if owner.__module__ in ("swiftpg.games", "swiftpg.gnugo", "swiftpg.sgf"):
            return self.game_object(owner)
        if owner.__module__ == "swiftpg.game_players":
            return self.player_object(owner)
        if owner.__module__ == "swiftpg.board_networks":
            return self.board_object(owner)
        if owner.__module__ == "swiftpg.ladder":
            return self.ladder_object(owner)
        if issubclass(owner, R.SequenceTask):
            return self.seq_task(owner)
        if owner is R.SequencePolicy:
            return self.seq_policy()
        if owner is R.Responses:
            return self.seq_task().expert_demonstrations(self.rng.choice([0, 2]), noise=0.5, seed=1)
        if owner is R.KLTerms:
            pol = self.seq_policy()
            return pol.kl(pol, *self.seq_responses(pol), estimators=self.rng.random() < 0.5)
        if owner is R.RewardModel:
            return self.get("reward_model", lambda: self.tag(R.RewardModel(3, hidden_sizes=self.rng.choice([(), (4,)])),
                                                             "RewardModel(3)"))
        if owner in (R.SFT, R.DPO):
            return self.trainer(owner)
        if owner in (R.REINFORCE, R.RLOO, R.ReMax, R.GRPO, R.REBEL, R.PPO):
            obj = self.get("rlhf_learner", lambda: self.online_learner(owner))
            if not isinstance(obj, owner):
                obj = self.keep("rlhf_learner", self.online_learner(owner))
            return obj
        T = sp.rlhf_table
        if owner is T.TableConfig:
            return self.tag(self.table_config(), "TableConfig(tiny)")
        if owner is T.Pipeline:
            return self.get("rlhf_pipeline", lambda: self.tag(T.prepare(self.table_config(), self.rng.randrange(9)),
                                                              "Pipeline(tiny)"))
        if owner is T.MethodResult:
            return self.get("rlhf_method", lambda: self.method_result())
        if owner is T.Table:
            return self.get("rlhf_table", lambda: self.tag(T.run_table(self.table_config()), "Table(tiny)"))
        if owner is sp.sb3.VecEnvCore:
            return self.sb3_core()
        if issubclass(owner, sp.VectorEnv):
            return self.vec()
        if issubclass(owner, sp.SwiftEnv):
            return self.single()
        if issubclass(owner, P.ValueFunction):
            return self.value()
        if issubclass(owner, P.Policy):
            return self.policy(None if owner is P.Policy else owner)
        if owner is A.PolicySearch:
            return self.learner(A.PolicySearch)
        if owner is A.DQN:
            return self.dqn()
        if owner is A.DQNStats:
            return self.dqn().iterate()
        if issubclass(owner, A.PolicyGradientLearner):
            obj = self.learner(None if owner is A.PolicyGradientLearner else owner)
            if not isinstance(obj, owner):
                raise Skip                  # the pool's learner is a PolicySearch
            return obj
        if owner is A.GymnasiumCollector:
            def make():
                envs = self.gym_env(vector=self.rng.random() < 0.3)
                pol = P.SoftmaxPolicy(4, 2, hidden_sizes=()) if "CartPole" in envs._fuzz_tag else \
                    P.GaussianPolicy(3, 1, hidden_sizes=())
                return self.tag(A.GymnasiumCollector(envs, pol, seed=1), f"GymnasiumCollector({envs._fuzz_tag})")
            return self.get("collector", make)
        if owner is lab.SequenceReport:
            return self.get("sequence_report", lambda: self.tag(self.sequence_report(), "SequenceReport"))
        if owner is lab.SequenceEstimator:
            return self.tag(self.sequence_estimator(), "SequenceEstimator")
        if owner is lab.Report:
            def make():
                prob = self.problem()
                pol = self.policy_for_problem(prob)
                return self.tag(lab.run(prob, pol, ["reward_to_go"], episodes=2, estimates=2, seed=1), "Report")
            return self.get("report", make)
        if issubclass(owner, lab.Problem):
            prob = self.problem()
            if not isinstance(prob, owner):
                raise Skip
            return prob
        if owner is lab.Estimator:
            return self.tag(lab.Estimator(self.rng.choice(["full_return", "reward_to_go", "value"])), "Estimator")
        if owner.__name__ == "ADR":
            env = self.vec()
            env.disable_adr()  # one ADR per environment: a pooled env may run another fuzzed ADR
            names = [n for n in env.parameter_names if n != "max_episode_steps"]
            if not names:
                env = self.vec()
                env.disable_adr()
                names = [n for n in env.parameter_names if n != "max_episode_steps"]
                if not names:
                    raise Skip
            name = self.rng.choice(names)
            value = float(env.get_parameter(name)[0])
            # Limits every parameter may take: the value itself (domains differ: flags, [0, 1], > 0).
            sched = sp.randomization.ParameterSchedule(value, step=0.01 + abs(value) * 0.1, limits=(value, value))
            if name == "max_episode_steps":
                sched = sp.randomization.ParameterSchedule(value, 1.0, (max(1.0, value - 5), value + 5))
            return self.tag(owner(env, {name: sched}, buffer_size=2, success_return=self.rng.choice([0.0, 10.0])),
                            f"ADR({name})")
        if owner.__name__ in ("Adam", "SGD"):
            return self.tag(owner(self.rng.choice([1, 3])), owner.__name__)
        if owner.__name__ == "ParameterSchedule":
            return self.tag(owner(1.0, 0.1, (0.5, 2.0)), "ParameterSchedule")
        if owner.__name__ == "Batch":
            prob = self.problem()
            return self.tag(lab.collect(prob, self.policy_for_problem(prob), 2, seed=0), "Batch")
        if dataclasses.is_dataclass(owner) and owner.__name__.endswith("Config"):
            return self.cheap_config(owner)
        if owner.__name__ in ("TrainStats", "IterationStats"):
            learner = self.learner(self.rng.choice([A.REINFORCE, A.A2C]))
            return learner.iterate()
        if owner.__name__ == "SearchStats":
            return self.learner(A.PolicySearch).iterate()
        if issubclass(owner, BaseException):
            return owner("fuzz message", -1)
        raise Skip

    # -- two-player games (issue 17) ---------------------------------------------------------------
    def game(self):
        """A game: tic-tac-toe, Connect Four, Connect-3 on 4×5 or Go 5×5."""
        G = self.sp.games
        name, params = self.rng.choice([("tic_tac_toe", {}), ("connect_four", {}),
                                        ("connect_four", {"rows": 4, "columns": 5, "x_in_row": 3}),
                                        ("go", {"board_size": 5, "komi": 7.5})])
        return self.tag(G.load(name, **params), f"{name}{params or ''}")

    def game_object(self, owner):
        """A live Game, State (a few random moves in), GameBatch or
        GnuGoPlayer (GNU Go 5×5, level 0)."""
        G, r = self.sp.games, self.rng
        if owner.__name__ == "GnuGoPlayer":
            return self.get("gnugo", lambda: self.tag(self.sp.gnugo.GnuGoPlayer(level=0, board_size=5, komi=7.5,
                                                                                timeout=10.0), "GnuGoPlayer"))
        if owner.__name__ == "Replacement":
            return self.sp.gnugo.Replacement(1, "resign", "fuzz")
        if owner is G.Game:
            return self.game()
        if owner is G.State:
            def make():
                state = self.game().new_initial_state()
                for _ in range(r.randrange(4)):
                    state.apply_action(r.choice(state.legal_actions()))
                return self.tag(state, f"State({state.game.name})")
            return self.get("game_state", make)
        if owner is G.GameBatch:
            return self.get("game_batch", lambda: self.tag(self.game().new_batch(r.choice([1, 3]),
                                                                                  auto_reset=r.random() < 0.5),
                                                           "GameBatch"))
        raise Skip

    def go_state(self):
        """A Go 5×5 state a few random moves in (with its history)."""
        state = self.sp.games.load("go", board_size=5, komi=7.5).new_initial_state()
        for _ in range(self.rng.randrange(6)):
            legal = state.legal_actions()
            state.apply_action(self.rng.choice(legal[:-1] or legal))
        return self.tag(state, "State(go 5x5)")

    def go_example(self, name: str, obj, short_name: str):
        """(args, kwargs) of a valid call of a ``swiftpg.sgf`` or
        ``swiftpg.gnugo`` target."""
        r = self.rng
        sgf, gg = self.sp.sgf, self.sp.gnugo
        if short_name in ("to_sgf", "result_string"):
            return (self.get("go_state", self.go_state),), {}
        if short_name == "from_sgf":
            return (sgf.to_sgf(self.get("go_state", self.go_state)),), {}
        if short_name == "action_to_vertex":
            return (r.randrange(26), 5), {}
        if short_name == "vertex_to_action":
            return (r.choice(["A1", "e5", "pass", "C3"]), 5), {}
        if short_name == "find_gnugo":
            return (), {}
        if name == "swiftpg.gnugo.GnuGoPlayer":
            return (), dict(level=0, board_size=5, komi=7.5, timeout=10.0)
        if short_name in ("action", "__call__"):
            return (self.get("go_state", self.go_state),), {}
        if short_name == "command_line":
            return (r.choice(["showboard", "name", "version", "list_commands"]),), {}
        if name == "swiftpg.gnugo.Replacement":
            return (1, "resign", "fuzz"), {}
        if short_name in ("SgfError", "GnuGoError"):
            return ("fuzz message",), {}
        return None

    def games_example(self, name: str, obj, short_name: str):
        """(args, kwargs) of a valid call of a ``swiftpg.games`` target, or
        None where the signature's defaults do."""
        G, r, g, np = self.sp.games, self.rng, self.np_rng, self.np
        if name == "swiftpg.games.load":
            game = self.game()
            return (game.name,), game.get_parameters()
        if name == "swiftpg.games.Game":
            game = self.game()
            return (game.name, game.get_parameters()), {}
        if name in ("swiftpg.games.State", "swiftpg.games.GameBatch"):
            extra = (r.choice([1, 2]),) if name.endswith("GameBatch") else ()
            return (self.game(), *extra), {}
        if short_name == "new_batch":
            return (r.choice([1, 2]),), dict(auto_reset=r.random() < 0.5)
        if short_name in ("apply_action", "child"):
            legal = obj.legal_actions()
            return (r.choice(legal) if legal else 0,), {}
        if short_name == "action_to_string":
            return (r.randrange(2), r.randrange(obj.num_actions)), {}
        if short_name == "player_return":
            return (r.randrange(2),), {}
        if short_name == "set_state":
            return (obj.get_state(),), {}
        if short_name == "step":
            mask = obj.legal_mask()
            actions = np.array([g.choice(np.flatnonzero(m)) if m.any() else 0 for m in mask], np.int32)
            active = ~obj.is_terminal() if r.random() < 0.7 else None
            return (actions,), dict(active=active)
        if short_name == "reset":
            return (), dict(which=g.random(obj.num_games) < 0.5 if r.random() < 0.5 else None)
        if short_name in ("render", "symmetry", "transform_planes", "transform_policy"):
            if short_name == "render":
                return (r.randrange(obj.num_games),), {}
            k = r.randrange(obj.info.num_symmetries)
            if short_name == "symmetry":
                return (k,), {}
            if short_name == "transform_planes":
                return (obj.planes(), k), {}
            return (obj.legal_mask().astype(np.float64), k), {}
        if short_name == "playouts":
            return (), dict(playouts_per_game=r.choice([1, 2]), seed=r.randrange(100), num_threads=r.choice([1, 2]))
        return None

    # -- players, arena, Elo, solver (issue 17) -----------------------------------------------------
    # Small games only (tic-tac-toe, Connect-3 on 4×5), small budgets: every
    # call ends in well under a second.
    def small_game(self):
        G = self.sp.games
        name, params = self.rng.choice([("tic_tac_toe", {}), ("connect_four", {"rows": 4, "columns": 5,
                                                                               "x_in_row": 3})])
        return self.tag(G.load(name, **params), f"{name}{params or ''}")

    def small_state(self, game=None):
        """A State of a small game a few random moves in (not finished)."""
        state = (game or self.small_game()).new_initial_state()
        for _ in range(self.rng.randrange(4)):
            state.apply_action(self.rng.choice(state.legal_actions()))
        return self.tag(state, f"State({state.game.name})")

    def player(self):
        P, r = self.sp.game_players, self.rng
        kind = r.randrange(5)
        if kind == 0:
            return self.tag(P.RandomPlayer(), "RandomPlayer()")
        if kind == 1:
            return self.tag(P.MinimaxPlayer(r.randrange(1, 4)), "MinimaxPlayer")
        if kind == 2:
            return self.tag(P.MCTSPlayer(r.choice([1, 10, 40]), r.choice([0.0, 1.4, 2.0])), "MCTSPlayer")
        if kind == 3:
            return self.tag(P.SolverPlayer(), "SolverPlayer()")
        return self.tag(lambda state: self.rng.choice(state.legal_actions()), "lambda state: random move")

    def player_object(self, owner):
        P, r, np = self.sp.game_players, self.rng, self.np
        if owner in (P.RandomPlayer, P.MinimaxPlayer, P.MCTSPlayer, P.SolverPlayer, P.Player):
            def make():
                while True:
                    p = self.player()
                    if isinstance(p, owner):
                        return p
            return self.get(f"player_{owner.__name__}", make)
        if owner is P.ConnectFourSolver:
            return self.get("c4_solver", lambda: self.tag(P.connect_four_solver(4, 5, 3), "ConnectFourSolver(4, 5, 3)"))
        if owner is P.MatchRecord:
            return P.MatchRecord(*(r.randrange(5) for _ in range(3)))
        if owner is P.ArenaResult:
            return P.arena(self.small_game(), P.RandomPlayer(), P.RandomPlayer(), 4, seed=r.randrange(9))
        if owner is P.EloResult:
            return P.elo(self.small_game(), [P.RandomPlayer(), P.MinimaxPlayer(1)], 4, seed=1)
        if owner is P.Solution:
            return P.Solution(0, [0, None])
        raise Skip

    def players_example(self, name: str, obj, short_name: str):
        """(args, kwargs) of a valid call of a ``swiftpg.game_players``
        target, or None where the signature's defaults do."""
        P, r, np = self.sp.game_players, self.rng, self.np
        if name == "swiftpg.game_players.MinimaxPlayer":
            return (r.randrange(1, 4),), {}
        if name == "swiftpg.game_players.MCTSPlayer":
            return (r.choice([1, 10, 40]),), dict(c=r.choice([0.0, 2.0]))
        if name == "swiftpg.game_players.MatchRecord":
            return tuple(r.randrange(5) for _ in range(3)), {}
        if name == "swiftpg.game_players.ArenaResult":
            recs = [P.MatchRecord(*(r.randrange(5) for _ in range(3))) for _ in range(3)]
            return tuple(recs), {}
        if name == "swiftpg.game_players.EloResult":
            return (np.zeros(2), np.zeros(2), np.zeros((2, 2, 3), np.int64)), {}
        if name == "swiftpg.game_players.Solution":
            return (1, [1, None, -1]), {}
        if name in ("swiftpg.game_players.ConnectFourSolver", "swiftpg.game_players.connect_four_solver"):
            return (4, 5, 3), {}
        if name == "swiftpg.game_players.arena":
            return (self.small_game(), self.player(), self.player()), dict(games=r.choice([1, 2, 4]),
                                                                           seed=r.randrange(100))
        if name == "swiftpg.game_players.elo":
            return (self.small_game(), [self.player() for _ in range(r.choice([2, 3]))]), dict(
                games_per_pair=r.choice([1, 2]), seed=r.randrange(100), prior_games=r.choice([0.5, 1.0]))
        if name == "swiftpg.game_players.fit_elo":
            n = r.choice([1, 2, 3])
            records = self.np_rng.integers(0, 5, (n, n, 3))
            records[np.arange(n), np.arange(n)] = 0
            return (records,), dict(anchor=r.randrange(n), prior_games=r.choice([0.5, 1.0]))
        if name == "swiftpg.game_players.mcts_budgets":
            return (r.choice([1, 10]), r.choice([1, 5])), {}
        if name == "swiftpg.game_players.solve":
            return (self.small_state(self.sp.games.load("connect_four", rows=4, columns=5, x_in_row=3)),), {}
        if short_name == "action":
            return (self.small_state(),), dict(seed=r.randrange(100))
        if short_name == "native":
            return (self.small_game(),), {}
        if short_name in ("score", "column_scores", "solve") and isinstance(obj, P.ConnectFourSolver):
            if r.random() < 0.5:
                return ([r.randrange(5) for _ in range(r.randrange(3))],), {}
            return (self.small_state(obj.game),), {}
        if short_name == "interval":
            return (), dict(z=r.choice([1.0, 1.96, 3.0]))
        return None

    # -- board networks, AlphaGo and AlphaZero (issue 18) -------------------------------------------
    # Tic-tac-toe networks of a few units, learners with one or two games and
    # a few simulations: every call ends in well under a second.
    def board_net(self, value: bool = False):
        B, r = self.sp.board_networks, self.rng
        cls = B.ValueNetwork if value else B.PolicyNetwork
        trunk = r.choice(["mlp", "conv"])
        sizes = r.choice([(4,), (8, 4)]) if trunk == "mlp" else r.choice([(2,), (2, 2)])
        return self.get(f"board_{cls.__name__}_{trunk}", lambda: self.tag(
            cls("tic_tac_toe", sizes, trunk=trunk, seed=r.randrange(9)), f"{cls.__name__}(tic_tac_toe, {trunk})"))

    def board_positions(self, b=None):
        """(planes [B, 3, 3, 3], masks [B, 9], legal actions [B]) of tic-tac-toe positions."""
        G, np, r = self.sp.games, self.np, self.rng
        b = r.choice([1, 3]) if b is None else b
        with G.load("tic_tac_toe").new_batch(b) as batch:
            for _ in range(r.randrange(4)):
                mask = batch.legal_mask()
                batch.step(np.array([r.choice(list(np.flatnonzero(m))) for m in mask], np.int32))
            mask = batch.legal_mask()
            actions = np.array([r.choice(list(np.flatnonzero(m))) for m in mask], np.int32)
            return batch.planes(), mask, actions

    def board_object(self, owner):
        B, P, r = self.sp.board_networks, self.sp.game_players, self.rng
        if owner in (B.PolicyNetwork, B.BoardNetwork):
            return self.board_net()
        if owner is B.ValueNetwork:
            return self.board_net(value=True)
        if owner is B.PUCTPlayer:
            return self.tag(B.PUCTPlayer(self.board_net(), self.board_net(True), simulations=r.choice([1, 4])),
                            "PUCTPlayer")
        if owner in (B.PolicyPlayer, B._NetworkPlayer):
            return self.tag(B.PolicyPlayer(self.board_net(), temperature=r.choice([0.0, 1.0])), "PolicyPlayer")
        if owner is B.SelfPlayReinforce:
            return self.get("board_selfplay", lambda: self.tag(B.SelfPlayReinforce(
                "tic_tac_toe", self.board_net(), games_per_iteration=2, seed=1), "SelfPlayReinforce"))
        if owner is B.AlphaZero:
            return self.get("board_alphazero", lambda: self.tag(B.AlphaZero(
                "tic_tac_toe", self.board_net(), self.board_net(True), games_per_iteration=1, simulations=4,
                epochs=1, seed=1), "AlphaZero"))
        if owner is B.ExpertMoves:
            return B.expert_moves("tic_tac_toe", P.RandomPlayer(), 2, seed=r.randrange(9))
        if owner is B.SelfPlayStats:
            return self.board_object(B.SelfPlayReinforce).iterate()
        if owner is B.AlphaZeroStats:
            return self.board_object(B.AlphaZero).iterate()
        raise Skip

    def board_example(self, name: str, owner, obj, short_name: str):
        """(args, kwargs) of a valid call of a ``swiftpg.board_networks``
        target, or None where the signature's defaults do."""
        import dataclasses
        B, P, G, r = self.sp.board_networks, self.sp.game_players, self.sp.games, self.rng
        ctor = owner is not None and short_name in ("__init__", owner.__name__)
        if ctor and owner in (B.PolicyNetwork, B.ValueNetwork, B.BoardNetwork):
            trunk = r.choice(["mlp", "conv"])
            return ("tic_tac_toe",), dict(sizes=r.choice([(4,), (2, 2)]), trunk=trunk, seed=r.randrange(9))
        if ctor and owner is B.PUCTPlayer:
            return (self.board_net(), self.board_net(True)), dict(simulations=r.choice([1, 4]),
                                                                  rollout_weight=r.choice([0.0, 0.5]))
        if ctor and owner is B.PolicyPlayer:
            return (self.board_net(),), dict(temperature=r.choice([0.0, 1.0]))
        if ctor and owner is B.SelfPlayReinforce:
            return ("tic_tac_toe", self.board_net()), dict(games_per_iteration=2, seed=r.randrange(9))
        if ctor and owner is B.AlphaZero:
            return ("tic_tac_toe", self.board_net(), self.board_net(True)), dict(
                games_per_iteration=1, simulations=4, epochs=1, seed=r.randrange(9))
        if ctor and owner in (B.SelfPlayStats, B.AlphaZeroStats, B.ExpertMoves):
            return dataclasses.astuple(self.board_object(owner)), {}
        if name == "swiftpg.board_networks.load_network":
            net = self.board_net(r.random() < 0.5)
            path = self.path()
            net.save(path)
            return (path,), dict(game="tic_tac_toe")
        if name == "swiftpg.board_networks.expert_moves":
            return ("tic_tac_toe", r.choice([P.RandomPlayer(), P.MinimaxPlayer(2)])), dict(num_games=2,
                                                                                           seed=r.randrange(9))
        if name == "swiftpg.board_networks.value_targets":
            return (self.board_net(),), dict(num_games=r.choice([1, 3]), seed=r.randrange(9))
        planes, masks, actions = self.board_positions()
        if short_name in ("probabilities", "__call__", "log_probabilities") and isinstance(obj, B.PolicyNetwork):
            return (planes, masks), {}
        if short_name in ("values", "__call__") and isinstance(obj, B.ValueNetwork):
            return (planes,), {}
        if short_name == "accuracy":
            return (planes, masks, actions), {}
        if short_name == "gradient" and isinstance(obj, B.PolicyNetwork):
            return (planes, masks, actions), {}
        if short_name == "gradient":
            return (planes, self.np.sign(actions - 4.0)), {}
        if short_name == "fit" and isinstance(obj, B.PolicyNetwork):
            return (planes, masks, actions), dict(epochs=1, held_out=(planes, masks, actions))
        if short_name == "fit":
            return (planes, self.np.sign(actions - 4.0)), dict(epochs=1, held_out=(planes, self.np.zeros(len(planes))))
        if short_name == "evaluate":
            return (G.load("tic_tac_toe").new_batch(2),), {}
        if short_name == "save":
            return (self.path(),), {}
        if short_name == "load" and isinstance(obj, (B.SelfPlayReinforce, B.AlphaZero)):
            path = self.path()
            source = obj if r.random() < 0.7 else self.board_object(
                B.AlphaZero if isinstance(obj, B.SelfPlayReinforce) else B.SelfPlayReinforce)
            source.save(path)
            if r.random() < 0.3:
                with open(path, "rb") as f:
                    data = f.read()
                with open(path, "wb") as f:
                    f.write(self.damaged_bundle(data))
            return (path,), {}
        if short_name == "from_bytes":
            return (self.board_net(r.random() < 0.5).to_bytes(),), {}
        if short_name == "set_precision":
            return (r.choice([32, 64]),), {}
        if short_name == "action":
            return (self.small_state(G.load("tic_tac_toe")),), dict(seed=r.randrange(100))
        if short_name == "native":
            return (G.load("tic_tac_toe"),), {}
    # -- the self-play pipeline, mistake rate and ladder (issue 18) ---------------------------------
    # Tiny configs only: every call ends well under a second.
    def tiny_selfplay_config(self):
        L, r = self.sp.ladder, self.rng
        return L.SelfPlayConfig(hidden=(r.choice([4, 8]),), expert_games=r.choice([2, 5]), supervised_epochs=1,
                                selfplay_iterations=r.choice([0, 1]), selfplay_games=2, snapshot_interval=1,
                                evaluation_games=r.choice([0, 2]), value_games=r.choice([2, 4]), value_epochs=1,
                                alphazero_iterations=r.choice([0, 1]), alphazero_games=1,
                                alphazero_simulations=2, search_simulations=r.choice([1, 3]),
                                solver_games=r.choice([0, 2]), measure_mistakes=False,
                                elo_games_per_pair=r.choice([0, 1]), seed=r.randrange(100))

    def tiny_game(self):
        G = self.sp.games
        return self.tag(G.load("tic_tac_toe"), "tic_tac_toe")

    def ladder_object(self, owner):
        L, P, r, np = self.sp.ladder, self.sp.game_players, self.rng, self.np
        if owner is L.SelfPlayPipeline:
            return self.get("selfplay_pipeline", lambda: self.tag(
                L.SelfPlayPipeline(self.tiny_game(), self.path(""), self.tiny_selfplay_config()),
                "SelfPlayPipeline(tic_tac_toe, tiny)"))
        if owner is L.PipelinePlayer:
            return self.get("pipeline_player", lambda: self.tag(
                self.ladder_object(L.SelfPlayPipeline).player(r.choice([1, 3])), "PipelinePlayer"))
        if owner in (L.SelfPlayConfig, L.LadderConfig):
            return owner()
        if owner is L.MistakeReport:
            return L.mistake_rate(self.tiny_game(), P.MinimaxPlayer(1), sides=r.choice(["first", "second"]))
        if owner is L.Progress:
            return L.Progress("supervised", 1, 1, 0, False, *([0.0] * 11))
        raise Skip

    def ladder_example(self, name: str, obj, short_name: str):
        """(args, kwargs) of a valid call of a ``swiftpg.ladder`` target, or
        None where the signature's defaults do."""
        L, P, r = self.sp.ladder, self.sp.game_players, self.rng
        if name == "swiftpg.ladder.SelfPlayPipeline":
            return (self.tiny_game(), self.path("")), dict(config=self.tiny_selfplay_config())
        if name == "swiftpg.ladder.recommended_config":
            return (self.tiny_game(),), {}
        if name == "swiftpg.ladder.SelfPlayConfig":
            return (), dict(seed=r.randrange(100), hidden=(r.choice([4, 8]),))
        if name == "swiftpg.ladder.LadderConfig":
            return (), dict(games_per_rung=r.choice([1, 2]), mcts_rungs=r.choice([0, 1]), minimax_depths=(1,))
        if name == "swiftpg.ladder.Progress":
            return ("value", 1, 1, 1, True, *([float("nan")] * 11)), {}
        if name == "swiftpg.ladder.Checkpoint":
            return ("x.spg", True, "supervised", 1), {}
        if name == "swiftpg.ladder.Evaluation":
            return (None, None, None, None, None, None), {}
        if name == "swiftpg.ladder.Rating":
            return ("random", 0.0, 0.0), {}
        if name == "swiftpg.ladder.PipelinePlayer":
            raise Skip  # made by SelfPlayPipeline.player
        if name == "swiftpg.ladder.MistakeReport":
            z = self.np.zeros(9, self.np.int64)
            return (0, 0, 0, 0, 0, 0, 0, 0, z, z), {}
        if name == "swiftpg.ladder.Rung":
            rec = P.ArenaResult(P.MatchRecord(1, 0, 0), P.MatchRecord(1, 0, 0), P.MatchRecord())
            return ("mcts", 10, rec), {}
        if name == "swiftpg.ladder.mistake_rate":
            return (self.tiny_game(), r.choice([P.RandomPlayer(), P.MinimaxPlayer(1), P.SolverPlayer()])), dict(
                sides=r.choice(["first", "second", "both"]), seed=r.randrange(100))
        if name == "swiftpg.ladder.ladder":
            return (self.tiny_game(), r.choice([P.RandomPlayer(), P.MinimaxPlayer(1)])), dict(
                config=L.LadderConfig(games_per_rung=r.choice([1, 2]), mcts_rungs=r.choice([0, 1]),
                                      minimax_depths=(1,), solver=r.random() < 0.5))
        if short_name == "run":
            return (), dict(callback=r.choice([None, lambda p: False]))
        if short_name == "player":
            return (), dict(simulations=r.choice([1, 3]))
        if short_name == "rate_by_stage":
            return (), dict(stages=r.choice([1, 3]))
        if short_name == "replace":
            return (), dict(seed=r.randrange(100))
        if short_name == "native":
            return (self.tiny_game(),), {}
        if short_name in ("action", "__call__"):
            raise Skip
        return None

    # -- the lab's sequence page (issue 16) ---------------------------------------------------------
    def sequence_estimator(self):
        """A small :class:`swiftpg.lab.SequenceEstimator` of any method."""
        lab, r = self.sp.lab, self.rng
        method = r.choice(["reinforce", "rloo", "remax", "grpo", "rebel", "ppo"])
        kw = {}
        if method in ("reinforce", "remax", "ppo"):
            kw["samples_per_prompt"] = r.choice([1, 2])
        elif method in ("rloo", "grpo"):
            kw["samples_per_prompt"] = r.choice([2, 3])
        if method == "reinforce":
            kw.update(baseline=r.choice(["none", "moving_average"]), warmup=r.choice([0, 2]))
        if method == "grpo":
            kw.update(scaling=r.choice(["group", "batch", "none"]), aggregation=r.choice(["sequence", "token"]))
        if method == "rebel" and r.random() < 0.5:
            kw["options"] = {"eta": r.choice([0.5, 1.0])}
        return lab.SequenceEstimator(method, **kw)

    def sequence_run_arguments(self):
        """(args, kwargs) of a small :func:`swiftpg.lab.sequence_run` (N a
        multiple of every estimator's k, K = 2 or 3)."""
        R, r = self.sp.rlhf, self.rng
        task = self.seq_task()
        policy = R.SequencePolicy.for_task(task)
        if r.random() < 0.5:
            policy.parameters = self.np_rng.normal(0, 0.5, policy.num_params)
        specs = [self.sequence_estimator() for _ in range(r.choice([1, 2]))]
        k = math.lcm(*(e.samples_per_prompt for e in specs))
        return (task, policy, R.SequencePolicy.for_task(task), specs, r.choice([0.0, 0.1, 1.0])), dict(
            responses_per_estimate=k * r.choice([1, 2]), estimates=r.choice([2, 3]), seed=r.randrange(100),
            keep_samples=r.random() < 0.5)

    def sequence_report(self):
        args, kwargs = self.sequence_run_arguments()
        return self.sp.lab.sequence_run(*args, **kwargs)

    # -- swiftpg.rlhf (issue 15) -------------------------------------------------------------------
    def seq_task(self, cls=None):
        R, r, g = self.sp.rlhf, self.rng, self.np_rng

        def make():
            choice = cls if cls not in (None, R.SequenceTask) else r.choice(
                [R.Summarise, R.LengthBias, R.DidacticBandit, R.ArrayTask])
            if choice is R.Summarise:
                t = R.Summarise(vocab_size=r.choice([2, 3]), max_length=3, num_prompts=2, post_length=3,
                                salient_count=1, seed=r.randrange(100))
            elif choice is R.LengthBias:
                t = R.LengthBias(vocab_size=3, max_length=3, num_prompts=2, relevant_count=1)
            elif choice is R.DidacticBandit:
                t = R.DidacticBandit(r.choice([1, 9, 99]), r.choice(["low_probability", "high_probability"]))
            else:
                t = R.ArrayTask(2, 2, [0.25, 0.75], g.standard_normal((2, 7)),
                                label_table=g.standard_normal((2, 7)) if r.random() < 0.5 else None,
                                prompt_features=g.standard_normal((2, 2)) if r.random() < 0.5 else None)
            return self.tag(t, repr(t))
        objs = [o for o in self.pool.get("seq_task", []) if not o.closed and (cls is None or isinstance(o, cls))]
        if objs and r.random() > 0.15:
            return r.choice(objs)
        return self.keep("seq_task", make())

    def seq_policy(self):
        R, r = self.sp.rlhf, self.rng

        def make():
            task = self.seq_task()
            if r.random() < 0.5:
                pol = R.SequencePolicy.for_task(task)
            else:
                pol = R.SequencePolicy.for_task(task, "neural", hidden_sizes=r.choice([(), (4,)]),
                                                context_size=r.choice([0, 1]), seed=r.randrange(100))
            return self.tag(pol, repr(pol))
        return self.get("seq_policy", make)

    def trainer(self, cls):
        R, r = self.sp.rlhf, self.rng

        def make():
            pol = R.SequencePolicy.for_task(self.seq_task(R.Summarise))
            if cls is R.SFT:
                return self.tag(R.SFT(pol, epochs=1, minibatch_size=r.choice([1, 64])), "SFT")
            return self.tag(R.DPO(pol, pol.copy(), loss=r.choice(["dpo", "ipo"]), epochs=1), "DPO")
        obj = self.get("trainer", make)
        if not isinstance(obj, cls):
            obj = self.keep("trainer", make())
        return obj

    def online_arguments(self, cls):
        """(args, kwargs) of a small online RLHF learner of class ``cls``."""
        R, r = self.sp.rlhf, self.rng
        task = self.seq_task()
        pol = R.SequencePolicy.for_task(task)
        kwargs = dict(beta=r.choice([0.0, 0.1, 1.0]), prompts_per_iteration=r.choice([1, 3]),
                      learning_rate=r.choice([0.01, 0.1]), seed=r.randrange(9))
        if cls is not R.REBEL:
            kwargs["samples_per_prompt"] = 2 if cls in (R.RLOO, R.GRPO) else r.choice([1, 2])
        reward_model = R.RewardModel(task.num_features) if r.random() < 0.3 else None
        return (pol, pol.copy(), task, reward_model), kwargs

    def online_learner(self, cls):
        args, kwargs = self.online_arguments(cls)
        return self.tag(cls(*args, **kwargs), cls.__name__)

    def responses_of(self, owner_obj, b: int | None = None):
        """:class:`Responses` of valid responses for a task or policy."""
        return self.sp.rlhf.Responses(*self.seq_responses(owner_obj, b))

    def seq_responses(self, owner_obj, b: int | None = None):
        """(prompts, tokens, lengths) of valid responses for a task or
        policy, with random padding (EOS included) beyond each length."""
        np, r, g = self.np, self.rng, self.np_rng
        v, l, p = owner_obj.vocab_size, owner_obj.max_length, owner_obj.num_prompts
        b = r.choice([0, 1, 3]) if b is None else b
        tokens = g.integers(0, v + 1, (b, l)).astype(np.int32)
        lengths = np.empty(b, np.int32)
        for i in range(b):
            content = r.randrange(l + 1)
            tokens[i, :content] = g.integers(0, v, content)
            if content < l:
                tokens[i, content] = v
            lengths[i] = content + 1 if content < l else l
        return g.integers(0, p, b).astype(np.int32), tokens, lengths

    def saved(self, obj, short_name: str) -> str:
        """A path for ``obj.save``, or for ``load``: a file ``obj`` saved,
        sometimes damaged field by field or byte by byte."""
        path = self.path()
        if short_name == "load":
            obj.save(path)
            if self.rng.random() < 0.4:
                with open(path, "rb") as f:
                    data = f.read()
                with open(path, "wb") as f:
                    f.write(self.damaged_bundle(data))
        return path

    # -- swiftpg.rlhf_table (issue 16) ----------------------------------------------------------
    def table_config(self, **changes):
        """A TableConfig of the tiny tabular task whose whole table takes a
        fraction of a second (1 seed, a few rows, small samples)."""
        T, r = self.sp.rlhf_table, self.rng
        rows = r.sample(list(T.METHODS), r.choice([1, 2, 3]))
        values = dict(task="tiny", seeds=1, first_seed=r.randrange(5), methods=tuple(rows),
                      beta=r.choice([0.05, 0.5]), budget=r.choice([8, 16]), batch_size=8, best_of=r.choice([1, 4]),
                      demonstrations=r.choice([8, 32]), sft_epochs=1, comparisons=r.choice([5, 16]),
                      reward_model_epochs=1, dpo_epochs=1, human_samples=r.choice([2, 16]),
                      check_samples=r.choice([2, 16]), curve_points=r.choice([0, 2]), curve_best_of=r.choice([1, 8]))
        values.update(changes)
        return T.TableConfig(**values)

    def method_result(self):
        T, r = self.sp.rlhf_table, self.rng
        config = self.table_config()
        pipeline = self.instance(T.Pipeline)
        method = r.choice(T.METHOD_NAMES)
        return self.tag(T.train_method(pipeline, method, config), f"MethodResult({method})")

    def rlhf_table_example(self, name: str, owner, obj, short_name: str):
        T, r, np = self.sp.rlhf_table, self.rng, self.np
        if owner is T.TableConfig and obj is None and short_name == "TableConfig":
            return (), dict(vars(self.table_config()))
        if owner in (T.Pipeline, T.MethodResult, T.Table) and obj is None and short_name == owner.__name__:
            return (), {}                                   # made by the functions: DTypeError
        if isinstance(obj, T.TableConfig) and short_name == "replace":
            return (), dict(budget=r.choice([8, 16]), seeds=r.choice([1, 2]))
        if isinstance(obj, T.MethodResult) and short_name == "sample":
            task = obj.pipeline.task
            prompts = np.zeros(0, np.int32) if task.closed else \
                self.np_rng.integers(0, task.num_prompts, r.choice([0, 1, 3])).astype(np.int32)
            return (prompts,), dict(seed=r.randrange(9))
        if isinstance(obj, T.Table) and short_name == "plot":
            return (self.path(".png"),), {}
        if owner is None and short_name == "prepare":
            return (self.table_config(), r.randrange(9)), {}
        if owner is None and short_name == "train_method":
            method = r.choice(T.METHOD_NAMES)
            k = {"rloo": 2, "grpo": 4, "rebel": 2, "best-of-n": r.choice([1, 3])}.get(method, r.choice([None, 1, 2]))
            if method in ("sft", "dpo"):
                k = None
            return (self.instance(T.Pipeline), method, self.table_config()), dict(
                k=k, callback=r.choice([None, lambda s: True, lambda s: False]))
        if owner is None and short_name == "evaluate":
            return (self.instance(T.MethodResult), self.table_config()), {}
        if owner is None and short_name == "run_table":
            return (self.table_config(),), dict(progress=r.choice([None, lambda line: None]))
        if owner is None and short_name == "save_table":
            return (self.instance(T.Table), self.path("")), {}
        return None

    def rlhf_example(self, name: str, owner, obj, short_name: str):
        R, np, r, g = self.sp.rlhf, self.np, self.rng, self.np_rng
        if owner is not None and obj is None and name == f"{owner.__module__}.{owner.__qualname__}":
            if owner is R.Summarise:
                return (), dict(vocab_size=r.choice([2, 3]), max_length=3, num_prompts=2, post_length=3,
                                salient_count=1)
            if owner is R.LengthBias:
                return (), dict(vocab_size=3, max_length=3, num_prompts=2, relevant_count=1)
            if owner is R.DidacticBandit:
                return (r.choice([1, 9, 99]),), dict(placement=r.choice(["low_probability", "high_probability"]))
            if owner is R.ArrayTask:
                return (2, 2, [0.5, 0.5], g.standard_normal((2, 7))), dict(
                    label_table=g.standard_normal((2, 7)) if r.random() < 0.5 else None,
                    prompt_features=g.standard_normal((2, 3)) if r.random() < 0.5 else None)
            if owner is R.Responses:
                return self.seq_responses(self.seq_task()), {}
            if owner is R.KLTerms:
                return (g.standard_normal((2, 3)),), {}
            if owner is R.RewardModel:
                return (r.choice([1, 3]),), dict(hidden_sizes=r.choice([(), (4,)]), seed=r.randrange(9))
            if owner is R.SFT:
                return (R.SequencePolicy.for_task(self.seq_task()),), dict(epochs=1, minibatch_size=r.choice([1, 64]))
            if owner is R.DPO:
                pol = R.SequencePolicy.for_task(self.seq_task())
                return (pol, pol.copy()), dict(loss=r.choice(["dpo", "ipo"]), beta=r.choice([0.1, 1.0]))
            if owner in (R.REINFORCE, R.RLOO, R.ReMax, R.GRPO, R.REBEL, R.PPO):
                return self.online_arguments(owner)
            return (), {}                               # the abstract bases: DTypeError
        if name.endswith("ArrayTask.from_reward_fn"):
            return (r.choice([1, 2]), r.choice([1, 2]), [0.5, 0.5],
                    lambda p, t, n: (t == 0).sum(1) - 0.1 * n), dict(batch_size=r.choice([1, 3, 65536]))
        if owner is R.SequencePolicy and obj is None or name.endswith(("SequencePolicy.tabular",
                                                                       "SequencePolicy.neural",
                                                                       "SequencePolicy.for_task")):
            if short_name == "tabular":
                return (r.choice([1, 2, 3]), r.choice([1, 2, 3]), r.choice([1, 2])), {}
            if short_name == "neural":
                p = r.choice([1, 2])
                return (r.choice([1, 2, 3]), r.choice([1, 2, 3]), p), dict(
                    prompt_features=g.standard_normal((p, 2)) if r.random() < 0.5 else None,
                    context_size=r.choice([0, 1]), hidden_sizes=r.choice([(), (4,)]))
            if short_name == "for_task":
                return (self.seq_task(),), dict(family=r.choice(["tabular", "neural"]))
        if isinstance(obj, R.SequenceTask):
            if short_name in ("gold_rewards", "label_rewards"):
                return self.seq_responses(obj), {}
            if short_name == "reward_features":
                return self.seq_responses(obj), dict(proxy=r.random() < 0.5)
            if short_name == "reward_table":
                return (r.randrange(obj.num_prompts),), dict(label=r.random() < 0.5)
            if short_name == "sample_prompts":
                return (r.choice([0, 1, 5]),), dict(seed=r.randrange(100), first_row=r.choice([0, 3]))
            if short_name == "expert_demonstrations":
                return (r.choice([0, 1, 3]),), dict(noise=r.choice([0.0, 0.3, 1.0]), seed=r.randrange(100))
            if short_name == "reference_policy":
                return (), {}
        if isinstance(obj, R.SequencePolicy):
            b = r.choice([0, 1, 3])
            prompts = g.integers(0, obj.num_prompts, b).astype(np.int32)
            if short_name in ("set_params", "parameters"):
                return (obj.get_params() + 0.01,), {}
            if short_name == "sample":
                return (prompts,), dict(temperature=r.choice([0.0, 0.5, 1.0]), seed=r.randrange(100),
                                        first_lane=r.choice([0, 2]))
            if short_name == "greedy":
                return (prompts,), {}
            if short_name in ("log_probs", "entropies"):
                extra = dict(per_token=r.random() < 0.5) if short_name == "log_probs" else {}
                return self.seq_responses(obj), extra
            if short_name == "kl":
                ref = obj if r.random() < 0.3 else obj.copy()
                return (ref, *self.seq_responses(obj)), dict(estimators=r.random() < 0.7)
            if short_name == "score_gradient":
                x, y, n = self.seq_responses(obj)
                if r.random() < 0.5:
                    return (x, y, n), dict(token_weights=g.standard_normal(y.shape))
                return (x, y, n), dict(sequence_weights=g.standard_normal(n.shape))
            if short_name == "exact_log_probs":
                return (r.randrange(obj.num_prompts),), {}
            if short_name == "next_token_log_probs":
                x, y, n = self.seq_responses(obj)
                positions = np.array([r.randrange(k) for k in n], np.int32)
                return (x, y, positions), {}
            if short_name in ("save", "load"):
                return (self.saved(obj, short_name),), {}
        if isinstance(obj, R.RewardModel):
            b, k = r.choice([1, 4]), obj.num_features
            if short_name in ("set_params", "parameters"):
                return (obj.get_params() + 0.01,), {}
            if short_name == "predict":
                return (g.standard_normal((b, k)),), {}
            if short_name in ("fit", "pair_accuracy"):
                extra = dict(epochs=r.choice([1, 2]), margins=g.random(b), centring=0.1,
                             standardize=r.random() < 0.5) if short_name == "fit" else {}
                return (g.standard_normal((b, k)), g.standard_normal((b, k))), extra
            if short_name in ("save", "load"):
                return (self.saved(obj, short_name),), {}
            if short_name == "fit_rankings":
                kk = r.choice([2, 3])
                return (g.standard_normal((b, kk, k)), np.stack([g.permutation(kk) for _ in range(b)])), dict(epochs=1)
        if isinstance(obj, R.SFT):
            if short_name == "fit":
                return (self.responses_of(obj.policy, r.choice([1, 3])),), dict(
                    held_out=self.responses_of(obj.policy, 2) if r.random() < 0.5 else None, epochs=1)
            if short_name == "evaluate":
                return (self.responses_of(obj.policy, r.choice([1, 3])),), {}
        if isinstance(obj, (R.REINFORCE, R.RLOO, R.ReMax, R.GRPO, R.REBEL, R.PPO)):
            if short_name == "fit":
                return (r.choice([1, 2]),), {}
            if short_name in ("update", "gradient_estimate"):
                k = obj.config["samples_per_prompt"]
                x, y, n = self.seq_responses(obj.policy, k * r.choice([1, 2]))
                x = np.repeat(x[::k], k) if len(x) else x
                return (R.Responses(x, y, n), g.standard_normal(len(x)), k), {}
            if short_name in ("save", "load"):
                return (self.saved(obj, short_name),), {}
        if name in ("swiftpg.rlhf.exact_objective", "swiftpg.rlhf.exact_optimum"):
            task = self.seq_task()
            pol = R.SequencePolicy.for_task(task)
            if short_name == "exact_objective":
                return (pol, pol.copy(), task, r.choice([0.0, 0.5])), dict(gradient=r.random() < 0.5)
            return (pol, task, r.randrange(task.num_prompts), r.choice([0.1, 1.0])), {}
        if isinstance(obj, R.DPO) and short_name in ("fit", "evaluate"):
            b = r.choice([1, 3])
            x, yw, nw = self.seq_responses(obj.policy, b)
            _, yl, nl = self.seq_responses(obj.policy, b)
            extra = dict(epochs=1) if short_name == "fit" else {}
            return (x, (yw, nw), R.Responses(x, yl, nl)), dict(weights=g.random(b) + 0.1 if r.random() < 0.5 else None,
                                                               **extra)
        if name.startswith("swiftpg.rlhf.") and owner is None:
            n = r.choice([1, 4])
            if short_name == "bradley_terry_loss":
                return (g.standard_normal(n), g.standard_normal(n)), dict(margins=g.random(n), centring=0.1)
            if short_name == "ranking_loss":
                k = r.choice([2, 3])
                return (g.standard_normal((n, k)), np.stack([g.permutation(k) for _ in range(n)])), {}
            if short_name in ("dpo_loss", "ipo_loss"):
                return tuple(g.standard_normal(n) - 2 for _ in range(4)), dict(weights=g.random(n) + 0.1)
            if short_name == "best_of_n_select":
                return (g.integers(0, 3, (n, r.choice([1, 3]))).astype(float),), dict(seed=r.randrange(9))
            if short_name in ("best_of_n_distribution", "best_of_n_kl"):
                return (g.dirichlet(np.ones(n)), g.integers(0, 3, n).astype(float), r.choice([1, 4, 2**40])), {}
            if short_name == "best_of_n_kl_bound":
                return (r.choice([1, 4, 2**40]),), {}
            if short_name in ("spearman", "kendall_tau_b"):
                return (g.standard_normal(n + 1), g.standard_normal(n + 1)), {}
            if short_name == "canonical_responses":
                return (r.choice([1, 2, 3]), r.choice([1, 2, 3])), {}
            if short_name in ("kl_penalties", "kl_regularized_rewards"):
                b, L = r.choice([0, 1, 3]), r.choice([1, 2, 4])
                lengths = g.integers(1, L + 1, b).astype(np.int32)
                if short_name == "kl_penalties":
                    return (-g.random((b, L)) * 3, -g.random((b, L)) * 3, lengths), dict(
                        estimator=r.choice(["k1", "k2", "k3"]))
                return (g.standard_normal(b), g.standard_normal((b, L)), lengths, r.choice([0.05, 1.0])), dict(
                    per_token=r.random() < 0.5)
            if short_name in ("compare_pairs", "accuracy_ceiling"):
                extra = dict(seed=r.randrange(100)) if short_name == "compare_pairs" else {}
                return (g.standard_normal((r.choice([1, 4]), 2)),), dict(scale=r.choice([0.0, 1.0]), **extra)
            if short_name == "rank":
                return (g.standard_normal((r.choice([0, 2]), r.choice([2, 4]))),), dict(scale=1.0, seed=1)
            if short_name == "ranking_pairs":
                k = r.choice([2, 4])
                return (np.stack([g.permutation(k) for _ in range(r.choice([1, 3]))]),), {}
            n = r.choice([1, 5])
            lp = np.log(g.dirichlet(np.ones(n)))
            lq = np.log(g.dirichlet(np.ones(n)))
            if short_name == "exact_expectation":
                return (lp, g.standard_normal(n)), {}
            if short_name == "exact_kl":
                return (lp, lq), {}
            if short_name == "exact_win_rate":
                if r.random() < 0.5:
                    return (lp, lq, g.standard_normal(n)), {}
                return (np.stack([lp, lp]), np.stack([lq, lq]), g.standard_normal((2, n))), dict(
                    prompt_probs=[0.5, 0.5])
        return None

    # -- hostile values ---------------------------------------------------------------------------
    #: Parameters whose large values are legitimately long loops: only values
    #: the library must refuse are generated for them.
    LOOP_PARAMS = {"total_env_steps", "total_timesteps"}

    def evil(self, valid, pname: str | None = None):
        """A hostile replacement for ``valid``: derived from it (shape, dtype,
        contiguity, one bad element) or from the generic menu."""
        try:
            return self._evil(valid, pname)
        except Exception:                     # e.g. a str array cannot become float
            return self.rng.choice([None, NAN, -1, 2**63, "a\x00b", []])

    def named_evil(self, valid, pname: str):
        """Hostile values specific to a parameter name (None: none known)."""
        np, r = self.np, self.rng
        if pname in ("factor_sizes",):
            return r.choice([(), (0, 2), (1,), (65537, 2), (2,) * 31, (2,) * 65, (2.5, 2), "ab", 3, None,
                             (np.int64(2**40), 2), (40000, 40000), [[2, 3]]])
        if pname in ("hidden_sizes",):
            return r.choice([(65536, 65536), (65537,), (2**31,), (0,), (-1,), (4,) * 65, "64", (4.5,),
                             [np.int64(4)], (np.int64(2**40),), (4096, 65536, 4096)])
        if pname in ("path", "checkpoint"):
            base = self.path()
            return r.choice(["", "\x00", base + "\x00tail", os.fsencode(base) + b"\x00y", self.tmp,
                             os.path.join(self.tmp, "no", "such", "dir", "x"), base + "\udcff",
                             self.tmp + "/" + "n" * 5000, os.fsencode(base), 7, None])
        if pname in ("config",) and dataclasses.is_dataclass(valid):
            bad = dataclasses.replace(valid)
            for _ in range(r.choice([1, 1, 2])):
                f = r.choice(dataclasses.fields(bad))
                current = getattr(bad, f.name)
                value = self._evil(current, f.name) if not isinstance(current, int) or isinstance(current, bool) \
                    else r.choice([0, -1, 2**31, 2**32 + 3, 2**63, -(2**63) - 1, 1.5, NAN, None, "3"])
                object.__setattr__(bad, f.name, value)        # bypass replace()'s checks
            return bad
        if pname in ("env_id", "id"):
            return r.choice(["", "NoSuchEnv-v0", "CartPole-v1\x00", "cartpole-v1", "x" * 5000, None, 5,
                             b"CartPole-v1", "CartPole-v1 "])
        if pname in ("layout",):
            return r.choice(["." * 65535, "S" + "." * 65533 + "G", "", "\x00", "S\nGG\n.", "#", "S.G\x00..",
                             "\n".join(["S.G"] * 400), None, 3])
        if pname in ("name",):
            return r.choice(["", "max_episode_steps\x00", "nope", "\udcff", None, 3, "x" * 5000])
        if pname in ("episodes", "num_episodes", "estimates"):
            return r.choice([0, -1, 2**31, 2**63, (1 << 24) + 1, 1.5, None, "2"])
        return None

    def _evil(self, valid, pname: str | None = None):
        np, r = self.np, self.rng
        if pname is not None and r.random() < 0.6:
            special = self.named_evil(valid, pname)
            if special is not None:
                return special
        if pname in self.LOOP_PARAMS:
            return r.choice([0, -1, 2**62 + 1, 2**64, 1.5, None, "3", NAN, True])
        if isinstance(valid, np.ndarray) and r.random() < 0.7:
            a = valid
            choice = r.randrange(12)
            if choice == 0 and a.ndim >= 2:
                return a.T.copy()                                   # issue 11 kind 2
            if choice == 1:
                return a[..., None]
            if choice == 2:
                return a.reshape(-1)[:-1] if a.size else np.zeros(3)
            if choice == 3:
                return a.astype(np.float32)
            if choice == 4:
                return a.astype(r.choice([np.int64, np.int32, np.uint8, np.bool_, np.complex128, object, str]))
            if choice == 5 and a.size:
                b = a.astype(np.float64).copy()
                b.flat[r.randrange(b.size)] = r.choice([NAN, INF, -INF, 1e308, -1e308])
                return b
            if choice == 6:
                return np.repeat(a, 2, axis=0)[::2] if a.ndim else a    # non-contiguous view
            if choice == 7:
                return a.tolist()
            if choice == 8:
                return np.asfortranarray(np.atleast_2d(a))
            if choice == 9:
                return np.zeros((0,) + a.shape[1:], a.dtype)
            if choice == 10 and a.size and a.dtype.kind in "iu":
                b = a.copy().astype(np.int64)
                b.flat[r.randrange(b.size)] = r.choice([-1, 2**31 - 1, 2**33, -(2**40)])
                return b
            return np.full(a.shape, r.choice([NAN, 0.0, 1e300]))
        if isinstance(valid, bool):
            return r.choice([2, -1, "yes", None, NAN, np.bool_(True), [True]])
        if isinstance(valid, int):
            return r.choice([0, -1, -(2**31), 2**31, 2**32 + 3, 2**63, 2**64, -(2**63) - 1, 1.5, NAN, True, "3",
                             np.int64(-5), np.uint64(2**63), None, [valid]])
        if isinstance(valid, float):
            return r.choice([NAN, INF, -INF, 1e308, -1e308, -1.0, 5e-324, "0.5", None, 1j, np.float32("nan")])
        if isinstance(valid, str):
            return r.choice(["", "x" * 5000, valid + "\x00junk", "\x00", "nope", valid.upper(), b"CartPole-v1",
                             None, 123, "\udcff", valid + " "])
        return r.choice([None, NAN, -1, 2**63, "", "a\x00b", [], [1, 2], {}, object(), np.array([]),
                         np.full((2, 2), NAN), np.zeros(3, complex), np.array(["a"]), b"\xff"])

    def vary_default(self, default):
        """A valid-ish value of the same type as a parameter's default."""
        r, np = self.rng, self.np
        if isinstance(default, bool):
            return r.random() < 0.5
        if isinstance(default, int):
            return r.choice([default, 0, 1, 2, 3]) if default < 100 else default
        if isinstance(default, float):
            return r.choice([default, default * 0.5, 0.0, 0.1, 1.0])
        return default

    # -- per-target examples ----------------------------------------------------------------------
    def obs(self, owner, batch: int | None = None):
        np = self.np
        b = batch if batch is not None else self.rng.choice([1, 2, 3])
        d = owner.observation_size
        if getattr(owner, "family", None) == "tabular" or getattr(owner, "observation_kind", None) == "one_hot":
            return np.eye(d)[self.np_rng.integers(0, d, b)]
        return self.np_rng.standard_normal((b, d))

    def acts(self, owner, batch: int):
        np = self.np
        if owner.discrete:
            return self.np_rng.integers(0, owner.num_actions, batch).astype(self.rng.choice([np.int32, np.int64]))
        return self.np_rng.standard_normal((batch, owner.action_size))

    def rollout(self):
        np, g = self.np, self.np_rng
        T, N = self.rng.choice([1, 2, 4]), self.rng.choice([1, 2, 3])
        r = g.standard_normal((T, N))
        te = g.random((T, N)) < 0.2
        tr = (g.random((T, N)) < 0.1) & ~te
        values = g.standard_normal((T + 1, N))
        final = g.standard_normal((T, N))
        return T, N, r, te, tr, values, final

    def sb3_core_arguments(self):
        env_id = self.rng.choice(self.ids)
        kwargs = dict(num_envs=self.rng.choice([1, 2]), seed=self.rng.randrange(100))
        if env_id == "SimpleRegulator-v0":
            kwargs["action_bound"] = self.rng.choice([1.0, 10.0])
        if env_id in self.sp.envs._RENDER_FPS and self.rng.random() < 0.2:
            kwargs["render_mode"] = "rgb_array"
        return (env_id,), kwargs

    def sb3_core(self):
        args, kwargs = self.sb3_core_arguments()
        return self.tag(self.sp.sb3.VecEnvCore(*args, **kwargs), f"sb3.VecEnvCore({args[0]!r})")

    def sb3_example(self, name: str, obj, short_name: str):
        r = self.rng
        if name in ("swiftpg.sb3.VecEnvCore", "swiftpg.sb3.vec_env"):
            return self.sb3_core_arguments()
        names = ["render_mode", "env_id", "max_episode_steps", "observation_space", "no_such_attribute"]
        if obj is not None and not obj.closed:
            names += list(obj.vector_env.parameter_names)
        if short_name in ("step", "step_async"):
            return (self.acts(obj.vector_env, obj.num_envs) if not obj.closed else self.np.zeros(1),), {}
        if short_name in ("get_attr", "has_attr"):
            return (r.choice(names),), ({} if short_name == "has_attr" else dict(indices=r.choice([None, 0, [0]])))
        if short_name == "set_attr":
            name = r.choice(names)
            value = float(obj.get_attr(name)[0]) if not obj.closed and name in obj.vector_env.parameter_names else 1.0
            return (name, value), dict(indices=r.choice([None, [0]]))
        if short_name == "env_method":
            return (r.choice(["render", "get_state", "close"]),), dict(indices=r.choice([None, 0]))
        if short_name == "env_is_wrapped":
            return (self.gym.Wrapper,), {}
        if short_name == "seed":
            return (r.choice([None, r.randrange(100)]),), {}
        if short_name == "set_options":
            return (r.choice([None, {}, [{}] * obj.num_envs]),), {}
        if short_name == "render":
            return (r.choice([None, "rgb_array"]),), {}
    def distributed_example(self, name: str, short_name: str):
        """Calls of swiftpg.distributed that are refused before any Ray
        instance starts (a learner's lanes that do not split over the
        workers, a wrong type, a bad mode, a search of the wrong class):
        the checks themselves are what the fuzzer can reach here."""
        A, r = self.sp.algorithms, self.rng
        if short_name == "DistributedTrainer":
            learner = self.learner(r.choice([A.PPO, A.A2C, A.REINFORCE]))
            n = learner.env.num_envs if learner.env is not None else 1
            return (learner, n + 1), dict(mode=r.choice(["sync", "async", "later"]))
        if short_name == "DistributedSearch":
            return (self.learner(r.choice([A.PPO, A.A2C])), r.choice([1, 2])), {}
        if short_name == "init_local":
            return (), dict(num_cpus=r.choice([0, -1, 10**9]), object_store_memory=r.choice([0, 1, -5]))
        if short_name == "require_ray":
            return (), {}
        if short_name == "DistributedStats":
            return (), dict(iteration=1, version=1, train=None, env_steps=0, segment_versions=[0], staleness=[1],
                            dropped_segments=0, workers_lost=0, seconds=0.0, broadcast=0.0, gather=0.0, update=0.0,
                            worker_collect=0.0, ray_overhead=0.0, bytes_in=0)
        if short_name == "RolloutWorkerError":
            return ("fuzz message",), {}
        raise Skip

    def dqn_example(self, name: str, owner, obj, short_name: str):
        """(args, kwargs) of each public callable of ``swiftpg.algorithms.dqn``
        (None: the generic examples apply)."""
        sp, np, r, g = self.sp, self.np, self.rng, self.np_rng
        A = sp.algorithms
        if owner is not None and short_name == owner.__name__:      # the constructor's target name
            short_name = "__init__"
        if owner is A.DQNStats and short_name == "__init__":
            stats = self.dqn().iterate()
            return (), {f.name: getattr(stats, f.name) for f in dataclasses.fields(A.DQNStats)}
        if owner is A.DQNConfig and short_name == "__init__":
            return (), dataclasses.asdict(self.cheap_config(A.DQNConfig))
        if owner is not A.DQN:
            return None
        if short_name == "__init__":
            env = r.choice(["CartPole-v1", "Acrobot-v1", "Pendulum-v1"]) if r.random() < 0.7 else self.vec()
            return (env,), dict(config=self.cheap_config(A.DQNConfig).replace(total_env_steps=2000),
                                num_envs=r.choice([1, 2]))
        if short_name in ("train", "learn"):
            return (obj.total_env_steps + r.choice([1, 30]),), {}
        if short_name == "evaluate":
            return (), dict(episodes=r.choice([1, 2]), num_envs=1, greedy=r.random() < 0.8)
        if short_name == "save":
            return (self.path(),), dict(include_buffer=r.random() < 0.5)
        if short_name == "load":
            path = self.path()
            obj.save(path, include_buffer=r.random() < 0.5)
            return (path,), {}
        if short_name in ("predict", "q_values"):
            o = self.obs(obj, r.choice([1, 2, 5]))
            return ((o[0] if r.random() < 0.3 else o),), (dict(deterministic=r.random() < 0.7)
                                                           if short_name == "predict" else {})
        if short_name == "update":
            T, N, d = r.choice([1, 3]), r.choice([1, 2]), obj.observation_size
            o = g.standard_normal((T, N, d))
            a = g.integers(0, obj.num_actions, (T, N))
            te = g.random((T, N)) < 0.3
            tr = g.random((T, N)) < 0.1
            return (o, a, g.standard_normal((T, N)), te, tr, g.standard_normal((N, d))), dict(
                final_observations=g.standard_normal((T, N, d)))
        if short_name in ("counters", "iterate", "close", "__enter__"):
            return (), {}
        return None

    def example(self, name: str, owner, obj):
        """(args, kwargs) of a valid call of target ``name`` (None: use the
        signature)."""
        sp, np, r, g = self.sp, self.np, self.rng, self.np_rng
        short_name = name.rsplit(".", 1)[-1]
        if name.startswith("swiftpg.sb3."):
            return self.sb3_example(name, obj, short_name)
        if name.startswith("swiftpg.distributed."):
            return self.distributed_example(name, short_name)
        E = sp.estimators
        if name.startswith("swiftpg.rlhf."):
            found = self.rlhf_example(name, owner, obj, short_name)
            if found is not None:
                return found
        if name.startswith("swiftpg.rlhf_table."):
            return self.rlhf_table_example(name, owner, obj, short_name)
        if name.startswith("swiftpg.games."):
            return self.games_example(name, obj, short_name)
        if name == "swiftpg.game_aec.aec_env":
            game = self.game()
            return (game.name,), dict(game.get_parameters(), render_mode=r.choice([None, "ansi"]))
        if name.startswith(("swiftpg.sgf.", "swiftpg.gnugo.")):
            return self.go_example(name, obj, short_name)
        if name.startswith("swiftpg.game_players."):
            return self.players_example(name, obj, short_name)
        if name.startswith("swiftpg.board_networks."):
            return self.board_example(name, owner, obj, short_name)
        if name.startswith("swiftpg.ladder."):
            return self.ladder_example(name, obj, short_name)
        if short_name in ("encode_actions", "decode_actions") and name.startswith("swiftpg.policies."):
            sizes = r.choice([(2, 3), (3,), (2, 2, 2), (1, 4)])
            if short_name == "decode_actions":
                return (g.integers(0, int(np.prod(sizes)), r.choice([(), (3,), (2, 2)])), sizes), {}
            return (np.stack([g.integers(0, n, 3) for n in sizes], -1), sizes), {}
        if name.startswith("swiftpg.policies.FactoredSoftmaxPolicy.") and short_name in ("encode", "decode"):
            sizes = obj.factor_sizes
            if short_name == "decode":
                return (g.integers(0, obj.num_actions, r.choice([(), (3,)])),), {}
            return (np.stack([g.integers(0, n, 3) for n in sizes], -1),), {}
        if name == "swiftpg.policies.FactoredSoftmaxPolicy":
            return (r.choice([1, 3]), r.choice([(2, 3), (4,), (2, 2, 2)])), dict(
                hidden_sizes=r.choice([(), (4,)]), seed=r.randrange(100))
        if name.startswith("swiftpg.estimators."):
            T, N, rew, te, tr, values, final = self.rollout()
            gamma, lam = r.choice([0.0, 0.9, 1.0]), r.choice([0.0, 0.95, 1.0])
            if short_name in ("discounted_returns",):
                return (rew, te, tr, gamma), dict(values=values, final_values=final)
            if short_name in ("td_errors",):
                return (rew, te, tr, values, gamma), dict(final_values=final)
            if short_name in ("gae", "lambda_returns"):
                return (rew, te, tr, values, gamma, lam), dict(final_values=final)
            if short_name == "vtrace":
                log_rhos = 0.3 * g.standard_normal(np.shape(rew))
                return (rew, te, tr, values, log_rhos, gamma), dict(
                    rho_bar=r.choice([1.0, 0.5, math.inf]), c_bar=r.choice([1.0, 2.0]), lam=lam, final_values=final)
            if short_name == "n_step_returns":
                return (rew, te, tr, gamma, r.choice([1, 2, 5])), dict(values=values, final_values=final)
            if short_name == "n_step_advantages":
                return (rew, te, tr, values, gamma, r.choice([1, 2, 5])), dict(final_values=final)
            if short_name in ("episode_returns", "discounted_reward_to_go"):
                return (rew, te, tr, gamma), {}
            if short_name == "time_step_baseline":
                return (rew, te, tr), {}
            if short_name == "mean_baseline":
                return (g.standard_normal(r.choice([2, 5])),), dict(leave_one_out=r.random() < 0.5)
            if short_name == "importance_weights":
                return (rew, g.standard_normal((T, N)), te, tr), dict(
                    kind=r.choice(["per_step", "per_decision", "trajectory"]), clip=r.choice([INF, 2.0]))
            if short_name in ("clipped_surrogate", "kl_estimates"):
                n = r.choice([1, 4])
                extra = (g.standard_normal(n),) if short_name == "clipped_surrogate" else ()
                return (g.standard_normal(n) * 0.1, g.standard_normal(n) * 0.1) + extra, {}
            if short_name == "optimal_baseline":
                m, p = r.choice([2, 5]), r.choice([1, 3])
                return (g.standard_normal((m, p)), g.standard_normal(m), g.integers(0, 2, m)), dict(
                    per_trajectory=r.random() < 0.5)
            if short_name == "score_gradient":
                pol = self.policy()
                b = r.choice([1, 3])
                return (pol, self.obs(pol, b), self.acts(pol, b), g.standard_normal(b)), dict(num_episodes=1)
            if short_name == "finite_difference_gradient":
                p = r.choice([1, 3])
                return (0.5, g.standard_normal(p), 0.1), dict(minus=g.standard_normal(p) if r.random() < 0.5 else None)
            if short_name == "regression_gradient":
                n, p = r.choice([3, 4]), r.choice([1, 2])
                return (g.standard_normal((n, p)), g.standard_normal(n)), {}
            if short_name == "scale_gradient":
                return (g.standard_normal(3) * 10, 1.0), {}
            if short_name == "clip_gradient":
                return (g.standard_normal(3), -0.5, 0.5), {}
        if name == "swiftpg.exact.solve":
            env = self.vec()
            if env.observation_kind != "one_hot" and not env.env_id.startswith("ShortCorridor"):
                env = self.keep("vec", sp.envs.gridworld("S.G\n.#.", seed=1))
                env._fuzz_tag = "gridworld(S.G)"
            pol = self.policy_for(env, "softmax")
            self.keep("policy", pol)
            obs = None
            if env.env_id.startswith("ShortCorridor"):
                obs = np.ones((4, pol.observation_size))
            return (env, pol), dict(observations=obs)
        if name in ("swiftpg.envs.make_vec", "swiftpg.envs.VectorEnv"):
            return (r.choice(self.ids),), dict(num_envs=r.choice([1, 2]), seed=r.randrange(100))
        if name in ("swiftpg.envs.make", "swiftpg.envs.SwiftEnv"):
            env_id = r.choice(self.ids)
            kwargs = dict(seed=r.randrange(100))
            if env_id not in sp.envs._RENDER_FPS:
                kwargs["render_mode"] = r.choice([None, "ansi"])
            if env_id == "SimpleRegulator-v0":
                kwargs["action_bound"] = r.choice([None, 1.0, 10.0])
            return (env_id,), kwargs
        if name == "swiftpg.envs.tabular":
            P, R, mu = self.tabular_arrays()
            return (P, R, mu), dict(gamma=0.9, horizon=r.choice([None, 3]), num_envs=r.choice([1, 2]), seed=1)
        if name == "swiftpg.envs.gridworld":
            return (r.choice(["S.G", "S..#\n.#.G\n...P", sp.envs.DEFAULT_GRID]),), dict(
                slip=r.choice([0.0, 0.1]), num_envs=r.choice([1, 2]), seed=1)
        if name == "swiftpg.envs.bandit":
            return (g.random(r.choice([1, 3])),), dict(kind=r.choice(["gaussian", "bernoulli"]),
                                                        horizon=r.choice([1, 3]), seed=1)
        if name == "swiftpg.envs.single":
            return (self.vec(n=1),), {}
        if name == "swiftpg.live_handles" or name.endswith("_lib.live_handles"):
            return (r.randrange(5),), {}
        if name.startswith("swiftpg.envs.VectorEnv.") or name.startswith("swiftpg.envs.SwiftEnv."):
            single = name.startswith("swiftpg.envs.SwiftEnv.")
            env = obj._vec if single else obj
            if short_name == "step":
                if single:
                    if env.discrete:
                        return (int(r.randrange(env.num_actions)),), {}
                    return (g.uniform(-1.0, 1.0, env.action_size).astype(np.float32),), {}
                return (self.acts(env, env.num_envs),), {}
            if short_name == "reset":
                return (), dict(seed=r.choice([None, r.randrange(100)]))
            if short_name in ("set_state",):
                states = env.get_state()
                return ((states[0] if single else states),), {}
            if short_name in ("set_parameter", "get_parameter", "randomize_parameter"):
                pname = r.choice(env.parameter_names)
                value = float(env.get_parameter(pname)[0])
                if short_name == "get_parameter":
                    return (pname,), {}
                if short_name == "set_parameter":
                    return (pname, value), {}
                return (pname, value, value + (1.0 if pname == "max_episode_steps" else abs(value) * 0.1)), {}
            if short_name == "enable_adr":
                names = [n for n in env.parameter_names if n != "max_episode_steps"]
                if not names:
                    raise Skip
                chosen = r.sample(names, min(len(names), r.choice([1, 2])))
                spec = {}
                for pname in chosen:
                    v = float(env.get_parameter(pname)[0])
                    spec[pname] = (0.1 * abs(v) + 0.01, v, v)  # limits every parameter may take
                return (spec,), dict(success_return=r.choice([0.0, 10.0, 475.0]), buffer_size=r.choice([1, 3]))
            if short_name == "render_text":
                return (r.randrange(env.num_envs),), {}
        if isinstance(obj, (sp.optim.Adam, sp.optim.SGD)) and short_name == "step":
            n = obj.num_params
            return (np.zeros(n), g.standard_normal(n)), dict(ascend=r.random() < 0.5)
        if owner is not None and owner.__name__ in ("Adam", "SGD") and short_name == "__init__":
            return (r.choice([1, 3]),), {}
        if short_name == "set_minibatch_permutations":
            rows = r.choice([1, 2, 8, 16, 32, 64])
            return (np.stack([g.permutation(rows) for _ in range(r.choice([1, 2]))]),), {}
        if isinstance(obj, sp.policies.Policy) or isinstance(obj, sp.policies.ValueFunction):
            b = r.choice([1, 2, 4])
            o = self.obs(obj, b)
            if short_name in ("sample", "entropy", "probabilities", "predict"):
                return (o,), {}
            if short_name in ("log_prob", "score_vectors"):
                return (o, self.acts(obj, b)), {}
            if short_name == "score_gradient":
                return (o, self.acts(obj, b), g.standard_normal(b)), {}
            if short_name == "gradient":
                return (o, g.standard_normal(b)), {}
            if short_name in ("entropy_gradient",):
                return (o,), dict(weights=g.standard_normal(b) if r.random() < 0.5 else None)
            if short_name in ("kl", "kl_gradient", "fisher_vector_product"):
                return (o, obj.get_params() + 0.01 * g.standard_normal(obj.num_params)), {}
            if short_name in ("set_params", "params"):
                return (obj.get_params() + 0.01,), {}
            if short_name == "sample_clipped":
                return (o, -np.ones(obj.action_size), np.ones(obj.action_size)), {}
            if short_name == "evaluate":
                env = self.vec(discrete=obj.discrete)
                if env.observation_size != obj.observation_size or (
                        obj.discrete and env.num_actions != obj.num_actions):
                    env = r.choice(self.ids)
                return (env,), dict(episodes=r.choice([1, 3]), num_envs=r.choice([1, 2]))
            if short_name == "set_precision":
                return (r.choice(["float32", "float64"]),), {}
            if short_name == "save":
                return (self.path(),), {}
        if name.startswith("swiftpg.algorithms.dqn."):
            found = self.dqn_example(name, owner, obj, short_name)
            if found is not None:
                return found
        if isinstance(obj, sp.algorithms.PolicySearch) or isinstance(obj, sp.algorithms.PolicyGradientLearner):
            if short_name == "train":
                return ((r.choice([1, 2]),) if isinstance(obj, sp.algorithms.PolicySearch)
                        else (obj.total_env_steps + r.choice([1, 30]),)), {}
            if short_name == "evaluate":
                return (), dict(episodes=r.choice([1, 2]), num_envs=1)
            if short_name in ("save", "load"):
                path = self.path()
                if short_name == "load":
                    obj.save(path)
                return (path,), {}
            if short_name == "update":
                pol = obj.policy
                T, N = r.choice([1, 3]), r.choice([1, 2])
                o = self.obs(pol, T * N).reshape(T, N, -1)
                a = self.acts(pol, T * N)
                a = a.reshape((T, N) + a.shape[1:])
                te = g.random((T, N)) < 0.3
                return (o, a, g.standard_normal((T, N)), te, np.zeros((T, N), bool), self.obs(pol, N)), {}
            if short_name == "learn_gymnasium":
                return (self.gym_env(),), dict(total_env_steps=r.choice([1, 20]), steps_per_env=r.choice([None, 4]))
        if owner is not None and owner.__name__ == "GymnasiumCollector":
            if short_name == "collect":
                return (r.choice([1, 3]),), {}
            if short_name == "__init__":
                envs = self.gym_env()
                pol = self.sp.policies.SoftmaxPolicy(4, 2) if "CartPole" in envs._fuzz_tag else \
                    self.sp.policies.GaussianPolicy(3, 1)
                return (envs, pol), {}
        if name in ("swiftpg.algorithms.for_gymnasium", "swiftpg.algorithms.gymnasium.for_gymnasium"):
            alg = r.choice(list(sp.algorithms.PG_ALGORITHMS))
            env = self.gym_env(vector=r.random() < 0.3)
            cfg = self.cheap_config(sp.algorithms.PG_ALGORITHMS[alg]._config_class)
            envs = [env, self.gym_env()] if r.random() < 0.2 else env        # issue 11 kind 14
            return (alg, envs), dict(config=cfg, hidden_sizes=(4,))
        if owner is not None and short_name == "__init__" and (
                issubclass(owner, sp.algorithms.PolicyGradientLearner) or owner is sp.algorithms.PolicySearch):
            cfg_cls = owner._config_class
            env = r.choice(["CartPole-v1", "TwoAction-v0", "Pendulum-v1"]) if r.random() < 0.6 else self.vec()
            return (env,), dict(config=self.cheap_config(cfg_cls), num_envs=r.choice([1, 2]),
                                hidden_sizes=r.choice([(), (4,)]))
        if name == "swiftpg.lab.run":
            prob = self.problem()
            kinds = ["full_return", "reward_to_go", "value", "finite_difference", "regression"]
            ests = [sp.lab.Estimator(r.choice(kinds), directions=2)]
            if isinstance(prob, (sp.lab._OneState, sp.lab._SimpleRegulator)):
                ests = [sp.lab.Estimator(r.choice(["full_return", "reward_to_go"]))]
            return (prob, self.policy_for_problem(prob), ests), dict(episodes=2, estimates=2, seed=r.randrange(10))
        if name == "swiftpg.lab.sequence_run":
            return self.sequence_run_arguments()
        if name == "swiftpg.lab.SequenceEstimator":
            e = self.sequence_estimator()
            return (e.method,), dict(samples_per_prompt=e.samples_per_prompt, baseline=e.baseline, scaling=e.scaling,
                                     aggregation=e.aggregation, warmup=e.warmup, options=e.options,
                                     name=r.choice([None, "mine"]))
        if name == "swiftpg.lab.collect":
            prob = self.problem()
            return (prob, self.policy_for_problem(prob), 2, r.randrange(10)), {}
        if name == "swiftpg.lab.tabular":
            return self.tabular_arrays(), dict(gamma=0.9)
        if name == "swiftpg.lab.gridworld":
            return ("S.G",), dict(slip=0.0)
        if name == "swiftpg.lab.bandit":
            return ([0.1, 0.9],), {}
        if owner is not None and issubclass(owner, sp.lab.Problem) and obj is not None:
            if short_name == "make_env":
                return (r.choice([1, 2]), r.randrange(10)), {}
            if short_name == "exact":
                return (self.policy_for_problem(obj),), {}
            if short_name == "state_index":
                env = obj.make_env(1, 0)
                self.keep("vec", env)
                env._fuzz_tag = "problem env"
                return (env, env.reset(seed=0)[0]), {}
            if short_name == "final_state_index":
                return (np.eye(obj.num_states or 1)[:1],), {}
        if owner is not None and owner.__name__ == "ADR":
            if short_name == "snapshot":
                return (r.randrange(5), r.randrange(1000)), {}
            if short_name == "plot":
                obj.snapshot()
                return (), {}
            if short_name == "__init__":
                env = self.vec()
                env.disable_adr()  # one ADR per environment
                names = [n for n in env.parameter_names if n != "max_episode_steps"]
                if not names:
                    raise Skip
                pname = r.choice(names)
                v = float(env.get_parameter(pname)[0])
                sched = sp.randomization.ParameterSchedule(v, 0.1 * abs(v) + 0.01, (v, v))
                return (env, {pname: sched}), dict(buffer_size=r.choice([1, 3]), success_return=r.choice([0.0, 5.0]),
                                                   boundary_probability=r.choice([0.5, 1.0]))
        if owner is not None and owner.__name__ == "ParameterSchedule" and short_name == "__init__":
            return (1.0, 0.1, (0.5, 2.0)), {}
        if owner is not None and owner.__name__ == "ParameterSchedule" and short_name == "default":
            env = self.vec()
            return (env, r.choice(list(env.parameter_names) + ["nope"])), {}
        if owner is not None and owner.__name__ in ("Report", "SequenceReport") and obj is not None:
            if short_name == "__getitem__":
                return ((obj.rows[0]["name"] if obj.rows and r.random() < 0.7 else "nope"),), {}
            if short_name == "plot":
                raise Skip               # needs matplotlib and draws; not a native entry point
        if owner is not None and owner.__name__ == "Estimator" and short_name == "__init__":
            return (r.choice(["full_return", "reward_to_go", "value", "finite_difference", "regression"]),), {}
        if short_name == "replace" and obj is not None:
            f = r.choice(dataclasses.fields(obj))
            return (), {f.name: getattr(obj, f.name)}
        if short_name == "from_c":
            raise Skip                    # takes a ctypes struct from the library (internal plumbing)
        if name == "gymnasium.make(swiftpg/*)":
            return (f"swiftpg/{r.choice(self.ids)}",), {}
        if name == "pickle(swiftpg object)":
            source = r.choice([self.learner, self.policy, self.value, self.vec, self.seq_policy,
                               lambda: self.instance(sp.rlhf.RewardModel)])
            obj = source()
            if isinstance(obj, sp.algorithms.PolicySearch):
                raise Skip
            restore, args = obj.__reduce__()[:2]
            kind = next(k for k, f in self.restorers().items() if f is restore)
            args = list(args)
            if r.random() < 0.7:
                args[0] = self.damaged_bundle(args[0])
            return (kind, *args), {}
        if name.endswith("algorithms._learner.load"):
            learner = self.learner()
            path = self.path()
            if isinstance(learner, sp.algorithms.PolicyGradientLearner) and r.random() < 0.8:
                learner.save(path)
                if r.random() < 0.4:
                    with open(path, "rb") as f:
                        data = f.read()
                    with open(path, "wb") as f:
                        f.write(self.damaged_bundle(data))
            return (path,), {}
        if name == "gymnasium.check_env(swiftpg env)":
            return (self.tag(sp.make(r.choice(self.ids), seed=1), "fresh SwiftEnv"),), {}
        return None

    def restorers(self) -> dict:
        """The functions pickle calls to rebuild swiftpg objects."""
        from swiftpg import envs, policies
        from swiftpg.algorithms import _learner
        return {"learner": _learner._restore_learner, "policy": policies._restore_policy,
                "value": policies._restore_value, "env": envs._restore_env,
                "seq_policy": self.sp.rlhf._restore_sequence_policy,
                "reward_model": self.sp.rlhf._restore_reward_model}

    def damaged_bundle(self, data: bytes) -> bytes:
        """A bundle with one field removed, retyped or set to an extreme
        value (valid checksum), or truncated, or with flipped bytes."""
        from swiftpg import _bundle as B
        r = self.rng
        choice = r.randrange(5)
        if choice == 0:
            return data[: r.randrange(len(data) + 1)]
        if choice == 1:
            b = bytearray(data)
            for _ in range(r.randrange(1, 4)):
                b[r.randrange(len(b))] ^= 1 << r.randrange(8)
            return bytes(b)
        try:
            kind, record = B.decode(data)
        except ValueError:
            return data
        path, tag = r.choice(list(B.paths(record)))
        if choice == 2:
            B.set_field(record, path, None, None)
        elif tag == B.DOUBLES and B.get(record, path)[1]:
            values = list(B.get(record, path)[1])
            values[r.randrange(len(values))] = r.choice([NAN, INF, -1.0, 1e300, 2.0**53])
            B.set_field(record, path, tag, values)
        elif tag in (B.INT, B.UINT):
            B.set_field(record, path, B.INT, r.choice([-1, 0, 2**31, 2**62]))
        else:
            B.set_field(record, path, *r.choice([(B.TEXT, "x"), (B.DOUBLE, NAN), (B.BOOL, True), (B.RECORD, {})]))
        return B.encode(kind, record)

    def from_signature(self, fn, owner, obj, short_name):
        """(args, kwargs) from the signature: required parameters from the
        name providers, optional ones sometimes varied."""
        try:
            sig = inspect.signature(fn)
        except (TypeError, ValueError):
            return (), {}
        args, kwargs = [], {}
        params = list(sig.parameters.values())
        if params and params[0].name in ("self", "cls"):
            params = params[1:]
        for p in params:
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                continue
            if p.default is p.empty:
                value = self.provide(p.name, owner, obj)
                if p.kind == p.KEYWORD_ONLY:
                    kwargs[p.name] = value
                else:
                    args.append(value)
            elif self.rng.random() < 0.3 and p.name not in ("_vector",):
                kwargs[p.name] = self.vary_default(p.default)
        return tuple(args), kwargs

    PROVIDERS = {}

    def provide(self, name: str, owner, obj):
        """A valid-ish value for a required parameter called ``name``."""
        np, r, g = self.np, self.rng, self.np_rng
        if name in ("env_id",):
            return r.choice(self.ids)
        if name in ("num_envs", "episodes", "num_episodes", "horizon", "steps", "iterations", "depth", "estimates",
                    "observation_size", "num_states", "feature_size", "n", "window", "num_params"):
            return r.choice([1, 2, 3])
        if name in ("num_actions",):
            return r.choice([2, 3])
        if name in ("action_size",):
            return r.choice([1, 2])
        if name in ("seed", "iteration", "env_steps", "total_env_steps", "evaluations", "update_steps", "status",
                    "epochs", "line_search_step", "first_lane"):
            return r.randrange(100)
        if name == "utilities":        # a search's tell: one per candidate (sometimes not), -inf for failures
            count = r.choice([1, 2, 6, 50])
            return np.array([r.choice([0.0, 1.5, -2.0, -np.inf]) for _ in range(count)])
        if name in ("theta", "nominal", "step", "value", "low", "high", "base", "delta", "gamma", "lam", "success",
                    "done") or name.endswith(("_return", "_utility", "_loss", "_kl", "_fraction", "_variance",
                                              "_norm", "_rate", "seconds", "spread", "entropy", "extra", "kl_coef",
                                              "effective_sample_size",
                                              "mean_length", "steps_per_second")):
            return r.random()
        if name in ("message", "name", "kind", "problem", "method"):
            return "fuzz"
        if name in ("rows",):
            return []
        if name in ("exact_objective",):
            return 0.0
        if name in ("exact_gradient",):
            return np.zeros(2)
        if name in ("limits",):
            return (0.0, 2.0)
        if name in ("schedules",):
            return {}
        if name in ("envs", "env"):
            return self.vec()
        if name in ("policy",):
            return self.policy()
        if name in ("vector_env",):
            return self.vec(n=1)
        if name in ("path",):
            return self.path()
        if name in ("c",):
            raise Skip
        if name in ("mean", "var"):
            return g.standard_normal(r.choice([1, 2, 3])) ** (2 if name == "var" else 1)
        if name in ("count", "clip", "threshold", "reward_threshold"):
            return r.choice([1.0, 10.0, -1.0, NAN])
        if name in ("save_freq", "max_no_improvement_evals"):
            return r.choice([1, 64, 0, -1])
        if name in ("log_dir", "save_path"):
            return os.path.dirname(self.path())
        if name in ("callbacks",):
            return r.choice([[], [None], [lambda s: False]])
        if name in ("function",):
            return r.choice([lambda s: True, None, 3])
        if name in ("callback",):
            return r.choice([None, lambda s: True, 3, []])
        if name in ("learner",):
            return self.learner()
        if name in ("learners",):
            one = self.learner()
            return r.choice([[one], [one, self.learner()], [one, one], [], [one, None], [3], (x for x in [one])])
        if name in ("actions", "log_probs", "values", "rewards", "terminated", "truncated", "final_observations",
                    "next_observations", "episode_returns", "episode_lengths"):      # Rollout's fields
            return g.standard_normal(r.choice([(2,), (2, 3)]))
        if name in ("obs", "observations", "final_obs", "observation"):
            return g.standard_normal((2, getattr(obj, "observation_size", 2)))
        raise KeyError(name)

    # -- calling -----------------------------------------------------------------------------------
    ALLOWED = {
        # documented non-swiftpg exceptions
        "swiftpg.envs.SwiftEnv.step": ("ResetNeeded",),
        "swiftpg.lab.Report.__getitem__": ("KeyError",),
        "swiftpg.lab.SequenceReport.__getitem__": ("KeyError",),
        "swiftpg.lab.Problem.make_env": ("NotImplementedError",),
        "swiftpg.lab.Problem.exact": ("NotImplementedError",),
        # an unknown attribute, as SB3's VecEnv.get_attr; Stable-Baselines3 not installed
        "swiftpg.sb3.VecEnvCore.get_attr": ("AttributeError",),
        "swiftpg.sb3.vec_env": ("ImportError",),
        # the fuzzer starts no Ray instance: `import ray` is blocked in its process (the
        # ImportError naming the swiftpg[ray] extra is what a call that passed the checks meets)
        "swiftpg.distributed.DistributedTrainer": ("ImportError",),
        "swiftpg.distributed.DistributedSearch": ("ImportError",),
        "swiftpg.distributed.init_local": ("ImportError",),
        "swiftpg.distributed.require_ray": ("ImportError",),
        # gymnasium's own registry errors for ids that are not swiftpg's
        "gymnasium.make(swiftpg/*)": ("NameNotFound", "NamespaceNotFound", "VersionNotFound", "DeprecatedEnv",
                                      "UnregisteredEnv", "Error", "TypeError"),
    }

    def resolve(self, name: str):
        """(callable, owner, obj, kind)"""
        kind, owner, attr, value = self.api[name]
        if name == "gymnasium.make(swiftpg/*)":
            return self.gym.make, None, None, kind
        if name == "gymnasium.check_env(swiftpg env)":
            from gymnasium.utils.env_checker import check_env

            def checked(env):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    check_env(env, skip_render_check=True)
            return checked, None, None, kind
        if name == "pickle(swiftpg object)":
            def unpickle(kind: str, data, *rest):
                """What pickle.loads does with the reduce value of a swiftpg
                object of ``kind`` (its restore function, given ``data``)."""
                restore = self.restorers().get(kind) if isinstance(kind, str) else None
                if restore is None:
                    raise self.sp.InvalidArgumentError(f"no swiftpg object kind {kind!r}")
                return restore(data, *rest)
            return unpickle, None, None, kind
        if kind == "function":
            return value, None, None, kind
        if kind == "constructor":
            return owner, owner, None, kind
        obj = self.instance(owner)
        if kind == "property":
            read_only = getattr(value, "fset", None) is None  # getset descriptors of C types: read only
            return (lambda *a, **k: getattr(obj, attr)) if self.rng.random() < 0.8 or read_only else \
                (lambda v: setattr(obj, attr, v)), owner, obj, kind
        return getattr(obj, attr), owner, obj, kind

    def call_one(self, name: str) -> None:
        np = self.np
        self.mutating = self.rng.random() < 0.6
        # Building a call makes native calls too (objects for the pool): a
        # death there is reported as "while building call #index".
        self.write(f"B {self.calls} {name}")
        try:
            fn, owner, obj, kind = self.resolve(name)
            ex = self.example(name, owner, obj)
            if ex is None:
                target = fn if kind != "constructor" else owner.__init__
                if kind == "property":
                    args, kwargs = (), {}
                    if fn.__code__.co_argcount == 1:
                        args = (getattr(obj, self.api[name][2]),)
                else:
                    args, kwargs = self.from_signature(target, owner, obj, name.rsplit(".", 1)[-1])
            else:
                args, kwargs = ex
        except Skip:
            return
        except Exception as e:
            # Building the call failed (a pooled object was closed by an
            # earlier call, ...): the fuzzer's business, not a finding.
            if self.trace:
                self.write(f"R - setup of {name} failed: {type(e).__name__}: {e}")
            return
        args, kwargs = list(args), dict(kwargs)
        arity = False
        if name == "gymnasium.check_env(swiftpg env)":
            self.mutating = False              # check_env's own argument checks are gymnasium's
        if self.mutating:
            slots = [("a", i) for i in range(len(args))] + [("k", k) for k in kwargs]
            positional = self.positional_names(fn, owner, kind, name)
            if slots:
                for _ in range(self.rng.choice([1, 1, 2])):
                    where, key = self.rng.choice(slots)
                    if where == "a":
                        pname = positional[key] if key < len(positional) else None
                        args[key] = self.evil(args[key], pname)
                    else:
                        kwargs[key] = self.evil(kwargs[key], key)
            if obj is not None and self.rng.random() < 0.05:
                close = getattr(obj, "close", None)
                if close is not None:
                    close()                                    # a closed object must raise ClosedError
            if self.rng.random() < 0.06:
                arity = True
                choice = self.rng.randrange(3)
                if choice == 0 and args:
                    args.pop()
                elif choice == 1:
                    args.append(self.rng.choice([0, None, "x"]))
                else:
                    kwargs["bogus_keyword"] = 1
        text = f"{name}({', '.join([short(a) for a in args] + [f'{k}={short(v)}' for k, v in kwargs.items()])})"
        if obj is not None:
            text = f"{name}[on {short(obj)}]{text[len(name):]}"
        index = self.calls
        self.calls += 1
        self.write(f"C {index} {' '.join(text.split())}"[:2000])
        started = time.perf_counter()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                result = fn(*args, **kwargs)
            self.adopt(name, result)
            if self.trace:
                self.write(f"R {index} ok {time.perf_counter() - started:.4f}s {short(result)}")
        except self.sp.SwiftPGError as e:
            if self.trace:
                self.write(f"R {index} {type(e).__name__}: {str(e)[:150]}")
        except Exception as e:
            if self.trace:
                self.write(f"R {index} {type(e).__name__}: {str(e)[:150]}")
            self.report_exception(name, text, e, arity=arity)
        finally:
            del args, kwargs

    @staticmethod
    def positional_names(fn, owner, kind, name) -> list[str]:
        target = owner.__init__ if kind == "constructor" else fn
        try:
            params = list(inspect.signature(target).parameters.values())
        except (TypeError, ValueError):
            return []
        return [p.name for p in params if p.name not in ("self", "cls")
                and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]

    def report_exception(self, name, text, e, arity: bool, setup: bool = False):
        ename = type(e).__name__
        if arity and isinstance(e, TypeError):
            return
        if ename in self.ALLOWED.get(name, ()):
            return
        message = str(e).split("\n")[0]
        where = ""
        tb = traceback.extract_tb(e.__traceback__)
        frames = [f for f in tb if "swiftpg" in f.filename or "gymnasium" in f.filename]
        if frames:
            f = frames[-1]
            where = f" at {os.path.basename(f.filename)}:{f.lineno}"
        key = f"{name}:{ename}:{where}"
        self.write("F " + json.dumps({"key": key, "text": f"{ename}: {message[:200]}{where} "
                                                           f"{'(while building the call) ' if setup else ''}"
                                                           f"from {text[:500]}"}))

    def adopt(self, name: str, result):
        """Keeps objects a call created (so later calls use them) and closes
        surplus ones."""
        sp = self.sp
        if getattr(result, "closed", True) is not False and not isinstance(result, sp.SwiftEnv):
            return                         # not a live native object (e.g. a bare base-class instance)
        if isinstance(result, (sp.VectorEnv,)):
            self.keep("vec", self.tag(result, f"result of {name.rsplit('.', 1)[-1]}"))
        elif isinstance(result, sp.SwiftEnv):
            self.keep("single", self.tag(result, f"result of {name.rsplit('.', 1)[-1]}"))
        elif isinstance(result, sp.policies.Policy):
            self.keep("policy", self.tag(result, f"{type(result).__name__} from {name.rsplit('.', 1)[-1]}"))
        elif isinstance(result, sp.policies.ValueFunction):
            self.keep("value", self.tag(result, "ValueFunction"))
        elif isinstance(result, (sp.algorithms.PolicyGradientLearner, sp.algorithms.PolicySearch)):
            self.keep("learner", self.tag(result, type(result).__name__))
        elif isinstance(result, sp.rlhf_table.Pipeline):
            self.keep("rlhf_pipeline", self.tag(result, "Pipeline from prepare"))
        elif hasattr(result, "close") and hasattr(result, "step"):
            try:
                result.close()
            except Exception:
                pass

    def teardown(self):
        for objs in self.pool.values():
            for o in objs:
                close_quietly(o)


def close_quietly(obj) -> None:
    """Closes a pooled object if it can be closed, whatever that raises."""
    close = getattr(obj, "close", None)
    if close is not None:
        try:
            close()
        except Exception:
            pass


def coverage(fz: PyFuzzer) -> list[str]:
    """Targets with neither a hand-written example nor providers for all
    their required parameters (building each example once)."""
    missing = []
    for name, (kind, owner, attr, value) in fz.api.items():
        if kind in ("property", "function") and value is None:
            continue
        try:
            fn, owner_, obj, _ = fz.resolve(name)
            if fz.example(name, owner_, obj) is not None:
                continue
        except Skip:
            continue
        except Exception as e:
            missing.append(f"{name} (building its example failed: {type(e).__name__}: {e})")
            continue
        fn = value if kind in ("function", "method") else (owner.__init__ if kind == "constructor" else None)
        if fn is None:
            continue
        if isinstance(fn, (classmethod, staticmethod)):
            fn = fn.__func__
        try:
            sig = inspect.signature(fn)
        except (TypeError, ValueError):
            continue
        names = [p.name for p in sig.parameters.values() if p.default is p.empty
                 and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD) and p.name not in ("self", "cls")]
        for n in names:
            try:
                fz.provide(n, owner, None)
            except KeyError:
                missing.append(f"{name} (parameter {n!r})")
                break
            except Exception:
                pass
    return missing


# -------------------------------------------------------------------------------------------- main

def worker(args) -> int:
    # No Ray instance in the fuzzer: swiftpg.distributed's calls stop at their argument checks or at the
    # ImportError of a missing Ray.
    sys.modules["ray"] = None
    supervise.deterministic_hashing()
    supervise.limit_memory(args.memory_mb)
    tmp = supervise.worker_directory(args.tmp, "swiftpg-fuzz-py-")
    rng = random.Random(args.seed)
    fz = PyFuzzer(rng, tmp)
    # Environments made without a seed draw one from `secrets`: make those
    # draws part of the seeded sequence so a replay takes the same path.
    seeds = random.Random(args.seed ^ 0x5EED)
    fz.sp.envs.secrets = type("SeededSecrets", (), {"randbits": staticmethod(seeds.getrandbits)})
    fz.trace = args.trace
    return supervise.run_calls(fz, sorted(fz.api), rng, args.calls, args.seconds)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    supervise.add_common_arguments(ap, default_calls=3000, call_timeout=30.0)
    ap.add_argument("--list", action="store_true", help="list the public callables and how each is fuzzed")
    ap.add_argument("--strict", action="store_true", help="exit 2 when a non-swiftpg exception was found")
    args = supervise.parse_arguments(ap, argv)
    if args.list:
        fz = PyFuzzer(random.Random(0), tempfile.mkdtemp(prefix="swiftpg-fuzz-py-"))
        missing = coverage(fz)
        for name in sorted(fz.api):
            print(f"{fz.api[name][0]:12} {name}")
        for m in missing:
            print(f"MISSING      {m}")
        fz.teardown()
        import shutil
        shutil.rmtree(fz.tmp, ignore_errors=True)
        return 1 if missing else 0
    if args.worker:
        return worker(args)
    library = None
    env = dict(os.environ)
    import cabi
    library = cabi.private_copy()
    env["SWIFTPG_LIBRARY"] = library
    print(f"[fuzz_python] seed {args.seed}, library {cabi.describe_library(library)}", flush=True)
    options = ["--memory-mb", str(args.memory_mb)] + (["--trace"] if args.trace else [])
    try:
        code = supervise.supervise(label="fuzz_python", script=os.path.abspath(__file__), seed=args.seed,
                                   calls=args.calls, seconds=args.seconds, call_timeout=args.call_timeout,
                                   memory_mb=args.memory_mb, max_deaths=args.max_deaths, verbose=args.verbose,
                                   extra=options, env=env, strict=args.strict)
    finally:
        import shutil
        shutil.rmtree(os.path.dirname(library), ignore_errors=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
