"""Titles of the guidance documents that findings cite.

A finding cites ``{"document": "<file name>", "section": "..."}``. The title shown is, first
found: the document's title in the rules catalogue (``[documents]`` of
``formlab/rules/catalogue.toml``); the first non-empty line of the file in the shared
guidance-document folder (``$FORMLAB_SHARED`` or ``../shared`` next to the repository,
sub-folder ``guidance-documents``); the file name itself.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from formlab.rules.catalogue import load_catalogue


def guidance_dir() -> Path:
    """Folder holding the guidance documents."""
    shared = os.environ.get("FORMLAB_SHARED")
    root = Path(shared) if shared else Path(__file__).resolve().parents[2].parent / "shared"
    return root / "guidance-documents"


@lru_cache(maxsize=1)
def _catalogue_titles() -> dict[str, str]:
    return dict(load_catalogue().documents)


@lru_cache(maxsize=256)
def _first_line(folder: str, document: str) -> str | None:
    path = Path(folder) / Path(document).name
    try:
        with path.open(encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.strip():
                    return line.strip()
    except OSError:
        return None
    return None


def document_title(document: str) -> str:
    """Title of a cited guidance document (catalogue, then file, then the file name)."""
    return (_catalogue_titles().get(document)
            or _first_line(str(guidance_dir()), document)
            or document)
