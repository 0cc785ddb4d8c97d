"""Searching: analysis, query syntax, ranking and passages, on the sample and on real corpora."""

from __future__ import annotations

import datetime as dt
import json
import random
import re
from pathlib import Path

import pytest

from searcher import Article, Index, QueryError, SearcherError
from searcher.config import Config
from searcher.indexing.update import update_index
from searcher.search.filters import Filters
from searcher.search.passages import split_passages

NEWS = [
    {"id": "n1", "title": "IDLIB braces for assault", "body": "Rebels in the province dig in as troops mass.",
     "date": "2016-11-28", "source": "Asharq Al-Awsat", "category": "world", "dateline": "Beirut"},
    {"id": "n2", "title": "Aid reaches Idlíb", "body": "Convoys brought food to 1.5 million people, officials said.",
     "date": "2016-12-15", "source": "Reuters", "category": "world", "dateline": "Geneva"},
    {"id": "n3", "title": "Football results", "body": "Idlib FC lost the derby. Refugees from Aleppo watched the game.",
     "date": "2017-01-03", "source": "BBC", "category": "sport", "dateline": "London"},
    {"id": "n4", "title": "Camps in Turkey", "body": "A refugee camp near the border grows. Nobody mentions the city.",
     "date": "2016-11-02", "source": "Reuters", "category": "world", "dateline": "Ankara"},
    {"id": "n5", "title": "Markets", "body": "Oil prices fell; the pound rose against the U.S. dollar.",
     "date": "2015-06-30", "source": "Reuters", "category": "business", "dateline": "New York"},
]


@pytest.fixture(scope="module")
def news(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    folder = tmp_path_factory.mktemp("news")
    corpus = folder / "news.jsonl"
    corpus.write_text("".join(json.dumps(record) + "\n" for record in NEWS), encoding="utf-8")
    config = Config(index=folder / "index")
    update_index(config, [corpus])
    with Index.open(config.index, config) as index:
        yield index


def ids(results) -> list[str]:  # type: ignore[no-untyped-def]
    return [hit.id for hit in results]


# -- the sample article, end to end ---------------------------------------------------------


def test_idlib_refugees_on_the_sample(sample: Index) -> None:
    results = sample.search("Idlib refugees")
    assert results.matched == "tiered" and results.total == results.every_word == 1
    [hit] = results
    assert hit.id == "55363386" and hit.rank == 1 and hit.score > 0
    first = hit.passages[0]
    assert "Around 1.5 million refugees have joined them" in first.text
    matched = {first.text[s.start:s.end] for s in first.spans}
    assert matched == {"refugees", "Idlib"}
    assert {s.term for s in first.spans} == {"refuge", "idlib"}
    assert len(hit.passages) == 2 and hit.passages[0].score >= hit.passages[1].score
    assert hit.title.text == "Moscow Wants Entire Aleppo, Idlib Awaits its Fate"
    assert [hit.title.text[s.start:s.end] for s in hit.title.spans] == ["Idlib"]
    assert isinstance(hit.article, Article) and hit.article.credit == "George Ourfalian/AFP"


def test_hits_outlive_the_index(sample_index: Path) -> None:
    with Index.open(sample_index) as index:
        results = index.search("Lavrov")
    assert results[0].article.source == "Asharq Al-Awsat"
    assert "Lavrov" in results[0].passages[0].text


def test_passages_count_and_lead_when_nothing_in_the_body_matches(sample: Index) -> None:
    assert len(sample.search("Idlib", passages=5)[0].passages) == 5
    assert sample.search("Idlib", passages=0)[0].passages == ()
    # "Fate" is only in the title: the lead paragraph stands in, without spans.
    [hit] = sample.search("title:fate")
    assert hit.passages[0].text.startswith("China and Russia vetoed") and hit.passages[0].spans == ()


# -- analysis ------------------------------------------------------------------------------


def test_case_and_accent_folding(news: Index) -> None:
    assert set(ids(news.search("idlib"))) == {"n1", "n2", "n3"}
    assert set(ids(news.search("IDLÍB"))) == {"n1", "n2", "n3"}


def test_numbers_are_kept(news: Index) -> None:
    assert ids(news.search('"1.5 million"')) == ["n2"]
    assert ids(news.search("1.5")) == ["n2"]


def test_stemming_and_acronyms(news: Index) -> None:
    assert set(ids(news.search("refugees"))) == {"n3", "n4"}
    assert set(ids(news.search("camps"))) == {"n4"}
    assert ids(news.search("US dollar")) == ["n5"]


# -- query syntax -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query, expected",
    [
        ("Idlib AND refugees", ["n3"]),  # all words (plain words: test_every_word_first)
        ('"refugee camp"', ["n4"]),  # phrase
        ('"camp refugee"', []),
        ("title:idlib", ["n1", "n2"]),
        ("body:idlib", ["n3"]),
        ("source:reuters", ["n2", "n4", "n5"]),
        ('source:"asharq al-awsat"', ["n1"]),
        ("category:sport", ["n3"]),
        ("dateline:geneva", ["n2"]),
        ("place:geneva", ["n2"]),
        ('dateline:"new york"', ["n5"]),
        ("idlib AND NOT category:sport", ["n1", "n2"]),
        ("idlib -football", ["n1", "n2"]),
        ("(oil OR convoys) AND reuters", []),
        ("(oil OR convoys) AND source:reuters", ["n2", "n5"]),
        ("refug*", ["n3", "n4"]),
        ("Idleb~", ["n1", "n2", "n3"]),
        ("date:2016-11", ["n1", "n4"]),
        ("date:2016-11-01..2016-12-31", ["n1", "n2", "n4"]),
        ("date:2016-12..", ["n2", "n3"]),
        ("date:..2015", ["n5"]),
        ("idlib date:2016", ["n1", "n2"]),
        ("since:2016-12", ["n2", "n3"]),  # (as --since: date:2016-12..)
        ("until:2015", ["n5"]),
        ("idlib Since:2016-12", ["n2", "n3"]),
        ("idlib until:2016-11.", ["n1"]),  # (a sentence's full stop after the date)
        ("idlib since:2016-11-28 until:2016-11-28", ["n1"]),  # (one day: both bounds hold it)
        # A filter beside a +word filters (it was optional, as the words beside it are).
        ("+idlib category:world", ["n1", "n2"]),
        ("+idlib since:2016-12", ["n2", "n3"]),
        ("refugees +idlib source:bbc", ["n3"]),
        ("(until:2015 OR since:2017) AND refugees", ["n3"]),  # (dates that need not both hold)
        ("pro-government", []),
    ],
)
def test_query_syntax(news: Index, query: str, expected: list[str]) -> None:
    assert sorted(ids(news.search(query))) == expected


def test_the_searched_query_shows_dates_as_days(news: Index) -> None:
    # (--explain and the API's `query` showed the numbers the index keeps: a new user's trial.)
    assert "date:[2016-11-01 TO 2016-11-30]" in news.search("idlib date:2016-11").query
    assert "date:[ TO 2015-12-31]" in news.search("idlib until:2015 OR refugees").query


def test_a_date_keyword_before_a_colon_and_a_space_is_a_word(news: Index) -> None:
    # Pasted notes: "since: idlib" is words, as "Source: BBC says" is (the review: it was
    # "since: needs a date", though "Since: idlib" was words).
    for text in ("since: idlib refugees", "Until: idlib refugees", "date: idlib refugees"):
        assert ids(news.search(text)) == ids(news.search(text.replace(":", ""))) != [], text
    # And no slip of a word is taken for since: or until: ("sin:tax" was "did you mean since?").
    for text in ("sin:idlib refugees", "unt:idlib refugees", "sinse:idlib refugees"):
        assert ids(news.search(text)) == ids(news.search(text.replace(":", " "))) != [], text


def test_every_word_first(news: Index) -> None:
    # The articles with every word rank first, then those with some, each group by score.
    results = news.search("Idlib refugees")
    assert results.matched == "tiered" and (results.total, results.every_word, results.some_words) == (4, 1, 3)
    assert ids(results)[0] == "n3" and sorted(ids(results)[1:]) == ["n1", "n2", "n4"]
    assert [hit.matched for hit in results] == ["all", "some", "some", "some"]
    assert [hit.score for hit in results[1:]] == sorted((hit.score for hit in results[1:]), reverse=True)
    # --all-words keeps only those with every word.
    strict = news.search("Idlib refugees", all_words=True)
    assert strict.matched == "all" and ids(strict) == ["n3"] and strict[0].score == results[0].score
    # A query that asks for every word (quotes, AND, +word) gets only those.
    for asked in ('"Idlib" refugees', "Idlib AND refugees", "+Idlib +refugees"):
        assert news.search(asked).matched == "all" and ids(news.search(asked)) == ["n3"], asked
    # A +word beside other words requires it alone: those with the others too come first,
    # as the articles with every word (it was labelled "every word required" throughout).
    plus = news.search("Idlib +refugees")
    assert plus.matched == "tiered" and (plus.every_word, plus.some_words) == (1, 1)
    assert ids(plus) == ["n3", "n4"] and [hit.matched for hit in plus] == ["all", "some"]
    assert ids(news.search("Idlib +refugees", all_words=True)) == ["n3"]
    assert news.matches("Idlib +refugees")[0] == 2 and news.matches("Idlib +refugees", all_words=True)[0] == 1
    # Filters and exclusions apply to both groups.
    excluded = news.search("Idlib refugees -football")  # (n3, the one with both, is about football)
    assert excluded.every_word == 0 and sorted(ids(excluded)) == ["n1", "n2", "n4"]
    assert sorted(ids(news.search("Idlib refugees", filters=Filters.parse(source=["reuters"])))) == ["n2", "n4"]


def test_any_word_fallback_is_said(news: Index) -> None:
    results = news.search("Idlib zebras")
    assert results.matched == "tiered" and results.every_word == 0
    assert set(ids(results)) == {"n1", "n2", "n3"} and {hit.matched for hit in results} == {"some"}
    strict = news.search("Idlib zebras", all_words=True)
    assert strict.matched == "any" and ids(strict) == ids(results)
    # Filters stay required in the fallback.
    results = news.search("Idlib zebras category:sport")
    assert results.every_word == 0 and ids(results) == ["n3"]
    assert news.search("Idlib zebras category:sport", all_words=True).matched == "any"
    # Explicit operators never fall back.
    assert news.search("Idlib AND zebras").matched == "all"
    assert list(news.search("Idlib AND zebras")) == []


def test_all_words_holds_for_a_sentence_too(news: Index) -> None:
    # A query of more words than MAX_REQUIRED_WORDS ranks the articles with any of them;
    # with all_words it keeps those with every word (it was ignored), and falls back to
    # the ranking, saying so, when no article has them all.
    sentence = "idlib refugees football camp winter"
    ranked, strict = news.search(sentence), news.search(sentence, all_words=True)
    assert ranked.matched == "ranked" and ranked.total > 1 and ranked.every_word == 0
    assert strict.matched == "any" and ids(strict) == ids(ranked)
    every = "idlib refugees football derby aleppo"
    assert news.search(every).total > 1
    assert news.search(every, all_words=True).matched == "all" and ids(news.search(every, all_words=True)) == ["n3"]
    assert news.matches(every, all_words=True)[0] == 1


def test_any_word_fallback_ranks_articles_with_more_words_first(news: Index) -> None:
    results = news.search("idlib refugees football zebras")
    assert results.every_word == 0 and results[0].id == "n3"
    assert news.search("idlib refugees football zebras", all_words=True)[0].id == "n3"


@pytest.mark.parametrize(
    "query, position, message",
    [
        ("Idlib date:2016-13", 11, "invalid date '2016-13'"),
        ("date:2017..2016", 0, "ends before it starts"),
        ("idlib since:2016..2017", 6, "since: takes one date (since:2016-11); a range is date:2016-11..2016-12"),
        ("idlib until:May", 12, "invalid date 'May'"),
        # Dates that leave no day between them found nothing, and said nothing (the review).
        ("idlib since:2017 until:2016", 17,
         "no day is in all of the query's dates (since:2017 and until:2016) at position 17 "
         "(did you mean date:2016..2017?)"),
        ("date:2016-11 idlib date:2016-12-01..", 19, "(date:2016-11 and date:2016-12-01..)"),
        ("idlib (until:2015 -aleppo) since:2016", 27, "(until:2015 and since:2016)"),  # (at any depth)
        ("idlib since:", 6, "nothing to search for after since:"),
        ("refugees titel:Idlib", 9, "unknown field 'titel'"),
        ("   ", None, "no words"),
        # A wildcard or a fuzzy word in quotes: the phrase dropped the * or ~ and looked for
        # "oil pri", finding nothing, as if there were no such story.
        ('refugees "oil pri*"', 14, "'pri*': a phrase in quotes is its words as written"),
        ('"idlib refugee~"', 7, "'refugee~': a phrase in quotes"),
        # A boost or a fuzzy word's edits that are no number: the rest was searched as a word,
        # in the same field as the word before ("No article matches").
        ("idlib^high", 6, "a boost is a number more than 0 (coffee^2, coffee^0.5), not 'high'"),
        ("idlib^1e3 refugees", 6, "not '1e3'"),
        ('"idlib refugees"^-1', 17, "not '-1'"),
        ("idlib~1.5", 6, "a fuzzy word allows 1 or 2 edits (Idleb~, Idleb~2), not '1.5'"),
        ("refugees idlib~x", 15, "not 'x'"),
        # Two operators in a row: which was meant can't be told.
        ("idlib OR OR refugees", 9, "OR follows OR: two operators in a row"),
        ("idlib AND OR refugees", 10, "OR follows AND"),
        # Brackets nested hundreds deep, as a script may write them: Python's stack ran out.
        ("".join(f"(w{number} OR " for number in range(300)) + "idlib" + ")" * 300, 390,
         "parentheses nested more than 50 deep"),
    ],
)
def test_query_errors_name_the_position(news: Index, query: str, position: int | None, message: str) -> None:
    with pytest.raises(QueryError) as caught:
        news.search(query)
    assert caught.value.position == position
    assert message in str(caught.value)


@pytest.mark.parametrize("call, message", [
    (lambda index: index.search(None), "query must be a str, not NoneType"),
    (lambda index: index.search(b"idlib"), "query must be a str, not bytes"),
    (lambda index: index.search("idlib", limit="5"), "limit must be an int, not str"),
    (lambda index: index.search("idlib", passages=1.5), "passages must be an int, not float"),
    (lambda index: index.search("idlib", filters={"category": ["world"]}), "filters must be Filters"),
    (lambda index: index.matches(42), "query must be a str, not int"),
    (lambda index: index.timeline(["idlib", None]), "query must be a str, not NoneType"),
    (lambda index: index.get(["n1"]), "article_id must be a str or an int, not list"),
    (lambda index: index.search("idlib", limit=True), "limit must be an int, not bool"),
])
def test_a_library_call_with_an_argument_of_the_wrong_type_names_it(news: Index, call, message: str) -> None:  # type: ignore[no-untyped-def]
    """A new user's trial: these were errors from deep inside ("'NoneType' object has no
    attribute 'strip'", "'dict' object has no attribute 'apply'")."""
    with pytest.raises(TypeError, match=re.escape(message)):
        call(news)


def test_an_id_may_be_an_int_and_a_facet_goes_by_its_other_names_too(tmp_path: Path) -> None:
    """A JSON record's "id": 9 is the article "9": `get(9)` was an AttributeError. The
    facet "topics" counted categories on the command line and in the API, not here."""
    with Index.create(tmp_path / "ix") as index:
        index.add([Article(id="9", title="Idlib", body="Refugees in Idlib.", categories=("world",)),
                   Article(id="10", title="Idlib aid", body="Aid for Idlib.", categories=("world",))])
        assert index.get(9) == index.get("9") and index.get(9).title == "Idlib"  # type: ignore[union-attr, arg-type]
        numpy = pytest.importorskip("numpy")  # (a review: numpy's int64, from pandas, is no int, and worked before)
        assert index.get(numpy.int64(9)) == index.get("9") and len(index.search("idlib", limit=numpy.int64(1))) == 1
        assert [hit.id for hit in index.similar(9)] == ["10"]  # type: ignore[union-attr, arg-type]
        assert index.similar("nope") is None
        assert index.search("idlib", facets=["topics"]).facets["category"][0].count == 2
        assert index.timeline("idlib", "year", per="topics").series[0].value == "world"


def test_a_closed_index_is_an_error_not_opened_again(tmp_path: Path) -> None:
    """A new user's trial: a search after close() answered, and opened the files again,
    which the caller then never closed."""
    for shards in (1, 2):
        with Index.create(tmp_path / f"ix{shards}", shards=shards) as index:
            index.add([Article(id="1", title="Idlib", body="Refugees in Idlib.")])
            assert index.search("idlib").total == 1
        with Index.open(tmp_path / f"ix{shards}") as reading:
            _, hits = reading.matches("idlib")
        for call in (lambda: index.search("idlib"), lambda: index.get("1"), lambda: len(index),
                     lambda: index.add([Article(id="2", title="Aid", body="Aid.")]), lambda: index.generation,
                     lambda: list(hits)):  # (an iterator read after close: Whoosh's bare ReaderClosed)
            with pytest.raises(SearcherError, match="is closed: open it again"):
                call()
        index.close()  # (a second close is no error)
        with Index.open(tmp_path / f"ix{shards}") as again:
            assert len(again) == 1


def test_a_words_boost_multiplies_its_score(news: Index) -> None:
    # "coffee^2" was read as the words coffee and 2, in one field: another query altogether.
    plain, boosted = news.search("idlib", explain=True), news.search("idlib^2", explain=True)
    assert ids(boosted) == ids(plain) and boosted.total == plain.total
    assert [hit.score for hit in boosted] == pytest.approx([2 * hit.score for hit in plain])
    both, leaning = news.search("idlib refugees", explain=True), news.search("idlib^3 refugees", explain=True)
    assert leaning.total == both.total
    for hit in leaning:
        other = next(one for one in both if one.id == hit.id)
        idlib = sum(c.score for c in other.contributions if c.term == "idlib")
        assert hit.score == pytest.approx(other.score + 2 * idlib)
    # Out of bounds, a clear error: 309 digits were an infinite boost, every score infinite
    # (and the API's JSON a 500); 0 made every score 0.
    for query, at in (("idlib^" + "9" * 320, 5), ("idlib^0 refugees", 5), ("idlib refugees^1001", 14)):
        with pytest.raises(QueryError, match="a boost must be more than 0 and at most 1,000") as caught:
            news.search(query)
        assert caught.value.position == at, query
    # After a digit, ^ is a power, not a boost: "2^10" is the words 2 and 10.
    assert "body:2 AND body:10" in news.search("2^10").query


def test_phrases_and_brackets_that_are_not_refused(news: Index) -> None:
    # A phrase's slop after the quotes, a tilde alone, a question in quotes; fifty brackets deep.
    assert ids(news.search('"idlib refugees"~3')) == ids(news.search('"idlib refugees"'))
    assert ids(news.search('"idlib refugees"~12')) == ["n3"]  # (a slop of 12 words, not edits: it was refused)
    assert ids(news.search('"idlib ~ refugees"')) == ids(news.search('"idlib refugees"'))
    assert ids(news.search('"refugees?"')) == ids(news.search('"refugees"'))
    assert ids(news.search('"*** idlib ***"')) == ids(news.search('"idlib"'))  # (stars alone are no wildcard)
    assert ids(news.search("(" * 50 + "idlib" + ")" * 50)) == ids(news.search("idlib"))
    # Boosts and edits that are numbers, a ^ or a ~ apart, a power after a digit, and marks in quotes.
    for query in ("idlib^2 refugees", "idlib^0.5 refugees", "(idlib refugees)^2", '"idlib refugees"^2',
                  "idlib ^ refugees", "idlib~ refugees", "idlib~1/2 refugees", '"idlib^x refugees"', "2^10",
                  'idlib AND "refugees OR"', "idlib AND NOT aleppo", "NOT aleppo", "title:AND idlib",
                  "idlib^2, refugees", "idlib~, refugees", "idlib~2.", '"idlib refugees"^3, aleppo',
                  "www.example.com/a~b idlib", "a^2+b^2"):
        news.search(query)
    # Punctuation after a boost leaves it a boost.
    assert [hit.score for hit in news.search("idlib^2,")] == pytest.approx([hit.score for hit in news.search("idlib^2")])
    # An operator with nothing to join is a word, as the query has it in lower case: "Portland
    # OR" (the state), "opec AND" (which required the word "and" as written), "NOT" alone.
    for dangling, plain in (("idlib AND", "idlib and"), ("Idlib OR", "Idlib or"), ("AND idlib", "and idlib"),
                            ("(idlib NOT) refugees", "(idlib not) refugees"), ("NOT", "not")):
        assert ids(news.search(dangling)) == ids(news.search(plain)), dangling


def test_a_plus_or_minus_in_brackets_and_optional_words_in_exclusions(news: Index) -> None:
    # A +word or -word in brackets was Whoosh's NotImplementedError, a traceback.
    assert ids(news.search("idlib (refugees -aleppo)")) == []  # (n3, with both, has Aleppo)
    assert sorted(ids(news.search("idlib (football -aleppo)"))) == []
    found = news.search("(idlib +refugees) OR convoys")  # (refugees required, idlib optional, in brackets)
    assert sorted(ids(found)) == sorted(ids(news.search("refugees OR convoys"))) == ["n2", "n3", "n4"]
    # Optional words inside an exclusion stay optional: requiring them there excluded less
    # than the query, and the articles "with every word" were not among its matches.
    results = news.search("refugees NOT (aleppo ANDMAYBE camp)")
    assert ids(results) == ["n4"] and results.total == 1
    assert ids(news.search("refugees NOT (aleppo ANDMAYBE camp)", all_words=True)) == ["n4"]
    # A +phrase beside a word: those with the word too first, as for a +word.
    plus = news.search('idlib +"refugees from aleppo"')
    assert plus.matched == "tiered" and plus.every_word == 1 and ids(plus) == ["n3"]


def test_colons_that_are_not_fields(news: Index) -> None:
    results = news.search("Idlib: aid")
    assert results.matched == "tiered" and results.every_word == 1 and ids(results)[0] == "n2"
    assert ids(news.search("Idlib: aid", all_words=True)) == ["n2"]
    # A word that is no field's name, nor near one, is a word: "Idlib:aid" as "Idlib aid".
    assert ids(news.search("Idlib:aid")) == ids(news.search("Idlib aid"))
    # A field's name, a colon and a space: pasted notes ("Source: BBC says"), words too.
    assert ids(news.search("Source: Idlib aid")) == ids(news.search("source Idlib aid"))
    assert ids(news.search("Title: Idlib refugees")) == ids(news.search("title Idlib refugees"))
    # Nor is a short word next to a field of two letters ("Aid:Syria" is no slip for id).
    assert ids(news.search("Idlib Aid:Syria")) == ids(news.search("Idlib Aid Syria"))
    assert ids(news.search("ID:n2")) == ["n2"]
    with pytest.raises(QueryError, match="unknown field 'ids'") as caught:
        news.search("ids:n2")
    assert caught.value.hint.startswith("did you mean id?")
    for slip, meant in (("titel", "title"), ("lang", "language"), ("sorce", "source"), ("datline", "dateline")):
        with pytest.raises(QueryError, match=f"unknown field '{slip}'") as caught:
            news.search(f"refugees {slip}:Idlib")
        assert caught.value.hint.startswith(f"did you mean {meant}?")


def test_every_bbc_title_as_typed_finds_its_article(bbc_index: Path, bbc_docs: Path) -> None:
    # As typed and in lower case: "TV presenter Deeley drops CD:UK" was an unknown
    # field 'CD'; titles ending in "?" a wildcard (see above).
    records = [json.loads(line) for line in bbc_docs.read_text(encoding="utf-8").splitlines()]
    missed = []
    with Index.open(bbc_index) as index:
        for record in records:
            for text in (record["title"], record["title"].lower()):
                results = index.search(text, limit=10, passages=0)
                if not any(record["id"] == hit.id or record["id"] in hit.duplicates for hit in results):
                    missed.append(text)
    assert missed == [] and len(records) == 2225


# -- ranking -------------------------------------------------------------------------------


def test_title_outranks_caption_outranks_body(tmp_path: Path) -> None:
    filler = " ".join(["word"] * 30)
    articles = [
        Article(id="body", title="Other news", body=f"Idlib {filler}"),
        Article(id="caption", title="Other news", caption="Idlib", body=filler),
        Article(id="title", title="Idlib", body=filler),
    ]
    with Index.create(tmp_path / "ix") as index:
        index.add(articles)
        assert ids(index.search("idlib")) == ["title", "caption", "body"]


def test_boosts_come_from_the_config(tmp_path: Path) -> None:
    filler = " ".join(["word"] * 30)
    articles = [Article(id="body", title="Other", body=f"Idlib {filler}"), Article(id="title", title="Idlib", body=filler)]
    with Index.create(tmp_path / "ix") as index:
        index.add(articles)
    config = Config(boosts={"title": 0.1, "body": 5.0})
    with Index.open(tmp_path / "ix", config) as index:
        assert ids(index.search("idlib")) == ["body", "title"]


def test_top_n_is_the_head_of_the_full_ranking(bbc_index: Path) -> None:
    # While every match is scored (matching.py prunes nothing) this holds by construction:
    # it is the guard for a pruned top N (MaxScore, WAND) should one come. bbc_index has
    # several segments (two workers wrote it); Whoosh's pruned top-N search lost hits there.
    queries = ["England rugby", "film award*", "Blair election", "bank interest rates", "Idleb~ election",
               "film OR music OR award OR actor", "mobile phone zebra"]
    with Index.open(bbc_index) as index:
        assert index.stats().segments >= 2
        for query in queries:
            top = index.search(query, limit=10, passages=0, collapse=False)
            full = index.search(query, limit=None, passages=0, collapse=False)
            assert [(h.id, h.score) for h in top] == [(h.id, h.score) for h in full][:10], query
            assert top.total == full.total == len(full)
            # near-duplicates shown once: the same head either way
            top = index.search(query, limit=10, passages=0)
            full = index.search(query, limit=None, passages=0)
            assert [(h.id, h.duplicates) for h in top] == [(h.id, h.duplicates) for h in full][:10], query
            # a later page is the same stretch of the full ranking, ranks and passages too
            for offset in (10, 25, len(full) - 3):
                page = index.search(query, limit=10, passages=1, offset=offset)
                whole = index.search(query, limit=offset + 10, passages=1)
                assert page.total == full.total, query
                assert [(h.rank, h.id, h.score, h.passages, h.duplicates) for h in page] == \
                    [(h.rank, h.id, h.score, h.passages, h.duplicates) for h in whole[offset:]], (query, offset)
                assert [h.rank for h in page] == list(range(offset + 1, offset + 1 + len(page))), query


# -- passages on real text ------------------------------------------------------------------


def test_passages_are_short_and_never_cut_words(time_docs: Path, bbc_docs: Path) -> None:
    for path in (time_docs, bbc_docs):
        for line in path.read_text(encoding="utf-8").splitlines()[:300]:
            record = json.loads(line)
            text = record.get("body") or record["text"]
            for start, end in split_passages(text, 300):
                piece = text[start:end]
                assert piece == piece.strip() and piece
                assert end - start <= 300 or " " not in piece
                assert start == 0 or not text[start - 1].isalnum()
                assert end == len(text) or not text[end].isalnum()


def _windows_as_defined(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    """passages._windows as its docstring says it, scanning each window's sentence ends
    forwards (the engine finds the last one from the window's end)."""
    sentence_end = re.compile(r"[.!?][\"'”’)\]]*\s+")
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    windows = []
    while start < end:
        if end - start <= max_chars:
            windows.append((start, end))
            break
        limit = start + max_chars
        cut = None
        for match in sentence_end.finditer(text, start, limit + 1):
            cut = match.end()
        if cut is None:
            space = text.rfind(" ", start, limit + 1)
            if space <= start:
                found = re.compile(r"\s+").search(text, limit, end)
                space = found.start() if found else end
            cut = space
        piece_end = cut
        while piece_end > start and text[piece_end - 1].isspace():
            piece_end -= 1
        windows.append((start, piece_end))
        start = cut
        while start < end and text[start].isspace():
            start += 1
    return windows


def _split_as_defined(text: str, max_chars: int) -> list[tuple[int, int]]:
    ranges, start = [], 0
    for match in re.finditer(r"\n[ \t]*\n\s*|\n(?=[ \t]+\S)", text):
        ranges.extend(_windows_as_defined(text, start, match.start(), max_chars))
        start = match.end()
    return ranges + _windows_as_defined(text, start, len(text), max_chars)


def test_passages_end_at_the_last_sentence_end_that_fits(time_docs: Path, bbc_docs: Path,
                                                         reuters_records: list[dict]) -> None:
    texts = [json.loads(line).get("body") or json.loads(line)["text"]
             for path in (time_docs, bbc_docs) for line in path.read_text(encoding="utf-8").splitlines()]
    texts += [record["body"] for record in reuters_records[:3000]]
    pieces = ["a", "bc", " ", "  ", ".", "!", "?", '"', "'", ")", "]", "”", "\n", "\n\n", "\t", "\u00a0", "\n  x"]
    chosen = random.Random(7)
    texts += ["".join(chosen.choice(pieces) for _ in range(chosen.randint(0, 80))) for _ in range(5000)]
    for text in texts:
        for max_chars in (7, 40, 300):
            assert split_passages(text, max_chars) == _split_as_defined(text, max_chars), (text[:80], max_chars)


def test_passage_spans_hold_the_query_terms(bbc_index: Path) -> None:
    with Index.open(bbc_index) as index:
        results = index.search("economy growth", limit=20)
    assert len(results) == 20
    for hit in results:
        for passage in hit.passages:
            assert passage.spans
            for span in passage.spans:
                word = passage.text[span.start:span.end].lower()
                assert re.match(r"econom|growth", word), word


# -- real corpora: everything indexed and findable -------------------------------------------


def test_every_time_article_is_indexed_and_found_by_its_own_words(time_index: Path, time_docs: Path) -> None:
    records = [json.loads(line) for line in time_docs.read_text(encoding="utf-8").splitlines()]
    with Index.open(time_index) as index:
        assert len(index) == 423
        for record in records:
            article = index.get(record["id"])
            assert article is not None and article.body == record["text"].strip()
            # Eight words from the middle of the article, as a phrase, find it.
            words = record["text"].replace('"', " ").split()
            middle = len(words) // 2
            phrase = " ".join(words[middle:middle + 8])
            assert record["id"] in ids(index.search(f'"{phrase}"', limit=None, passages=0)), phrase


def test_every_bbc_article_is_indexed(bbc_index: Path, bbc_docs: Path) -> None:
    records = [json.loads(line) for line in bbc_docs.read_text(encoding="utf-8").splitlines()]
    with Index.open(bbc_index) as index:
        assert len(index) == 2225
        for record in records:
            assert ids(index.search(f"id:{record['id']}", passages=0)) == [record["id"]]
            assert index.get(record["id"]).title == record["title"]


def test_known_item_search_on_bbc_titles(bbc_index: Path, bbc_docs: Path) -> None:
    records = [json.loads(line) for line in bbc_docs.read_text(encoding="utf-8").splitlines()]
    # BBC News repeats some stories word for word; a title shared by two articles
    # can't pick one of them, so the draw is among unique titles.
    counts: dict[str, int] = {}
    for record in records:
        counts[record["title"]] = counts.get(record["title"], 0) + 1
    unique = [r for r in records if counts[r["title"]] == 1]
    chosen = random.Random(20261127).sample(unique, 50)
    with Index.open(bbc_index) as index:
        misses = []
        for record in chosen:
            phrase = record["title"].replace('"', " ")
            results = index.search(f'"{phrase}"', limit=1, passages=0)
            if not results or results[0].id != record["id"]:
                misses.append((record["title"], ids(results)))
    assert misses == []


def test_wildcards_match_words_as_written_not_stems(bbc_index: Path) -> None:
    with Index.open(bbc_index) as index:
        # "university" is indexed as the stem "univers", which "universit" doesn't start.
        assert index.search("universit*").total >= index.search("university").total > 50
        assert index.search("organiz*").total >= index.search("organization").total > 0
        assert index.search("un?versit*").total == index.search("universit*").total
        assert index.search("univers?ty").total == index.search("university").total
        # The pattern is matched as typed, not stemmed ("universities*" is not "univers*").
        assert index.search("universities*").total == index.search("universities").total
        hit = index.search("universit*", limit=1)[0]
        assert any(hit.passages[0].text[s.start:s.end].lower().startswith("universit") for s in hit.passages[0].spans)
        assert list(index.search("zqxw*")) == []


def test_wildcards_that_match_too_many_words_are_refused_with_their_position(bbc_index: Path) -> None:
    # Each term a wildcard stands for is a read of its postings: "*e*" is most of the
    # index, and would hold a server (which answers one request at a time) for seconds.
    from searcher.search.query import MAX_WILDCARD_TERMS

    with Index.open(bbc_index) as index:
        assert index.search("s*").total > 2000  # (2,500 terms: well within)
        for query, at in (("oil *e*", 4), ("oil  abc* *e*", 10), ("(s*e OR t*) AND (*a* OR c*)", 17)):
            with pytest.raises(QueryError, match=rf"^'\*\w\*' matches too many words .*{MAX_WILDCARD_TERMS:,} words") as caught:
                index.search(query)
            assert caught.value.position == at, query
        # One letter after another: the one that went past is named.
        with pytest.raises(QueryError) as caught:
            index.search(" ".join(f"{letter}*" for letter in "abcdefghijklmnopqrstuvwxyz"))
        named = caught.value.args[0].split("'")[1]
        assert named.endswith("*") and caught.value.position == 3 * (ord(named[0]) - ord("a")) and named != "a*"


def test_a_wildcard_matches_the_words_a_scan_of_them_all_matches(bbc_index: Path) -> None:
    # _matching_words looks only at the words that start as the pattern does.
    from whoosh import query as wq

    from searcher.search.query import _matching_words

    with Index.open(bbc_index) as index:
        words = index.word_list.words()
        patterns = ["univers?ty", "un?vers*", "*ies", "?ol*", "colo?r", "organi?ation*", "g*s", "a?", "zz?", "w?ll"]
        patterns += [word[:n] + "?" + word[n + 1:] for word in words[::400] for n in (1, len(word) // 2)]
        for text in patterns:
            pattern = re.compile(re.escape(text).replace(r"\*", ".*").replace(r"\?", ".") + r"\Z")
            assert _matching_words(wq.Wildcard("body", text), words) == [w for w in words if pattern.match(w)], text
        assert len(_matching_words(wq.Wildcard("body", "*ies"), words)) > 100


def test_a_question_mark_ending_a_word_ends_a_question(bbc_index: Path, bbc_docs: Path) -> None:
    # Whoosh's parser made "labour?" a wildcard of "labour" and one more letter: no
    # article at all, and "what next for labour?" had none with every word.
    def shown(results):  # type: ignore[no-untyped-def]
        return results.total, results.every_word, [(hit.id, hit.score, hit.passages) for hit in results]

    with Index.open(bbc_index) as index:
        assert index.search("labour?").total == index.search("labour").total > 200
        asked = index.search("what next for labour?")
        assert asked.every_word > 10 and shown(asked) == shown(index.search("what next for labour"))
        assert shown(index.search("WHAT NEXT FOR LABOUR?")) == shown(index.search("WHAT NEXT FOR LABOUR"))
        assert index.search('"no gain?"').total == index.search('"no gain"').total == 1
        # After a word of signs and letters, or a phrase, too: "c#?" found nothing.
        assert index.search("c#?").total == index.search("c#").total > 10
        assert shown(index.search('"no gain"?')) == shown(index.search('"no gain"'))
        assert shown(index.search("who is #1?")) == shown(index.search("who is #1"))
        # An error's position is in the query as typed.
        with pytest.raises(QueryError) as caught:
            index.search("what? why? who? titel:x")
        assert caught.value.position == 16
        # A ? on its own, typed after a space, is no word either: it was any word of one
        # letter ("coffee ?" on Reuters: 15,466 articles more than "coffee", a new user's trial).
        for asked in ("blair ?", "blair ??", "blair (?)", "? blair", "blair ?,", "blair ?!"):
            assert shown(index.search(asked)) == shown(index.search("blair")), asked
        # Inside a word, ? is still one letter.
        assert index.search("colo?r").total == index.search("colour").total > 10
        titles = [json.loads(line)["title"] for line in bbc_docs.read_text(encoding="utf-8").splitlines()]
        questions = [title for title in titles if title.endswith("?")]
        assert len(questions) == 16
        for title in questions:
            assert index.search(title, limit=10)[0].title.text == title, title


def test_field_names_in_any_case(news: Index) -> None:
    assert sorted(ids(news.search("Title:idlib"))) == sorted(ids(news.search("title:idlib"))) == ["n1", "n2"]
    assert sorted(ids(news.search("DATE:2016-11"))) == ["n1", "n4"]


def test_limits_are_checked(news: Index) -> None:
    with pytest.raises(ValueError):
        news.search("idlib", limit=0)
    with pytest.raises(QueryError, match="1 or 2 edits"):
        news.search("Idleb~5")


def test_capital_operators_between_short_words_stay_operators(news: Index) -> None:
    assert sorted(ids(news.search("IDLIB OR OIL"))) == ["n1", "n2", "n3", "n5"]
    assert sorted(ids(news.search("IDLIB NOT FC"))) == ["n1", "n2"]


def test_a_sloppy_phrase_highlights_its_words(bbc_index: Path) -> None:
    with Index.open(bbc_index) as index:
        [hit] = index.search('"prices oil"~3', limit=1)
    assert {span.term for span in hit.passages[0].spans} <= {"price", "oil"}
    assert hit.passages[0].spans


def test_all_capitals_are_words_not_operators(news: Index) -> None:
    # As pasted from a headline or a TIME topic: AND, OR and NOT are words there.
    assert sorted(ids(news.search("idlib NOT aleppo"))) == ["n1", "n2"]
    shouted = news.search("REFUGEES FROM ALEPPO NOT WATCHING IDLIB")
    # "not" and "from" are stop words; five words left is a long query: ranked, not all required
    assert shouted.matched == "ranked" and ids(shouted)[0] == "n3"
    assert ids(shouted) == ids(news.search("refugees from aleppo not watching idlib"))


def test_a_pasted_wire_headline_finds_its_story(reuters) -> None:  # type: ignore[no-untyped-def]
    # Headlines in capitals with few long words, whose NOT excluded the story's own
    # word, a source after a dash, which excluded "agency", and a hyphen after a bracket.
    for headline, story in (("HAWKE CONFIRMS HE WILL NOT CALL SNAP POLL", "11785"),
                            ("TEXACO <QTX> NOT REQUIRED TO POST BOND", "16333"),
                            ("JAPAN ECONOMY MAY START BOTTOMING OUT SOON -AGENCY", "8671"),
                            ("EXPORT BONUS WHEAT FOR JORDAN --USDA", "15916"),
                            ("(CORRECTED)-BANKERS TRUST NEW YORK <BT> PAYOUT", "6739")):
        assert reuters.search(headline, limit=1)[0].id == story, headline
    # Queries in capitals keep their operators: short ones, operators not counted as
    # words, and several -words or one that is not a headline's last words.
    for typed in ("OPEC NOT SAUDI", "COFFEE -BRAZIL", "SYRIAN REFUGEES -IDLIB", "NATO OR EU NOT USA NOT UK",
                  "OPEC OIL OUTPUT -IRAN -IRAQ -KUWAIT", "OIL PRICES -OPEC RISE IN NEW YORK TRADING"):
        assert [(hit.id, hit.score) for hit in reuters.search(typed, limit=20)] == \
            [(hit.id, hit.score) for hit in reuters.search(typed.lower().replace(" or ", " OR ").replace(" not ", " NOT "),
                                                           limit=20)], typed
    assert reuters.search("COFFEE -BRAZIL").total < reuters.search("coffee").total


def test_any_word_fallback_still_ranks_by_the_words_that_exist(bbc_index: Path) -> None:
    with Index.open(bbc_index) as index:
        alone = index.search("asylum", limit=3, passages=0)
        fallback = index.search("asylum zzyzzx", limit=3, passages=0)
        strict = index.search("asylum zzyzzx", limit=3, passages=0, all_words=True)
    assert fallback.matched == "tiered" and fallback.every_word == 0 and strict.matched == "any"
    assert [h.id for h in fallback] == [h.id for h in alone] == [h.id for h in strict]
    assert all(h.score > 0 for h in fallback)


def test_fuzzy_word_ranks_the_word_itself_first(bbc_index: Path) -> None:
    with Index.open(bbc_index) as index:
        exact = {h.id for h in index.search("Blunkett", limit=None, passages=0)}
        fuzzy = index.search("Blunkett~2", limit=None, passages=0)
    assert len(exact) > 20 and len(fuzzy) > len(exact)  # near misses ("blanket") are found too...
    assert exact <= {h.id for h in fuzzy}
    assert {h.id for h in fuzzy[:10]} <= exact  # ...but the word itself leads


def test_a_misspelt_fuzzy_word_finds_the_common_word_it_is_near(reuters) -> None:  # type: ignore[no-untyped-def]
    """A fuzzy word not in the index stands for its near words, weighed with one idf (the
    most common one's, as Lucene blends them) and by how near each is: with each word's
    own idf, 'cofee~' ranked "cote" (Cote d'Or) and "core" (Core-Mark) first, and only 1
    of its first 10 articles held "coffee", which is in 140 times as many."""
    typos = {"cofee~": "coffee", "whaet~2": "wheat", "goverment~": "government", "sugr~": "sugar",
             "petrolium~2": "petroleum"}
    for typo, word in typos.items():
        hits = reuters.search(typo, limit=10, passages=0)
        holding = [hit.id for hit in hits if word in (hit.title.text + " " + reuters.get(hit.id).body).lower()]
        assert len(holding) >= 8, (typo, [hit.title.text for hit in hits])
    # The word itself, when the index has it, still leads its near misses.
    hits = reuters.search("coffee~", limit=20, passages=0)
    assert all("coffee" in (hit.title.text + " " + reuters.get(hit.id).body).lower() for hit in hits)


def test_a_phrase_is_highlighted_where_it_is_only(bbc_index: Path) -> None:
    with Index.open(bbc_index) as index:
        results = index.search('"mobile phone"', limit=20)
    for hit in results:
        for passage in hit.passages + (hit.title,):
            for span in passage.spans:
                assert re.fullmatch(r"mobile phones?", passage.text[span.start:span.end], re.IGNORECASE)
        matched = [p for p in hit.passages if p.spans]
        assert matched, hit.id  # the passages shown hold the phrase


def test_empty_fields_and_lone_star(news: Index) -> None:
    with pytest.raises(QueryError, match="nothing to search for after title:") as caught:
        news.search("idlib title:")
    assert caught.value.position == 6
    every = news.search("*")
    assert every.total == len(NEWS)
    assert every.query == "*"  # (what --explain and the API show: Whoosh writes it "None:*")


# -- stop words, long queries, repeated words -------------------------------------------------


def test_stop_words_of_plain_queries_are_not_required(news: Index) -> None:
    plain = news.search("refugees in the camp", all_words=True)
    assert plain.matched == "all" and ids(plain) == ids(news.search("refugees camp", all_words=True)) == ["n4"]
    assert news.search("refugees in the camp").every_word == 1


def test_a_query_of_stop_words_only_keeps_them(news: Index) -> None:
    results = news.search("in the", all_words=True)
    assert results.matched == "all" and sorted(ids(results)) == ["n1", "n4"]
    results = news.search("in the")  # (those with both first)
    assert results.every_word == 2 and sorted(ids(results)[:2]) == ["n1", "n4"]


def test_a_phrase_keeps_its_stop_words(news: Index) -> None:
    assert ids(news.search('"lost the derby"')) == ["n3"]
    assert ids(news.search('"lost a derby"')) == []


def test_a_quote_left_open_closes_at_the_end(news: Index) -> None:
    # (Whoosh's parser drops a lone quote: the words alone would find n3.)
    assert ids(news.search('"lost a derby')) == []
    assert ids(news.search('derby "lost the')) == ids(news.search('derby "lost the"')) == ["n3"]
    assert ids(news.search('"lost the derby')) == ["n3"]


def test_up_to_four_words_all_match_first(news: Index) -> None:
    results = news.search("refugee camp border city")
    assert results.matched == "tiered" and results.every_word == 1 and ids(results)[0] == "n4"
    results = news.search("refugee camp border city", all_words=True)
    assert results.matched == "all" and ids(results) == ["n4"]


def test_a_long_query_ranks_articles_with_any_of_its_words(news: Index) -> None:
    results = news.search("refugee camp border city rebels")  # no article has all five
    assert results.matched == "ranked"
    assert ids(results)[0] == "n4" and "n1" in ids(results) and "n3" in ids(results)


def test_a_repeated_word_counts_twice(news: Index) -> None:
    once = {hit.id: hit.score for hit in news.search("refugee camp border province rebels")}
    twice = {hit.id: hit.score for hit in news.search("refugee camp border province rebels province rebels")}
    assert twice["n1"] == pytest.approx(2 * once["n1"])  # n1 has only "province" and "rebels"
    assert twice["n4"] == pytest.approx(once["n4"])  # n4 has neither


def test_a_stop_word_with_punctuation_is_still_a_stop_word(news: Index) -> None:
    assert ids(news.search("refugee, the camp")) == ids(news.search("refugee camp")) == ["n4", "n3"]
    assert ids(news.search("refugee, the camp", all_words=True)) == ["n4"]


def test_stop_words_of_a_short_query_rank_but_are_not_required(news: Index) -> None:
    # "Will Smith", "IT jobs": the stop word must count, but no article is lost for lacking it.
    results = news.search("the Idlib")
    assert results.matched == "all" and set(ids(results)) == {"n1", "n2", "n3"}  # n2 has no "the"
    alone = {hit.id: hit.score for hit in news.search("Idlib")}
    scores = {hit.id: hit.score for hit in results}
    assert scores["n1"] > alone["n1"] and scores["n3"] > alone["n3"]
    assert scores["n2"] == pytest.approx(alone["n2"])
    for hit in results:
        assert all(span.term != "the" for passage in hit.passages for span in passage.spans)


def test_a_stop_word_with_a_field_or_a_minus_is_searched(news: Index) -> None:
    assert ids(news.search("title:in")) == ["n4"]
    # n3 has refugees, but no "in" in its title
    assert ids(news.search("refugees title:in", all_words=True)) == ["n4"]
    assert news.search("refugees title:in").every_word == 1
    assert ids(news.search("refugees -the")) == []  # both articles about refugees have "the"
    assert sorted(ids(news.search("idlib -the"))) == ["n2"]


def test_a_long_query_with_an_operator_is_ranked_too(news: Index) -> None:
    results = news.search("oil OR coffee prices fell against the dollar -pound")
    assert results.matched == "ranked" and ids(results) == []  # n5, the only match, has "pound"
    results = news.search("oil OR coffee prices fell against the dollar")
    assert results.matched == "ranked" and ids(results) == ["n5"]
    assert news.search("oil AND coffee AND prices AND fell AND dollar").total == 0  # AND is taken as written
    # NOT excludes as -word does, and leaves the other words ranked.
    with_not = news.search("refugee camp border city rebels NOT football")
    with_minus = news.search("refugee camp border city rebels -football")
    assert with_not.matched == with_minus.matched == "ranked"
    assert ids(with_not) == ids(with_minus) and "n3" not in ids(with_not) and ids(with_not)[0] == "n4"
    assert news.search("refugees in the camp NOT syria").matched == "tiered"
    assert ids(news.search("refugees in the camp NOT syria", all_words=True)) == ["n4"]  # "in" and "the" not required


@pytest.mark.parametrize("query, excluded", [("election -labour", "labour"), ("oil -prices", "prices"),
                                              ("film awards -oscar", "oscar"), ("chelsea OR arsenal -mourinho", "mourinho")])
def test_an_excluded_word_is_never_in_a_hit(bbc_index: Path, query: str, excluded: str) -> None:
    # Whoosh 2.7 kept the first match when the excluded word's first article came earlier.
    with Index.open(bbc_index) as index:
        found = {hit.id for hit in index.search(query, limit=None, passages=0)}
        having = {hit.id for hit in index.search(excluded, limit=None, passages=0)}
    assert found and not found & having


def test_a_query_of_exclusions_only_is_every_article_without_them(bbc_index: Path) -> None:
    # "-oil" was "no words to search for" where "NOT oil" found every other article.
    with Index.open(bbc_index) as index:
        def found(query: str) -> set[str]:
            return {hit.id for hit in index.search(query, limit=None, passages=0)}

        everything, oil, gas = found("*"), found("oil"), found("gas")
        assert found("-oil") == found("NOT oil") == everything - oil and oil
        assert found("-oil -gas") == found("NOT oil NOT gas") == everything - oil - gas
        assert found('-"crude oil"') == everything - found('"crude oil"') != everything
        assert found("-football category:sport") == found("category:sport NOT football") != found("category:sport")
        with pytest.raises(QueryError, match="no words"):
            index.search("-")


def test_dates_are_searched_by_day_and_keep_their_time(tmp_path: Path) -> None:
    corpus = tmp_path / "wire.jsonl"
    records = [{"id": "late", "title": "Late", "body": "Filed before midnight.", "date": "2016-11-30T23:59:30"},
               {"id": "early", "title": "Early", "body": "Filed after midnight.", "date": "2016-12-01T00:00:10"}]
    corpus.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    config = Config(index=tmp_path / "index")
    update_index(config, [corpus])
    with Index.open(config.index, config) as index:
        assert ids(index.search("date:2016-11-30")) == ["late"]
        assert ids(index.search("date:2016-12-01")) == ["early"]
        assert ids(index.search("date:2016-11")) == ["late"]
        assert sorted(ids(index.search("date:2016-11-30..2016-12-01"))) == ["early", "late"]
        assert ids(index.search("date:..2016-11-29")) == []
        assert index.get("late").date.isoformat().startswith("2016-11-30T23:59:30")


def test_term_at_a_time_scoring_finds_and_scores_what_whoosh_does(bbc_index: Path, bbc_docs: Path) -> None:
    # matching.scores and ranked replace Whoosh's collector; both score every match. (Not with a
    # fuzzy word: Whoosh drops the boost of an OR of one clause, so a lone near miss
    # would weigh as much as the word itself; test_fuzzy_word_ranks_the_word_itself_first.
    # Nor with NOT inside AND, to which Whoosh gives every match a score of 1 more.)
    from whoosh import collectors

    from searcher.search import matching

    titles = [json.loads(line)["title"] for line in bbc_docs.read_text(encoding="utf-8").splitlines()[::90]]
    queries = titles + ["Idlib refugees", '"mobile phone" -apple', "universit* OR colleg*", "Blunkett home",
                        "election -labour", "the who", "oil AND (prices OR markets) -opec", "category:sport goal",
                        "chelsea OR arsenal -mourinho", "title:film awards", "* AND election", "title:* film",
                        "caption:* OR goal", "oil -body:*", "oil -*"]
    with Index.open(bbc_index) as index:
        searcher = index._snapshot().searcher
        compared = 0
        for text in queries:
            prepared = index._snapshot().queries.prepare(text)
            for query in filter(None, (prepared.query, prepared.fallback)):
                from searcher.engine.tokens import stem
                from searcher.search.query import resolve_patterns

                query = resolve_patterns(query, searcher, stem, index.word_list.words())
                found = matching.scores(searcher, query, matching.Columns(searcher))
                ours, total = matching.ranked(found, None), len(found)
                collector = collectors.UnlimitedCollector()
                searcher.search_with_collector(query, collector)
                theirs = {hit.docnum: hit.score for hit in collector.results()}
                assert total == len(theirs) == len(ours), text
                for docnum, score in ours:
                    assert score == pytest.approx(theirs[docnum], rel=1e-9), text
                compared += total
    assert compared > 10_000


def test_term_at_a_time_scoring_skips_replaced_articles(bbc_docs: Path, tmp_path: Path) -> None:
    from whoosh import collectors

    from searcher.search import matching

    lines = bbc_docs.read_text(encoding="utf-8").splitlines()[:400]
    corpus = tmp_path / "bbc.jsonl"
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    config = Config(index=tmp_path / "ix")
    update_index(config, [corpus])
    for number in range(0, 400, 13):  # replaced articles stay in their segment, deleted
        record = json.loads(lines[number])
        record["body"] += " Updated: the government and the economy."
        lines[number] = json.dumps(record)
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    update_index(config, [corpus])
    with Index.open(config.index, config) as index:
        assert index.deleted_count > 0
        searcher = index._snapshot().searcher
        for text in ("government economy", "updated", "the", "film OR music -award"):
            query = index._snapshot().queries.prepare(text).query
            found = matching.scores(searcher, query, matching.Columns(searcher))
            ours, total = matching.ranked(found, None), len(found)
            collector = collectors.UnlimitedCollector()
            searcher.search_with_collector(query, collector)
            theirs = {hit.docnum: hit.score for hit in collector.results()}
            assert total == len(theirs) and {docnum for docnum, _ in ours} == set(theirs), text
            for docnum, score in ours:
                assert score == pytest.approx(theirs[docnum], rel=1e-9), text


# -- what the command line asks of the library --------------------------------------------


@pytest.mark.parametrize("shards", [1, 3])
def test_a_pinned_index_reads_one_commit_whatever_another_writer_commits(tmp_path: Path, shards: int) -> None:
    """Index.pinned: what searcher serve's pages rely on (several calls, one generation)."""
    with Index.create(tmp_path / "ix", shards=shards) as first:
        first.add([Article(id=f"a{n}", title="Horses", body="A horse.") for n in range(6)])
    with Index.open(tmp_path / "ix") as reader, Index.open(tmp_path / "ix") as writer:
        with reader.pinned():
            writer.add([Article(id=f"b{n}", title="Horses", body="Another horse.") for n in range(6)])
            assert reader.search("horse").total == 6 and len(reader.timeline(["horse"]).series) == 1
            assert reader.get("b1") is None
            with reader.pinned():  # (nested: the outer one holds)
                assert reader.search("horse").total == 6
            assert reader.search("horse").total == 6
        assert reader.search("horse").total == 12 and reader.get("b1") is not None


def test_open_or_build_builds_the_configured_index_when_it_must(tmp_path: Path) -> None:
    from searcher import IndexNotFoundError
    from searcher.engine.folder import MARKER

    corpus = tmp_path / "news.jsonl"
    corpus.write_text(json.dumps({"id": "a", "title": "Idlib refugees", "body": "Camps filled."}) + "\n")
    config = Config(index=tmp_path / "ix", corpus=(corpus,))
    builds: list[tuple[str, bool]] = []

    def build(reason: str, rebuild: bool) -> None:
        builds.append((reason, rebuild))
        update_index(config, rebuild=rebuild)

    with pytest.raises(IndexNotFoundError):
        Index.open_or_build(config, may_build=False)
    with Index.open_or_build(config, build=build) as index:
        assert [hit.id for hit in index.search("refugees")] == ["a"]
    with Index.open_or_build(config, build=build):
        pass  # (there: opened, not built again)
    marker = config.index / MARKER
    marker.write_text(json.dumps({"schema_version": 1}))  # as an older searcher left it
    with Index.open_or_build(config, build=build) as index:
        assert len(index) == 1
    assert builds == [("No index yet", False), ("The index was made by another version of searcher", True)]
    with Index.open_or_build(Config(index=tmp_path / "other", corpus=(corpus,))) as index:  # default build
        assert len(index) == 1


def test_what_a_search_that_found_nothing_says(tmp_path: Path) -> None:
    from searcher.search.filters import query_text

    with Index.create(tmp_path / "ix") as index:
        assert index.nothing_found("oil") == "The index holds no articles (run `searcher index CORPUS`)."
        index.add([Article(id="a", title="Oil prices", body="Crude rose.", categories=("crude",))])
        assert index.nothing_found("zebra") == "No article matches 'zebra'."
        said = index.nothing_found("oil", Filters.parse(category=["crud"]))
        assert said.startswith("No article matches 'oil' (category crud).\n  ") and "crude" in said
        # The same filter in the query says the same (it said nothing: a new user's trial).
        assert index.nothing_found("oil category:crud") == \
            "No article matches 'oil category:crud'.\n  no article has category 'crud' (closest: crude)"
        assert index.nothing_found("oil source:reuters") == \
            "No article matches 'oil source:reuters'.\n  no article in the index has a source"
        assert index.nothing_found("zebra category:crude") == "No article matches 'zebra category:crude'."
        # Said once when the query and the filters say it both; a blank query is no error (the review).
        assert index.nothing_found("oil category:crud", Filters.parse(category=["crud"])).count("closest") == 1
        assert "(closest: crude)" in index.nothing_found("  ", Filters.parse(category=["crud"]))
        assert query_text("", Filters.parse(category=["crude"])) == "*" and query_text(" oil ", None) == " oil "
        with pytest.raises(ValueError, match="missing query"):
            query_text("  ", None)
        index.add([Article(id="b", title="Oil later", body="Crude fell.", categories=("crude",),
                           date=dt.datetime(2020, 1, 2)),
                   Article(id="c", title="Oil earlier", body="Crude flat.", categories=("crude",),
                           date=dt.datetime(2010, 1, 2))])
        assert [hit.id for hit in index.search("*")] == ["b", "c", "a"]  # every article: newest first
