"""The numbers the hand-written book pages quote are the committed store's (reidlab.prose)."""

from pathlib import Path

import pytest

from reidlab import prose


def _page(tmp_path: Path, text: str) -> Path:
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "p.md").write_text(text)
    return tmp_path


def test_a_moved_number_a_missing_quote_and_a_failing_computation_are_each_reported(tmp_path):
    repo = _page(tmp_path, "rank-1 reached\n31.0 ± 2.6 here; and −2.1 from the paper.")
    quotes = (
        prose.Quote("p.md", "reached 31.0 ± 2.6", lambda r: "reached 31.0 ± 2.6"),   # holds (across a line break)
        prose.Quote("p.md", "-2.1 from the paper", lambda r: "-2.1 from the paper"),  # the typographic minus too
        prose.Quote("p.md", "reached 31.0 ± 2.6", lambda r: "reached 31.4 ± 2.6"),   # the store moved it
        prose.Quote("p.md", "reached 29.0", lambda r: "reached 29.0"),               # the page no longer reads it
        prose.Quote("p.md", "reached 31.0", lambda r: 1 / 0),                        # its runs left the store
    )
    problems = prose.stale_quotes(tmp_path / "store", repo, quotes)
    assert len(problems) == 3
    assert "the results give 'reached 31.4 ± 2.6'" in problems[0]
    assert "no longer reads 'reached 29.0'" in problems[1]
    assert "ZeroDivisionError" in problems[2]


def test_an_item_quote_must_be_in_its_declared_text_and_on_its_committed_page(tmp_path):
    from reidlab.study import ITEMS

    said = " ".join(ITEMS["table5"].text.split()[:6])  # the item's own words
    quotes = (prose.Quote("item:table5", said, lambda r: said), prose.Quote("item:table5", "not its words", lambda r: ""))
    problems = prose.stale_quotes(tmp_path / "store", tmp_path, quotes)  # no committed pages here
    assert len(problems) == 2
    assert "committed page of item:table5 does not show" in problems[0]
    assert "reidlab/study.py ITEMS['table5'].text no longer reads 'not its words'" in problems[1]


def test_formats_match_the_pages():
    from reidlab.verdicts import Effect

    assert prose.effect(Effect(-1.38, -2.82, 0.05, 10, 0.057, 2.0)) == "-1.4 [-2.8, +0.1]"
    assert prose.effect(Effect(0.5, 0.12, 0.9, 10, 0.01, 1.0)) == "+0.5 [+0.1, +0.9]"
    assert prose.span(iter([6.48, 8.13, 6.62])) == "6.5-8.1"


@pytest.mark.skipif(not prose.COMMITTED.is_dir(), reason="no committed results store")
def test_every_quoted_number_is_the_stores():  # the committed store, whatever $REIDLAB_STORE says
    problems = prose.stale_quotes()
    assert not problems, "\n".join(problems)
