"""How long the README's main command takes (`make study`, less the install): each step and each
notebook of the smoke book, in a scratch folder of its own (results/ is never touched), against
the 10-minute budget of issue 31 on an idle 2-core machine.

    python benchmarks/study_command.py            # prints a table: step, seconds, share of the budget
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time

BUDGET_S = 600  # `make study` from a fresh clone, install included, on an idle 2-core machine
STEPS = {"prepare": ["prepare"], "smoke book": ["book", "--profile", "smoke"], "real book": ["book", "--from-results"]}


def main() -> None:
    scratch = tempfile.mkdtemp(prefix="reidlab-bench-study-")
    env = {**os.environ, "REIDLAB_SCRATCH": scratch, "REIDLAB_DATA_ROOT": ""}
    env.pop("REIDLAB_STORE", None)
    env.pop("REIDLAB_BOOK_OUT", None)
    rows, total = [], 0.0
    for name, args in STEPS.items():
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "reidlab", *args], env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - start
        if done.returncode:
            sys.exit(f"{name} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
        total += seconds
        rows.append((name, seconds))
        rows += [(f"  {stem}", float(s)) for stem, s in re.findall(r"\] (\S+) \.\.\. done in (\d+) s", done.stdout)]
    print(f"{'step':<24}{'seconds':>9}{'of budget':>11}")
    for name, seconds in rows:
        print(f"{name:<24}{seconds:>9.0f}{seconds / BUDGET_S:>10.0%}")
    print(f"{'total (no install)':<24}{total:>9.0f}{total / BUDGET_S:>10.0%}   budget {BUDGET_S} s with the install "
          f"({os.cpu_count()} CPUs; the install takes ~3 minutes more)")


if __name__ == "__main__":
    main()
