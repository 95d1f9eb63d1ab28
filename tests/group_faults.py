"""A fault for a group's own process (``reidlab.executors.GROUP_CONTEXT``), importable there by name:
a test patches ``executors._train_group`` with it, and the group's process (forkserver, never fork:
a process forked after torch's OpenMP threads ran can hang) imports it afresh."""

import os
import signal

from reidlab.executors import _train_group
from reidlab.study import plan


def train_group_killed_at_last_table2_run(chunk, *args) -> None:
    """As a device-side assert or the OOM killer would: the group holding Table II's last smoke run
    dies at once (SIGKILL); every other group trains as usual."""
    victim = plan("table2", "smoke")[-1].identity
    if any(run_dir.name == victim for _, run_dir, _ in chunk):
        os.kill(os.getpid(), signal.SIGKILL)
    _train_group(chunk, *args)
