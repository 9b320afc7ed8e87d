"""The README's code cannot rot: its Python blocks run (in order, in one
namespace, in a scratch folder), its C block compiles against the header and
runs against the library, and its Swift block is the body of a Swift test
(Tests/SwiftPGTests/ReadmeTests.swift, compiled and run by `swift test`)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import textwrap

import pytest

from conftest import ROOT

README = os.path.join(ROOT, "README.md")


def blocks(language: str) -> list[str]:
    text = open(README, encoding="utf-8").read()
    return [code for lang, code in re.findall(r"```(\w+)\n(.*?)```", text, re.S) if lang == language]


def test_python_blocks_run(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    python = blocks("python")
    assert len(python) >= 5
    for i, code in enumerate(python):
        try:
            exec(compile(code, f"README.md python block {i}", "exec"), namespace)
        except Exception as error:          # name the block that failed
            raise AssertionError(f"README python block {i} raised {error!r}:\n{code}") from error
    for value in namespace.values():        # close what the blocks opened
        close = getattr(value, "close", None)
        if callable(close) and type(value).__module__.startswith("swiftpg"):
            close()


@pytest.mark.skipif(shutil.which("cc") is None, reason="no C compiler")
def test_c_block_compiles_and_runs(tmp_path):
    (c,) = blocks("c")
    source = tmp_path / "app.c"
    source.write_text(c)
    lib = os.path.join(ROOT, "python", "swiftpg")
    exe = tmp_path / "app"
    subprocess.run(["cc", "-std=c11", "-Wall", "-Wextra", "-Werror", f"-I{ROOT}/Include", str(source), f"-L{lib}",
                    "-lswiftpg", f"-Wl,-rpath,{lib}", "-o", str(exe)], check=True, capture_output=True, text=True)
    result = subprocess.run([str(exe)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stderr == "", result.stderr


def test_swift_block_is_the_body_of_a_swift_test():
    (swift,) = blocks("swift")
    lines = [l for l in swift.strip().splitlines()]
    assert lines[0] == "import SwiftPG"
    test = open(os.path.join(ROOT, "Tests", "SwiftPGTests", "ReadmeTests.swift"), encoding="utf-8").read()
    body = test[test.index("func swiftQuickStart() throws {") + len("func swiftQuickStart() throws {"):]
    body = textwrap.dedent(body[:body.index("\n  }\n")]).strip().splitlines()
    assert body == lines[1:], "README's Swift block and ReadmeTests.swift differ: update one to match the other"


def test_sb3_blocks_compile():
    # "```python sb3" blocks need Stable-Baselines3 (and PyTorch), which the
    # tests do not install: bench/sb3_interop.py runs them (make bench);
    # here they must at least compile and use the adapter.
    text = open(README, encoding="utf-8").read()
    sb3 = re.findall(r"```python sb3\n(.*?)```", text, re.S)
    assert sb3 and all("swiftpg.sb3" in code for code in sb3)
    for i, code in enumerate(sb3):
        compile(code, f"README.md sb3 block {i}", "exec")
