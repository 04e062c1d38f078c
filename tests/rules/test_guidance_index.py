"""The shipped guidance index against the full guidance documents (skipped when they are absent):
the index is what the generator makes of them, every cited heading is a heading line of its
document, the advertising lines the citation tests name are real, and no advice or message repeats
the documents' words."""

from __future__ import annotations

import importlib.util
import re
import tomllib

import pytest

from formlab.rules.guidance import INDEX_PATH, guidance_index
from rules_inputs import REPO, guidance_dir
from test_rules_citations import ADVERTISING, _all_citations, _texts

pytestmark = pytest.mark.skipif(not guidance_dir().is_dir(),
                                reason="the guidance documents (shared data) are not beside "
                                       "this clone")


def _generator():
    spec = importlib.util.spec_from_file_location("build_guidance_index",
                                                  REPO / "tools" / "build_guidance_index.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _files() -> dict[str, str]:
    data = tomllib.loads(INDEX_PATH.read_text(encoding="utf-8"))
    return {d["key"]: d["file"] for d in data["documents"]}


def _text(key: str) -> str:
    return (guidance_dir() / _files()[key]).read_text(encoding="utf-8")


def test_index_is_what_the_generator_makes_of_the_documents():
    assert _generator().build(guidance_dir()) == INDEX_PATH.read_text(encoding="utf-8")


def test_every_indexed_document_is_one_we_have():
    names = {p.name for p in guidance_dir().glob("*.txt")}
    assert set(_files().values()) == names


def test_titles_are_written_in_their_documents():
    for key, doc in guidance_index().items():
        text = _text(key)
        assert doc.title.rstrip("?").lower() in text.lower(), key


def _heading_lines(text: str) -> list[str]:
    """Each line without leading bullets and numbering ("6. Have I ...")."""
    return [re.sub(r"^[\s•\-–]*(\d+\.\s+)?", "", line) for line in text.splitlines()]


@pytest.mark.parametrize("rule, document, section", list(_all_citations()))
def test_cited_section_is_a_heading_line_in_the_document(rule, document, section):
    # a line that is the section, or starts with it and goes on after ':' / '–' / a space
    starts = [line for line in _heading_lines(_text(document))
              if line == section or (line.startswith(section) and line[len(section)] in " :–")]
    assert starts, f"{rule}: '{section}' is not at the start of a line of {document}"


@pytest.mark.parametrize("document, line", [(d, l) for d, ls in ADVERTISING.items() for l in ls])
def test_advertising_list_is_real(document, line):
    """Each listed line is in the document (spacing normalised: the READ links hold a no-break
    space)."""
    assert " ".join(line.split()) in " ".join(_text(document).split())


def test_advice_is_our_own_words():
    """No advice item or message repeats a run of 7 words from a guidance document."""
    docs = " ".join(_text(key).lower() for key in guidance_index())
    docs = " ".join(re.sub(r"[^a-z0-9 ]+", " ", docs).split())
    for text in _texts():
        words = re.sub(r"[^a-z0-9 ]+", " ", text.lower()).split()
        for i in range(len(words) - 6):
            assert " ".join(words[i:i + 7]) not in docs, text
