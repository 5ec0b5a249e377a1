"""Writing outputs safely: the one atomic-save helper every writer uses (workbooks, templates, CSV, text).

The content goes to a temporary file in the target's folder, which is then renamed over the target,
so a reader never sees a half-written file and a failed write leaves the old file (and no temporary
file) behind. `StagedFolder` / `save_folder_atomic` do the same for a folder (the CSV tables),
`check_output_path` checks a path before any work, and `neutralise` keeps text from being read as a
spreadsheet formula. Bottom layer: imports nothing of planner but the errors.
"""

from __future__ import annotations

import os
import shutil
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


# --- Text that a spreadsheet would run as a formula -------------------------------------------------------------
# The one rule for every output: the workbook stores such text as text (planner.report.style.put sets the quote
# prefix), the CSV tables prefix it with an apostrophe (`neutralise`). Only text is touched: numbers stay numbers.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def looks_like_formula(value) -> bool:
    """True for text that Excel or LibreOffice would read as a formula (starts with = + - @, tab or CR)."""
    return isinstance(value, str) and value.startswith(FORMULA_START)


APOSTROPHE_BEFORE = FORMULA_START + ("\n",)  # after leading apostrophes: the CSV writer turns a CR into a line feed


def neutralise(value):
    """Text that looks like a formula gets a leading apostrophe; anything else (numbers too) is returned as is.
    Text already starting with apostrophes before such a character (or a line feed) gets one more, so that
    `unneutralise` can take back exactly the apostrophe added here."""
    if looks_like_formula(value) or (isinstance(value, str) and value.startswith("'")
                                     and value.lstrip("'").startswith(APOSTROPHE_BEFORE)):
        return "'" + value
    return value


def unneutralise(value):
    """The text `neutralise` was given, from what it wrote (read back from planner's own CSV files): the one leading
    apostrophe before apostrophes and a formula character (or a line feed) is removed; anything else is unchanged."""
    if isinstance(value, str) and value.startswith("'") and value[1:].lstrip("'").startswith(APOSTROPHE_BEFORE):
        return value[1:]
    return value


# --- Checking output paths before the work, and writing a folder atomically ------------------------------------
def output_path_error(key: str, english: str, **params) -> OutputError:
    """An OutputError about an output path that carries `key` and `params`: its message in any language
    (planner.labels TEXT[key].format(**params)); str() of it is the English text."""
    err = OutputError(english.format(**params))
    err.key, err.params = key, params
    return err


def check_output_path(path: PathLike, *, folder: bool = False,
                      inputs: PathLike | Iterable[PathLike | None] | None = None) -> Path:
    """Raise an OutputError (output_path_error) unless `path` can be written, without writing anything.

    A file must not be an existing folder (a folder not an existing file), nor an input (`inputs`: files or
    folders; None, '' and '<memory>' ignored); its nearest existing parent must be a folder we may write in
    (missing folders below it are made when writing).
    """
    path = Path(path)
    if folder and path.exists() and not path.is_dir():
        raise output_path_error("out_not_folder", "{path} is a file, not a folder", path=path)
    if not folder and path.is_dir():
        raise output_path_error("out_is_folder", "{path} is a folder, not a file", path=path)
    if inputs is None or isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    target = path.resolve()
    for source in inputs:
        if not source or str(source) == "<memory>":
            continue
        src = Path(source)
        if target == src.resolve() or (path.exists() and src.exists() and os.path.samefile(path, src)):
            raise output_path_error("out_is_input", "{path} is the input {source}; choose another output name",
                                  path=path, source=src)
    parent = target.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise output_path_error("out_parent_not_folder", "cannot make the folder for {path}: {parent} is a file",
                              path=path, parent=parent)
    writable_at = target if folder and target.is_dir() else parent
    if not os.access(writable_at, os.W_OK | os.X_OK):
        raise output_path_error("out_not_writable", "cannot write in the folder {parent}", path=path, parent=writable_at)
    return path


class StagedFolder:
    """A folder written under a temporary name beside its target, then moved into place by `commit()`.

    Use as a context manager: leaving it without `commit()` (an error, Ctrl-C) removes the temporary folder, so
    nothing partial is left. A new target is made by one rename; into an existing folder each file is moved by an
    atomic rename (other files in it are kept).
    """

    def __init__(self, target: PathLike, refuse_overwrite_of: PathLike | Iterable[PathLike | None] | None = None):
        self.target = Path(target)
        refuse_overwrite(self.target, refuse_overwrite_of)
        self.tmp: Path | None = None
        self.committed = False

    def __enter__(self) -> "StagedFolder":
        self.target.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = Path(tempfile.mkdtemp(prefix=f".{self.target.name}.", suffix=".tmp", dir=self.target.parent))
        return self

    def commit(self) -> Path:
        if self.target.exists() and not self.target.is_dir():
            raise output_path_error("out_not_folder", "{path} is a file, not a folder", path=self.target)
        if not self.target.exists():
            os.chmod(self.tmp, 0o777 & ~_umask())
            os.replace(self.tmp, self.target)
        else:
            for item in sorted(self.tmp.iterdir()):
                os.chmod(item, file_mode(self.target / item.name))
                os.replace(item, self.target / item.name)
            self.tmp.rmdir()
        self.committed = True
        return self.target

    def __exit__(self, *exc) -> None:
        if not self.committed and self.tmp is not None and self.tmp.exists():
            shutil.rmtree(self.tmp, ignore_errors=True)


def save_folder_atomic(path: PathLike, fill: Callable[[Path], object], *,
                       refuse_overwrite_of: PathLike | Iterable[PathLike | None] | None = None) -> Path:
    """Write the folder `path` through `fill(temporary_folder)`, then move it into place (StagedFolder)."""
    with StagedFolder(path, refuse_overwrite_of) as staged:
        fill(staged.tmp)
        return staged.commit()


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


class NewOutputs:
    """The outputs a run is about to make, to remove again when it fails or is interrupted.

    Only what did not exist when recorded is removed: new files, new folders of files (`tree=True`, removed with
    their content) and the missing parent folders made for them (removed when left empty). Existing files are not
    recorded: they are replaced atomically or not at all.
    """

    def __init__(self):
        self.files: list[Path] = []
        self.trees: list[Path] = []
        self.parents: list[Path] = []

    def add(self, path: PathLike, *, tree: bool = False) -> None:
        path = Path(path).absolute()
        if path.exists() or path.is_symlink():
            return
        (self.trees if tree else self.files).append(path)
        parent = path.parent
        while not parent.exists() and parent != parent.parent:
            self.parents.append(parent)
            parent = parent.parent

    def remove(self) -> None:
        for path in self.files:
            if path.is_file() or path.is_symlink():
                path.unlink()
        for path in self.trees:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
        for path in sorted(set(self.parents), key=lambda p: len(p.parts), reverse=True):
            try:
                path.rmdir()
            except OSError:
                pass
