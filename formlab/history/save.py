"""Saving an analysed run into the history store (``analyze … --athlete NAME --save``)."""

from __future__ import annotations

import argparse

from formlab.history.payload import session_record
from formlab.history.store import DuplicateSession, Store


def save(analysis, athlete: str, db_path=None, speed_override_mps: float | None = None) -> tuple[int, bool]:
    """Store ``analysis`` (an :class:`~formlab.analysis.Analysis`) for ``athlete``:
    ``(session id, True)``, or ``(id of the stored copy, False)`` when the recording is already
    stored (same sha256 of its canonical bytes)."""
    record = session_record(analysis, speed_override_mps)
    with Store(db_path) as store:
        try:
            return store.save(record, athlete), True
        except DuplicateSession as dup:
            return dup.session_id, False


def add_save_arguments(p: argparse.ArgumentParser) -> None:
    """``--athlete``, ``--save`` and ``--db`` for commands that analyse a run."""
    p.add_argument("--athlete", metavar="NAME", help="the runner, for --save")
    p.add_argument("--save", action="store_true", help="remember this run in the athlete history store")
    p.add_argument("--db", metavar="PATH", help="history store file (default: $FORMLAB_DB, else the user data folder)")


def save_if_requested(args: argparse.Namespace, analysis) -> None:
    """Save when ``--save`` was given; one line says where (or that the run was already stored)."""
    if not getattr(args, "save", False):
        return
    from formlab.errors import InputError

    if not args.athlete:
        raise InputError("--save", None, "give the runner's name with --athlete NAME")
    session_id, new = save(analysis, args.athlete, args.db, args.treadmill_speed)
    if new:
        print(f"saved as session {session_id} for {args.athlete}")
    else:
        print(f"already stored as session {session_id} (same recording): not saved again")
