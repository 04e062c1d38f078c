"""Titles of the guidance documents that findings cite.

A finding cites ``{"document": "<file name>", "section": "..."}``. The title shown is the first
non-empty line of that file in the shared guidance-document folder: ``$FORMLAB_SHARED`` or
``../shared`` next to the repository, sub-folder ``guidance-documents``. When the file cannot be
read the file name itself is shown.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path


def guidance_dir() -> Path:
    """Folder holding the guidance documents."""
    shared = os.environ.get("FORMLAB_SHARED")
    root = Path(shared) if shared else Path(__file__).resolve().parents[2].parent / "shared"
    return root / "guidance-documents"


@lru_cache(maxsize=256)
def _title_in(folder: str, document: str) -> str:
    path = Path(folder) / Path(document).name
    try:
        with path.open(encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.strip():
                    return line.strip()
    except OSError:
        pass
    return document


def document_title(document: str) -> str:
    """Title of a cited guidance document, or its file name when it cannot be read."""
    return _title_in(str(guidance_dir()), document)
