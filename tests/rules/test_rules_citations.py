"""Every citation points at a guidance document that exists and a section heading written in it
verbatim; the required links of the brief are present; advertising is never cited or advised."""

from __future__ import annotations

import re
import tomllib

import pytest

from formlab.rules import RED_FLAGS_SOURCES, load_catalogue
from formlab.rules.catalogue import DEFAULT_PATH
from rules_inputs import guidance_dir

CATALOGUE = load_catalogue()


def _all_citations():
    for rule in CATALOGUE.rules:
        for c in rule.sources:
            yield rule.id, c.document, c.section
    for s in RED_FLAGS_SOURCES:
        yield "red_flags", s["document"], s["section"]


def _heading_lines(text: str) -> list[str]:
    """Each line without leading bullets and numbering ("6. Have I ...")."""
    return [re.sub(r"^[\s•\-–]*(\d+\.\s+)?", "", line) for line in text.splitlines()]


@pytest.mark.parametrize("rule, document, section", list(_all_citations()))
def test_cited_section_is_a_heading_in_the_document(rule, document, section):
    path = guidance_dir() / document
    assert path.is_file(), f"{rule}: {document} not found in {guidance_dir()}"
    text = path.read_text(encoding="utf-8")
    assert section in text
    # written as a heading: a line that is the section, or starts with it and goes on after
    # ':' / '–' / a space (inline headings such as "2. Sacroiliac joint dysfunction: ...")
    starts = [line for line in _heading_lines(text)
              if line == section or (line.startswith(section)
                                     and line[len(section)] in " :–")]
    assert starts, f"{rule}: '{section}' is not at the start of a line in {document}"


def test_catalogue_document_titles_are_the_files_we_have():
    names = {p.name for p in guidance_dir().glob("*.txt")}
    assert set(CATALOGUE.documents) == names


REQUIRED = {
    "overstriding": [("001", "Avoid Overstriding"), ("001", "Poor Running Form"),
                     ("004", "Maintain Proper Running Form"),
                     ("004", "Impact and Strain on the Spine"), ("000", "Bad Form")],
    "low_cadence": [("004", "Maintain Proper Running Form"), ("002", "Conclusion")],
    "uneven_landing": [
        ("003", "Sacroiliac joint dysfunction"),
        ("003", "Have I had in the last year or two an injury to my feet, knees, or hips that "
                "could have a knock-on effect on my lower back?"),
        ("003", "Could I be running asymmetrically because some of my muscles being tighter on "
                "one side?"),
        ("003", "Have I seen a doctor?"), ("001", "Muscle Imbalances and Weakness")],
    "anterior_pelvic_tilt": [("003", "Facet Joint Irritation"), ("001", "Strengthen Your Core"),
                             ("001", "Tight or Stiff Muscles"),
                             ("001", "Maintain a Slight Forward Lean from the Ankles")],
    "pelvic_drop": [("001", "Work on Glutes and Hips"), ("001", "Muscle Imbalances and Weakness"),
                    ("000", "Gluteal Muscles (Gluteus Maximus, Medius, Minimus)")],
    "trunk_rotation": [("000", "Arm Swing"), ("001", "Keep Your Upper Body Relaxed")],
    "high_bounce": [("004", "Impact and Strain on the Spine"), ("001", "Focus on Running Form")],
    "fatigue_fade": [("003", "Weak back"), ("003", "Runner's Lower Back Syndrome Symptoms"),
                     ("001", "Strengthen Your Core"), ("001", "How Important Is Recovery?"),
                     ("004", "Gradual Progression and Recovery")],
    "downhill": [("003", "Have I been running a lot of hills?")],
}


@pytest.mark.parametrize("rule_id", sorted(REQUIRED))
def test_required_links(rule_id):
    cited = {(c.document[:3], c.section) for c in CATALOGUE.rule(rule_id).sources}
    assert set(REQUIRED[rule_id]) <= cited


def test_red_flag_note_cites_the_professional_help_sections():
    cited = {(s["document"][:3], s["section"]) for s in RED_FLAGS_SOURCES}
    assert {("001", "When Should You Be Concerned?"), ("001", "When to See a Professional")} <= cited


# Product advertising and link bait in the guidance documents: never cited, never advised.
ADVERTISING = {
    "000_095a9abbe587b043.txt": [
        "Warm-Up Smarter: Use Carnosport for a Stronger, More Comfortable Run!",
        "But one of the most effective changes you can make is using a sports gel",
        "Before The Run",
        "During And After The Run",
        "Try CarnoSport for lower back pain relief today",
        "Related: The benefits of L-carnosine in athletes",
    ],
    "003_9992d6dc828bdea4.txt": [
        "Ships within 2 business days / Free shipping",
        "lower back pain relief products",
        "Seat Cushion Back Support Set",
        "Memory Foam Seat Cushions",
        "Do you spend most of your daytime sitting in one place?",
        "Learn more Yoga poses for Lower back Pain Relief HERE",
        "Try running with a lower back assistance belt",
        "Try using some heating pads that can be purchased",
        "Think about buying an 'Inversion Table'",
        "Parbriz Audi A5 8T3 2014",
    ],
    "004_c21af62e96248a57.txt": [
        "READ Does Running Build Muscle? What Should You Know in 2022",
        "READ How To Choose Long-term Running Goals in 2023",
        "READ Are Training Shoes Good For Running?",
        "Are You Interested In Coaching?",
        "Show your interest below and we will contact you within 12hrs",
    ],
}
# The sections whose whole body is a sales pitch (000's second "Preventing Lower Back Pain After
# Running" heading introduces the gel; 003's treatment list pushes products to buy).
ADVERTISING_SECTIONS = {
    "000_095a9abbe587b043.txt": ["Preventing Lower Back Pain After Running"],
    "003_9992d6dc828bdea4.txt": ["Treatment for Lower Back Pain"],
}
BANNED_WORDS = ["carnosport", "carnosine", "gel", "cushion", "belt", "heating pad",
                "inversion table", "shop", "buy", "purchase", "shipping", "sign up", "coaching",
                "shoe", "shoes", "read", "http", "www"]


@pytest.mark.parametrize("document, line", [(d, l) for d, ls in ADVERTISING.items() for l in ls])
def test_advertising_list_is_real(document, line):
    """Each listed line is in the document (spacing normalised: the READ links hold a no-break
    space)."""
    text = (guidance_dir() / document).read_text(encoding="utf-8")
    assert " ".join(line.split()) in " ".join(text.split())


def test_no_citation_points_at_advertising():
    for rule, document, section in _all_citations():
        for ad in ADVERTISING.get(document, []) + ADVERTISING_SECTIONS.get(document, []):
            assert section not in ad and ad not in section, (rule, section, ad)


def _texts():
    for rule in CATALOGUE.rules:
        yield from rule.advice
        yield rule.title
        for c in rule.checks:
            yield c.message


def test_no_advice_recommends_a_product():
    from formlab.rules import NOT_A_DIAGNOSIS, RED_FLAGS_NOTE
    for text in [*_texts(), NOT_A_DIAGNOSIS, RED_FLAGS_NOTE]:
        for word in BANNED_WORDS:
            assert not re.search(rf"\b{re.escape(word)}\b", text, re.IGNORECASE), (word, text)


def test_advice_is_our_own_words():
    """No advice item or message repeats a run of 7 words from a guidance document."""
    docs = " ".join(p.read_text(encoding="utf-8").lower() for p in guidance_dir().glob("*.txt"))
    docs = re.sub(r"[^a-z0-9 ]+", " ", docs)
    docs = " ".join(docs.split())
    for text in _texts():
        words = re.sub(r"[^a-z0-9 ]+", " ", text.lower()).split()
        for i in range(len(words) - 6):
            assert " ".join(words[i:i + 7]) not in docs, text


def test_catalogue_file_is_plain_toml():
    data = tomllib.loads(DEFAULT_PATH.read_text(encoding="utf-8"))
    assert data["format"] == "formlab-rules/1"
