"""Finished runs sent to a folder as they finish (a GPU call's ``$OUT``), so that a call killed
at its limit still returns every run finished by then.

What comes back from a call is limited (the device tool: 8 files of at most 16 MiB, 64 MiB in
all). Each *part* (``runs-NN.tgz``) is a complete tar of whole run directories, written to a
temporary name and renamed: whenever the call is killed, every part in the folder unpacks on its
own (``tar xzf runs-NN.tgz -C results/store``). A new batch of finished runs makes a new part,
or, once the parts allowed are used, replaces the last one with itself plus the new runs. A run
that would pass the limits is left out, loudly (it stays on the device: a later call retrains it).
"""

from __future__ import annotations

import io
import os
import tarfile
import time
from pathlib import Path

PART_BYTES = 15 * 2**20  # under the tool's 16 MiB a file
TOTAL_BYTES = 60 * 2**20  # under its 64 MiB together, with the log beside the parts
PARTS = 6  # of its 8 files: the log and gpu.txt come back too
SKIPPED = ("checkpoints", ".lock")  # what never travels back (a checkpoint only with ``last``)


class Shipper:
    """Sends the run directories of ``store`` written since it was made to ``out``."""

    def __init__(self, out: Path, store: Path, parts: int = PARTS, part_bytes: int = PART_BYTES,
                 total_bytes: int = TOTAL_BYTES):
        self.out, self.store = Path(out), Path(store)
        self.parts, self.part_bytes, self.total_bytes = parts, part_bytes, total_bytes
        self.since = time.time()
        self.shipped: dict[str, list[str]] = {}  # part name -> the runs in it
        self.left_out: list[str] = []
        self.out.mkdir(parents=True, exist_ok=True)

    def finished(self) -> list[str]:
        """Runs finished (or diverged) since the shipper was made and not shipped yet."""
        done = {r for runs in self.shipped.values() for r in runs} | set(self.left_out)
        return sorted(d.name for d in self.store.iterdir() if d.name not in done and any(
            (d / f).exists() and (d / f).stat().st_mtime >= self.since for f in ("metrics.json", "diverged.json")))

    def unfinished(self) -> list[str]:
        """Runs with a checkpoint written since the shipper was made and no result: to resume elsewhere."""
        return sorted(d.name for d in self.store.iterdir() if not (d / "metrics.json").exists()
                      and (d / "checkpoints" / "last.pt").exists()
                      and (d / "checkpoints" / "last.pt").stat().st_mtime >= self.since)

    def ship(self, runs: list[str] | None = None, last: bool = False) -> list[str]:
        """Ship ``runs`` (default: ``finished()``; ``last``: with their ``checkpoints/last.pt``):
        each call fills a new part while fewer than ``parts`` exist, else the last one again (it
        is rewritten whole). Returns the runs shipped; one that would pass a limit goes to
        ``left_out``."""
        runs = self.finished() if runs is None else runs
        if not runs:
            return []
        full = len(self.shipped) >= self.parts
        name = sorted(self.shipped)[-1] if full else f"runs-{len(self.shipped) + 1:02d}.tgz"
        members = list(self.shipped.get(name, []))
        size = sum(self._size(r, last) for r in members)
        others = sum((self.out / n).stat().st_size for n in self.shipped if n != name)
        shipped = []
        for run in runs:
            grows = self._size(run, last)
            if size + grows > self.part_bytes or others + size + grows > self.total_bytes:
                self.left_out.append(run)
                print(f"  shipping: {run} left out (the return limit is reached); it stays on this machine",
                      flush=True)
                continue
            members, size = [*members, run], size + grows
            shipped.append(run)
        if shipped:
            self._write(name, self._archive(members, last))
            self.shipped[name] = members
        return shipped

    def _size(self, run: str, last: bool) -> int:
        """A run's bytes in a part (its own archive's: parts hold whole runs)."""
        return len(self._archive([run], last))

    def _archive(self, runs: list[str], last: bool) -> bytes:
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
            for run in runs:
                tar.add(self.store / run, arcname=run, filter=lambda info: self._keep(info, last))
        return buffer.getvalue()

    @staticmethod
    def _keep(info: tarfile.TarInfo, last: bool) -> tarfile.TarInfo | None:
        parts = Path(info.name).parts
        if len(parts) > 1 and parts[1] in SKIPPED:
            keep = last and parts[1] == "checkpoints" and (len(parts) == 2 or parts[2] == "last.pt")
            return info if keep else None
        return None if info.name.endswith(".tmp") else info

    def _write(self, name: str, data: bytes) -> None:
        tmp = self.out / f".{name}.tmp"
        tmp.write_bytes(data)
        os.replace(tmp, self.out / name)  # a call killed now leaves the old part or the new one, whole
