"""The lecture notebooks (examples/notebooks) run top to bottom, each well
under a minute, and are stored without outputs, exactly as
tools/make_notebooks.py writes them."""

from __future__ import annotations

import glob
import os
import sys
import time

import pytest

from conftest import ROOT

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOKS = sorted(glob.glob(os.path.join(ROOT, "examples", "notebooks", "*.ipynb")))


def test_the_lecture_notebooks_match_their_generator():
    sys.path.insert(0, os.path.join(ROOT, "tools"))
    try:
        import make_notebooks
    finally:
        sys.path.pop(0)
    assert [os.path.basename(p) for p in NOTEBOOKS] == sorted(make_notebooks.NOTEBOOKS)
    for path in NOTEBOOKS:
        stored = nbformat.read(path, as_version=4)
        assert stored == make_notebooks.build(os.path.basename(path)), f"{path}: run tools/make_notebooks.py"
        assert all(not c.get("outputs") and c.get("execution_count") is None
                   for c in stored.cells if c.cell_type == "code"), f"{path} has outputs: strip them"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=os.path.basename)
def test_notebook_runs(path, tmp_path):
    nb = nbformat.read(path, as_version=4)
    env_backend = os.environ.get("MPLBACKEND")
    os.environ["MPLBACKEND"] = "Agg"
    try:
        start = time.perf_counter()
        nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                                resources={"metadata": {"path": str(tmp_path)}}).execute()
        seconds = time.perf_counter() - start
    finally:
        if env_backend is None:
            os.environ.pop("MPLBACKEND", None)
        else:
            os.environ["MPLBACKEND"] = env_backend
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
    assert seconds < 60, f"{os.path.basename(path)} took {seconds:.0f} s"
