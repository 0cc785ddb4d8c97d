"""Renderers: one passage, as HTML and as terminal text."""

from __future__ import annotations

from searcher import Index
from searcher.model import Passage, Span
from searcher.render import passage_to_html
from searcher.cli.terminal import passage_to_rich


def test_html_marks_matches_and_escapes_the_rest() -> None:
    passage = Passage("<b>Idlib</b> & 1.5 million refugees", (Span(3, 8, "idlib"), Span(27, 35, "refuge")))
    assert passage_to_html(passage) == "&lt;b&gt;<mark>Idlib</mark>&lt;/b&gt; &amp; 1.5 million <mark>refugees</mark>"
    assert passage_to_html(passage, tag="em").count("<em>") == 2


def test_rich_text_styles_the_spans_and_defuses_control_characters() -> None:
    passage = Passage("Idlib\x1b[2J refugees", (Span(0, 5, "idlib"), Span(10, 18, "refuge")))
    text = passage_to_rich(passage, match_style="bold")
    assert text.plain == "Idlib\ufffd[2J refugees"  # same length: the spans still fit
    assert [(s.start, s.end, str(s.style)) for s in text.spans] == [(0, 5, "bold"), (10, 18, "bold")]


def test_the_sample_hit_as_html(sample: Index) -> None:
    [hit] = sample.search("Idlib refugees")
    html = passage_to_html(hit.passages[0])
    assert "<mark>refugees</mark> have moved to <mark>Idlib</mark>" in html


def test_the_query_is_echoed_as_typed() -> None:
    # repr escaped it: 'Blair\' was shown as 'Blair\\'.
    from searcher.text import quoted

    assert quoted("Blair\\") == "'Blair\\'" and quoted("Idlib refugees") == "'Idlib refugees'"
    assert quoted("Russia's") == '"Russia\'s"' and quoted("'a' \"b\"") == "''a' \"b\"'"
    from searcher.model import Results
    from searcher.render import results_summary

    assert results_summary(Results([], total=0, matched="all", query=""), "C:\\temp").startswith("0 articles match 'C:\\temp'")
