"""Checks on the files a command is about to write, made before any work starts.

Nothing formlab does overwrites a user's data: a command refuses to write onto one of its inputs
or to write two outputs to the same path, refuses to replace an existing file unless the user
passed ``--force``, and finds out that an output folder cannot be written before it spends a long
analysis on results it could not save. Recordings being captured (``record``, ``live``) are never
replaced, ``--force`` or not: a lost run cannot be recorded again.
"""

from __future__ import annotations

import os
from pathlib import Path

from formlab.errors import InputError


def _same_file(a: Path, b: Path) -> bool:
    if a.exists() and b.exists():
        return os.path.samefile(a, b)
    return a.resolve() == b.resolve()


def check_outputs(outputs: dict[str, str | os.PathLike | None], inputs: list[str | os.PathLike] = (),
                  force: bool = False, never_replace: tuple[str, ...] = ()) -> None:
    """Raise :class:`InputError` (one line) unless every output in ``outputs`` (option name → path;
    ``None`` = not asked for) can be written safely; create missing parent folders.

    ``inputs``: files the command reads; no output may be one of them. ``force``: an existing
    output may be replaced. ``never_replace``: option names whose existing file is refused even
    with ``force`` (a recording being captured).
    """
    given = {name: Path(p) for name, p in outputs.items() if p is not None and str(p) != ""}
    seen: dict[Path, str] = {}
    for name, path in given.items():
        for src in inputs:
            if _same_file(path, Path(src)):
                raise InputError(str(path), None, f"{name} would overwrite the input {src}: choose another file")
        for other_path, other_name in seen.items():
            if _same_file(path, other_path):
                raise InputError(str(path), None, f"{name} and {other_name} name the same file: give each its own")
        seen[path] = name
        if path.is_dir():
            raise InputError(str(path), None, f"{name} names a folder, not a file")
        if path.exists() and (name in never_replace or not force):
            hint = "choose a new file name" if name in never_replace else "pass --force to replace it"
            raise InputError(str(path), None, f"{name}: the file exists and would be replaced; {hint}")
        parent = path.parent if str(path.parent) else Path(".")
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(str(path), None, f"{name}: cannot create the folder {parent}: {exc.strerror}") from exc
        if not os.access(parent, os.W_OK):
            raise InputError(str(path), None, f"{name}: the folder {parent} is not writable")
