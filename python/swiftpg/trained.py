"""Using a trained policy outside its learner: the observation normaliser
the learner trained with, and :class:`TrainedPolicy` — a standalone copy of
the policy with that normaliser and the action bounds, with SB3's
``predict``, saved to and loaded from one file.

A policy trained with ``normalize_observations`` expects normalised inputs:
run on raw observations it acts on the wrong numbers (the Pendulum PPO
preset scores about −640 that way instead of about −170). ``predict`` applies
the normaliser exactly as the learner's evaluation does (the same floating
point operations, so the actions are identical).
"""

from __future__ import annotations

import dataclasses
import io
import os

import numpy as np

from . import _lib
from ._arrays import DTypeError, as_bool, as_float64, as_path
from ._lib import BadFormatError, CheckpointIOError, InvalidArgumentError

__all__ = ["ObservationNormalizer", "TrainedPolicy"]

#: The variance floor of the normaliser (RunningMeanStd, as in SB3's VecNormalize).
EPSILON = 1e-8


@dataclasses.dataclass(frozen=True)
class ObservationNormalizer:
    """Running observation statistics (frozen copy): ``mean`` and ``var``
    (float64 ``[obs]``), ``count`` (observations averaged) and ``clip``.
    :meth:`normalize` is ``clip((x − mean) / √(var + 1e-8), −clip, clip)``
    (SB3's ``VecNormalize.normalize_obs``)."""

    mean: np.ndarray
    var: np.ndarray
    count: float
    clip: float

    def __post_init__(self):
        from ._arrays import as_float
        mean = as_float64(self.mean, "mean")
        var = as_float64(self.var, "var")
        if mean.ndim != 1 or mean.shape[0] < 1 or var.shape != mean.shape:
            raise InvalidArgumentError(f"mean and var must be 1-D arrays of one length, got {mean.shape} and "
                                       f"{var.shape}")
        if (var < 0).any():
            raise InvalidArgumentError("var must be >= 0")
        count, clip = as_float(self.count, "count"), as_float(self.clip, "clip")
        if not (np.isfinite(count) and count >= 0):
            raise InvalidArgumentError(f"count must be finite and >= 0, got {count}")
        if not (clip > 0):                     # inf (no clipping) is allowed; NaN is not
            raise InvalidArgumentError(f"clip must be > 0, got {clip}")
        for name, value in (("mean", mean), ("var", var)):
            value = value.copy()
            value.flags.writeable = False
            object.__setattr__(self, name, value)
        object.__setattr__(self, "count", count)
        object.__setattr__(self, "clip", clip)

    def normalize(self, observations) -> np.ndarray:
        """Normalised copy of ``observations`` (float64 ``[..., obs]``)."""
        x = as_float64(observations, "observations")
        if x.shape[-1:] != self.mean.shape:
            raise InvalidArgumentError(f"observations must end in {self.mean.shape[0]} entries, got shape {x.shape}")
        scale = 1.0 / np.sqrt(self.var + EPSILON)
        return np.minimum(np.maximum((x - self.mean) * scale, -self.clip), self.clip)


def _as_batch(observations, size: int) -> tuple[np.ndarray, bool]:
    """``(obs [B, size] float64, single)`` from one observation or a batch."""
    x = as_float64(observations, "observation")
    if x.ndim == 1 and x.shape[0] == size:
        return x.reshape(1, size), True
    if x.ndim == 2 and x.shape[1] == size:
        return x, False
    raise InvalidArgumentError(f"observation must have shape ({size},) or (batch, {size}), got {x.shape}")


def predict_with(policy, normalizer: ObservationNormalizer | None, low, high, observation,
                 deterministic: bool):
    """The actions of ``policy`` for ``observation`` (one or a batch):
    normalised first when ``normalizer`` is given; continuous actions
    clipped to ``[low, high]`` when bounds are known."""
    obs, single = _as_batch(observation, policy.observation_size)
    if normalizer is not None:
        obs = normalizer.normalize(obs)
    greedy = as_bool(deterministic, "deterministic")
    if policy.discrete:
        actions = policy.sample(obs, greedy=greedy).astype(np.int64)
    elif low is not None:
        _, actions = policy.sample_clipped(obs, low, high, greedy=greedy)
    else:
        actions = policy.sample(obs, greedy=greedy)
    return actions[0] if single else actions


class TrainedPolicy:
    """A trained policy ready to act: its own copy of the policy, the
    observation normaliser it was trained with (or None) and the action
    bounds of its environment (or None). Made by
    ``learner.export_policy()``; saved with :meth:`save` (one ``.npz`` file
    of plain arrays, read without pickle) and read with :meth:`load`;
    picklable."""

    def __init__(self, policy, normalizer: ObservationNormalizer | None = None, action_low=None, action_high=None):
        from .policies import Policy
        if not isinstance(policy, Policy):
            raise DTypeError(f"policy must be a swiftpg Policy, got {type(policy).__name__}")
        if normalizer is not None and not isinstance(normalizer, ObservationNormalizer):
            raise DTypeError(f"normalizer must be an ObservationNormalizer or None, got {type(normalizer).__name__}")
        if (action_low is None) != (action_high is None):
            raise InvalidArgumentError("give both action_low and action_high, or neither")
        self.policy = policy
        self.normalizer = normalizer
        self.action_low = None if action_low is None else as_float64(action_low, "action_low", finite=False)
        self.action_high = None if action_high is None else as_float64(action_high, "action_high", finite=False)

    def predict(self, observation, state=None, episode_start=None, deterministic: bool = True):
        """``(actions, None)`` as SB3's ``predict``: ``observation`` is one
        observation ``[obs]`` or a batch ``[B, obs]``; actions are int64
        (discrete; a scalar for one observation) or float64 ``[k]`` /
        ``[B, k]`` clipped to the action bounds. ``deterministic`` takes
        each distribution's mode; otherwise actions are sampled with the
        policy's generator. ``state`` / ``episode_start`` are accepted for
        SB3 compatibility (no recurrent policies: the state is None).
        Raises InvalidArgumentError / NotFiniteError for bad observations."""
        return predict_with(self.policy, self.normalizer, self.action_low, self.action_high, observation,
                            deterministic), None

    _FORMAT = 1

    def save(self, path) -> None:
        """Writes the policy (its bundle), normaliser and bounds to ``path``
        as a ``.npz`` of arrays (atomically: a temporary file renamed).
        Raises CheckpointIOError when it cannot be written."""
        target = os.fsdecode(as_path(path))
        with self.policy._busy:
            bundle = _lib.read_bytes("policy_serialize", self.policy.handle)
        arrays = dict(format=np.int64(self._FORMAT), policy=np.frombuffer(bundle, np.uint8))
        if self.normalizer is not None:
            n = self.normalizer
            arrays.update(mean=n.mean, var=n.var, count=np.float64(n.count), clip=np.float64(n.clip))
        if self.action_low is not None:
            arrays.update(action_low=self.action_low, action_high=self.action_high)
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        temporary = f"{target}.tmp{os.getpid()}"
        try:
            with open(temporary, "wb") as f:
                f.write(buffer.getvalue())
                f.flush()
                os.fsync(f.fileno())
            os.replace(temporary, target)
        except OSError as error:
            try:
                os.unlink(temporary)
            except OSError:
                pass
            raise CheckpointIOError(f"cannot write {target!r}: {error.strerror or error}") from None

    @classmethod
    def load(cls, path) -> "TrainedPolicy":
        """Reads a file written by :meth:`save`. Raises CheckpointIOError when
        it cannot be read and BadFormatError when it is not such a file
        (or is damaged)."""
        from .policies import _restore_policy
        source = os.fsdecode(as_path(path))
        try:
            with open(source, "rb") as f:
                data = f.read()
        except OSError as error:
            raise CheckpointIOError(f"cannot read {source!r}: {error.strerror or error}") from None
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as z:
                arrays = {k: z[k] for k in z.files}
        except Exception as error:                 # zip / npy parsing errors of a foreign or damaged file
            reason = "it holds Python objects" if "pickle" in str(error) else str(error)
            raise BadFormatError(f"{source!r} is not a swiftpg trained-policy file ({reason})") from None
        fmt = arrays.get("format")
        if fmt is None or fmt.shape != () or int(fmt) != cls._FORMAT:
            raise BadFormatError(f"{source!r} is not a swiftpg trained-policy file of format {cls._FORMAT} "
                                 f"(found {None if fmt is None else fmt.tolist()})")
        bundle = arrays.get("policy")
        if bundle is None or bundle.dtype != np.uint8 or bundle.ndim != 1:
            raise BadFormatError(f"{source!r}: the policy field is missing or not bytes")
        policy = _restore_policy(bundle.tobytes())
        normalizer = None
        if "mean" in arrays:
            try:
                mean, var = (np.asarray(arrays[k], np.float64) for k in ("mean", "var"))
                count, clip = float(arrays["count"]), float(arrays["clip"])
            except (KeyError, TypeError, ValueError):
                raise BadFormatError(f"{source!r}: the normaliser fields are incomplete") from None
            if (mean.shape != (policy.observation_size,) or var.shape != mean.shape
                    or not (np.isfinite(mean).all() and np.isfinite(var).all() and (var >= 0).all())
                    or not (np.isfinite(clip) and clip > 0 and count >= 0)):
                raise BadFormatError(f"{source!r}: the normaliser does not fit the policy or is not finite")
            normalizer = ObservationNormalizer(mean, var, count, clip)
        low = high = None
        if "action_low" in arrays:
            low, high = arrays["action_low"], arrays.get("action_high")
            if (high is None or policy.discrete or low.shape != (policy.action_size,) or high.shape != low.shape
                    or np.isnan(low).any() or np.isnan(high).any() or (low > high).any()):
                raise BadFormatError(f"{source!r}: the action bounds do not fit the policy")
        return cls(policy, normalizer, low, high)

    def __reduce__(self):
        return TrainedPolicy, (self.policy, self.normalizer, self.action_low, self.action_high)

    def __repr__(self) -> str:
        return (f"TrainedPolicy({type(self.policy).__name__}, normalised={self.normalizer is not None}, "
                f"bounds={'yes' if self.action_low is not None else 'no'})")
