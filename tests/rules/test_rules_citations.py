"""Every citation names a document of the shipped guidance index and one of its section headings;
the required links of the brief are present; advertising is never indexed, cited or advised.
Runs without the guidance documents (tests/rules/test_guidance_index.py checks the index against
them when they are present)."""

from __future__ import annotations

import re
import tomllib

import pytest

from formlab.rules import RED_FLAGS_SOURCES, load_catalogue
from formlab.rules.catalogue import DEFAULT_PATH
from formlab.rules.guidance import citation_text, guidance_index

CATALOGUE = load_catalogue()
INDEX = guidance_index()


def _all_citations():
    for rule in CATALOGUE.rules:
        for c in rule.sources:
            yield rule.id, c.document, c.section
    for s in RED_FLAGS_SOURCES:
        yield "red_flags", s["document"], s["section"]


@pytest.mark.parametrize("rule, document, section", list(_all_citations()))
def test_cited_section_is_a_heading_of_an_indexed_document(rule, document, section):
    assert document in INDEX, rule
    assert section in INDEX[document].sections, (rule, section)


def test_citations_render_as_title_and_heading():
    text = citation_text("back-pain-when-running", "Avoid Overstriding")
    assert text == ("Why You Experience Lower Back Pain When Running and What to Do About It, "
                    "Avoid Overstriding")
    for rule in CATALOGUE.rules:
        for c in rule.sources:
            shown = c.as_dict()
            assert shown["document"] == INDEX[c.document].title
            assert not re.search(r"\.txt|\b\d{3}_", shown["document"])


REQUIRED = {
    "overstriding": [("back-pain-when-running", "Avoid Overstriding"), ("back-pain-when-running", "Poor Running Form"),
                     ("sore-back-after-running", "Maintain Proper Running Form"),
                     ("sore-back-after-running", "Impact and Strain on the Spine"), ("preventing-back-pain", "Bad Form")],
    "low_cadence": [("sore-back-after-running", "Maintain Proper Running Form"), ("can-running-cause-back-pain", "Conclusion")],
    "uneven_landing": [
        ("back-pain-after-running", "Sacroiliac joint dysfunction"),
        ("back-pain-after-running", "Have I had in the last year or two an injury to my feet, knees, or hips that "
                "could have a knock-on effect on my lower back?"),
        ("back-pain-after-running", "Could I be running asymmetrically because some of my muscles being tighter on "
                "one side?"),
        ("back-pain-after-running", "Have I seen a doctor?"), ("back-pain-when-running", "Muscle Imbalances and Weakness")],
    "anterior_pelvic_tilt": [("back-pain-after-running", "Facet Joint Irritation"), ("back-pain-when-running", "Strengthen Your Core"),
                             ("back-pain-when-running", "Tight or Stiff Muscles"),
                             ("back-pain-when-running", "Maintain a Slight Forward Lean from the Ankles")],
    "pelvic_drop": [("back-pain-when-running", "Work on Glutes and Hips"), ("back-pain-when-running", "Muscle Imbalances and Weakness"),
                    ("preventing-back-pain", "Gluteal Muscles (Gluteus Maximus, Medius, Minimus)")],
    "trunk_rotation": [("preventing-back-pain", "Arm Swing"), ("back-pain-when-running", "Keep Your Upper Body Relaxed")],
    "high_bounce": [("sore-back-after-running", "Impact and Strain on the Spine"), ("back-pain-when-running", "Focus on Running Form")],
    "fatigue_fade": [("back-pain-after-running", "Weak back"), ("back-pain-after-running", "Runner's Lower Back Syndrome Symptoms"),
                     ("back-pain-when-running", "Strengthen Your Core"), ("back-pain-when-running", "How Important Is Recovery?"),
                     ("sore-back-after-running", "Gradual Progression and Recovery")],
    "downhill": [("back-pain-after-running", "Have I been running a lot of hills?")],
}


@pytest.mark.parametrize("rule_id", sorted(REQUIRED))
def test_required_links(rule_id):
    cited = {(c.document, c.section) for c in CATALOGUE.rule(rule_id).sources}
    assert set(REQUIRED[rule_id]) <= cited


def test_red_flag_note_cites_the_professional_help_sections():
    cited = {(s["document"], s["section"]) for s in RED_FLAGS_SOURCES}
    assert {("back-pain-when-running", "When Should You Be Concerned?"), ("back-pain-when-running", "When to See a Professional")} <= cited


# Product advertising and link bait in the guidance documents: never cited, never advised.
ADVERTISING = {
    "preventing-back-pain": [
        "Warm-Up Smarter: Use Carnosport for a Stronger, More Comfortable Run!",
        "But one of the most effective changes you can make is using a sports gel",
        "Before The Run",
        "During And After The Run",
        "Try CarnoSport for lower back pain relief today",
        "Related: The benefits of L-carnosine in athletes",
    ],
    "back-pain-after-running": [
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
    "sore-back-after-running": [
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
    "preventing-back-pain": ["Preventing Lower Back Pain After Running"],
    "back-pain-after-running": ["Treatment for Lower Back Pain"],
}
BANNED_WORDS = ["carnosport", "carnosine", "gel", "cushion", "belt", "heating pad",
                "inversion table", "shop", "buy", "purchase", "shipping", "sign up", "coaching",
                "shoe", "shoes", "read", "http", "www"]


def test_advertising_is_not_indexed():
    for document in INDEX:
        for ad in ADVERTISING.get(document, []) + ADVERTISING_SECTIONS.get(document, []):
            for heading in INDEX[document].sections:
                assert " ".join(ad.split()) not in heading, (document, heading)
    for document, lines in ADVERTISING_SECTIONS.items():
        assert not set(lines) & set(INDEX[document].sections)


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


def test_catalogue_file_is_plain_toml():
    data = tomllib.loads(DEFAULT_PATH.read_text(encoding="utf-8"))
    assert data["format"] == "formlab-rules/1"
