"""Training across processes and machines on Ray: rollout workers as Ray
actors, one learner in the driver.

Ray is an optional extra (``pip install 'swiftpg[ray]'``), imported when a
function here first needs it. The same code runs on a laptop
(``ray.init()`` starts a local instance), on a small machine in tests and on
a cluster (``ray.init(address=...)`` or ``ray_address=``).

Layout of a run with K workers and N = K·n environment lanes
-------------------------------------------------------------
Worker w holds the global lanes ``w·n .. w·n + n − 1``: its swiftpg batched
environment is made with seed ``seed + w·n`` (instance i of an env made with
seed s is seeded from s + i, so its lane j is the single-process env's lane
w·n + j), and its learner's lane j samples actions from the stream of global
lane w·n + j (``set_lane_offset``, streams ``(seed, lane)``). The worker
state is therefore a function of (seed, w, n) and a run is reproducible for
a fixed K — and, for the fixed-length-segment learners (actor-critic, A2C,
NPG, TRPO, PPO), **independent of K**: the driver concatenates the workers'
segments along the lane axis in worker order, which is exactly the
single-process batch ``[T, N]``, and updates with the behaviour
log-probabilities the workers recorded (``learner.update(...,
log_probs=...)``, the update ``iterate`` makes). So 1 worker, 2 workers and
the single-process learner made with ``num_envs=N`` end with bit-identical
parameters after any number of synchronous iterations
(``tests/test_distributed.py`` checks it), in both network precisions,
because a network computes each row of a forward pass bit-identically
whatever batch it is in (alone, in a batch of any size, at any position):

* float32 passes (the default): every product uses swiftpg's own kernel
  (``spg_sgemm``), in which every output is the bias, then the products
  over the inputs added in order, each rounded. OpenBLAS's
  Haswell sgemm, used before, rounds a row according to its position in
  the kernel's blocks (in a block of 12 rows, rows 0–5 and 6–11 accumulate
  in different orders; 8- and 4-row blocks and 1–3-row tails differ again;
  the transposed product too), which no padding of the batch removes.
* float64 passes: every product uses swiftpg's ``spg_dgemm``, in which
  every output is one chain of fused multiply-adds over its inputs in
  order (OpenBLAS's Haswell dgemm, used before, paired rows and gave an odd
  last row a path of its own).

Backward passes (and TRPO/NPG's Jacobian products) sum over the batch
through the same kernels; they run on the same concatenated batch in the driver as in
the single process, so they do not break the identity. Everything else on
the path — environments, per-lane random streams, normalisation,
estimators — is the same arithmetic in the same order for any K. What is
not promised: identity across machines or instruction sets (the float32
kernel gives the same values with and without AVX2/FMA, but OpenBLAS's
kernels and the float64 paths may differ on another CPU), and across
builds.

Episodic learners (REINFORCE, off-policy PG) collect whole episodes of at
least ``steps_per_iteration`` steps in one process — an amount that cannot be
split across processes without one process waiting for the others' episode
ends. Distributed, each worker collects fixed segments of ``ceil(
steps_per_iteration / N)`` steps per lane and the learner drops the steps of
episodes that do not end in the batch (the external-data path); the result
is identical for every K (the same lanes, the same streams), but not to the
single-process learner, whose batches start at episode starts.

The policy searches (CEM, GA, pattern search) evaluate their candidates on
the workers: the driver asks the search for its candidates and the episode
seed (``PolicySearch.candidates``), the workers evaluate slices of them with
greedy episodes on copies of the search's env, and the driver tells the
search the utilities (``PolicySearch.tell``): bit-identical to the
single-process search for any K when evaluations are greedy.

Parameters go to the workers through Ray's object store: one ``ray.put``
per iteration, the same reference passed to every worker.

Normalisation: a learner that normalises observations and/or rewards keeps
the one set of statistics; the workers normalise what their policies see
with the statistics sent with the parameters (frozen during the segment)
and return raw observations and rewards; the learner normalises the batch
with the statistics the workers saw, scales the rewards as its own
collection does and folds the raw batch into its statistics step by step,
N rows a step (``learner.update(..., raw=True)``). The trainer always
folds per segment so, whatever the learner's ``normalization_update``:
K workers are bit-identical to each other, and they are bit-identical to
the learner alone (``learner.iterate()``) when its config says
``normalization_update="segment"`` (the single process then freezes its
statistics during a segment and folds the raw segment in afterwards, the
same arithmetic). With the default ``"step"`` (SB3's VecNormalize: the
statistics move at every collection step, so the policy sees statistics
that include the step's own observations — what lanes in other processes
cannot share) the learner alone is another, statistically equivalent run.
Asynchronous mode normalises too: each worker returns the observation
statistics its segment was normalised with (those sent with the parameter
version it had), the learner normalises each lane's rows with its
segment's statistics (``observation_statistics=``) and folds the raw data
into its current statistics; rewards are scaled as they are folded (per
lane, in time order, as in sync mode). A segment dropped for staleness
(``max_staleness``) never reaches the learner, so the running discounted
return behind a lane's reward scale skips those steps (it is not reset at
an episode that ended inside them): the scale — a running statistic, not a
learning target — then comes from a slightly different sequence of
returns than a run without drops.

Asynchronous mode (``mode="async"``): each worker always has a segment in
flight; the driver updates on each batch as soon as it is gathered and the
workers are already collecting the next one with the parameters they had —
``staleness`` = the learner's parameter version minus the version a segment
was collected with (recorded per segment and in the stats; segments older
than ``max_staleness`` are dropped and counted). PPO corrects through its
ratio π_θ/β against the recorded behaviour log-probabilities, off-policy PG
through its truncated importance weights, A2C, NPG and TRPO with
``advantage="vtrace"`` (ActorCritic has no ``advantage`` setting, so it
trains synchronously only): V-trace targets and
advantages (Espeholt et al. 2018; ρ̄, c̄ from the config's
``vtrace_rho_bar``, ``vtrace_c_bar``, default 1) from log ρ = log π − log β
with the recorded β. Other configurations are refused in async mode
(NotSupportedError).

Fault tolerance: a worker that dies (``ray.kill``, a lost node) is replaced
by a new actor restored from the worker's state at the start of the
iteration (its serialised learner and environment, returned with every
segment), and its segment is collected again — the batch is the one the
dead worker would have returned, nothing is counted twice, and
``DistributedStats.workers_lost`` records the loss. An error raised inside a
worker (its environment or policy) reaches the driver as the same swiftpg
exception class (or :class:`RolloutWorkerError` for a foreign one) with the
worker's index, lanes, node and pid in the message.
"""

from __future__ import annotations

import dataclasses
import math
import os
import pickle
import time
from dataclasses import dataclass, field

from typing import NoReturn

import numpy as np

from . import _lib
from ._arrays import DTypeError, as_bool, as_choice, as_count
from ._lib import InvalidArgumentError, NotSupportedError, SwiftPGError

__all__ = ["DistributedTrainer", "DistributedSearch", "DistributedStats", "RolloutWorkerError", "require_ray",
           "init_local"]

_MISSING = ("swiftpg.distributed needs Ray, an optional extra: pip install 'swiftpg[ray]' "
            "(or pip install ray)")


def require_ray():
    """The ``ray`` module; ImportError naming the ``swiftpg[ray]`` extra
    when Ray is not installed."""
    try:
        import ray
    except ImportError as e:
        raise ImportError(_MISSING) from e
    return ray


def init_local(num_cpus: int = 2, object_store_memory: int = 80 * 1024 * 1024, address: str | None = None):
    """Starts (or connects to) Ray if it is not running: a local instance
    with ``num_cpus`` CPUs, an object store of ``object_store_memory``
    bytes (at least 75 MiB, Ray's minimum) and no dashboard, or the cluster at
    ``address`` (``"auto"``, ``"ray://host:10001"``; swiftpg must be
    installed on its nodes). Returns the ``ray`` module. Raises
    InvalidArgumentError / DTypeError for bad arguments (before Ray starts),
    ImportError naming the ``swiftpg[ray]`` extra without Ray."""
    num_cpus = as_count(num_cpus, "num_cpus", 1, 1 << 16)
    object_store_memory = as_count(object_store_memory, "object_store_memory", 75 * 1024 * 1024, 2**50)
    if address is not None and not isinstance(address, str):
        raise DTypeError(f"address must be a str or None, got {type(address).__name__}")
    ray = require_ray()
    if not ray.is_initialized():
        if address is None:
            # A local instance's workers inherit this process's environment (PYTHONPATH, SWIFTPG_LIBRARY).
            ray.init(num_cpus=num_cpus, object_store_memory=object_store_memory, include_dashboard=False,
                     log_to_driver=False, configure_logging=False)
        else:
            ray.init(address=address, log_to_driver=False)
    return ray


class RolloutWorkerError(SwiftPGError, RuntimeError):
    """A rollout worker raised an exception that is not a swiftpg error (an
    exception of a Gymnasium environment, say), or a worker kept dying. The
    message names the worker (index, lanes, node, pid; also in the
    ``worker`` dict) and the original is the ``__cause__`` (when it
    pickles). Errors that are swiftpg errors keep their class and gain the
    same message prefix and attributes."""


@dataclass
class DistributedStats:
    """One iteration of a distributed run. ``train``: the learner's
    :class:`swiftpg.algorithms.TrainStats` of the update (its episode fields
    are the episodes that ended in the workers' segments, returns running
    across segments) or the search's ``SearchStats``.

    Timings are wall-clock seconds measured in the driver (``broadcast``:
    the ``ray.put`` of the parameters; ``gather``: from submitting the
    segments to having them all; ``update``: the learner's update) and in the
    workers (``worker_collect``: the slowest worker's collection inside
    Swift). ``ray_overhead`` = gather − worker_collect + broadcast: what Ray
    adds to the collection on the critical path (scheduling, transfers,
    deserialisation). ``bytes_in``: the segments' array bytes received."""

    iteration: int
    version: int
    train: object
    env_steps: int
    #: Per segment in the batch (worker order): the parameter version it was collected with.
    segment_versions: list[int]
    #: Per segment: the learner's version at the update − its segment version.
    staleness: list[int]
    #: Segments dropped because they were staler than ``max_staleness`` (async).
    dropped_segments: int
    #: Workers that died during this iteration (replaced, their segments collected again).
    workers_lost: int
    seconds: float
    broadcast: float
    gather: float
    update: float
    worker_collect: float
    ray_overhead: float
    bytes_in: int

    @property
    def steps_per_second(self) -> float:
        return self.env_steps / self.seconds if self.seconds > 0 else math.inf

    @property
    def mean_staleness(self) -> float:
        return float(np.mean(self.staleness)) if self.staleness else 0.0


# ------------------------------------------------------------------------------------------------ worker

class _RolloutWorker:
    """What runs inside a Ray actor (``ray.remote(_RolloutWorker)``): a
    swiftpg learner over n environment lanes used only to collect
    (``swiftpg_pg_collect``) — or, for a search, a policy copy and an env to
    evaluate candidates. Made from a picklable ``spec`` dict (see
    :class:`DistributedTrainer`); ``state`` (bytes of a pickled worker
    learner) restores a replaced worker exactly."""

    def __init__(self, spec: dict, index: int, state: bytes | None = None):
        import swiftpg  # noqa: F401  (loads the library in the actor process)
        self.index = index
        self.spec = spec
        self.first_lane = index * spec["lanes_per_worker"]
        self.broken = None
        try:
            self.learner = pickle.loads(state) if state is not None else self._build()
        except BaseException as e:  # noqa: BLE001 — reported by the first call (ping), with the worker's identity
            self.learner, self.broken = None, e

    def _build(self):
        from .algorithms import PG_ALGORITHMS
        spec = self.spec
        n = spec["lanes_per_worker"]
        if spec.get("gymnasium_factory") is not None:
            return _GymWorker(spec, self.index)
        env = pickle.loads(spec["env"]).spawn(n, seed=(spec["seed"] + self.first_lane) % 2**64)
        if spec["kind"] == "search":
            return _SearchWorker(env, pickle.loads(spec["policy"]))
        cls = PG_ALGORITHMS[spec["collector_algorithm"]]
        value = pickle.loads(spec["value"]) if spec["value"] is not None else None
        learner = cls(env, policy=pickle.loads(spec["policy"]), value=value, config=spec["collector_config"])
        learner.set_lane_offset(self.first_lane)
        return learner

    def identity(self) -> dict:
        ray = require_ray()
        n = self.spec["lanes_per_worker"]
        return {"worker": self.index, "lanes": (self.first_lane, self.first_lane + n - 1),
                "node": ray.get_runtime_context().get_node_id()[:12], "pid": os.getpid()}

    def _fail(self, e: BaseException) -> NoReturn:
        ident = self.identity()
        where = (f"rollout worker {ident['worker']} (lanes {ident['lanes'][0]}..{ident['lanes'][1]}, "
                 f"node {ident['node']}, pid {ident['pid']})")
        if isinstance(e, SwiftPGError):
            err = type(e)(f"{where}: {e}", getattr(e, "status", None))
        else:
            err = RolloutWorkerError(f"{where}: {type(e).__name__}: {e}")
        setattr(err, "worker", ident)          # on any swiftpg error class: set dynamically
        try:                                  # the original travels too when it pickles
            pickle.dumps(e)
            setattr(err, "original", e)
        except Exception:  # noqa: BLE001
            setattr(err, "original", None)
        raise err from e

    def collect(self, payload, version: int, want_state: bool) -> dict:
        """One segment with ``payload`` = (the policy's parameter vector of
        version ``version``, and the learner's observation statistics mean,
        var, count — None for a learner that does not normalise): the arrays
        of ``Rollout`` (raw observations and rewards for a normalising
        learner) plus the worker's bookkeeping; ``state`` (the pickled
        worker learner after the segment) when ``want_state``."""
        try:
            start = time.perf_counter()
            learner = self.learner
            params, normalization = payload
            learner.policy.set_params(params)
            if normalization is not None:
                learner._set_worker_normalization(*normalization)
            r = learner.collect()
            seconds = time.perf_counter() - start
            out = {k: getattr(r, k) for k in ("observations", "actions", "log_probs", "rewards", "terminated",
                                              "truncated", "final_observations", "next_observations",
                                              "episode_returns", "episode_lengths")}
            # A Gymnasium worker's envs do not pickle: a replacement starts from the spec (not exact).
            state = pickle.dumps(learner) if want_state and not isinstance(learner, _GymWorker) else None
            # The observation statistics the policy saw (an async segment may be normalised with older ones).
            out.update(worker=self.index, version=version, seconds=seconds, state=state,
                       normalization=normalization)
            return out
        except BaseException as e:  # noqa: BLE001 — every error reaches the driver with the worker's identity
            self._fail(e)

    def evaluate(self, rows: np.ndarray, seed: int, episodes: int, greedy: bool) -> dict:
        """Utilities (mean returns) of the parameter ``rows`` and the env steps used."""
        try:
            start = time.perf_counter()
            utilities, steps = self.learner.evaluate(rows, seed, episodes, greedy)
            return {"utilities": utilities, "env_steps": steps, "seconds": time.perf_counter() - start,
                    "worker": self.index}
        except BaseException as e:  # noqa: BLE001
            self._fail(e)

    def ping(self) -> int:
        """The worker's pid; raises what went wrong when the worker was made."""
        if self.broken is not None:
            self._fail(self.broken)
        return os.getpid()


class _SearchWorker:
    """A search's evaluator: a policy copy and an env like the search's."""

    def __init__(self, env, policy):
        self.env, self.policy = env, policy

    def evaluate(self, rows, seed, episodes, greedy):
        utilities, steps = np.empty(len(rows)), 0
        for k, row in enumerate(rows):
            self.policy.set_params(row)
            returns, lengths = self.policy.evaluate(self.env, episodes, greedy, seed)
            utilities[k] = returns.mean()
            steps += int(lengths.sum())
        return utilities, steps


class _GymWorker:
    """Collection from Gymnasium environments made by a factory (Python
    steps them, swiftpg samples the actions): ``collect()`` returns a
    ``Rollout``-like object; behaviour log-probabilities are those of the
    policy copy, computed after the segment (the parameters do not change
    within it)."""

    def __init__(self, spec, index):
        from .algorithms.gymnasium import GymnasiumCollector
        n = spec["lanes_per_worker"]
        factory = pickle.loads(spec["gymnasium_factory"])
        first = index * n
        envs = [factory() for _ in range(n)]
        for i, e in enumerate(envs):
            e.reset(seed=spec["seed"] + first + i)
        self.policy = pickle.loads(spec["policy"])
        self.collector = GymnasiumCollector(envs, self.policy, seed=spec["seed"] + first)
        self.steps = spec["steps_per_env"]
        self._seen = 0

    def collect(self):
        from .algorithms._learner import Rollout
        d = self.collector.collect(self.steps)
        t, n = d["rewards"].shape
        flat_obs = d["observations"].reshape(t * n, -1)
        acts = d["actions"].reshape(t * n, *d["actions"].shape[2:])
        logp = self.policy.log_prob(flat_obs, acts).reshape(t, n)
        returns = np.array(self.collector.episode_returns[self._seen:])
        self._seen = len(self.collector.episode_returns)
        return Rollout(observations=d["observations"], actions=d["actions"], log_probs=logp, values=None,
                       rewards=d["rewards"], terminated=d["terminated"].astype(bool),
                       truncated=d["truncated"].astype(bool), final_observations=d["final_observations"],
                       next_observations=d["next_observations"], episode_returns=returns,
                       episode_lengths=np.zeros(len(returns), np.int32))


# ------------------------------------------------------------------------------------------------ driver

def _concat(results: list[dict]) -> dict:
    """The workers' segments side by side along the lane axis (worker order)."""
    lane_axis = lambda k: np.concatenate([r[k] for r in results], axis=1)  # noqa: E731
    return dict(observations=lane_axis("observations"), actions=lane_axis("actions"),
                rewards=lane_axis("rewards"), terminated=lane_axis("terminated"),
                truncated=lane_axis("truncated"), final_observations=lane_axis("final_observations"),
                next_observations=np.concatenate([r["next_observations"] for r in results]),
                log_probs=lane_axis("log_probs"))


def _nbytes(results: list[dict]) -> int:
    return sum(v.nbytes for r in results for v in r.values() if isinstance(v, np.ndarray))


class _Pool:
    """The worker actors, their last states, and their replacement."""

    def __init__(self, spec: dict, num_workers: int, worker_options: dict | None, keep_states: bool):
        ray = require_ray()
        self.ray = ray
        self.spec = spec
        self.options = {"num_cpus": 1, "max_restarts": 0, **(worker_options or {})}
        self.remote_class = ray.remote(_RolloutWorker)
        self.keep_states = keep_states
        self.states: list[bytes | None] = [None] * num_workers
        self.actors = [self._start(w) for w in range(num_workers)]
        self.lost_total = 0
        try:                      # every worker up, or the first one's error (bad spec) here
            for ref in [a.ping.remote() for a in self.actors]:
                try:
                    ray.get(ref)
                except ray.exceptions.RayTaskError as e:
                    err = _unwrap(e)
                    raise err from err.__cause__
        except BaseException:
            self.shutdown()
            raise

    def _start(self, w: int):
        return self.remote_class.options(**self.options).remote(self.spec, w, self.states[w])

    def replace(self, w: int) -> None:
        """A new actor for worker w, restored from its last state."""
        try:
            self.ray.kill(self.actors[w], no_restart=True)
        except Exception:  # noqa: BLE001 — it may be gone already
            pass
        self.actors[w] = self._start(w)
        self.lost_total += 1

    def run(self, submit, workers: list[int]):
        """Runs ``submit(actor, w)`` for every worker in ``workers`` and
        returns ``({w: result}, lost)``: a worker whose actor died is replaced
        and its task submitted again (at most 3 times each); an exception
        raised inside a worker is re-raised here."""
        ray = self.ray
        pending = {submit(self.actors[w], w): w for w in workers}
        results, lost, tries = {}, 0, dict.fromkeys(workers, 0)
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            ref = ready[0]
            w = pending.pop(ref)
            try:
                results[w] = ray.get(ref)
            except ray.exceptions.RayTaskError as e:
                err = _unwrap(e)
                raise err from err.__cause__
            except (ray.exceptions.RayActorError, ray.exceptions.WorkerCrashedError,
                    ray.exceptions.ObjectLostError) as e:
                tries[w] += 1
                if tries[w] > 3:
                    raise RolloutWorkerError(f"rollout worker {w} died {tries[w]} times in one iteration: {e}") from e
                lost += 1
                self.replace(w)
                pending[submit(self.actors[w], w)] = w
        return results, lost

    def shutdown(self) -> None:
        for a in self.actors:
            try:
                self.ray.kill(a, no_restart=True)
            except Exception:  # noqa: BLE001
                pass
        self.actors = []


def _unwrap(e):
    """The exception a worker raised (Ray wraps it in a RayTaskError)."""
    cause = getattr(e, "cause", None)
    if isinstance(cause, BaseException):
        cause.__cause__ = getattr(cause, "original", None)   # (the exception chain does not pickle)
        return cause
    return RolloutWorkerError(str(e))


class _WorkerPoolOwner:
    """What the distributed trainer and search share: stopping their
    workers, also as a context manager."""

    _pool: "_Pool"

    def close(self) -> None:
        """Stops the workers (not Ray itself); idempotent."""
        if getattr(self, "_pool", None) is not None:
            self._pool.shutdown()
            self._pool = None  # type: ignore[assignment]  # closed

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class DistributedTrainer(_WorkerPoolOwner):
    """Trains a policy-gradient ``learner`` with ``num_workers`` Ray rollout
    workers; the learner (in this process) does the updates.

    ``learner``: a swiftpg PG learner made on a swiftpg env id / VectorEnv
    of N lanes (N divisible by ``num_workers``; worker w holds lanes
    w·N/K .. (w+1)·N/K − 1, see the module doc), or on a Gymnasium env
    through ``gymnasium_factory`` (a picklable zero-argument callable making
    one ``gymnasium.Env``; the learner may then have no swiftpg env and
    ``num_envs`` gives N). ``mode``: ``"sync"`` (every iteration gathers one
    segment per worker collected with the current parameters) or
    ``"async"`` (workers keep collecting with the parameters they have; PPO,
    off-policy PG, and segment learners with ``advantage="vtrace"``). ``max_staleness``: async segments collected
    more than this many versions ago are dropped. ``fault_tolerance``:
    workers return their state with every segment so a dead one is replaced
    exactly (costs a serialisation per segment; False, and always for
    Gymnasium-factory workers, whose envs do not pickle: a replacement starts
    from the spec, so the run is no longer bit-reproducible).
    ``worker_options``: Ray actor options (default ``num_cpus=1``).
    ``ray_address``: connect to that cluster; otherwise a running Ray or a
    new local instance. A normalising learner's statistics are folded per
    segment (see the module doc; ``normalization_update="segment"`` makes
    the learner alone identical to the distributed run). Raises
    NotSupportedError for async learners without an off-policy correction,
    InvalidArgumentError / DTypeError for bad arguments, ImportError naming
    the ``swiftpg[ray]`` extra without Ray."""

    def __init__(self, learner, num_workers: int = 2, *, mode: str = "sync", max_staleness: int = 2,
                 fault_tolerance: bool = True, worker_options: dict | None = None, ray_address: str | None = None,
                 gymnasium_factory=None, num_envs: int | None = None):
        from .algorithms import PG_ALGORITHMS, A2CConfig, PolicyGradientLearner
        if not isinstance(learner, PolicyGradientLearner):
            raise DTypeError(f"learner must be a swiftpg policy-gradient learner, got {type(learner).__name__}")
        k = as_count(num_workers, "num_workers", 1, 4096)
        self.mode = as_choice(mode, {"sync": "sync", "async": "async"}, "mode")
        self.max_staleness = as_count(max_staleness, "max_staleness", 0, 1 << 20)
        keep = as_bool(fault_tolerance, "fault_tolerance")
        if worker_options is not None and not isinstance(worker_options, dict):
            raise DTypeError(f"worker_options must be a dict, got {type(worker_options).__name__}")
        config = learner.config
        self.normalizes = bool(getattr(config, "normalize_observations", False)
                               or getattr(config, "normalize_rewards", False))
        if self.normalizes and gymnasium_factory is not None:
            raise NotSupportedError("a learner on a Gymnasium factory normalises in the environment (e.g. "
                                    "gymnasium.wrappers.NormalizeObservation), not in the learner")
        algorithm = config._algorithm
        episodic = getattr(config, "steps_per_env", None) is None
        corrected = algorithm in ("ppo", "offpolicy-pg") or getattr(config, "advantage", None) == "vtrace"
        if self.mode == "async" and not corrected:
            raise NotSupportedError(f"asynchronous training needs an off-policy correction: PPO (its ratio), "
                                    f"off-policy PG (importance weights) or advantage='vtrace' (V-trace); {algorithm} "
                                    f"with advantage={getattr(config, 'advantage', None)!r} has none — use "
                                    "mode='sync' or config.replace(advantage='vtrace')")
        if gymnasium_factory is None:
            env = learner.env
            if env is None:
                raise InvalidArgumentError("the learner has no swiftpg env: pass gymnasium_factory= (and num_envs=)")
            n_total = env.num_envs
        else:
            if not callable(gymnasium_factory):
                raise DTypeError("gymnasium_factory must be a callable making one gymnasium.Env")
            n_total = as_count(num_envs if num_envs is not None else 8, "num_envs", 1, 1 << 20)
            env = None
        if n_total % k:
            raise InvalidArgumentError(f"the {n_total} environment lanes do not split over {k} workers "
                                       "(num_envs must be a multiple of num_workers)")
        n = n_total // k
        seed = config.seed
        if episodic:
            steps = max(1, -(-config.steps_per_iteration // n_total))
            collector_algorithm = "a2c"
            collector_config = A2CConfig(seed=seed, steps_per_env=steps, minibatch_size=0)
        else:
            steps = config.steps_per_env
            collector_algorithm = algorithm
            # Collection does not read the minibatch size; a worker's n lanes may not split into it.
            collector_config = config.replace(minibatch_size=0)
        if algorithm not in PG_ALGORITHMS:
            raise NotSupportedError(f"{algorithm} cannot be distributed")
        needs_value = collector_algorithm not in ("reinforce", "offpolicy-pg")
        value = learner.value if learner.value is not None else None
        if needs_value and value is None:
            from .policies import ValueFunction
            value = ValueFunction(learner.policy.observation_size, hidden_sizes=(8,), seed=seed)
        self.learner = learner
        self.num_workers = k
        self.lanes_per_worker = n
        self.steps_per_env = steps
        self.spec = {
            "kind": "pg", "seed": seed, "lanes_per_worker": n, "steps_per_env": steps,
            "env": pickle.dumps(env) if env is not None else None,
            "policy": pickle.dumps(learner.policy), "value": pickle.dumps(value) if needs_value else None,
            "collector_algorithm": collector_algorithm, "collector_config": collector_config,
            "gymnasium_factory": (require_ray().cloudpickle.dumps(gymnasium_factory)
                                  if gymnasium_factory is not None else None),
        }
        init_local(address=ray_address)
        self._pool = _Pool(self.spec, k, worker_options, keep)
        self.version = 0
        self.history: list[DistributedStats] = []
        self._inflight: dict = {}          # async: ref -> worker
        self._buffer: list[dict] = []      # async: segments gathered for the next update

    # -- the iterations

    def iterate(self) -> DistributedStats:
        """One synchronous or asynchronous iteration (see the class doc)."""
        return self._iterate_sync() if self.mode == "sync" else self._iterate_async()

    def _payload(self):
        """What the workers need of the learner: its parameters and, for a
        normalising learner, its observation statistics (None/None when it
        scales only rewards)."""
        normalization = None
        if self.normalizes:
            rms = self.learner.obs_rms
            normalization = (None, None, 1.0) if rms is None else (rms.mean, rms.var, rms.count)
        return self.learner.policy.get_params(), normalization

    def _gather_sync(self):
        ray = self._pool.ray
        start = time.perf_counter()
        params = ray.put(self._payload())       # the one broadcast of the iteration
        broadcast = time.perf_counter() - start
        keep = self._pool.keep_states
        version = self.version
        results, lost = self._pool.run(lambda actor, w: actor.collect.remote(params, version, keep),
                                       list(range(self.num_workers)))
        gather = time.perf_counter() - start - broadcast
        ordered = [results[w] for w in range(self.num_workers)]
        for r in ordered:
            self._keep_state(r)
        return ordered, start, broadcast, gather, lost

    def collect(self) -> tuple[dict, dict]:
        """One synchronous collection without an update (pure collection,
        e.g. to measure it, or for a custom update): ``(batch, timings)``
        with ``batch`` the keyword arguments of ``learner.update`` (``[T, N]``
        over all workers' lanes, behaviour ``log_probs`` included) and
        ``timings`` the seconds of ``broadcast``, ``gather``,
        ``worker_collect`` (slowest worker), ``ray_overhead`` and ``seconds``
        (all, with the concatenation), plus ``bytes_in``. The workers'
        environments advance; the learner does not change."""
        if self.mode != "sync":
            raise NotSupportedError("collect() is the synchronous collection; this trainer is asynchronous")
        ordered, start, broadcast, gather, lost = self._gather_sync()
        batch = _concat(ordered)
        collect = max(r["seconds"] for r in ordered)
        return batch, {"broadcast": broadcast, "gather": gather, "worker_collect": collect,
                       "ray_overhead": max(0.0, gather - collect) + broadcast, "workers_lost": lost,
                       "seconds": time.perf_counter() - start, "bytes_in": _nbytes(ordered)}

    def _iterate_sync(self) -> DistributedStats:
        ordered, start, broadcast, gather, lost = self._gather_sync()
        return self._update(ordered, start, broadcast, gather, lost, 0)

    def _submit(self, w: int):
        ref = self._pool.actors[w].collect.remote(self._params_ref, self.version, self._pool.keep_states)
        self._inflight[ref] = w
        return ref

    def _iterate_async(self) -> DistributedStats:
        ray = self._pool.ray
        start = time.perf_counter()
        broadcast = 0.0
        if not self._inflight:
            self._params_ref = ray.put(self._payload())
            broadcast = time.perf_counter() - start
            for w in range(self.num_workers):
                self._submit(w)
        lost = dropped = 0
        got: dict[int, dict] = {}

        def take(r: dict) -> None:
            # A worker has at most one segment in flight or waiting: it is sent
            # again once its segment is used (or dropped), not before.
            nonlocal dropped
            w = r["worker"]
            if self.version - r["version"] > self.max_staleness:
                dropped += 1
                self._submit(w)
            elif w in got:                  # a fast worker's second segment waits for the next batch
                rest.append(r)
            else:
                got[w] = r
                # It goes on at once with the parameters it has now (stale by the update below).
                self._submit(w)

        rest: list[dict] = []
        for r in self._buffer:
            take(r)
        self._buffer = rest
        while len(got) < self.num_workers:
            ready, _ = ray.wait(list(self._inflight), num_returns=1)
            ref = ready[0]
            w = self._inflight.pop(ref)
            try:
                r = ray.get(ref)
            except ray.exceptions.RayTaskError as e:
                err = _unwrap(e)
                raise err from err.__cause__
            except (ray.exceptions.RayActorError, ray.exceptions.WorkerCrashedError):
                lost += 1
                self._pool.replace(w)
                self._submit(w)
                continue
            self._keep_state(r)
            take(r)
        gather = time.perf_counter() - start - broadcast
        ordered = [got[w] for w in range(self.num_workers)]
        stats = self._update(ordered, start, broadcast, gather, lost, dropped)
        t = time.perf_counter()
        self._params_ref = ray.put(self._payload())   # next submissions use the new version
        stats.broadcast += time.perf_counter() - t
        return stats

    def _keep_state(self, r: dict) -> None:
        if r.get("state") is not None:
            self._pool.states[r["worker"]] = r["state"]

    def _update(self, ordered, start, broadcast, gather, lost, dropped) -> DistributedStats:
        for r in ordered:
            self._keep_state(r)
        batch = _concat(ordered)
        seen = self._seen_statistics(ordered)
        t = time.perf_counter()
        stats = self.learner.update(**batch, raw=self.normalizes, observation_statistics=seen)
        update = time.perf_counter() - t
        self.version += 1
        # Episode statistics: the episodes that ended in the workers' segments (returns across segments).
        returns = np.concatenate([r["episode_returns"] for r in ordered])
        lengths = np.concatenate([r["episode_lengths"] for r in ordered])
        stats.episodes = len(returns)
        stats.episode_returns, stats.episode_lengths = returns, lengths
        stats.episode_successes = np.full(len(returns), -1, np.int8)
        if len(returns):
            stats.mean_return, stats.std_return = float(returns.mean()), float(returns.std())
            stats.min_return, stats.max_return = float(returns.min()), float(returns.max())
            stats.mean_length = float(lengths.mean())
        else:
            stats.mean_return = stats.std_return = stats.min_return = stats.max_return = math.nan
            stats.mean_length = math.nan
        collect = max(r["seconds"] for r in ordered)
        seconds = time.perf_counter() - start
        out = DistributedStats(
            iteration=len(self.history) + 1, version=self.version, train=stats,
            env_steps=int(batch["rewards"].size), segment_versions=[r["version"] for r in ordered], staleness=[self.version - 1 - r["version"] for r in ordered],
            dropped_segments=dropped, workers_lost=lost, seconds=seconds, broadcast=broadcast, gather=gather,
            update=update, worker_collect=collect, ray_overhead=max(0.0, gather - collect) + broadcast,
            bytes_in=_nbytes(ordered))
        self.history.append(out)
        return out

    def _seen_statistics(self, ordered):
        """Async, observation-normalising learner: the observation
        statistics each lane's segment was normalised with (those sent with
        the parameters it was collected with), ``(mean, var)`` ``[N, obs]``;
        None when they are the learner's now (sync) or it does not normalise
        observations."""
        if self.mode != "async" or not self.normalizes or ordered[0]["normalization"] is None \
                or ordered[0]["normalization"][0] is None:
            return None
        n = self.lanes_per_worker
        mean = np.concatenate([np.repeat(np.asarray(r["normalization"][0])[None, :], n, axis=0) for r in ordered])
        var = np.concatenate([np.repeat(np.asarray(r["normalization"][1])[None, :], n, axis=0) for r in ordered])
        return mean, var

    def train(self, total_env_steps: int, callback=None) -> list[DistributedStats]:
        """Iterates until ``total_env_steps`` env steps were used (in this
        trainer); ``callback(stats)`` returning True stops."""
        total = as_count(total_env_steps, "total_env_steps", 1, 2**62)
        if callback is not None and not callable(callback):
            raise DTypeError("callback must be callable or None")
        done, out = 0, []
        while done < total:
            s = self.iterate()
            out.append(s)
            done += s.env_steps
            if callback is not None and callback(s):
                break
        return out

    def workers(self) -> list:
        """The worker actors (for inspection, or ``ray.kill`` in tests)."""
        return list(self._pool.actors)

    @property
    def workers_lost(self) -> int:
        """Workers replaced since the start."""
        return self._pool.lost_total


class DistributedSearch(_WorkerPoolOwner):
    """A :class:`swiftpg.algorithms.PolicySearch` whose candidates are
    evaluated by ``num_workers`` Ray workers (each a policy copy and an env
    like the search's): bit-identical to ``search.iterate()`` for greedy
    evaluations. Candidates are split into contiguous slices in order."""

    def __init__(self, search, num_workers: int = 2, *, worker_options: dict | None = None,
                 ray_address: str | None = None):
        from .algorithms import PolicySearch
        if not isinstance(search, PolicySearch):
            raise DTypeError(f"search must be a swiftpg PolicySearch, got {type(search).__name__}")
        k = as_count(num_workers, "num_workers", 1, 4096)
        self.search = search
        self.num_workers = k
        n = search.env.num_envs
        # Every worker evaluates on an env like the search's (same instance count: evaluate() splits the
        # episodes over the instances), so lanes_per_worker is n and first lanes do not matter.
        self.spec = {"kind": "search", "seed": 0, "lanes_per_worker": n, "env": pickle.dumps(search.env),
                     "policy": pickle.dumps(search.policy)}
        init_local(address=ray_address)
        self._pool = _Pool(self.spec, k, worker_options, keep_states=False)
        self._pool.spec = dict(self.spec, lanes_per_worker=n)
        self.history: list = []

    def iterate(self):
        """One generation / poll with the candidates evaluated on the workers."""
        ray = self._pool.ray
        cfg = self.search.config
        rows, seed = self.search.candidates()
        slices = np.array_split(np.arange(len(rows)), self.num_workers)
        refs = {w: ray.put(rows[s]) for w, s in enumerate(slices) if len(s)}
        results, _ = self._pool.run(
            lambda actor, w: actor.evaluate.remote(refs[w], seed, cfg.episodes_per_evaluation, cfg.greedy),
            list(refs))
        utilities = np.concatenate([results[w]["utilities"] for w in sorted(results)])
        steps = sum(results[w]["env_steps"] for w in results)
        stats = self.search.tell(utilities, steps)
        self.history.append(stats)
        return stats

