"""API documentation: the pdoc site builds (`make docs`) with a page per
public module, and every Sphinx-style reference in a public docstring
(:class:`X`, :meth:`X`, :func:`X`, :attr:`X`, ...) names something that
exists, so docstrings cannot send users to functions that were renamed or
never were."""

from __future__ import annotations

import importlib
import inspect
import os
import pkgutil
import re
import warnings

import pytest

import swiftpg

ROLE = re.compile(r":(?:class|meth|func|attr|mod|data|exc):`~?([\w.]+)(?:\(\))?`")


def public_modules() -> list[str]:
    names = ["swiftpg"]
    for m in pkgutil.walk_packages(swiftpg.__path__, "swiftpg."):
        parts = m.name.split(".")[1:]
        if not any(p.startswith("_") for p in parts) and "libswiftpg" not in m.name:
            names.append(m.name)
    return names


def public_objects() -> dict:
    """{dotted name: object} of the public modules, their classes and functions, and class members."""
    objs: dict = {}

    def walk(obj, name, depth=0):
        if depth > 2 or name in objs:
            return
        objs[name] = obj
        if inspect.ismodule(obj):
            for k, v in vars(obj).items():
                if not k.startswith("_") and (inspect.isclass(v) or inspect.isfunction(v)) and \
                        getattr(v, "__module__", "").startswith("swiftpg"):
                    walk(v, f"{name}.{k}", depth + 1)
        elif inspect.isclass(obj):
            for k, v in vars(obj).items():
                if not k.startswith("_"):
                    walk(v, f"{name}.{k}", depth + 1)

    for module in public_modules():
        walk(importlib.import_module(module), module)
    return objs


def instance_attributes(objs: dict) -> set[str]:
    """Attributes set on instances (``self.x = ...``) or annotated on a class or a base."""
    names: set[str] = set()
    for obj in objs.values():
        if inspect.isclass(obj):
            for klass in obj.__mro__:
                names.update(getattr(klass, "__annotations__", {}))
            try:
                names.update(re.findall(r"self\.(\w+)\s*[:=]", inspect.getsource(obj)))
            except (OSError, TypeError):
                pass
    return names


def resolves(target: str, context: str, objs: dict, attributes: set[str]) -> bool:
    parts = context.split(".")
    candidates = [target, f"swiftpg.{target}"] + [".".join(parts[:i] + [target]) for i in range(len(parts), 0, -1)]
    for candidate in candidates:
        if candidate in objs:
            return True
        pieces = candidate.split(".")
        for j in range(len(pieces), 0, -1):
            try:
                obj = importlib.import_module(".".join(pieces[:j]))
            except ImportError:
                continue
            for piece in pieces[j:]:
                obj = getattr(obj, piece, None)
                if obj is None:
                    break
            if obj is not None:
                return True
            break
    last = target.rsplit(".", 1)[-1]
    return (any(n.endswith("." + target) for n in objs) or last in attributes
            or (target == last and any(inspect.isclass(o) and hasattr(o, last) for o in objs.values())))


def test_every_docstring_reference_resolves():
    objs = public_objects()
    attributes = instance_attributes(objs)
    broken = []
    for name, obj in objs.items():
        doc = obj.__doc__ if isinstance(obj, property) else inspect.getdoc(obj)
        for target in ROLE.findall(doc or ""):
            if not resolves(target, name, objs, attributes):
                broken.append(f"{name}: {target}")
    assert not broken, "docstrings name what does not exist:\n" + "\n".join(sorted(set(broken)))
    assert len(objs) > 300


def test_the_reference_check_catches_a_broken_name():
    objs = public_objects()
    assert not resolves("learn_from", "swiftpg.algorithms.PPO", objs, instance_attributes(objs))
    assert resolves("learn_gymnasium", "swiftpg.algorithms.PPO", objs, instance_attributes(objs))


def test_the_pdoc_site_builds_with_a_page_per_public_module(tmp_path):
    pdoc = pytest.importorskip("pdoc")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pdoc.pdoc("swiftpg", output_directory=tmp_path)
    assert not [str(w.message) for w in caught], [str(w.message) for w in caught]
    for module in public_modules():
        page = tmp_path / (module.replace(".", "/") + ".html")
        assert page.exists(), f"no page for {module}"
    ppo = (tmp_path / "swiftpg" / "algorithms" / "ppo.html").read_text()
    assert "PPOConfig" in ppo and "clip_range" in ppo
