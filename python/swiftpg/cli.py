"""Command line.

    python -m swiftpg train ENV --algo ALGO --seed S [--steps N] ...
    python -m swiftpg train ENV --resume runs/last.swiftpg --steps N
    python -m swiftpg train ENV --algo ppo --workers K [--ray-address ADDR]
    python -m swiftpg eval runs/best.swiftpg [--episodes 100] [--stochastic]
    python -m swiftpg envs
    python -m swiftpg algos [ALGO]
    python -m swiftpg rlhf table --seeds 5 --task summarise --out runs/rlhf
    python -m swiftpg rlhf train --method rloo --k 4 --task summarise --json

ALGO: reinforce, actor-critic, a2c, offpolicy-pg, npg, trpo, ppo, dqn (the
value-based contrast: Mnih et al. 2015), cem, ga, pattern-search. ``--steps`` counts environment steps for every algorithm.
Every argument is checked before training starts (exit status 2 with a
message naming it); an option an algorithm cannot honour is refused for
it. Early stopping uses periodic greedy evaluation episodes (never a
training batch's mean or a search's best candidate). Progress goes to
stderr (a tqdm bar on a terminal, else one line per iteration); with
``--json`` the final summary is one JSON line on stdout. The ``rlhf``
commands (the miniature table of learning from preferences and single
online RLHF runs) live in ``swiftpg/_cli_rlhf.py``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import sys
import time
from typing import Any

import numpy as np

from . import _lib
from . import callbacks as cb
from .algorithms import DQN, PG_ALGORITHMS, DQNConfig, PolicyGradientLearner, PolicySearch, SearchConfig
from .envs import _RENDER_FPS

SEARCH_METHODS = ("cem", "ga", "pattern-search")
ALGORITHMS = tuple(PG_ALGORITHMS) + ("dqn",) + SEARCH_METHODS

# Per-environment defaults: env-step budget and the early-stop target of the
# periodic evaluations (default: the env's reward threshold; CartPole stops
# at 495 so that fresh evaluations land above its threshold of 475).
ENV_DEFAULTS: dict[str, dict[str, Any]] = {
    "CartPole-v1": dict(steps=500_000, stop_at_return=495.0),
    "Acrobot-v1": dict(steps=1_000_000, stop_at_return=None),
    "Pendulum-v1": dict(steps=1_000_000, stop_at_return=None),
    # The zoo's threshold of the periodic evaluations.
    "MountainCarContinuous-v0": dict(steps=1_000_000, stop_at_return=90.0),
    # Its states are aliased: a deterministic policy cannot reach the goal
    # (Sutton & Barto, Example 13.1), so evaluation samples actions.
    "ShortCorridor-v0": dict(steps=200_000, stop_at_return=None, greedy_eval=False),
}

HYPERPARAMS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "hyperparams")


#: rl-baselines3-zoo names in hyperparameter files and the config fields they
#: set (in these files ``n_steps`` is the zoo's rollout length per env;
#: swiftpg's n-step advantage horizon is set with --config n_steps=...).
ZOO_NAMES = {"n_steps": "steps_per_env", "batch_size": "minibatch_size", "n_epochs": "epochs",
             "ent_coef": "entropy_coef", "vf_coef": "value_coef", "normalize_advantage": "normalize_advantages"}


def load_hyperparams(path: str, names: dict = ZOO_NAMES) -> dict:
    """The sections of an rl-baselines3-zoo style hyperparameter file: a
    YAML mapping of environment id to a mapping of ``n_envs``,
    ``n_timesteps``, ``policy_kwargs`` (a mapping) and config fields.
    Returns ``{env_id: dict(num_envs=, steps=, config=, policy=)}`` (absent
    keys omitted). Raises UsageError naming the file and the key for a file
    that cannot be read or does not have that shape; unknown config fields
    are refused when the config is built. ``names``: the zoo's names read
    as other config fields (``ZOO_NAMES`` for the policy-gradient
    learners; none for DQN, whose fields have the zoo's names)."""
    import yaml
    try:
        with open(path, encoding="utf-8") as f:
            data = yaml.safe_load(f)
    except OSError as error:
        raise UsageError(f"--hyperparams {path!r}: {error.strerror or error}") from None
    except yaml.YAMLError as error:
        raise UsageError(f"--hyperparams {path!r} is not valid YAML: {error}") from None
    if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, dict) for k, v in data.items()):
        raise UsageError(f"--hyperparams {path!r} must map environment ids to mappings of settings")
    sections = {}
    for env_id, section in data.items():
        preset: dict = {"config": {}}
        for key, value in section.items():
            if key in ("n_envs", "n_timesteps"):
                if isinstance(value, float) and value.is_integer():      # the zoo writes !!float 1e5
                    value = int(value)
                if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                    raise UsageError(f"--hyperparams {path!r}: {env_id}.{key} must be a positive integer, "
                                     f"got {value!r}")
                preset["num_envs" if key == "n_envs" else "steps"] = value
            elif key == "policy_kwargs":
                if not isinstance(value, dict):
                    raise UsageError(f"--hyperparams {path!r}: {env_id}.policy_kwargs must be a mapping")
                preset["policy"] = {k: tuple(v) if isinstance(v, list) else v for k, v in value.items()}
            else:
                field = names.get(key, key)
                if field in preset["config"]:
                    raise UsageError(f"--hyperparams {path!r}: {env_id} sets {field} twice (as {key})")
                preset["config"][field] = tuple(value) if isinstance(value, list) else value
        sections[env_id] = preset
    return sections


def _shipped_presets() -> dict:
    """``{(algorithm, env_id): preset}`` from the hyperparameter files shipped
    in ``swiftpg/hyperparams`` (one per algorithm)."""
    presets = {}
    for name in sorted(os.listdir(HYPERPARAMS)):
        if name.endswith(".yml"):
            names = {} if name == "dqn.yml" else ZOO_NAMES
            for env_id, preset in load_hyperparams(os.path.join(HYPERPARAMS, name), names).items():
                presets[(name[:-4], env_id)] = preset
    return presets


def _parse_value(text: str):
    """An override's value: int, float, bool, a comma-separated tuple of
    those (``hidden_sizes=32,32``), else the string."""
    if "," in text:
        return tuple(_parse_value(part.strip()) for part in text.split(",") if part.strip())
    for conv in (int, float):
        try:
            return conv(text)
        except ValueError:
            pass
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    return text


class UsageError(Exception):
    """A bad command line, reported before any training (exit status 2)."""


#: Per-(algorithm, environment) settings: num_envs, the step budget, config
#: overrides and default-policy options, read from the shipped hyperparameter
#: files (swiftpg/hyperparams/<algorithm>.yml; PPO's follow rl-baselines3-zoo).
PRESETS = _shipped_presets()


def _parse_overrides(pairs: list[str], option: str = "--config") -> dict:
    out = {}
    for pair in pairs:
        if "=" not in pair:
            raise UsageError(f"{option} expects key=value, got {pair!r}")
        key, value = pair.split("=", 1)
        out[key.strip()] = _parse_value(value.strip())
    return out


def _existing_ancestor(path: str) -> str:
    """``path`` or its nearest ancestor that exists."""
    while not os.path.exists(path):
        path = os.path.dirname(path)
    return path


def _check_output_file(path: str | None, option: str) -> None:
    """``path`` can be created: it is not a folder, and its folder exists and
    is writable or can be created (the nearest existing ancestor is a
    writable folder; ``_make_parents`` creates it before training)."""
    if path is None:
        return
    if os.path.isdir(path):
        raise UsageError(f"{option} {path!r} is a directory")
    ancestor = _existing_ancestor(os.path.dirname(os.path.abspath(path)))
    if not os.path.isdir(ancestor):
        raise UsageError(f"{option} {path!r}: {ancestor!r} is not a directory")
    if not _can_write_in(ancestor):
        raise UsageError(f"{option} {path!r}: the directory {ancestor!r} is not writable")


def _can_write_in(folder: str) -> bool:
    """Whether a file can be created in ``folder`` — tried, not inferred
    from permission bits (which say yes to root in /proc or on a read-only
    file system)."""
    import tempfile
    try:
        with tempfile.TemporaryFile(dir=folder, prefix=".swiftpg-write-check-"):
            return True
    except OSError:
        return False


def _plot_path(path: str) -> str:
    """``path`` with a format matplotlib writes (none given: ``.png``);
    UsageError for an extension it cannot write."""
    extension = os.path.splitext(path)[1].lower().lstrip(".")
    if not extension:
        return path + ".png"
    from matplotlib.figure import Figure
    supported = Figure().canvas.get_supported_filetypes()
    if extension not in supported:
        raise UsageError(f"--plot {path!r}: matplotlib cannot write .{extension} (it writes "
                         f"{', '.join(sorted(supported))})")
    return path


def _make_parents(*paths) -> None:
    for path in paths:
        if path is not None:
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)


def _check_output_dir(path: str | None, option: str) -> None:
    if path is None:
        return
    if os.path.exists(path) and not os.path.isdir(path):
        raise UsageError(f"{option} {path!r} exists and is not a directory")
    ancestor = _existing_ancestor(os.path.abspath(path))
    if not os.path.isdir(ancestor) or not _can_write_in(ancestor):
        raise UsageError(f"{option} {path!r} cannot be created in {ancestor!r}")


def _need_module(module: str, option: str, extra: str) -> None:
    if importlib.util.find_spec(module) is None:
        raise UsageError(f"{option} needs the optional package '{module}': pip install 'swiftpg[{extra}]'")


def _positive(value, option: str, maximum: int = 2**62) -> None:
    if value is not None and not 1 <= value <= maximum:
        raise UsageError(f"{option} must be in [1, {maximum}], got {value}")


def _print_result(args, summary: dict, sentence: str) -> None:
    """A command's result on stdout: ``summary`` as one line of JSON with --json, else ``sentence``."""
    print(json.dumps(summary) if args.json else sentence)


def _plot(curve: dict, path: str, title: str) -> None:
    """A learning curve from finished episodes (each at the env step of the
    iteration it ended in), their rolling mean, and the evaluations; for
    searches the per-iteration best and mean utility."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    steps, returns = np.asarray(curve["episode_steps"], float), np.asarray(curve["episode_returns"], float)
    if returns.size:
        ax.plot(steps, returns, ".", ms=2, alpha=0.3, color="C0", label="training episodes")
        window = max(1, min(100, returns.size // 10 or 1))
        rolling = np.convolve(returns, np.ones(window) / window, mode="valid")
        ax.plot(steps[window - 1:], rolling, color="C0", label=f"rolling mean of {window} episodes")
    for key, label, colour in (("best_utility", "best candidate (search)", "C2"),
                               ("mean_utility", "population mean (search)", "C0")):
        if curve.get(key):
            ax.plot(curve["iteration_steps"], curve[key], color=colour, label=label)
    if curve["eval_steps"]:
        ax.errorbar(curve["eval_steps"], curve["eval_mean"], yerr=curve["eval_std"], fmt="o-", color="C1", ms=4,
                    label="evaluation (greedy)" if curve["eval_greedy"] else "evaluation (stochastic)")
    ax.set_xlabel("environment steps")
    ax.set_ylabel("return")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


class _Curve(cb.BaseCallback):
    """Collects what the plot and the summary need; prints a progress line
    per iteration when asked."""

    def __init__(self, lines: bool):
        super().__init__()
        self.lines = lines
        self.data: dict[str, Any] = dict(episode_steps=[], episode_returns=[], iteration_steps=[], best_utility=[],
                         mean_utility=[], eval_steps=[], eval_mean=[], eval_std=[], eval_greedy=True)

    def _on_step(self) -> bool:
        s, d = self.stats, self.data
        d["iteration_steps"].append(self.num_timesteps)
        returns = getattr(s, "episode_returns", None)
        if returns is not None:
            d["episode_returns"].extend(np.asarray(returns, float).tolist())
            d["episode_steps"].extend([self.num_timesteps] * len(returns))
            if self.lines:
                recent = d["episode_returns"][-100:]
                mean = f"{np.mean(recent):7.1f}" if recent else "      –"
                detail = (f"ε {s.epsilon:.3f}  loss {s.loss:.3g}" if getattr(s, "algorithm", "") == "dqn"
                          else f"entropy {s.entropy:.3f}")
                print(f"iter {s.iteration:4d}  steps {s.total_env_steps:8d}  episodes {s.episodes:3d}  return "
                      f"{mean} (last {len(recent)} episodes)  {detail}  |g| {s.grad_norm:.3g}  "
                      f"{s.steps_per_second / 1e3:7.1f}k steps/s", file=sys.stderr, flush=True)
        else:
            d["best_utility"].append(s.best_utility)
            d["mean_utility"].append(s.mean_utility)
            if self.lines:
                print(f"iter {s.iteration:4d}  steps {s.total_env_steps:8d}  best {s.best_utility:7.1f}  "
                      f"mean {s.mean_utility:7.1f}  spread {s.spread:.3g}", file=sys.stderr, flush=True)
        return True


class _EvalRecord(cb.BaseCallback):
    """EvalCallback's callback_after_eval: copies each evaluation into the curve."""

    def __init__(self, curve: _Curve):
        super().__init__()
        self.curve = curve

    def _on_step(self) -> bool:
        ev, d = self.parent, self.curve.data
        assert isinstance(ev, cb.EvalCallback)         # the EvalCallback that calls it
        d["eval_steps"].append(ev.num_timesteps)
        d["eval_mean"].append(float(np.mean(ev.evaluations_results[-1])))
        d["eval_std"].append(float(np.std(ev.evaluations_results[-1])))
        d["eval_greedy"] = ev.deterministic
        return True


def _build_learner(args):
    """The learner the arguments describe (new, or resumed from --resume),
    and its step budget. Raises UsageError for arguments that do not apply."""
    search = args.algo in SEARCH_METHODS
    if args.resume is not None:
        for option, value in (("--config", args.config), ("--policy", args.policy), ("--num-envs", args.num_envs),
                              ("--hyperparams", args.hyperparams)):
            if value:
                raise UsageError(f"{option} cannot be combined with --resume: the checkpoint defines the learner")
        if search:
            raise UsageError(f"--resume is not supported for {args.algo} (its checkpoints restore into a search "
                             "built with the same settings; use the Python API: PolicySearch.load)")
        if not os.path.isfile(args.resume):
            raise UsageError(f"--resume {args.resume!r}: no such file")
        learner = load_learner(args.resume)
        algo = algo_name(learner)
        if args.algo_given and args.algo != algo:
            learner.close()
            raise UsageError(f"--resume {args.resume!r} holds a {algo} learner, not {args.algo}")
        if learner.env is None or learner.env.env_id != args.env:
            found = None if learner.env is None else learner.env.env_id
            learner.close()
            raise UsageError(f"--resume {args.resume!r} trains on {found}, not {args.env}")
        args.algo = algo
        if args.seed is None:
            args.seed = learner.config.seed
        preset = PRESETS.get((algo, args.env), {})
        default = ENV_DEFAULTS.get(args.env, {}).get("steps", 200_000)
        return learner, args.steps or preset.get("steps") or default
    if args.seed is None:
        args.seed = 0
    env = swiftpg_env(args.env)
    defaults = ENV_DEFAULTS.get(args.env, dict(steps=200_000))
    preset = PRESETS.get((args.algo, args.env), {})
    if args.hyperparams is not None:
        sections = load_hyperparams(args.hyperparams, {} if args.algo == "dqn" else ZOO_NAMES)
        if args.env not in sections:
            raise UsageError(f"--hyperparams {args.hyperparams!r} has no section for {args.env} (it has: "
                             f"{', '.join(sections) or 'none'})")
        preset = sections[args.env]
    budget = args.steps or preset.get("steps") or defaults["steps"]
    num_envs = args.num_envs or preset.get("num_envs", 8)
    overrides = dict(preset.get("config", {}))
    overrides.update(_parse_overrides(args.config))
    policy_kwargs = dict(preset.get("policy", {}))
    policy_kwargs.update(_parse_overrides(args.policy, "--policy"))
    if search:
        if not env["discrete"]:
            raise UsageError(f"{args.algo} searches over discrete policies; {args.env} has continuous actions")
        unknown = set(policy_kwargs) - {"hidden_sizes"}
        if unknown:
            raise UsageError(f"--policy {', '.join(sorted(unknown))} does not apply to {args.algo} (its policy is a "
                             "softmax MLP: only hidden_sizes)")
        config = SearchConfig(method=args.algo, seed=args.seed).replace(**overrides)
        hidden = policy_kwargs.get("hidden_sizes", ())
        hidden = (hidden,) if isinstance(hidden, int) else hidden
        return PolicySearch(args.env, config=config, num_envs=args.num_envs or config.episodes_per_evaluation,
                            hidden_sizes=hidden), budget
    if args.algo == "dqn":
        return _build_dqn(args, env, preset, overrides, policy_kwargs, budget, num_envs), budget
    learner_class = PG_ALGORITHMS[args.algo]
    config = learner_class._config_class(seed=args.seed)
    if "total_env_steps" in config.__dataclass_fields__:
        overrides.setdefault("total_env_steps", budget)
    config = config.replace(**overrides)
    return learner_class(args.env, config=config, num_envs=num_envs, policy_kwargs=policy_kwargs or None), budget


def _build_dqn(args, env: dict, preset: dict, overrides: dict, policy_kwargs: dict, budget: int,
               num_envs: int) -> DQN:
    """A new DQN learner: the preset's (or --hyperparams') fields, then
    --config; ``--policy hidden_sizes=...`` (the zoo's net_arch) sets the
    Q-network's widths, the only option of its network."""
    if not env["discrete"]:
        raise UsageError(f"dqn needs discrete actions; {args.env} has continuous ones")
    unknown = set(policy_kwargs) - {"hidden_sizes"}
    if unknown:
        raise UsageError(f"--policy {', '.join(sorted(unknown))} does not apply to dqn (its Q-network is an MLP: "
                         "only hidden_sizes)")
    if "hidden_sizes" in policy_kwargs:
        hidden = policy_kwargs["hidden_sizes"]
        overrides.setdefault("hidden_sizes", (hidden,) if isinstance(hidden, int) else tuple(hidden))
    overrides.setdefault("total_env_steps", budget)
    config = DQNConfig(seed=args.seed).replace(**overrides)
    return DQN(args.env, config=config, num_envs=args.num_envs or preset.get("num_envs", 1))


def load_learner(path: str):
    """The learner saved at ``path``: a policy-gradient learner or a DQN
    (BadFormatError if it is neither)."""
    try:
        return PolicyGradientLearner.load(path)
    except _lib.BadFormatError as error:
        if "'dqn'" not in str(error):
            raise
    return DQN.load(path)


def algo_name(learner) -> str:
    """The command line's name of a learner's algorithm."""
    if isinstance(learner, DQN):
        return "dqn"
    return next(name for name, cls in PG_ALGORITHMS.items() if isinstance(learner, cls))


def swiftpg_env(env_id: str) -> dict:
    """What the CLI needs to know of an env before building a learner."""
    from .envs import VectorEnv
    with VectorEnv(env_id, 1, seed=0) as env:
        return dict(discrete=env.discrete, reward_threshold=env.reward_threshold)


def _check_train_args(args) -> None:
    if args.env not in _lib.env_ids():
        raise UsageError(f"unknown environment {args.env!r}; available: {', '.join(_lib.env_ids())}")
    _positive(args.steps, "--steps")
    _positive(args.num_envs, "--num-envs", 4096)
    _positive(args.eval_episodes, "--eval-episodes", 1 << 24)
    _positive(args.eval_freq, "--eval-freq")
    _positive(args.save_freq, "--save-freq")
    _positive(args.eval_during, "--eval-during", 1 << 24)
    if args.target is not None and math.isnan(args.target):
        raise UsageError("--target must be a number")
    if args.seed is not None and not 0 <= args.seed < 2**64:
        raise UsageError(f"--seed must be in [0, 2**64), got {args.seed}")
    if args.plot is not None:
        _need_module("matplotlib", "--plot", "plot")
        _check_output_file(args.plot, "--plot")
        args.plot = _plot_path(args.plot)
    if args.resume is not None and os.path.isdir(args.resume):
        raise UsageError(f"--resume {args.resume!r} is a directory (give its last.swiftpg)")
    if args.checkpoint is not None and os.path.isdir(args.checkpoint):
        raise UsageError(f"--checkpoint {args.checkpoint!r} is a directory (give a file path, or use --save-dir)")
    if any(pair.split("=", 1)[0].strip() == "seed" for pair in args.config):
        raise UsageError("give the seed with --seed, not --config seed=...")
    if args.algo in SEARCH_METHODS and args.save_dir is not None:
        raise UsageError(f"--save-dir is not supported for {args.algo}: its files restore only into a search "
                         "built with the same settings (use --checkpoint and PolicySearch.load)")
    _check_output_file(args.checkpoint, "--checkpoint")
    _check_output_dir(args.save_dir, "--save-dir")
    _check_output_dir(args.log_dir, "--log-dir")
    _check_output_dir(args.tensorboard, "--tensorboard")
    if args.tensorboard is not None:
        _need_module("tensorboardX", "--tensorboard", "tensorboard")
    if args.progress_bar:
        _need_module("tqdm", "--progress-bar", "progress")
    if args.save_freq is not None and args.save_dir is None:
        raise UsageError("--save-freq needs --save-dir")


def train_command(args) -> int:
    try:
        _check_train_args(args)
        learner, budget = _build_learner(args)
    except UsageError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except (_lib.SwiftPGError, TypeError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    with learner:
        try:
            _make_parents(args.plot, args.checkpoint)
            plan = _plan(args, learner, budget)         # creates the output folders and files' writers
            distributed = _distribute(args, learner)
        except (UsageError, _lib.SwiftPGError, OSError, ImportError) as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
        try:
            return _train_and_report(args, learner, budget, *plan)
        except (_lib.SwiftPGError, OSError) as e:      # e.g. a checkpoint the file system refuses mid-run
            print(f"error: {e}", file=sys.stderr)
            return 1
        finally:
            if distributed is not None:
                distributed.close()


def _distribute(args, learner):
    """With --workers K: Ray rollout workers collect (PG learners) or
    evaluate candidates (searches), the learner iterates through them
    (swiftpg.distributed); None otherwise."""
    if args.workers is None:
        if args.ray_address is not None:
            raise UsageError("--ray-address needs --workers")
        return None
    _positive(args.workers, "--workers", 4096)
    workers = args.workers
    from . import distributed
    trainer: Any
    # The training loop calls learner.iterate: it now runs the workers' iteration.
    if isinstance(learner, PolicySearch):
        trainer = distributed.DistributedSearch(learner, workers, ray_address=args.ray_address)
        learner.iterate = trainer.iterate  # type: ignore[method-assign]
    elif isinstance(learner, PolicyGradientLearner):
        trainer = distributed.DistributedTrainer(learner, workers, ray_address=args.ray_address)
        learner.iterate = lambda: trainer.iterate().train  # type: ignore[method-assign]
    else:
        raise UsageError(f"--workers is not supported for {args.algo} (policy-gradient learners and searches only)")
    return trainer


def _plan(args, learner, budget: int):
    """The callbacks, progress mode and early-stop target of a run (output
    folders are created here, before training)."""
    if learner.total_env_steps >= budget:
        raise UsageError(f"the learner has already used {learner.total_env_steps} env steps, not fewer than "
                         f"--steps {budget} (a total): nothing to train")
    if args.stochastic_eval is None:
        greedy = ENV_DEFAULTS.get(args.env, {}).get("greedy_eval", True)
        if not greedy and not args.quiet:
            print(f"note: {args.env} evaluates stochastically (its states are aliased: a deterministic policy "
                  "cannot solve it; --greedy-eval overrides)", file=sys.stderr)
        args.stochastic_eval = not greedy
    threshold = args.target
    if threshold is None:
        threshold = ENV_DEFAULTS.get(args.env, {}).get("stop_at_return") or learner.env.reward_threshold
    stop = None if args.no_early_stop or threshold is None else threshold
    bar = args.progress_bar or (not args.quiet and sys.stderr.isatty()
                                and importlib.util.find_spec("tqdm") is not None)
    curve = _Curve(lines=not args.quiet and not bar)
    eval_freq = args.eval_freq or max(1000, budget // 20)
    callbacks: list[cb.BaseCallback] = [curve]
    if stop is not None or args.save_dir is not None or args.plot is not None:
        callbacks.append(cb.EvalCallback(
            eval_freq=eval_freq, n_eval_episodes=args.eval_during, deterministic=not args.stochastic_eval,
            best_model_save_path=args.save_dir, eval_seed=(args.seed + 7_919) % 2**64, verbose=0,
            callback_on_new_best=None if stop is None else cb.StopTrainingOnRewardThreshold(stop),
            callback_after_eval=_EvalRecord(curve)))
    if args.save_dir is not None:
        callbacks.append(cb.CheckpointCallback(save_freq=args.save_freq or eval_freq, save_path=args.save_dir))
    if args.log_dir is not None:
        callbacks.append(cb.CSVLogger(args.log_dir))
    if args.tensorboard is not None:
        callbacks.append(cb.TensorBoardLogger(args.tensorboard))
    return callbacks, curve, bar, stop


def _train_and_report(args, learner, budget: int, callbacks, curve, bar, stop) -> int:
    search = isinstance(learner, PolicySearch)
    start = time.perf_counter()
    interrupted = False
    try:
        if search:
            history = learner.train(total_env_steps=budget, callback=callbacks, checkpoint=args.checkpoint,
                                    progress_bar=bar)
        else:
            history = learner.train(budget, callback=callbacks, checkpoint=args.checkpoint, progress_bar=bar)
    except KeyboardInterrupt:
        history, interrupted = learner.history, True
        print("interrupted; evaluating the current policy", file=sys.stderr)
    except _lib.NumericalError as e:
        print(f"error: training diverged: {e}", file=sys.stderr)
        return 1
    train_seconds = time.perf_counter() - start
    returns, lengths = learner.evaluate(episodes=args.eval_episodes, greedy=not args.stochastic_eval,
                                        seed=(args.seed + 1_000_003) % 2**64)
    data = curve.data
    summary = {
        "env": args.env, "algo": args.algo, "seed": args.seed, "env_steps": learner.total_env_steps,
        "iterations": len(history), "train_seconds": round(train_seconds, 3),
        "stopped_early": bool(learner.total_env_steps < budget and not interrupted),
        "early_stop_target": stop, "eval_episodes": int(args.eval_episodes),
        "eval_greedy": not args.stochastic_eval, "eval_mean_return": float(returns.mean()),
        "eval_std_return": float(returns.std()), "eval_min_return": float(returns.min()),
        "eval_mean_length": float(lengths.mean()), "reward_threshold": learner.env.reward_threshold,
        "evaluations": [dict(env_steps=s, mean_return=m) for s, m in zip(data["eval_steps"], data["eval_mean"])],
    }
    if args.save_dir is not None:
        summary["checkpoint"] = os.path.join(args.save_dir, "last.swiftpg")
        summary["best"] = os.path.join(args.save_dir, "best.swiftpg")
    if args.plot:
        _plot(data, args.plot, f"{args.algo} on {args.env}, seed {args.seed}")
        summary["plot"] = args.plot
    _print_result(args, summary, (
        f"{args.env} {args.algo} seed {args.seed}: {summary['env_steps']} env steps in {train_seconds:.2f} s"
        f"{' (stopped early)' if summary['stopped_early'] else ''}; evaluation over {args.eval_episodes} "
        f"{'greedy' if not args.stochastic_eval else 'stochastic'} episodes: "
        f"{summary['eval_mean_return']:.1f} ± {summary['eval_std_return']:.1f}"
        + (f"; learning curve: {args.plot}" if args.plot else "")))
    return 0


def eval_command(args) -> int:
    """Loads a learner checkpoint and evaluates its policy on fresh episodes."""
    try:
        _positive(args.episodes, "--episodes", 1 << 24)
        _positive(args.video_episodes, "--video-episodes", 1000)
        if not 0 <= args.seed < 2**63:
            raise UsageError(f"--seed must be in [0, 2**63), got {args.seed}")
        if os.path.isdir(args.path):
            raise UsageError(f"{args.path!r} is a directory (give a learner file, e.g. DIR/best.swiftpg)")
        if not os.path.isfile(args.path):
            raise UsageError(f"{args.path!r}: no such file")
        if args.video is not None:
            _check_output_dir(args.video, "--video")
            _need_module("pygame", "--video", "render")
            _need_module("moviepy", "--video", "video")
        learner = load_learner(args.path)
        if args.video is not None and learner.env.env_id not in _RENDER_FPS:
            learner.close()
            raise UsageError(f"--video: {learner.env.env_id} does not render (only {', '.join(_RENDER_FPS)})")
    except UsageError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except _lib.SwiftPGError as e:
        print(f"error: {args.path!r}: {e}", file=sys.stderr)
        return 2
    with learner:
        returns, lengths = learner.evaluate(episodes=args.episodes, greedy=not args.stochastic, seed=args.seed)
        algo = algo_name(learner)
        summary = dict(path=args.path, env=learner.env.env_id, algo=algo, trained_env_steps=learner.total_env_steps,
                       episodes=args.episodes, greedy=not args.stochastic, seed=args.seed,
                       mean_return=float(returns.mean()), std_return=float(returns.std()),
                       min_return=float(returns.min()), max_return=float(returns.max()),
                       mean_length=float(lengths.mean()))
        if args.video is not None:
            summary["videos"] = _record(learner, args)
    _print_result(args, summary, (
        f"{summary['env']} {algo} ({summary['trained_env_steps']} env steps): {args.episodes} "
        f"{'greedy' if summary['greedy'] else 'stochastic'} episodes: {summary['mean_return']:.1f} ± "
        f"{summary['std_return']:.1f} (min {summary['min_return']:.1f}, max {summary['max_return']:.1f})"))
    return 0


def _record(learner, args) -> list[dict]:
    """Records ``--video-episodes`` episodes of the policy (``predict``) as
    MP4 files with Gymnasium's RecordVideo (one frame per state, the reset
    state included); returns each file's path and its episode's steps."""
    import gymnasium
    from gymnasium.wrappers import RecordVideo

    from .envs import SwiftEnv
    env = RecordVideo(SwiftEnv(learner.env.env_id, render_mode="rgb_array"), video_folder=args.video,
                      episode_trigger=lambda episode: True, name_prefix=learner.env.env_id, disable_logger=True)
    gymnasium.logger.min_level = 40            # RecordVideo's overwrite warnings
    videos = []
    try:
        for episode in range(args.video_episodes):
            obs, _ = env.reset(seed=(args.seed + episode) % 2**63)
            done, steps = False, 0
            while not done:
                action, _ = learner.predict(obs, deterministic=not args.stochastic)
                obs, _, terminated, truncated, _ = env.step(action)
                done, steps = terminated or truncated, steps + 1
            videos.append(dict(path=os.path.join(args.video, f"{learner.env.env_id}-episode-{episode}.mp4"),
                               steps=steps))
    finally:
        env.close()
    return videos


def envs_command(args) -> int:
    for env_id in _lib.env_ids():
        print(env_id)
    return 0


def algos_command(args) -> int:
    """Each algorithm's config fields with defaults and meanings."""
    names = [args.algo] if args.algo else list(ALGORITHMS)
    for name in names:
        config = (SearchConfig if name in SEARCH_METHODS else DQNConfig if name == "dqn"
                  else PG_ALGORITHMS[name]._config_class)
        print(f"{name} ({config.__name__}):")
        for line in config.describe().splitlines():
            print(f"  {line}")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m swiftpg", description="swiftpg command line")
    sub = parser.add_subparsers(dest="command", required=True)

    t = sub.add_parser("train", help="train a policy and evaluate it")
    t.add_argument("env", help="environment id, e.g. CartPole-v1")
    t.add_argument("--algo", choices=ALGORITHMS, default=None, help="default: reinforce (or the --resume file's)")
    t.add_argument("--seed", type=int, default=None, help="default 0 (with --resume: the file's)")
    t.add_argument("--steps", type=int, default=None,
                   help="environment-step budget, in all (default per algorithm and environment)")
    t.add_argument("--num-envs", type=int, default=None,
                   help="instances stepped together (default per algorithm and environment, else 8; searches: "
                        "episodes_per_evaluation)")
    t.add_argument("--resume", metavar="PATH", help="continue a saved learner (e.g. DIR/last.swiftpg) up to --steps")
    t.add_argument("--checkpoint", metavar="PATH", help="save the learner to PATH after every iteration")
    t.add_argument("--save-dir", metavar="DIR", help="write DIR/last.swiftpg every --save-freq env steps (atomic, "
                   "for --resume) and DIR/best.swiftpg at each new best evaluation")
    t.add_argument("--save-freq", type=int, default=None, metavar="STEPS", help="default: --eval-freq")
    t.add_argument("--hyperparams", metavar="FILE.yml",
                   help="an rl-baselines3-zoo style file (one section per env: n_envs, n_timesteps, policy_kwargs, "
                        "config fields) replacing the shipped preset (swiftpg/hyperparams/ALGO.yml)")
    t.add_argument("--config", nargs="*", default=[], metavar="KEY=VALUE",
                   help="algorithm config overrides, e.g. learning_rate=0.005 gamma=1.0 (see: algos)")
    t.add_argument("--policy", nargs="*", default=[], metavar="KEY=VALUE",
                   help="default-policy options, e.g. hidden_sizes=32,32 gsde=true initial_log_std=-2")
    t.add_argument("--eval-freq", type=int, default=None, metavar="STEPS",
                   help="evaluate every STEPS env steps (default: a twentieth of the budget, at least 1000)")
    t.add_argument("--eval-during", type=int, default=100, metavar="EPISODES",
                   help="episodes per evaluation during training")
    t.add_argument("--target", type=float, default=None,
                   help="stop once an evaluation's mean return reaches this (default: 495 on CartPole-v1, 90 on "
                        "MountainCarContinuous-v0, else the env's reward threshold)")
    t.add_argument("--no-early-stop", action="store_true", help="use the whole budget")
    t.add_argument("--eval-episodes", type=int, default=100, help="episodes of the final evaluation")
    t.add_argument("--stochastic-eval", action="store_true", default=None,
                   help="sample actions instead of greedy evaluation (the default only on ShortCorridor-v0)")
    t.add_argument("--greedy-eval", action="store_false", dest="stochastic_eval", help="take each action's mode")
    t.add_argument("--json", action="store_true", help="print a one-line JSON summary on stdout")
    t.add_argument("--plot", metavar="PATH", help="write a learning-curve PNG (episodes and evaluations)")
    t.add_argument("--log-dir", metavar="DIR", help="write progress.csv and episodes.csv")
    t.add_argument("--tensorboard", metavar="DIR", help="write TensorBoard event files (needs tensorboardX)")
    t.add_argument("--workers", type=int, default=None, metavar="K",
                   help="collect with K Ray rollout workers (swiftpg.distributed; needs swiftpg[ray]); --num-envs "
                        "must be a multiple of K")
    t.add_argument("--ray-address", default=None, metavar="ADDR",
                   help="with --workers: the Ray cluster to join (e.g. auto, ray://host:10001); default: a running "
                        "local Ray or a new one")
    t.add_argument("--progress-bar", action="store_true", help="a tqdm bar even when stderr is not a terminal")
    t.add_argument("--quiet", action="store_true", help="no progress output")
    t.set_defaults(fn=train_command)

    v = sub.add_parser("eval", aliases=["enjoy"], help="evaluate a saved learner on fresh episodes")
    v.add_argument("path", help="a learner file (learner.save, --save-dir, --checkpoint)")
    v.add_argument("--episodes", type=int, default=100)
    v.add_argument("--seed", type=int, default=12345)
    v.add_argument("--stochastic", action="store_true", help="sample actions instead of taking the mode")
    v.add_argument("--json", action="store_true")
    v.add_argument("--video", metavar="DIR", help="record episodes as MP4 files in DIR (needs pygame and moviepy: "
                   "pip install 'swiftpg[render,video]')")
    v.add_argument("--video-episodes", type=int, default=1, metavar="N")
    v.set_defaults(fn=eval_command)

    e = sub.add_parser("envs", help="list the environment ids")
    e.set_defaults(fn=envs_command)

    a = sub.add_parser("algos", help="each algorithm's config fields with defaults and meanings")
    a.add_argument("algo", nargs="?", choices=ALGORITHMS)
    a.set_defaults(fn=algos_command)

    from . import _cli_play, _cli_rlhf, _cli_selfplay
    _cli_rlhf.add_parser(sub)
    _cli_play.add_parser(sub)
    _cli_selfplay.add_parser(sub)

    args = parser.parse_args(argv)
    if args.command == "train":
        args.algo_given = args.algo is not None
        args.algo = args.algo or "reinforce"
    return args.fn(args)


if __name__ == "__main__":
    sys.exit(main())
