"""`import swiftpg` stays light: Gymnasium, argparse and YAML load when first
needed, and `gymnasium.make("swiftpg/<id>")` works in either import order.
Each case runs in a fresh interpreter (sys.modules is the thing tested)."""

import subprocess
import sys
import textwrap

import pytest


def run(code: str) -> str:
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_import_swiftpg_loads_neither_gymnasium_nor_the_cli():
    out = run("""
        import sys, swiftpg
        print(sorted(m for m in ("gymnasium", "argparse", "yaml", "swiftpg.envs", "swiftpg.algorithms",
                                 "swiftpg.cli") if m in sys.modules))
    """)
    assert out.strip() == "[]"


@pytest.mark.parametrize("order", ["swiftpg first", "gymnasium first", "gymnasium submodule first"])
def test_gymnasium_make_finds_swiftpg_envs_in_either_order(order):
    first = {"swiftpg first": "import swiftpg\nimport gymnasium",
             "gymnasium first": "import gymnasium\nimport swiftpg",
             "gymnasium submodule first": "import swiftpg\nfrom gymnasium.vector import AutoresetMode\nimport gymnasium"}
    out = run(first[order] + """
env = gymnasium.make("swiftpg/CartPole-v1")
obs, _ = env.reset(seed=0)
print(type(env.unwrapped).__name__, obs.shape, "swiftpg/Acrobot-v1" in gymnasium.registry)
""")
    assert out.split() == ["SwiftEnv", "(4,)", "True"]


def test_lazy_attributes_resolve_and_unknown_names_raise():
    out = run("""
        import swiftpg
        from swiftpg import make_vec  # noqa: F401
        from swiftpg.algorithms import PPO
        print(swiftpg.make_vec is swiftpg.envs.make_vec, swiftpg.algorithms.PPO is PPO, "envs" in dir(swiftpg))
        try:
            swiftpg.no_such_thing
        except AttributeError as e:
            print("AttributeError", e)
    """)
    lines = out.splitlines()
    assert lines[0] == "True True True"
    assert lines[1] == "AttributeError module 'swiftpg' has no attribute 'no_such_thing'"
