"""Standing texts shown once with every set of findings (report and command line).

Findings are form feedback, never a diagnosis. A waist sensor cannot sense the symptoms that the
guidance documents say need a professional's attention, so a standing note points to their advice.
"""

from __future__ import annotations

from formlab.rules.guidance import citation

NOT_A_DIAGNOSIS = (
    "These findings describe running form measured by one sensor at the waist and compare it with "
    "population ranges and the guidance documents. They are feedback on running form, not a "
    "medical diagnosis."
)

RED_FLAGS_NOTE = (
    "A waist sensor cannot sense numbness, tingling, pain that radiates down the leg, or weakness "
    "in the legs. If you have any of these, or back pain that does not settle with rest, the "
    "guidance documents advise seeing a healthcare professional such as a physiotherapist or "
    "sports doctor."
)

RED_FLAGS_SOURCES: tuple[dict[str, str], ...] = (  # guidance-index keys
    {"document": "back-pain-when-running", "section": "When Should You Be Concerned?"},
    {"document": "back-pain-when-running", "section": "When to See a Professional"},
    {"document": "back-pain-after-running", "section": "Have I seen a doctor?"},
    {"document": "sore-back-after-running",
     "section": "In Conclusion: Take Care of Your Back for a Pain-Free Run"},
)


def standing_notes() -> dict:
    """The standing texts as they go into SUMMARY.json (key ``rules_notes``)."""
    return {"not_a_diagnosis": NOT_A_DIAGNOSIS,
            "red_flags": {"text": RED_FLAGS_NOTE, "sources": [citation(s["document"], s["section"])
                                                         for s in RED_FLAGS_SOURCES]}}
