"""The two error types a command reports as one line, never as a traceback.

Every problem with a file a user hands to formlab (a recording, a rules override, a calibration
file, an output path) is an :class:`InputError`, one line ``path:line: problem``: the command line
prints it and exits with status 2. A command that cannot do its work for another reason (no
Bluetooth adapter, the sensor not found, a capture that failed) raises a :class:`CommandError`:
one line, exit status 1.
"""

from __future__ import annotations


class InputError(Exception):
    """Bad input, located: file, line (1-based, or None when the whole file is at fault), problem."""

    def __init__(self, path: str | None, line: int | None, problem: str):
        self.path = str(path) if path is not None else "<input>"
        self.line = line
        self.problem = _one_short_line(problem)
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        return f"{where}: {self.problem}"


MAX_PROBLEM_CHARS = 200
"""A problem longer than this is cut (a CR-only file once gave a 292,200-byte "line")."""


def _one_short_line(problem: str) -> str:
    problem = " ".join(str(problem).split())
    return problem if len(problem) <= MAX_PROBLEM_CHARS else problem[:MAX_PROBLEM_CHARS - 1] + "…"


class CommandError(Exception):
    """A command could not do its work for a reason other than bad input (one line, exit 1)."""
