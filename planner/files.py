"""Writing a file safely: the one atomic-save helper every writer uses (workbooks, templates, CSV, text).

The content goes to a temporary file in the target's folder, which is then renamed over the target,
so a reader never sees a half-written file and a failed write leaves the old file (and no temporary
file) behind. Bottom layer: imports nothing of planner but the errors.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from .errors import OutputError

PathLike = str | os.PathLike


def save_atomic(path: PathLike, write_to_tmp: Callable[[str], object], *,
                refuse_overwrite_of: PathLike | Iterable[PathLike | None] | None = None) -> Path:
    """Write `path` through `write_to_tmp(temporary_path)`, then rename; return the path.

    The folder is created when missing. The result keeps the permissions of the file it replaces
    (else the usual ones under the umask, not mkstemp's private 0600). `refuse_overwrite_of` names
    input file(s) never to write over (OutputError); None, '' and '<memory>' are ignored.
    """
    path = Path(path)
    refuse_overwrite(path, refuse_overwrite_of)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=f"{path.suffix}.tmp", dir=path.parent)
    os.close(fd)
    try:
        write_to_tmp(tmp)
        os.chmod(tmp, file_mode(path))
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def refuse_overwrite(path: PathLike, inputs: PathLike | Iterable[PathLike | None] | None) -> None:
    """Raise OutputError when `path` is (or links to) one of the input files."""
    if inputs is None or isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    target = Path(path).resolve()
    for source in inputs:
        if not source or str(source) == "<memory>":
            continue
        src = Path(source)
        if target == src.resolve() or (target.exists() and src.exists() and os.path.samefile(target, src)):
            raise OutputError(f"refusing to overwrite the input {src}; choose another output name")


def file_mode(path: PathLike) -> int:
    """The existing file's permission bits, else what a plain open() would give under the current umask."""
    path = Path(path)
    if path.exists():
        return path.stat().st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask
