"""The seeded fuzz corpus (tests/fuzz_corpus.py): no traceback, no hang, no corrupt input passing
without a note; clean-in-form inputs (BOM, CRLF, CR, semicolons, gzip) are read."""

import pytest

import fuzz_corpus

CASE_BOUND_S = 10.0  # one 60 s recording reads and analyses in ~0.1 s; a grid run away takes minutes


def _check(outcomes):
    bad = [o for o in outcomes if not fuzz_corpus.acceptable(o) or o.seconds > CASE_BOUND_S]
    assert not bad, "\n".join(f"{o.case.kind} / {o.case.name} ({o.case.expect}): {o.result} {o.seconds:.1f} s: "
                              f"{o.detail[:300]}" for o in bad[:10])
    kinds = {o.case.kind for o in outcomes}
    assert len(kinds) == len(fuzz_corpus.CLASSES)


def test_fuzz_corpus_300_cases():
    outcomes = fuzz_corpus.run(300, seed=2026)
    assert len(outcomes) == 300
    _check(outcomes)
    # the corpus is not vacuous: every class that must be flagged produced errors or notes
    flagged = {o.case.kind for o in outcomes if o.result in ("error", "note")}
    assert flagged == {o.case.kind for o in outcomes}


@pytest.mark.slow
def test_fuzz_corpus_1100_cases_another_seed():
    _check(fuzz_corpus.run(1100, seed=7))


def test_the_runner_tells_a_silent_corruption_from_a_noted_one(tmp_path):
    meta, header, rows = fuzz_corpus.base_lines()
    clean = fuzz_corpus.baseline_notes(tmp_path)
    same = fuzz_corpus.Case("probe", "unchanged", fuzz_corpus._text(meta, header, rows), "flag")
    outcome = fuzz_corpus.run_case(same, tmp_path, clean)
    assert outcome.result == "silent" and not fuzz_corpus.acceptable(outcome)
