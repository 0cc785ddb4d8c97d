"""The query engine against its references, on real corpora.

- matching.py (postings read as arrays, scored in numpy) against the exhaustive scorer
  (tests/exhaustive.py, itself checked against Whoosh's collector in test_search.py):
  the same matches, the same scores bit for bit, the same top 10 and the same full
  order, over hundreds of queries of every kind, on BBC and Reuters, and on an index
  with deleted and replaced articles in several segments.
- "All words first" (matching.tiered) against its definition from the two references.
- Passages found from candidate words against analysing every word of the text.
- Phrases found from their words' positions in arrays, and in passages from candidate
  words, against Whoosh's phrase matcher and analysing every word.
- Plain words parsed without Whoosh's tagger against Whoosh's parser.
"""

from __future__ import annotations

import collections
import itertools
import json
import math
import random
import re
import string
from pathlib import Path

import pytest

from whoosh import query as wq

from searcher import Index, Passage, Span
from searcher.search import matching
from searcher.engine.postings import term_articles
from searcher.engine.tokens import TOKEN, normalize_word, stem
from searcher.config import Config
from searcher.indexing.update import update_index
from searcher.search.passages import Candidates, best_passages, candidates_of, find_matches, split_passages, whole_text
from searcher.search.query import _is_shouted, highlight_terms, normalized, resolve_patterns
from searcher.engine.schema import from_stored
from searcher.errors import QueryError

from . import exhaustive
from .conftest import require_data

SYNTAX = ["election -labour", "oil -prices", "film OR music -award", "chelsea OR arsenal -mourinho",
          "oil AND (prices OR markets) -opec", "(bank OR rates) AND NOT dollar", '"mobile phone" -apple',
          '"prime minister"', "title:film awards", "body:government economy", "title:* film", "caption:* OR goal",
          "* AND election", "oil -body:*", "universit* OR colleg*", "govern*", "Blare~ election", "film~2",
          "+oil +prices", "the who", "to be or not to be", "date:1987-03 coffee", "date:..1987-03-15 oil",
          "category:coffee brazil", "place:japan bank", "source:reuters", "id:17230", "bank NOT japan",
          "england rugby -france", "dollar yen mark -sterling -franc", "date:1987-03-01..1987-03-31",
          "oil -date:1987-03", "date:1987-04.. coffee", "date:1987 OR opec", "date:1987-03-02 AND title:oil"]


def query_texts(records: list[dict], seed: int, titles: int = 120, short: int = 60, sentences: int = 60) -> list[str]:
    """Titles (as written and in lower case), one- to four-word queries, long sentences
    from the articles' text, and queries with syntax of every kind."""
    rng = random.Random(seed)
    with_titles = [r for r in records if len((r.get("title") or "").split()) >= 2]
    chosen = rng.sample(with_titles, titles)
    texts = [r["title"] if n % 2 else r["title"].lower() for n, r in enumerate(chosen)]
    words = sorted({w.strip(".,:;'\"()").lower() for r in chosen for w in r["title"].split()
                    if w.strip(".,:;'\"()").isalpha()})
    texts += [" ".join(rng.sample(words, 1 + n % 4)) for n in range(short)]
    bodies = [r["body"].split() for r in rng.sample(records, sentences) if len(r["body"].split()) > 30]
    texts += [" ".join(body[at:at + rng.randint(8, 20)]) for body in bodies for at in [rng.randrange(len(body) - 25)]]
    texts = [re.sub(r"\b(\w+):", r"\1", text) for text in texts]  # (a colon after a word would make a field)
    return texts + SYNTAX


def forms(index: Index, text: str) -> list[object]:
    """Every Whoosh query a search of `text` may run: as written, its any-word fallback,
    its all-words form (a ranked query), wildcards and fuzzy words resolved."""
    prepared = index._snapshot().queries.prepare(text)
    searcher = index._snapshot().searcher
    return [resolve_patterns(query, searcher, stem, index.word_list.words())
            for query in (prepared.query, prepared.fallback, prepared.every) if query is not None]


def check_against_the_exhaustive_scorer(index: Index, texts: list[str]) -> tuple[int, int]:
    """Compares matching.py with the exhaustive scorer on every form of every query, and
    tiered ranking with its definition; returns (queries run, matches compared)."""
    searcher = index._snapshot().searcher
    columns = matching.Columns(searcher)
    runs = compared = 0
    for text in texts:
        prepared = index._snapshot().queries.prepare(text)
        queries = forms(index, text)
        references = []
        for query in queries:
            ours = matching.scores(searcher, query, columns)
            reference = exhaustive.scores(searcher, query, exhaustive.Lengths())
            assert dict(ours.items()) == reference, text  # the same matches, the same scores, bit for bit
            assert list(ours.docnums) == sorted(reference), text
            assert matching.ranked(ours, 10) == exhaustive.ranked(reference, 10), text
            assert matching.ranked(ours, None) == exhaustive.ranked(reference, None), text
            references.append(reference)
            runs += 1
            compared += len(reference)
        if prepared.fallback is not None:  # all words first: strict's matches by its scores, then loose's
            strict, loose = references[0], references[1]
            expected = sorted(((docnum, strict.get(docnum, score)) for docnum, score in {**loose, **strict}.items()),
                              key=lambda item: (item[0] not in strict, -item[1], item[0]))
            tiered = matching.tiered(searcher, queries[0], queries[1], columns)
            assert matching.ranked(tiered, None) == expected, text
            assert matching.ranked(tiered, 10) == expected[:10], text
            assert tiered.count_every() == len(strict), text
        if prepared.every is not None:  # a ranked query: its scores, each hit marked
            ranked_query, every = references[0], references[1]
            marked = matching.tiered(searcher, queries[1], queries[0], columns, every_first=False)
            assert matching.ranked(marked, None) == exhaustive.ranked(ranked_query, None), text
            assert {d for d in marked if marked.holds_every(d)} == set(every) & set(ranked_query), text
    return runs, compared


def test_columnar_scoring_is_the_exhaustive_scorer_on_bbc(bbc_index: Path, bbc_docs: Path) -> None:
    records = [json.loads(line) for line in bbc_docs.read_text(encoding="utf-8").splitlines()]
    with Index.open(bbc_index) as index:
        assert len(list(index._snapshot().searcher.reader().leaf_readers())) > 1  # (several segments)
        runs, compared = check_against_the_exhaustive_scorer(index, query_texts(records, seed=16))
    assert runs > 300 and compared > 200_000


def test_columnar_scoring_is_the_exhaustive_scorer_on_reuters(reuters, reuters_records) -> None:  # type: ignore[no-untyped-def]
    records = [r for r in reuters_records if r["body"]]
    runs, compared = check_against_the_exhaustive_scorer(reuters, query_texts(records, seed=17))
    assert runs > 300 and compared > 1_000_000


#: Phrases of common words, a word repeated, and phrases with other syntax.
PHRASES = ['"of the"', '"said the"', '"the the"', '"it is the"', '"in the of"', '"prime minister"', '"new york"',
           '"the government"', 'title:"the new"', '"oil prices" OR "interest rates"', '"of the" -"in the"',
           '"the bank" rates', '"u.s. government"', '"1.5 billion"', '"the company\'s"', '"mr blair"^2 election']


def phrase_texts(records: list[dict], seed: int, count: int = 100) -> list[str]:
    """Phrases as people quote them: two to four words in a row from the articles' text
    (punctuation and all), each alone, with another word, or in a field."""
    rng = random.Random(seed)
    texts = []
    for record in rng.sample([r for r in records if len(r["body"].split()) > 10], count):
        words = record["body"].split()
        at = rng.randrange(len(words) - 5)
        phrase = " ".join(words[at:at + 2 + at % 3]).replace('"', "").strip(".,:;!?()[]'")
        kind = at % 4
        texts.append(f'"{phrase}"' if kind < 2 else f'"{phrase}" {words[at + 5].strip(".,:;()")}' if kind == 2
                     else f'body:"{phrase}"')
    return [re.sub(r"\b(\w+):(?!\")", r"\1", text) for text in texts] + PHRASES


def test_phrases_in_arrays_are_whoosh_phrase_matcher_and_their_passages_the_same(
        bbc_index: Path, bbc_docs: Path, reuters, reuters_records) -> None:  # type: ignore[no-untyped-def]
    # matching.py finds a phrase from its words' positions (its own code, not Whoosh's
    # SpanNear2 matcher, which the exhaustive scorer runs), and passages find it from
    # candidate words: both against their references, on BBC and Reuters.
    bbc = [json.loads(line) for line in bbc_docs.read_text(encoding="utf-8").splitlines()]
    with Index.open(bbc_index) as index:
        runs, compared = check_against_the_exhaustive_scorer(index, phrase_texts(bbc, seed=21))
        assert runs > 100 and compared > 5000
        assert check_passages(index, phrase_texts(bbc, seed=22), 10) > 300
    records = [r for r in reuters_records if r["body"]]
    runs, compared = check_against_the_exhaustive_scorer(reuters, phrase_texts(records, seed=23))
    assert runs > 100 and compared > 20_000
    assert check_passages(reuters, phrase_texts(records, seed=24), 10) > 300


def test_phrases_and_days_take_their_array_paths_and_kwic_finds_what_analysis_finds(
        reuters, reuters_records, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # The comparisons above would pass as well if a phrase or a date range fell back to
    # Whoosh's own matchers (the reference): here those are refused.
    from searcher.news.concordance import occurrences

    texts = ['"new york"', 'title:"oil prices" -"crude oil"', '"the the"^2 oil', "date:1987-03 oil",
             "since:1987-04 coffee", "oil -date:1987-03", "(date:1987-03 OR opec)^2", '"interest rates" date:1987']
    searcher = reuters._snapshot().searcher
    columns = matching.Columns(searcher)
    with monkeypatch.context() as patched:
        patched.setattr(matching._Evaluation, "_per_segment", lambda self, query, run: pytest.fail(repr(query)))
        for text in texts:
            for query in forms(reuters, text):
                assert len(matching.scores(searcher, query, columns)) > 0, text
    # kwic's occurrences from candidate words are those of analysing every word.
    records = [r for r in reuters_records if r["body"]]
    compared = 0
    for text in phrase_texts(records, seed=26, count=40) + texts[:3]:
        snapshot = reuters._snapshot()
        found = snapshot.find(text, None)
        wanted = snapshot.wanted(found)
        candidates = candidates_of(wanted)
        for docnum, _ in snapshot.order(found, "relevance", 10):
            article = snapshot.article(docnum)
            assert list(occurrences(article, 1, wanted, snapshot.analyze, 30, candidates)) == \
                list(occurrences(article, 1, wanted, snapshot.analyze, 30)), (text, article.id)
            compared += 1
    assert compared > 200


def test_columnar_scoring_skips_deleted_and_replaced_articles(bbc_docs: Path, tmp_path: Path) -> None:
    lines = bbc_docs.read_text(encoding="utf-8").splitlines()[:1500]
    # (Two of three dated, some in a time zone: what a date range finds.)
    lines = [json.dumps({**json.loads(line), "date": f"2005-{1 + n % 12:02d}-{1 + n % 28:02d}T{n % 24:02d}:30:00"
                         + ("+05:00" if n % 5 == 0 else "")}) if n % 3 else line for n, line in enumerate(lines)]
    corpus = tmp_path / "bbc.jsonl"
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    config = Config(index=tmp_path / "ix", workers=2)
    update_index(config, [corpus])
    edited = []
    for number, line in enumerate(lines):  # every 7th replaced, every 11th gone, 200 new
        record = json.loads(line)
        if number % 11 == 0:
            continue
        if number % 7 == 0:
            record["body"] += " Updated: the government and the economy, said the minister."
        edited.append(json.dumps(record))
    edited += [json.dumps({**json.loads(line), "id": f"new-{n}"}) for n, line in enumerate(lines[:200])]
    corpus.write_text("\n".join(edited) + "\n", encoding="utf-8")
    update_index(config, [corpus])
    records = [json.loads(line) for line in edited]
    with Index.open(config.index, config) as index:
        assert index.deleted_count > 100 and len(list(index._snapshot().searcher.reader().leaf_readers())) > 1
        # An update finds the articles an id replaces from the blocks, as Whoosh's matcher does.
        reader = index._snapshot().searcher.reader()
        replaced = 0
        for article_id in [term.decode("utf-8") for term in reader.lexicon("id")] + ["no-such-id", ""]:
            whoosh = list(reader.postings("id", article_id).all_ids()) if ("id", article_id) in reader else []
            found = term_articles(reader, "id", article_id)
            assert [number for number in found if not reader.is_deleted(number)] == whoosh, article_id
            replaced += len(found) == 2 and reader.is_deleted(found[0]) and not reader.is_deleted(found[1])
        assert replaced == len([n for n in range(len(lines)) if n % 7 == 0 and n % 11])  # (the old copies too)
        runs, _ = check_against_the_exhaustive_scorer(index, query_texts(records, seed=18, titles=40, short=30,
                                                                          sentences=20)
                                                 + ["updated government", '"the government and the economy"',
                                                    "date:2005-03 government", "economy -date:2005-06..2005-09",
                                                    "date:..2005-02-14 OR minister"]
                                                 + phrase_texts(records, seed=19, count=30))
    assert runs > 100


# -- passages from candidates ---------------------------------------------------------------


def check_passages(index: Index, texts: list[str], limit: int | None) -> int:
    """Every hit's passages and title from candidate words are those of analysing every
    word; returns the number of hits compared."""
    compared = 0
    for text in texts:
        snapshot = index._snapshot()
        found = snapshot.find(text, None)
        searcher = found.searcher
        wanted = highlight_terms(found.loose or found.query)
        candidates = candidates_of(wanted)
        for docnum, _ in snapshot.order(found, "relevance", limit):
            article = from_stored(searcher.stored_fields(docnum))
            fields = [("caption", article.caption), ("body", article.body)]
            # (every passage that holds a match, best first; or the lead when none does)
            assert best_passages(fields, wanted, {}, index._snapshot().analyze, 10_000, 300, candidates) == \
                best_passages(fields, wanted, {}, index._snapshot().analyze, 10_000, 300), (text, article.id)
            # the best few are those of scoring every passage (best_passages scores and
            # splits no more than it needs)
            weights = {term: 0.5 + len(term) / 3 for entry in wanted.values() for term in entry.terms}
            for count in (1, 2, 3):
                assert best_passages(fields, wanted, weights, index._snapshot().analyze, count, 300, candidates) == \
                    passages_as_defined(fields, wanted, weights, index._snapshot().analyze, count), (text, article.id)
            assert whole_text(article.title, wanted.get("title"), index._snapshot().analyze,
                              candidates=candidates.get("title")) == \
                whole_text(article.title, wanted.get("title"), index._snapshot().analyze), (text, article.id)
            compared += 1
    return compared


def passages_as_defined(fields: list[tuple[str, str]], wanted: dict, weights: dict, analyze, count: int) -> list:  # type: ignore[no-untyped-def,type-arg]
    """best_passages as its docstring defines them: every passage of every field scored
    (distinct terms, then their weight), the best `count`, or the body's first alone."""
    scored, lead, index = [], None, 0
    for fieldname, text in fields:
        spans = find_matches(text, wanted.get(fieldname), analyze) if text else []
        for start, end in (split_passages(text, 300) if text else []):
            inside = [span for span in spans if start <= span.start and span.end <= end]
            if inside:
                counts = collections.Counter(span.term for span in inside)
                weight = sum(weights.get(term, 1.0) * (1.0 + math.log(n)) for term, n in counts.items())
                scored.append((-(len(counts) + weight / (weight + 1.0)), index, fieldname, text, start, end, inside))
            elif lead is None and fieldname == "body":
                lead = Passage(" ".join(text[start:end].split()), (), 0.0, index, "body")
            index += 1
    best = []
    for score, index, fieldname, text, start, end, inside in sorted(scored, key=lambda item: item[:2])[:count]:
        piece = text[start:end]

        def moved(offset: int) -> int:
            before = piece[:offset]
            position = len(" ".join(before.split()))
            return position + 1 if position and before[-1].isspace() else position

        shown = tuple(Span(moved(span.start - start), moved(span.end - start), span.term) for span in inside)
        best.append(Passage(" ".join(piece.split()), shown, -score, index, fieldname))
    return best or ([lead] if lead else [])


def test_passages_from_candidates_on_time_bbc_and_reuters(time_index: Path, bbc_index: Path, bbc_docs: Path,
                                                          reuters, reuters_records) -> None:  # type: ignore[no-untyped-def]
    # Every hit of the TIME evaluation queries (all their matches), and the top 10 of the
    # benchmark's queries on BBC and Reuters (scripts/bench_query.py's query set).
    queries = [line.split("\t", 1)[1] for line in
               require_data("time", "queries.tsv").read_text(encoding="utf-8").splitlines() if "\t" in line]
    with Index.open(time_index) as index:
        assert check_passages(index, queries, None) > 15_000
    bbc = [json.loads(line) for line in bbc_docs.read_text(encoding="utf-8").splitlines()]
    with Index.open(bbc_index) as index:
        assert check_passages(index, bench_queries(bbc, 2026), 10) > 2000
    assert check_passages(reuters, bench_queries(reuters_records, 2026), 10) > 2000
    # Words written other ways than their term: accents, acronyms, numbers, apostrophes.
    text = ("Idlíb’s refugees: the U.S. and the N.A.T.O. sent 1,300.5 tonnes; O’Brien and O'Neill's "
            "happiness, possibility, hoping; Ægir ÉTATS-UNIS straße.")
    terms = {stem(normalize_word(token)) for token in TOKEN.findall(text)} - {""}
    finder = Candidates(terms)
    from searcher.engine.tokens import TEXT_TERMS
    from searcher.search.query import Wanted
    assert finder.spans(text, terms, TEXT_TERMS.tokens) == find_matches(text, Wanted(terms), TEXT_TERMS.tokens)


def bench_queries(records: list[dict], seed: int) -> list[str]:
    """The queries of scripts/bench_query.py (benchlib.query_set) for these records."""
    rng = random.Random(seed)
    titles = [r["title"] for r in records if len((r.get("title") or "").split()) >= 2]
    chosen = rng.sample(titles, 200)
    words = sorted({w.strip(".,:;'\"()").lower() for t in titles for w in t.split() if len(w) > 3 and w.isalpha()})
    return [t.lower() for t in chosen] + [" ".join(rng.sample(words, 1 + i % 2)) for i in range(50)]


def test_a_word_starts_with_its_stem(time_docs: Path, bbc_docs: Path) -> None:
    # What Candidates relies on: Porter's stem starts its word, but for a last i, e or l
    # that its last steps made ("happi" of "happy", "hope" of "hoping", "possibl" of
    # "possibility"), and its first letter is the word's. On every word of TIME, BBC and
    # Reuters.
    words: set[str] = set()
    for path in (time_docs, bbc_docs, require_data("reuters21578", "reuters21578.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            for value in json.loads(line).values():
                if isinstance(value, str):
                    words.update(normalize_word(token) for token in TOKEN.findall(value))
    words.discard("")
    assert len(words) > 110_000
    for word in words:
        term = stem(word)
        assert word.startswith(term[:-1] if term[-1:] in ("i", "e", "l") else term), (word, term)
        assert word[:1] == term[:1], (word, term)
    # And no word of two letters or more has a single consonant for a stem (Porter keeps a
    # vowel): Candidates finds a consonant term ("t" of "t-mobile") as a word alone.
    assert not [word for size in (2, 3, 4) for word in map("".join, itertools.product(string.ascii_lowercase, repeat=size))
                if len(stem(word)) == 1 and stem(word) not in "aeiouy"]


# -- plain words without Whoosh's tagger ------------------------------------------------------


def test_plain_words_parse_as_whoosh_parses_them(bbc_index: Path, bbc_docs: Path, reuters_records) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(19)
    bbc = [json.loads(line) for line in bbc_docs.read_text(encoding="utf-8").splitlines()]
    titles = [r["title"] for r in rng.sample(bbc, 1000)] + [r["title"] for r in rng.sample(reuters_records, 2000)]
    bodies = " ".join(r["body"] for r in bbc[:300]).split()
    texts = titles + [t.lower() for t in titles[:1000]] + [" ".join(rng.sample(bodies, rng.randint(1, 9)))
                                                          for _ in range(2000)]
    texts += ["AND oil", "oil AND", "NOT oil", "oil OR", "U.S. 1,300 O'Brien pro-government £5bn", "ÉTATS-UNIS",
              "to-be or not", "re-re election", "blu-ray dvd format", "'no re-draft' for eu patent law",
              "taxes must be trusted - kennedy", "oil -", "+ oil", "- oil", "oil - -gas", "oil \u200b-gas",
              "oil ANDNOT gas"]
    plain = kept = 0
    with Index.open(bbc_index) as index:
        builder = index._snapshot().queries
        for text in texts:
            shouted = _is_shouted(text)
            if shouted:
                text = text.replace("(", " ").replace(")", " ")
            # Whoosh's AndNot (which kept an excluded word's first article) never reaches a search
            try:
                prepared = builder.prepare(text)
            except QueryError:  # (no words: "--")
                prepared = None
            assert prepared is None or not [
                node for query in (prepared.query, prepared.fallback, prepared.every) if query is not None
                for node in _nodes(query) if type(node) is wq.AndNot], text
            whoosh = builder.parser(shouted).parse(text, normalize=False)
            # normalized() skips Whoosh's normalize only where it would change nothing
            assert repr(normalized(whoosh)) == repr(whoosh.normalize()), text
            kept += normalized(whoosh) is whoosh
            fast = builder._parse_plain(text, shouted)
            if fast is None:
                continue
            # (repr: Whoosh's == on an empty OR is falsy)
            assert repr(fast) == repr(whoosh) and fast.normalize() == whoosh.normalize(), text
            assert _stop_word_marks(fast) == _stop_word_marks(whoosh), text
            assert _stop_word_marks(normalized(fast)) == _stop_word_marks(whoosh.normalize()), text
            plain += 1
    assert plain > 5000 and kept > 3000


def _nodes(query):  # type: ignore[no-untyped-def]
    yield query
    for child in query.children():
        yield from _nodes(child)


def _stop_word_marks(query) -> list[bool]:  # type: ignore[no-untyped-def]
    """Each node's stop word mark (query._Parser.term_query), in the order of a walk."""
    return [getattr(query, "stop_word", False), *(mark for child in query.children() for mark in _stop_word_marks(child))]


def test_merged_segments_hold_the_postings_of_one_build(bbc_docs: Path, tmp_path: Path) -> None:
    # Whoosh merges small segments through our writer: their postings come as Whoosh
    # encodes them, the new articles' as positions (postings.PackedPositions); one
    # block may hold both. Twelve adds (merged on the eleventh) against one.
    from searcher import Article

    records = [json.loads(line) for line in bbc_docs.read_text(encoding="utf-8").splitlines()[:600]]
    articles = [Article(id=r["id"], title=r["title"], body=r["body"]) for r in records]
    with Index.create(tmp_path / "added") as added, Index.create(tmp_path / "once") as once:
        for start in range(0, 600, 50):
            added.add(articles[start:start + 50])
        once.add(articles)
        postings = []
        for index in (added, once):
            reader = index._snapshot().searcher.reader()
            assert len(list(reader.leaf_readers())) < 12 or index is once  # (some were merged)
            ids = {docnum: stored["id"] for docnum, stored in reader.iter_docs()}  # (merges renumber articles)
            postings.append({(field, text): sorted((ids[m.id()], m.weight(), m.value())
                                                   for m in _each(reader.postings(field, text)))
                             for field, text in reader.all_terms() if field in ("title", "body")})
    assert len(postings[0]) > 10_000 and postings[0] == postings[1]
    # A phrase is read from both kinds of positions alike (matching._positions).
    with Index.open(tmp_path / "added") as added:
        runs, compared = check_against_the_exhaustive_scorer(added, phrase_texts(records, seed=25, count=40))
    assert runs > 40 and compared > 500


def _each(matcher):  # type: ignore[no-untyped-def]
    while matcher.is_active():
        yield matcher
        matcher.next()
