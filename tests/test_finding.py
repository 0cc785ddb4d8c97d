"""Finding what the user meant: name variants, did-you-mean, --explain and similar articles."""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from searcher import Article, Index
from searcher.cli.commands import cli
from searcher.config import Config, load_config
from searcher.errors import ConfigError
from searcher.search.name_variants import GROUPS

STORIES = [
    Article(id="g", title="Gaddafi speaks in Tripoli", body="Muammar Gaddafi addressed supporters in Tripoli."),
    Article(id="q", title="Qaddafi meets envoys", body="Colonel Qaddafi met two envoys on Monday."),
    Article(id="k", title="Kadhafi and the oil fields", body="Kadhafi spoke of the oil fields of the east."),
    Article(id="i", title="Idlib braces for an offensive", body="Refugees in Idlib province fear the offensive."),
    Article(id="o", title="Oil prices fall", body="Oil prices fell on Monday in Tripoli trading."),
]


@pytest.fixture
def names(tmp_path: Path):  # type: ignore[no-untyped-def]
    with Index.create(tmp_path / "index") as index:
        index.add(STORIES)
    return tmp_path / "index"


def ids(results) -> set[str]:  # type: ignore[no-untyped-def]
    return {hit.id for hit in results}


# -- name variants ----------------------------------------------------------------------


def test_any_spelling_finds_every_spelling(names: Path) -> None:
    with Index.open(names) as index:
        for spelling in ("Gaddafi", "Qaddafi", "kadhafi", "Gadhafi", "QADHAFI"):
            assert ids(index.search(spelling)) == {"g", "q", "k"}, spelling
        assert ids(index.search('"Idleb province"')) == {"i"}  # a phrase with a variant
        assert ids(index.search("Tripoli -Qaddafi")) == {"o"}  # excluding a name excludes every spelling
        assert ids(index.search("title:Idleb")) == {"i"}


def test_an_article_ranks_as_if_the_query_had_its_spelling(names: Path) -> None:
    with Index.open(names, Config(default_synonyms=False)) as plain, Index.open(names) as index:
        as_written = {hit.id: hit.score for hit in plain.search("Kadhafi")}
        through_variant = {hit.id: hit.score for hit in index.search("Qaddafi")}
        assert through_variant["k"] == pytest.approx(as_written["k"], rel=1e-9)
        assert ids(plain.search("Qaddafi")) == {"q"}  # switched off: only what is typed


def test_the_configuration_extends_or_switches_off_the_list_without_reindexing(names: Path, tmp_path: Path) -> None:
    (tmp_path / "extra.yaml").write_text("groups:\n  - [Tripoli, Tarabulus]\n", encoding="utf-8")
    config_path = tmp_path / "searcher.yaml"
    config_path.write_text("synonyms:\n  file: extra.yaml\n  groups:\n    - [envoys, emissaries]\n", encoding="utf-8")
    with Index.open(names, load_config(config_path)) as index:
        assert ids(index.search("Tarabulus")) == {"g", "o"}
        assert ids(index.search("emissaries")) == {"q"}
        assert ids(index.search("Qaddafi")) == {"g", "q", "k"}  # the default list stays
    config_path.write_text("synonyms: false\n", encoding="utf-8")
    with Index.open(names, load_config(config_path)) as index:
        assert ids(index.search("Qaddafi")) == {"q"} and not index.search("Tarabulus")
    config_path.write_text("synonyms:\n  groups:\n    - [lonely]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"searcher.yaml:2: synonyms.groups: expected a list of groups"):
        load_config(config_path)
    config_path.write_text("synonyms: missing.yaml\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"searcher.yaml:1: synonyms.file: synonym file .*missing.yaml not found"):
        load_config(config_path)


def test_the_default_list(bbc_index: Path) -> None:
    from searcher.engine.tokens import fold, stem

    assert len(GROUPS) >= 60
    spellings = Counter(spelling.casefold() for group in GROUPS for spelling in group)
    assert [s for s, n in spellings.items() if n > 1] == []  # each spelling names one group
    assert all(len(group) >= 2 for group in GROUPS)
    # No spelling stems into a common word of the news ("Waleed" into "wale", of Wales).
    with Index.open(bbc_index) as index:
        searcher = index._snapshot().searcher
        common = [(word, stem(fold(word.lower()))) for group in GROUPS for spelling in group
                  for word in spelling.replace("-", " ").split()
                  if stem(fold(word.lower())) != fold(word.lower())
                  and searcher.doc_frequency("body", stem(fold(word.lower()))) > 30]
        assert common == []
        assert not index.search("Wales rugby", explain=True).variants  # (no name of the list in it)


def test_a_configured_group_joins_the_default_one(names: Path, tmp_path: Path) -> None:
    config_path = tmp_path / "searcher.yaml"
    config_path.write_text("synonyms:\n  groups:\n    - [Gaddafi, Gadaffi]\n", encoding="utf-8")
    with Index.open(names, load_config(config_path)) as index:
        assert ids(index.search("Gadaffi")) == {"g", "q", "k"}


# -- did you mean -----------------------------------------------------------------------


def test_did_you_mean(names: Path) -> None:
    with Index.open(names) as index:
        results = index.search("Idleb refugeees")
        assert results.suggestion == "Idleb refugees"
        corrected = index.search("Idleb refugeees", auto_correct=True)
        assert corrected.corrected_from == "Idleb refugeees" and ids(corrected) == {"i"}
        assert corrected.matched == "tiered" and corrected.every_word == len(corrected)
        assert index.search("Moskow").suggestion is None  # nothing near enough in this index
        assert index.search("Idlib refugees").suggestion is None  # every word is in the index
        assert index.search("ofensive").suggestion == "offensive"
        assert index.search("Qadaffi speeches").suggestion == "Qaddafi speeches"  # (nothing near "speeches")


def test_did_you_mean_leaves_a_fields_phrase_alone(tmp_path: Path) -> None:
    """A new user's trial: in author:"Tilman Weber", "Tilman", a word of the author field
    only, was 'corrected' to a word of the text ("Tilgen"), and --auto-correct said the
    query had words no article has."""
    with Index.create(tmp_path / "ix") as index:
        index.add([Article(id="a", title="Glyphosate ruling", body="The court ruled on glyphosate. Tilgen said so.",
                           authors=("Tilman Weber",)),
                   Article(id="b", title="Offshore wind", body="A new offshore wind farm.", authors=("Tilman Weber",))])
        for query in ('author:"Tilman Weber" glyphosate', "author:(Tilman Weber) glyphosate"):
            assert ids(index.search(query)) == {"a"}
        # Nothing found ("budget" is in no article): the suggestion leaves the author alone,
        # and --auto-correct searches the query as it is (it was 'author:"Tilgen Weber" budget').
        for query in ('author:"Tilman Weber" budget', "author:((Tilman OR Tillman) Weber) budget"):
            assert index.search(query).suggestion is None, query
            assert index.search(query, auto_correct=True).corrected_from is None, query
        assert index.search('author:"Tilman Weber" glyphosatte').suggestion == 'author:"Tilman Weber" glyphosate'
        # A colon inside a phrase with no field is no field ('"england:" infaltion' went uncorrected).
        assert index.search('"ruled:" glyphosatte').suggestion == '"ruled:" glyphosate'


def test_did_you_mean_on_reuters(reuters, reuters_records) -> None:  # type: ignore[no-untyped-def]
    typos = {
        "Brazl coffee exprots": "Brazil coffee exports", "opec meeting in Viena": "opec meeting in Vienna",
        "cofee": "coffee", "oil pirces": "oil prices", "exchnage": "exchange", "OPEC meetign": "OPEC meeting",
        "beleive": "believe", "cnsumer": "consumer", "contry tarde": "country trade", "earthquack": "earthquake",
        "tradde deficit": "trade deficit", "univercity": "university",
    }
    for typed, meant in typos.items():
        assert reuters.search(typed).suggestion == meant, typed
    assert reuters.search("coffee prices opec").suggestion is None  # words the index has are never changed
    typo = next(word for r in reuters_records for word in r["body"].split() if word == "goverment")
    assert reuters.search(f"{typo} budget").suggestion is None  # (a typo of the corpus is a word of it)
    # A long query (ranked over any of its words) gets a suggestion too.
    assert reuters.search("central bank intervention in the curency markets to support the dollr").suggestion \
        == "central bank intervention in the currency markets to support the dollar"


def test_the_words_did_you_mean_knows_are_the_terms_whoosh_finds(bbc_index: Path) -> None:
    """The speller looks terms up in each segment's table in place (postings.has_term):
    it knows exactly the terms Whoosh's reader has, in an index of two segments."""
    from searcher.engine.postings import has_term

    with Index.open(bbc_index) as index:
        speller = index._snapshot().speller
        reader = speller._reader
        assert len(reader.readers) == 2 and speller._tables is not None
        for fieldname in ("title", "body"):
            present = [term.decode("utf-8") for term in reader.lexicon(fieldname)]
            absent = [term + "qz" for term in present[::7]] + ["", "zzzzqq", "é"]
            for term in present[::3] + absent:
                found = any(has_term(table, fieldname, term.encode("utf-8")) for table in speller._tables)
                assert found is ((fieldname, term) in reader), (fieldname, term)
            assert not has_term(speller._tables[0], "no-such-field", b"oil")
        # Words of both kinds, as the speller checks them, against Whoosh's own lookups.
        words = [word for title in ("Blair election", "Idleb offensive refugeees", "Mobile phone sales boom")
                 for word in title.split()] + ["goverment", "Gadaffi", "qqqqzzz"]
        known = [speller.is_known(word) for word in words]
        tables, speller._tables = speller._tables, None  # (None: asked Whoosh's way)
        try:
            assert known == [speller.is_known(word) for word in words]
        finally:
            speller._tables = tables
        assert known[words.index("qqqqzzz")] is False and known[words.index("Blair")] is True
        assert known[words.index("refugeees")] is False


def test_fuzzy_words_find_the_terms_whoosh_finds(bbc_index: Path) -> None:
    """query.TermsNear passes over most terms without working out their distance: it
    must find exactly what Whoosh's reader.terms_within finds, in every field a fuzzy
    word is searched in, for words of the index, typos, short words and no word at all."""
    from whoosh import query as wq

    from searcher.search.query import TermsNear, resolve_patterns

    with Index.open(bbc_index) as index:
        reader = index._snapshot().searcher.reader()
        near = TermsNear(index._snapshot().searcher)
        body = sorted(term.decode("utf-8") for term in reader.lexicon("body"))
        words = body[::97] + [word[:-1] + "x" for word in body[5::211]] + [
            "blair", "goverment", "elekshun", "a", "ok", "qqqqzzzz", "é", "blaire", "x" * 30]
        assert len(words) > 150
        checked = 0
        for fieldname in ("title", "caption", "body", "dateline", "no-such-field"):
            for number, word in enumerate(words):
                # (Whoosh's own takes 0.1 s a field for a word with no prefix: a few of those)
                for edits, prefix in ((1, 1), (2, 1), *(((1, 0), (2, 0)) if number % 12 == 0 else ())):
                    expected = set(reader.terms_within(fieldname, word, edits, prefix=prefix)) \
                        if fieldname in reader.schema else set()
                    assert set(near.within(fieldname, word, edits, prefix)) == expected, (fieldname, word, edits)
                    checked += bool(expected)
        assert checked > 300  # (most words have near terms)
        # And the query a fuzzy word becomes is the same either way (the parser's fuzzy
        # words keep their first letter: FuzzyTerm's prefix of 1).
        query = wq.Or([wq.FuzzyTerm("body", "goverment", maxdist=2), wq.FuzzyTerm("title", "elekshun", maxdist=2),
                       wq.FuzzyTerm("title", "blaire", maxdist=1)])
        expected = {text for leaf in query.leaves() for text in reader.terms_within(
            leaf.fieldname, leaf.text, leaf.maxdist, prefix=leaf.prefixlength)}
        resolved = resolve_patterns(query, index._snapshot().searcher, lambda word: word, [])
        assert {leaf.text for leaf in resolved.leaves()} == expected and {"government", "blair"} <= expected


# -- explain ----------------------------------------------------------------------------


def test_explain_splits_each_score_by_term(bbc_index: Path) -> None:
    with Index.open(bbc_index) as index:
        # (A hyphenated word is its parts ANDed in each field: "pro-government troops" listed
        # body:pro and body:govern where the body has one of them, cancelled by a negative "other";
        # and a term in two places, "government" alone too, scores in each.)
        for query in ("England rugby", '"mobile phone" -apple', "Blair election", "Qaddafi OR Libya",
                      "film film award", "Blare~ election", "category:sport goal", "pro-government troops",
                      "blu-ray dvd format", "us-led coalition", "pro-government government"):
            results = index.search(query, explain=True)
            assert results
            for hit in results:
                assert hit.contributions
                assert sum(part.score for part in hit.contributions) == pytest.approx(hit.score, rel=1e-6), query
    runner = CliRunner()
    result = runner.invoke(cli, ["Idleb offensive", "--explain", "--index", str(bbc_index)])
    assert result.exit_code in (0, 1) and "Traceback" not in result.output
    assert "Name variants: idleb -> idlib" in result.stdout and "Searched (" in result.stdout
    # Common words are optional, and the heading says so (a new user's trial: "every word required").
    result = runner.invoke(cli, ["is it true?", "--explain", "--index", str(bbc_index), "-n", "1"])
    assert result.exit_code == 0 and "ANDMAYBE" in result.stdout
    assert "Searched (every word required but the common ones, which rank an article higher)" in result.stdout


def test_explain_says_a_pattern_matched_no_word(bbc_index: Path) -> None:
    # A fuzzy word or wildcard that matches no word of a field is left out of that
    # field's OR; one that matches none at all is said in words, not as "<_NullQuery>".
    with Index.open(bbc_index) as index:
        fuzzy = index.search("blaire~", explain=True)
        assert "_NullQuery" not in fuzzy.query and "body:flair" in fuzzy.query
        assert [hit.id for hit in fuzzy] == [hit.id for hit in index.search("blaire~")]
    result = CliRunner().invoke(cli, ["Qzqzqz~ Blair", "--explain", "--index", str(bbc_index)])
    assert "_NullQuery" not in result.stdout and "(<no word> AND (title:blair" in result.stdout
    assert "<no word>: a wildcard or fuzzy word that matches no word of the index" in result.stdout


def test_explain_on_the_command_line(names: Path) -> None:
    result = CliRunner().invoke(cli, ["Idleb refugeees", "--explain", "--auto-correct", "--index", str(names)])
    assert result.exit_code == 0
    assert "Showing results for 'Idleb refugees'" in result.stderr
    out = result.stdout
    assert "Corrected: 'Idleb refugeees' -> 'Idleb refugees'" in out and "Name variants: idleb -> idlib" in out
    assert "= " in out and "body:refuge" in out
    plain = CliRunner().invoke(cli, ["Idleb refugeees", "--index", str(names)])
    assert "Did you mean: Idleb refugees?" in plain.stderr


# -- similar articles -------------------------------------------------------------------


def test_similar_articles_share_the_category_on_bbc(bbc_index: Path, bbc_docs: Path) -> None:
    category = {json.loads(line)["id"]: json.loads(line)["category"]
                for line in bbc_docs.read_text(encoding="utf-8").splitlines()}
    chosen = random.Random(2026).sample(sorted(category), 200)
    shares = []
    with Index.open(bbc_index) as index:
        for article_id in chosen:
            results = index.similar(article_id, 10, passages=0)
            assert len(results) == 10 and article_id not in ids(results)
            shares.append(sum(category[hit.id] == category[article_id] for hit in results) / 10)
        assert index.similar("no-such-id") is None
    assert sum(shares) / len(shares) >= 0.80  # 0.8845 when written


def test_similar_on_the_command_line(bbc_index: Path) -> None:
    result = CliRunner().invoke(cli, ["similar", "sport/001", "-n", "3", "--json", "--index", str(bbc_index)])
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.exit_code == 0 and len(lines) == 3 and all(line["id"] != "sport/001" for line in lines)
    missing = CliRunner().invoke(cli, ["similar", "nope", "--index", str(bbc_index)])
    assert missing.exit_code == 1 and "no article with id 'nope'" in missing.stderr


# -- near-duplicates --------------------------------------------------------------------

WIRE = ("The central bank intervened in the currency market on Monday to support the dollar after it fell "
        "sharply in early trading, dealers said, adding that the bank bought dollars in moderate amounts "
        "and that the intervention was expected to continue through the week.")


def wire_corpus(folder: Path, copies: int) -> Path:
    stories = [{"id": f"w{n}", "title": "Bank intervenes", "body": WIRE.replace("Monday", day),
                "date": f"1987-04-2{n}"} for n, day in enumerate(["Monday", "Tuesday", "Monday"][:copies])]
    stories.append({"id": "other", "title": "Harvest report",
                    "body": "Farmers in the region reported a record harvest of wheat and barley this summer, "
                            "with yields well above the average of the last ten years, the ministry said on Friday.",
                    "date": "1987-04-25"})
    stories.append({"id": "bank", "title": "Bank profits", "body": "The bank said its profits rose in the year.",
                    "date": "1987-04-26"})
    path = folder / "wire.jsonl"
    path.write_text("".join(json.dumps(story) + "\n" for story in stories), encoding="utf-8")
    return path


def test_near_duplicates_are_shown_once_and_counted_everywhere(tmp_path: Path) -> None:
    from searcher.indexing.update import update_index

    config = Config(index=tmp_path / "index", duplicates=True)
    update_index(config, [wire_corpus(tmp_path, 3)])
    with Index.open(config.index, config) as index:
        assert index.duplicates_of("w0") == ["w1", "w2"]
        assert index.duplicates_of("other") == [] and index.duplicates_of("bank") == []
        results = index.search("bank dollar", all_words=True)
        assert results.total == 3 and len(results) == 1  # one story, shown once
        assert set(results[0].duplicates) | {results[0].id} == {"w0", "w1", "w2"}
        assert len(index.search("bank dollar", collapse=False, all_words=True)) == 3
        assert index.matches("bank dollar", all_words=True)[0] == 3  # exports count every article
        assert index.search("bank dollar", facets=["category"], all_words=True).total == 3
        timeline = index.timeline(["bank dollar"], "month", all_words=True)
        assert sum(b.matches for b in timeline.series[0].buckets) == 3
        # The story is shown once among the articles with some of the words too.
        results = index.search("bank dollar")
        assert (results.total, results.every_word, len(results)) == (4, 3, 2) and results[1].id == "bank"
        assert set(results[0].duplicates) | {results[0].id} == {"w0", "w1", "w2"}
        assert index.matches("bank dollar")[0] == 4
    (tmp_path / "searcher.yaml").write_text("duplicates: true\n", encoding="utf-8")
    shown = CliRunner().invoke(cli, ["bank dollar", "--index", str(config.index)])
    assert "+2 near-duplicates" in shown.stdout and "3 articles match every word" in shown.stdout
    listed = CliRunner().invoke(cli, ["show", "w1", "--index", str(config.index)])
    assert "Near-duplicates (the same story, small edits): w0, w2" in listed.stdout
    # The groups follow the corpus: with one copy left, there is nothing to collapse.
    update_index(config, [wire_corpus(tmp_path, 1)])
    with Index.open(config.index, config) as index:
        assert index.duplicates_of("w0") == [] and index.search("bank dollar").every_word == 1
    update_index(config, [wire_corpus(tmp_path, 3)])
    with Index.open(config.index, config) as index:
        assert index.duplicates_of("w0") == ["w1", "w2"]
        # A commit the groups don't describe (here an add from the library) stops their use
        # until the next index run finds them again: never a stale group.
        index.add([Article(id="w1", title="Other", body="A different story altogether about the harvest.")])
        assert index.duplicates_of("w0") == [] and len(index.search("bank dollar", limit=None, all_words=True)) == 2
    update_index(config, [wire_corpus(tmp_path, 3)])  # (the file is as indexed: w1 stays the other story)
    with Index.open(config.index, config) as index:
        assert index.duplicates_of("w0") == ["w2"]


def test_near_duplicates_are_on_unless_switched_off(tmp_path: Path) -> None:
    from searcher.indexing.update import update_index

    update_index(Config(index=tmp_path / "on"), [wire_corpus(tmp_path, 3)])  # (the default: on)
    with Index.open(tmp_path / "on") as index:
        assert index.duplicates_of("w0") == ["w1", "w2"] and len(index.search("bank dollar", all_words=True)) == 1
    config = Config(index=tmp_path / "index", duplicates=False)
    update_index(config, [wire_corpus(tmp_path, 3)])
    with Index.open(config.index, config) as index:
        assert len(index.search("bank dollar", all_words=True)) == 3 and index.duplicates_of("w0") == []
        assert index.stored_sketches(None) == ([], set())  # (nor is the cost of the sketches paid)


def test_many_copies_of_one_story_are_one_group() -> None:
    from searcher.indexing.duplicates import BUCKET_LIMIT, find_groups
    from searcher.engine.sketches import sketch

    text = (WIRE + " ") * 2
    copy = sketch(text.lower().split())
    other = sketch(("An entirely different report on the weather in the north of the country, where "
                    "snow fell for the third day and roads were closed.").lower().split())
    # (thousands: an archive can hold that many copies of one notice, and their pairs are millions)
    copies = [(f"c{n}", copy, 725_000) for n in range(BUCKET_LIMIT * 30)]
    assert find_groups([*copies, ("x", other, 725_000)]) == [sorted(f"c{n}" for n in range(BUCKET_LIMIT * 30))]
    far_apart = [("a", copy, 725_000), ("b", copy, 725_010)]  # ten days apart: two stories
    assert find_groups(far_apart) == []


def test_reuters_near_duplicates(reuters) -> None:  # type: ignore[no-untyped-def]
    from searcher.indexing.duplicates import find_groups

    groups = reuters._snapshot().duplicates.groups(reuters.generation)
    assert len(groups) == 604 and sum(map(len, groups)) == 1221  # (the figures of the README)
    # Every article that shares a key with another, sketched again from its stored text:
    # the same groups as the index run found from its writers' sketches.
    sketches, crowded = reuters.stored_sketches(None)
    assert find_groups(sketches, crowded=crowded) == groups
    # An index run looks again only at what it wrote: the same groups as from nothing.
    touched = {article_id for article_id, _, _ in random.Random(5).sample(sketches, 300)} | set(groups[0][:2])
    assert find_groups(sketches, before=groups, touched=touched) == groups
    kept = [(article_id, value, day) for article_id, value, day in sketches if article_id not in touched]
    assert find_groups(kept, before=groups, touched=touched) == find_groups(kept)
    assert ["17230", "17265"] in groups  # BANK OF JAPAN INTERVENES IN TOKYO, sent twice
    first, second = reuters.get("17230"), reuters.get("17265")
    assert first.title == second.title


def test_groups_saved_after_a_search_are_used(reuters, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """An index run commits, then saves the groups: a search in between sees none, and
    the same Index collapses them once they are saved (a snapshot once kept the none)."""
    import shutil

    from searcher.engine.groups import FILE_NAME

    copy = tmp_path / "reuters"
    shutil.copytree(reuters.path, copy)
    groups = copy / FILE_NAME
    groups.rename(copy / "pending.json")
    with Index.open(copy, reuters.config) as index:
        assert not any(hit.duplicates for hit in index.search("money supply", limit=None, passages=0))
        (copy / "pending.json").rename(groups)
        collapsed = [hit for hit in index.search("money supply", limit=None, passages=0) if hit.duplicates]
        assert collapsed and index.duplicates_of(collapsed[0].id) == list(collapsed[0].duplicates)


def test_an_index_run_finds_the_groups_a_full_build_finds(tmp_path: Path, reuters_records: list[dict]) -> None:
    """What an index run changes, it groups as a build from nothing would: new, edited and
    removed articles of Reuters, in the runs after a first build."""
    from searcher.engine.groups import Duplicates
    from searcher.indexing.update import update_index

    records = [dict(record) for record in reuters_records[:6000]]
    path = tmp_path / "wire.jsonl"

    def write(selected: list[dict]) -> None:
        path.write_text("".join(json.dumps(record) + "\n" for record in selected), encoding="utf-8")

    def groups(config: Config) -> list[list[str]]:
        with Index.open(config.index, config) as index:
            return Duplicates(index.path).groups(index.generation)

    incremental = Config(index=tmp_path / "incremental", duplicates=True, workers=1)
    write(records[:4000])
    update_index(incremental, [path])
    chosen = random.Random(8)
    for record in chosen.sample(records[:4000], 400):  # one word of the lead changed
        words = (record.get("body") or "").split()
        if len(words) > 10:
            words[chosen.randrange(10)] = "changed"
            record["body"] = " ".join(words)
    kept = [record for number, record in enumerate(records) if number % 50]  # some removed, some new
    write(kept)
    update_index(incremental, [path])
    full = Config(index=tmp_path / "full", duplicates=True, workers=1)
    update_index(full, [path])
    found = groups(incremental)
    assert len(found) > 100 and found == groups(full)


def test_similar_to_an_article_with_no_words_is_nothing(tmp_path: Path) -> None:
    with Index.create(tmp_path / "ix") as index:
        index.add([Article(id="blank", title="", body="", caption="A photo"),
                   Article(id="oil", title="Oil prices", body="Crude rose.")])
        results = index.similar("blank")
        assert results is not None and list(results) == [] and results.total == 0
