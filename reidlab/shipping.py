"""Finished runs sent to a folder as they finish (a GPU call's ``$OUT``), so that a call killed
at its limit still returns every run finished by then.

What comes back from a call is limited (the device tool: ``FILES`` files of at most 16 MiB, 64 MiB
in all). Each *part* (``runs-NN.tgz``) is a complete tar of whole run directories, written beside
the folder and renamed into it: whenever the call is killed, every part in the folder unpacks on
its own (``tar xzf runs-NN.tgz -C results/store``). Runs fill the last part and then the next
one, as many as the files left allow (the files already in the folder, the log, count); a part
that grows is rewritten whole. Only a run that fits in no part is left out, loudly (it stays on
the device: a later call trains it again).
"""

from __future__ import annotations

import io
import os
import tarfile
import tempfile
import time
from pathlib import Path

FILES = 8  # files that come back from a call
PART_BYTES = 15 * 2**20  # under the tool's 16 MiB a file
TOTAL_BYTES = 60 * 2**20  # under its 64 MiB together, with the log beside the parts
SKIPPED = ("checkpoints", ".lock")  # what never travels back (a checkpoint only with ``last``)


class Shipper:
    """Sends the run directories of ``store`` written since it was made to ``out``; ``parts``
    defaults to the files left of ``FILES`` beside those already in ``out`` (and the log)."""

    def __init__(self, out: Path, store: Path, parts: int | None = None, part_bytes: int = PART_BYTES,
                 total_bytes: int = TOTAL_BYTES):
        self.out, self.store = Path(out), Path(store)
        self.out.mkdir(parents=True, exist_ok=True)
        others = {p.name for p in self.out.iterdir()} | {"study.log"}
        self.parts = max(1, FILES - len(others)) if parts is None else parts
        self.part_bytes, self.total_bytes = part_bytes, total_bytes
        self.since = time.time()
        self.shipped: dict[str, dict[str, bool]] = {}  # part -> {run: with its last.pt}
        self.left_out: list[str] = []
        self._sizes: dict[tuple[str, bool], int] = {}

    def runs(self) -> set[str]:
        """Every run shipped or left out so far."""
        return {r for members in self.shipped.values() for r in members} | set(self.left_out)

    def finished(self) -> list[str]:
        """Runs finished (or diverged) since the shipper was made and not shipped yet."""
        done = self.runs()
        return sorted(d.name for d in self.store.iterdir() if d.name not in done and any(
            (d / f).exists() and (d / f).stat().st_mtime >= self.since for f in ("metrics.json", "diverged.json")))

    def unfinished(self) -> list[str]:
        """Runs with a checkpoint written since the shipper was made, no result and not shipped
        yet: to resume elsewhere."""
        done = self.runs()
        return sorted(d.name for d in self.store.iterdir() if d.name not in done
                      and not (d / "metrics.json").exists() and not (d / "diverged.json").exists()
                      and (d / "checkpoints" / "last.pt").exists()
                      and (d / "checkpoints" / "last.pt").stat().st_mtime >= self.since)

    def ship(self, runs: list[str] | None = None, last: bool = False) -> list[str]:
        """Ship ``runs`` (default: ``finished()``; ``last``: with their ``checkpoints/last.pt``).
        Returns the runs shipped; one that fits in no part goes to ``left_out``."""
        runs = self.finished() if runs is None else runs
        name = sorted(self.shipped)[-1] if self.shipped else self._next_name()
        members = dict(self.shipped.get(name, {}))
        changed, shipped = set(), []
        for run in runs:
            grows = self._size(run, last)
            size = sum(self._size(r, with_last) for r, with_last in members.items())
            if members and size + grows > self.part_bytes and len(self.shipped) + (name not in self.shipped) < self.parts:
                self._commit(name, members, changed)  # this part is full: the next one
                name, members = self._next_name(), {}
                size = 0
            if size + grows > self.part_bytes or self._elsewhere(name) + size + grows > self.total_bytes:
                self.left_out.append(run)
                print(f"  shipping: {run} left out (the return limit is reached); it stays on this machine", flush=True)
                continue
            members[run] = last
            changed.add(name)
            shipped.append(run)
        self._commit(name, members, changed)
        return shipped

    def _next_name(self) -> str:
        return f"runs-{len(self.shipped) + 1:02d}.tgz"

    def _commit(self, name: str, members: dict[str, bool], changed: set[str]) -> None:
        if name in changed:
            self._write(name, self._archive(members))
            self.shipped[name] = members

    def _elsewhere(self, name: str) -> int:
        return sum((self.out / n).stat().st_size for n in self.shipped if n != name)

    def _size(self, run: str, last: bool) -> int:
        """A run's bytes in a part (its own archive's: parts hold whole runs), measured once."""
        if (run, last) not in self._sizes:
            self._sizes[run, last] = len(self._archive({run: last}))
        return self._sizes[run, last]

    def _archive(self, members: dict[str, bool]) -> bytes:
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
            for run, last in members.items():
                tar.add(self.store / run, arcname=run, filter=lambda info, last=last: self._keep(info, last))
        return buffer.getvalue()

    @staticmethod
    def _keep(info: tarfile.TarInfo, last: bool) -> tarfile.TarInfo | None:
        parts = Path(info.name).parts
        if len(parts) > 1 and parts[1] in SKIPPED:
            keep = last and parts[1] == "checkpoints" and (len(parts) == 2 or parts[2] == "last.pt")
            return info if keep else None
        return None if info.name.endswith(".tmp") else info

    def _write(self, name: str, data: bytes) -> None:
        """Written beside ``out`` (a file half written there would come back), then renamed in."""
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{name}.", dir=self.out.parent)
        except OSError:  # not writable beside it: inside (a leftover there would count against the files)
            fd, tmp = tempfile.mkstemp(prefix=f".{name}.", dir=self.out)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, self.out / name)  # a call killed now leaves the old part or the new one, whole
