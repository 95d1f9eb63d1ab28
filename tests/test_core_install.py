"""A core install (no ``[dev]`` extras: no nbformat, papermill, Jupyter Book) trains and plans:
a GPU machine that only trains lacks the book's packages."""

import subprocess
import sys
from pathlib import Path

DEV_ONLY = ("nbformat", "papermill", "jupyter_book", "nbclient", "IPython", "sphinx", "pytest")

BLOCK = f"""
import builtins, sys
_import = builtins.__import__
def _core_only(name, *args, **kwargs):
    if name.split('.')[0] in {DEV_ONLY!r}:
        raise ModuleNotFoundError(f"No module named {{name!r}} (blocked: not a core dependency)")
    return _import(name, *args, **kwargs)
builtins.__import__ = _core_only
from reidlab.cli import main
sys.exit(main(sys.argv[1:]))
"""


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    root = Path(__file__).resolve().parents[1]
    return subprocess.run([sys.executable, "-c", BLOCK, *args], cwd=cwd, capture_output=True, text=True,
                          env={"PATH": "", "PYTHONPATH": str(root), "REIDLAB_DATA_ROOT": ""}, timeout=300)


def test_the_study_plans_and_trains_without_the_book_packages(tmp_path):
    plan = _cli("plan", "table4", "--profile", "smoke", "--store", str(tmp_path / "store"), cwd=tmp_path)
    assert plan.returncode == 0, plan.stderr
    assert "table4" in plan.stdout
    study = _cli("study", "table4", "--profile", "smoke", "--quiet", "--store", str(tmp_path / "store"),
                 cwd=tmp_path)
    assert study.returncode == 0, study.stderr
    assert list((tmp_path / "store").glob("*/metrics.json"))
