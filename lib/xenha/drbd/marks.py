"""Split-brain marks: what DrbdDualPrimary remembers of a split-brain, read by the DRBD guard and `xenha inspect`.

DrbdDualPrimary writes `<run_dir>/DrbdDualPrimary/split-brain.RES` (its minors, space-separated) when it sees the
resource go StandAlone after being connected, and removes it once the resource is connected again: the
administrator resolved the split. /run goes at a reboot, and the mark with it.
"""

from __future__ import annotations

import os

from xenha.drbd.model import SPLIT_BRAIN_MARK
from xenha.state import decode_name

__all__ = ["SPLIT_BRAIN_MARK", "split_brain_marks"]

_AGENT_DIR = "DrbdDualPrimary"
_MAX_BYTES = 4096


def split_brain_marks(run_dir: str) -> dict[str, tuple[int, ...]]:
    """Resource name -> minors of every unresolved split-brain marked under `run_dir`; {} when there is none.

    Only a directory and files owned by root (or by us) are believed, as the agents' own state directory is.
    """
    directory = os.path.join(run_dir, _AGENT_DIR)
    try:
        info = os.lstat(directory)
        names = os.listdir(directory)
    except OSError:
        return {}
    if not os.path.isdir(directory) or os.path.islink(directory) or info.st_uid not in (0, os.geteuid()):
        return {}
    marks: dict[str, tuple[int, ...]] = {}
    for name in names:
        if not name.startswith(SPLIT_BRAIN_MARK) or ".tmp." in name:  # StateDir.write's temporary files
            continue
        resource = decode_name(name)[len(SPLIT_BRAIN_MARK) :]
        try:
            fd = os.open(os.path.join(directory, name), os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError:
            continue
        try:
            text = os.read(fd, _MAX_BYTES).decode("ascii", "replace")
        finally:
            os.close(fd)
        marks[resource] = tuple(int(w) for w in text.split() if w.isascii() and w.isdigit() and len(w) < 7)
    return marks
