"""Saved web pages and WARC web archives as corpus formats (the [html] extra), on the
300 judged pages of ../shared/data/web (trafilatura's evaluation set)."""

from __future__ import annotations

import gzip
import io
import json
import sys
from pathlib import Path

import pytest

from searcher import Index
from searcher.config import Config
from searcher.indexing.update import update_index
from searcher.readers import read_corpus
from searcher.text import without_invisible

from .conftest import REPO, require_data

pytest.importorskip("trafilatura", reason="the [html] extra is not installed: pip install '.[html]'")
pytest.importorskip("warcio", reason="the [html] extra is not installed: pip install '.[html]'")

sys.path.insert(0, str(REPO / "scripts"))
from benchlib import WebPage, web_pages, write_warc  # noqa: E402



@pytest.fixture(scope="module")
def pages() -> list[WebPage]:
    return web_pages(require_data("web"))


@pytest.fixture(scope="module")
def folder_index(tmp_path_factory: pytest.TempPathFactory, pages: list[WebPage]) -> tuple[Index, list]:
    folder = tmp_path_factory.mktemp("web-index")
    report = update_index(Config(index=folder, workers=2), [pages[0].file.parent])
    return Index.open(folder), report.problems


@pytest.fixture
def extracted(monkeypatch: pytest.MonkeyPatch) -> list:
    """The pages an index run extracts, in order (extraction runs in this process: workers=1)."""
    import searcher.readers.extraction as extraction

    pages: list = []
    real = extraction.page_article
    monkeypatch.setattr(extraction, "page_article", lambda page: (pages.append(page), real(page))[1])
    return pages


def _ids(pages: list) -> list[str]:
    return [page.id for page in pages]


def _articles(index: Index) -> list:
    return [index.get(article_id) for article_id, _, _ in index.fingerprints()]


def _phrase(text: str) -> str | None:
    """Eight words from the middle of the longest paragraph of `text`, or None when it has
    not ten (text without spaces, Chinese: the analyzer does not cut it into words)."""
    words = max(text.split("\n"), key=len).split()
    if len(words) < 10:
        return None
    middle = len(words) // 2 - 4
    return " ".join(words[middle:middle + 8])


def _found_first(index: Index, phrase: str) -> str | None:
    quoted = '"' + phrase.replace('"', " ") + '"'
    results = index.search(quoted, limit=1)
    return results[0].id if results else None


def test_extraction_holds_what_trafilatura_defaults_hold(pages: list[WebPage]) -> None:
    import trafilatura

    from searcher.readers.html import page_article, page_of

    ours = theirs = (0, 0)
    wanted = sum(len(page.with_) for page in pages)
    unwanted = sum(len(page.without) for page in pages)
    for page in pages:
        article, _ = page_article(page_of(page.data, str(page.file), page.file.name))
        text = f"{article.title}\n{article.body}" if article else ""
        plain = trafilatura.extract(page.data, url=page.url) or ""
        # (Our text has no soft hyphens or zero-width characters: the snippets neither.)
        ours = (ours[0] + sum(without_invisible(s) in text for s in page.with_),
                ours[1] + sum(without_invisible(s) not in text for s in page.without))
        theirs = (theirs[0] + sum(s in plain for s in page.with_), theirs[1] + sum(s not in plain for s in page.without))
    print(f"\nwith kept / without dropped on {len(pages)} pages: searcher {ours[0] / wanted:.3f} / "
          f"{ours[1] / unwanted:.3f}; trafilatura defaults {theirs[0] / wanted:.3f} / {theirs[1] / unwanted:.3f}")
    assert ours[0] >= theirs[0] and ours[1] >= theirs[1]
    assert ours[0] / wanted > 0.9 and ours[1] / unwanted > 0.85


def test_a_phrase_of_each_page_finds_it_first(folder_index: tuple[Index, list], pages: list[WebPage]) -> None:
    index, problems = folder_index
    duplicates = {p.message.split("'")[1] for p in problems if "duplicate id" in p.message}
    by_path = {article.path: article for article in _articles(index)}
    checked, missed = 0, []
    for page in pages:
        article = by_path.get(str(page.file))
        if article is None:
            continue
        phrase = _phrase(article.body)
        if phrase is None or article.id in duplicates:
            continue
        checked += 1
        if _found_first(index, phrase) != article.id:
            missed.append((page.file.name, phrase))
    print(f"\n{checked} pages searched by a phrase of their text; not first: {missed}")
    assert checked >= 250
    assert not missed


def test_a_pasted_address_finds_its_page_first(folder_index: tuple[Index, list]) -> None:
    # A page's id is its canonical URL: pasted alone, the address finds it, ahead of the
    # pages with its words, and "did you mean" leaves the address alone ("gruener" was
    # "corrected" to "gruner" inside one).
    index, _ = folder_index
    addresses = [article.id for article in _articles(index) if article.id.startswith(("http://", "https://"))]
    assert len(addresses) >= 100
    for address in addresses:
        results = index.search(address, limit=3, passages=0)
        assert results[0].id == address and results.every_word == 1, address
        assert results.suggestion is None, address
    # Mistyped, it is not that article's id: its words still find it first.
    german = next(address for address in addresses if "gruener-wasserstoff" in address)
    assert index.search(german + "x", limit=1)[0].id == german
    assert index.search(german + "x", limit=1).suggestion is None


def test_every_page_is_indexed_or_reported(folder_index: tuple[Index, list], pages: list[WebPage]) -> None:
    index, problems = folder_index
    skipped = {Path(p.path).name for p in problems if p.severity == "error"}
    indexed = {Path(article.path).name for article in _articles(index)}
    assert {page.file.name for page in pages} == indexed | skipped
    assert len(indexed) >= 290


def test_show_prints_a_german_and_an_english_page(folder_index: tuple[Index, list]) -> None:
    from click.testing import CliRunner

    from searcher.cli.commands import cli

    index, _ = folder_index
    german = index.search('"Bundesregierung" language:de', limit=1)[0].article
    english = index.search("language:en", limit=1)[0].article
    for article in (german, english):
        shown = CliRunner().invoke(cli, ["show", article.id, "--index", str(index.path)])
        assert shown.exit_code == 0, shown.output
        assert article.title in shown.output and f"language {article.language}" in shown.output
        assert article.body.split("\n\n")[0][:40] in shown.output


def _warc_pages(pages: list[WebPage]) -> list[tuple[str, bytes]]:
    return [(page.url, page.data) for page in pages]


def test_the_pages_in_warc_files_are_found_the_same_way(
    tmp_path: Path, pages: list[WebPage], folder_index: tuple[Index, list]
) -> None:
    crawl = tmp_path / "crawl"
    crawl.mkdir()
    thirds = [pages[:100], pages[100:200], pages[200:]]
    for number, part in enumerate(thirds):
        write_warc(crawl / f"crawl-{number}.warc.gz", _warc_pages(part), truncated=number == 2)
    report = update_index(Config(index=tmp_path / "ix", workers=2), [crawl])
    index = Index.open(tmp_path / "ix")

    cut = [p for p in report.problems if p.severity == "error" and "offset" in p.message]
    assert len(cut) == 1 and cut[0].path.endswith("crawl-2.warc.gz"), report.problems
    assert "truncated" in cut[0].message or "not a whole record" in cut[0].message
    notes = [p for p in report.problems if p.severity == "note"]
    assert len(notes) == 3 and all("request" in note.message and "metadata" in note.message for note in notes)

    html_index, _ = folder_index
    folder_articles = {Path(article.path).name: article for article in _articles(html_index)}
    urls = {page.url: page for page in pages}
    articles = list(_articles(index))
    assert len(articles) == len({article.id for article in articles})  # each page once
    assert {article.id for article in articles} == {page.url for page in pages if page.file.name in folder_articles}
    checked = 0
    for article in articles:
        page = urls[article.id]
        assert article.url == page.url
        assert article.body == folder_articles[page.file.name].body
        phrase = _phrase(article.body)
        if phrase is not None and checked < 60:
            checked += 1
            assert _found_first(index, phrase) == article.id, phrase


def test_an_appended_warc_is_read_on_and_a_rewritten_one_again(
    tmp_path: Path, pages: list[WebPage], extracted: list
) -> None:
    config = Config(index=tmp_path / "ix", workers=1)
    crawl = tmp_path / "crawl.warc.gz"
    write_warc(crawl, _warc_pages(pages[:6]))
    assert update_index(config, [crawl]).added == 6 and len(extracted) == 6

    extracted.clear()
    again = update_index(config, [crawl])
    assert (again.files_unchanged, again.added, _ids(extracted)) == (1, 0, [])

    more = tmp_path / "more.warc.gz"
    write_warc(more, _warc_pages(pages[6:9]))
    with crawl.open("ab") as out:  # a crawler appends records (each its own gzip member)
        out.write(more.read_bytes())
    more.unlink()
    appended = update_index(config, [crawl])
    assert (appended.added, appended.unchanged, sorted(_ids(extracted))) == (3, 6, sorted(p.url for p in pages[6:9]))

    extracted.clear()
    write_warc(crawl, _warc_pages(pages[1:5]))  # rewritten: fewer pages
    rewritten = update_index(config, [crawl])
    assert (rewritten.removed, len(extracted)) == (5, 4)
    assert {a.id for a in _articles(Index.open(tmp_path / "ix"))} == {p.url for p in pages[1:5]}


def test_unchanged_and_changed_pages(tmp_path: Path, pages: list[WebPage], extracted: list,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = tmp_path / "pages"
    corpus.mkdir()
    for page in pages[:5]:
        (corpus / page.file.name).write_bytes(page.data)
    config = Config(index=tmp_path / "ix", workers=1)
    assert update_index(config, [corpus]).added == 5 and len(extracted) == 5
    extracted.clear()
    touched = corpus / pages[0].file.name
    touched.write_bytes(touched.read_bytes())  # a new time, the same bytes
    changed = corpus / pages[1].file.name
    changed.write_bytes(changed.read_bytes().replace(b"</body>", b"<p>A late correction.</p></body>", 1))
    report = update_index(config, [corpus])
    assert [page.path for page in extracted] == [str(changed)]
    assert report.files_read == 1 and report.files_unchanged == 4
    extracted.clear()
    monkeypatch.setattr("searcher.indexing.update.extractor_version", lambda: "trafilatura 99.0, warcio 1.7")
    again = update_index(config, [corpus])  # another extractor: every page is read again
    assert (len(extracted), again.files_read, again.added + again.updated + again.unchanged) == (5, 5, 5)


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


ARTICLE = (b"<p>The harbour council voted on Tuesday to rebuild the old pier, after a debate that "
           b"lasted most of the night and drew fishermen, shop owners and the mayor to the town hall.</p>"
           b"<p>Work on the pier will begin in the spring and should take two years, the council said, "
           b"at a cost the town will share with the regional government.</p>")


def test_bad_pages_are_reported_and_the_rest_indexed(tmp_path: Path, pages: list[WebPage]) -> None:
    corpus = tmp_path / "pages"
    corpus.mkdir()
    for page in pages[:3]:
        _write(corpus / page.file.name, page.data)
    _write(corpus / "binary.html", bytes(range(256)) * 64)
    russian = ("<html><head><title>Выборы в городе</title></head><body><article><h1>Выборы в городе</h1>"
               "<p>Городской совет утвердил новый план застройки набережной после долгого обсуждения. "
               "Жители района пришли на слушания и задавали вопросы о стоимости работ.</p>"
               "<p>Строительство начнётся весной и продлится два года, сообщили в администрации города.</p>"
               "</article></body></html>")
    _write(corpus / "legacy.html", russian.encode("cp1251"))  # no charset declared anywhere
    image = b"data:image/png;base64," + b"A" * 20_000_000
    _write(corpus / "huge.html", b"<html><head><title>Pier vote</title></head><body><nav>Home</nav><article>"
           + ARTICLE + b'<img src="' + image + b'"></article></body></html>')
    _write(corpus / "elements.html", b"<html><body><article>" + ARTICLE + b"</article><table>"
           + b"<tr><td>1</td><td>2</td></tr>" * 20_000 + b"</table></body></html>")
    _write(corpus / "menu.html", b"<html><body><nav><a href='/'>Home</a> <a href='/news'>News</a></nav></body></html>")
    # A section's front page: its menu and a list of headlines, which the extractor keeps as
    # text (a new user's trial: the page was a hit for every headline's words).
    menu = "".join(f"<li><a href='/{word}'>{word}</a></li>" for word in ("Startseite", "Politik", "Wirtschaft", "Sport"))
    headlines = "".join(f"<li><a href='/a{number}'>{headline}</a></li>" for number, headline in enumerate((
        "Der Klimawandel in den Alpen", "Landtagswahl: Die Ergebnisse im Überblick", "Neue Seilbahn am Gletscher eröffnet",
        "Bauern fordern mehr Hilfe nach der Dürre")))
    _write(corpus / "front.html", f"<html><head><title>Alpenpost</title></head><body><nav><ul>{menu}</ul></nav><main>"
           f"<h2>Neueste Artikel</h2><ul>{headlines}</ul></main><footer>Impressum</footer></body></html>".encode())
    crawl = corpus / "cut.warc.gz"
    write_warc(crawl, _warc_pages(pages[3:6]))
    data = crawl.read_bytes()
    crawl.write_bytes(data[:len(data) - 5000])  # cut in the middle of the last page's record

    report = update_index(Config(index=tmp_path / "ix", workers=1), [corpus])
    problems = {Path(p.path).name: p for p in report.problems if p.severity != "note"}
    for problem in report.problems:
        assert "\n" not in str(problem)
    assert "binary file" in problems["binary.html"].message
    assert problems["legacy.html"].severity == "warning" and "no charset declared" in problems["legacy.html"].message
    assert "too large to extract" in problems["elements.html"].message and "50,000 tags" in problems["elements.html"].message
    assert "no article text" in problems["menu.html"].message
    assert "only a list of links (a menu or a section's front page)" in problems["front.html"].message
    assert "offset" in problems["cut.warc.gz"].message
    assert "huge.html" not in problems
    index = Index.open(tmp_path / "ix")
    found = {article.path.rsplit("/", 1)[-1] for article in _articles(index)}
    assert {page.file.name for page in pages[:3]} | {"legacy.html", "huge.html", "cut.warc.gz"} <= found
    assert sum(1 for article in _articles(index) if article.path.endswith("cut.warc.gz")) == 2
    assert index.search("набережной")[0].article.path.endswith("legacy.html")
    assert index.search("pier fishermen")[0].article.path.endswith("huge.html")
    index.close()
    # A new user's trial: the next run said "0 files read", and nothing of what is still left
    # out (as it says of JSON lines): a cut WARC's lost record went unheard of from then on.
    again = update_index(Config(index=tmp_path / "ix", workers=1), [corpus])
    assert again.files_read == 0
    noted = {Path(p.path).name for p in again.problems if p.severity == "note" and "still left out" in p.message}
    assert noted == {"binary.html", "elements.html", "menu.html", "front.html", "cut.warc.gz"}, again.problems


def test_what_the_extractor_leaves_out(tmp_path: Path) -> None:
    page = ("<html lang='de-DE'><head><meta charset='utf-8'><title>Klima: Die Lage | Beispiel-Zeitung</title>"
            "<meta property='og:title' content='Klima: Die Lage'>"
            "<link rel='canonical' href='https://zeitung.example/klima-lage'>"
            '<script type="application/ld+json">{"@type": "NewsArticle", "datePublished": "2021-05-03T14:30:00+02:00"}'
            "</script></head><body><nav>Start Politik Sport</nav><main><article>"
            "<p>Der Klima\u00adwandel verändert die Alpen schneller als erwartet, sagen Forscher der Universität.</p>"
            "<p>Die Glet\u200bscher verlieren jedes Jahr an Masse, und die Schnee\u00addecke schmilzt früher im Jahr.</p>"
            "<p>Die Gemeinden in den Tälern planen deshalb neue Schutzbauten gegen Muren und Hochwasser.</p>"
            "</article></main><footer>Impressum Datenschutz</footer></body></html>")
    _write(tmp_path / "klima.html", page.encode("utf-8"))
    [article] = list(read_corpus(tmp_path, Config()))
    assert article.id == article.url == "https://zeitung.example/klima-lage"
    assert article.language == "de-DE"
    assert "Klimawandel" in article.body and "Gletscher" in article.body and "Schneedecke" in article.body
    assert "Impressum" not in article.body and "Start Politik" not in article.body
    assert article.title.startswith("Klima: Die Lage")
    assert article.date is not None and (article.date.hour, article.date.minute) == (14, 30)  # as the page says
    update_index(Config(index=tmp_path / "ix"), [tmp_path])
    index = Index.open(tmp_path / "ix")
    assert [hit.id for hit in index.search("Klimawandel")] == [article.id]
    assert [hit.id for hit in index.search("Gletscher language:de")] == [article.id]
    assert [hit.id for hit in index.search("Klima\u00adwandel")] == [article.id]  # (a query pasted from the page)


def test_without_the_extra_one_line_says_how_to_install_it(
    tmp_path: Path, pages: list[WebPage], monkeypatch: pytest.MonkeyPatch
) -> None:
    import searcher.indexing.update as update

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for page in pages[:3]:
        _write(corpus / page.file.name, page.data)
    _write(corpus / "notes.jsonl", json.dumps({"id": "n1", "title": "Harbour notes", "body": "The pier vote."}).encode())
    monkeypatch.setattr(update, "missing_extra", lambda: "reading them needs the [html] extra (trafilatura not installed)")
    monkeypatch.setattr("searcher.readers.extraction.missing_extra",
                        lambda: "reading them needs the [html] extra (trafilatura not installed)")
    config = Config(index=tmp_path / "ix")
    report = update_index(config, [corpus])
    lines = [str(p) for p in report.problems]
    assert len(lines) == 1 and "pip install '.[html]' in searcher's folder" in lines[0] and "2 more" in lines[0]
    assert report.added == 1
    monkeypatch.undo()
    assert update_index(config, [corpus]).added == 3  # the next run, with the extra, reads them


def test_warc_bytes_that_are_not_gzip_members_are_skipped_and_reported(tmp_path: Path, pages: list[WebPage]) -> None:
    crawl = tmp_path / "crawl.warc.gz"
    write_warc(crawl, _warc_pages(pages[:4]), others=False)
    data = crawl.read_bytes()
    second = data.index(b"\x1f\x8b\x08", 1)
    # The second record's bytes damaged in its middle: the records after it are still read.
    third = data.index(b"\x1f\x8b\x08", second + 1)
    damaged = data[:second + 40] + b"\x00" * 200 + data[second + 240:]
    assert len(damaged) == len(data) and third > second + 240
    crawl.write_bytes(damaged)
    problems: list = []
    articles = list(read_corpus(crawl, Config(), problems.append))
    assert [a.id for a in articles] == [pages[0].url, pages[2].url, pages[3].url]
    [problem] = [p for p in problems if p.severity == "error"]
    assert f"record at offset {second}:" in problem.message


def test_a_crawlers_dns_record_is_counted_as_no_http_response(tmp_path: Path, pages: list[WebPage]) -> None:
    """Heritrix writes a `dns:` response record (text/dns, no HTTP headers) in every crawl:
    the note called it an "error status"; and it said "1 pages read"."""
    import io

    from warcio.warcwriter import WARCWriter

    crawl = tmp_path / "crawl.warc.gz"
    write_warc(crawl, _warc_pages(pages[:1]), others=False)
    with crawl.open("ab") as out:
        writer = WARCWriter(out, gzip=True)
        answer = b"20260101000000\nnews.example.\t300\tIN\tA\t192.0.2.1\n"
        writer.write_record(writer.create_warc_record("dns:news.example", "response", payload=io.BytesIO(answer),
                                                      length=len(answer), warc_content_type="text/dns"))
    report = update_index(Config(index=tmp_path / "ix", workers=1), [crawl])
    assert report.added == 1
    [note] = [p for p in report.problems if p.severity == "note"]
    assert note.message == "1 page read; records that are not pages, skipped: 1 not HTTP", report.problems


def test_a_plain_warc_is_read_too(tmp_path: Path, pages: list[WebPage]) -> None:
    crawl = tmp_path / "crawl.warc.gz"
    write_warc(crawl, _warc_pages(pages[:3]))
    plain = tmp_path / "crawl.warc"
    plain.write_bytes(gzip.GzipFile(fileobj=io.BytesIO(crawl.read_bytes())).read())
    crawl.unlink()
    assert [a.id for a in read_corpus(plain, Config(), lambda p: None)] == [p.url for p in pages[:3]]


def _plain(gzipped: Path) -> bytes:
    return gzip.decompress(gzipped.read_bytes())  # (a multi-member gzip: every record)


def test_an_appended_plain_warc_and_a_repeated_url(tmp_path: Path, pages: list[WebPage], extracted: list) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    _write(corpus / "notes.jsonl", json.dumps({"id": "n1", "title": "Harbour notes", "body": "The pier."}).encode())
    config = Config(index=tmp_path / "ix", workers=1)
    update_index(config, [corpus])  # (an index that is not empty: the run reads, then writes)
    first = tmp_path / "first.warc.gz"
    # The first page's URL twice: its first copy is indexed (on_duplicate: keep-first).
    write_warc(first, [(pages[0].url, pages[0].data), (pages[1].url, pages[1].data), (pages[0].url, pages[2].data)])
    crawl = _write(corpus / "crawl.warc", _plain(first))
    report = update_index(config, [corpus])
    assert (report.added, len(extracted)) == (2, 3)
    assert any("duplicate id" in p.message for p in report.problems)
    from searcher.readers.html import Page, page_article

    shown = Index.open(tmp_path / "ix").get(pages[0].url)
    first_copy, _ = page_article(Page(pages[0].data, "x", "x"))
    assert first_copy is not None and shown.body == first_copy.body
    extracted.clear()
    assert (update_index(config, [corpus]).updated, _ids(extracted)) == (0, [])  # nothing read again

    more = tmp_path / "more.warc.gz"
    write_warc(more, [(pages[3].url, pages[3].data), (pages[4].url, pages[4].data)])
    with crawl.open("ab") as out:
        out.write(_plain(more))
    appended = update_index(config, [corpus])
    assert (appended.added, appended.updated, sorted(_ids(extracted))) == (2, 0, sorted([pages[3].url, pages[4].url]))
    assert Index.open(tmp_path / "ix").get(pages[0].url) == shown


def test_damaged_plain_and_whole_gzipped_warcs(tmp_path: Path, pages: list[WebPage]) -> None:
    packed = tmp_path / "packed.warc.gz"
    write_warc(packed, _warc_pages(pages[:3]), others=False)
    plain = _plain(packed)
    second, third = (plain.index(b"WARC/1.", at) for at in (1, plain.index(b"WARC/1.", 1) + 1))
    # The second record cut in the middle of its page: its length now runs into the third.
    cut = _write(tmp_path / "cut.warc", plain[:second + (third - second) // 2] + plain[third:])
    problems: list = []
    articles = list(read_corpus(cut, Config(), problems.append))
    assert [(a.id, a.line) for a in articles] == [(pages[0].url, 0), (pages[2].url, third - (third - second + 1) // 2)]
    assert articles[1].body == list(read_corpus(packed, Config(), lambda p: None))[2].body
    [problem] = [p for p in problems if p.severity == "error"]
    assert problem.message.startswith(f"record at offset {second}:")
    whole = _write(tmp_path / "whole.warc.gz", gzip.compress(plain))  # `gzip crawl.warc`
    assert [a.id for a in read_corpus(whole, Config(), lambda p: None)] == [p.url for p in pages[:3]]


def test_canonical_urls_and_dates_as_pages_write_them(tmp_path: Path) -> None:
    body = "<body><article>" + ARTICLE.decode() + "</article></body>"
    cases = {
        "relative.html": ("<link rel='canonical' href='//news.example/a'>", "https://news.example/a"),
        "upper.html": ("<LINK REL=canonical HREF='HTTPS://news.example/b'>", "HTTPS://news.example/b"),
        "data.html": ("<link rel='canonical' data-href='https://wrong.example/' href='https://news.example/c'>",
                      "https://news.example/c"),
        "comment.html": ("<!-- <link rel='canonical' href='https://old.example/'> -->"
                         "<meta property='og:url' content='https://news.example/d'>", "https://news.example/d"),
    }
    for name, (head, _) in cases.items():
        _write(tmp_path / name, f"<html><head><title>Pier</title>{head}</head>{body}</html>".encode())
    related = json.dumps([{"@type": "NewsArticle", "headline": "Older story", "datePublished": "2019-01-02T08:00:00Z"},
                          {"@type": "NewsArticle", "headline": "Oldest story", "datePublished": "2018-01-02T08:00:00Z"}])
    own = json.dumps({"@graph": [{"@type": "WebSite"}, {"@type": "NewsArticle", "datePublished": "2021-03-04T09:15:00Z"}]})
    _write(tmp_path / "dated.html", (f"<html><head><title>Pier</title><script type='application/ld+json'>{related}"
                                     "</script><meta property='article:published_time' content='2021-05-06T10:30:00Z'>"
                                     f"</head>{body}</html>").encode())
    _write(tmp_path / "graph.html", (f"<html><head><title>Pier</title><script type='application/ld+json'>{related}"
                                     f"</script><script type='application/ld+json'>{own}</script></head>{body}</html>").encode())
    articles = {Path(a.path).name: a for a in read_corpus(tmp_path, Config(), lambda p: None)}
    for name, (_, url) in cases.items():
        assert articles[name].id == url, name
    assert str(articles["dated.html"].date) == "2021-05-06 10:30:00"
    assert str(articles["graph.html"].date) == "2021-03-04 09:15:00"


def test_encodings_as_browsers_read_them(tmp_path: Path) -> None:
    from searcher.readers.html import Page, decode_page, page_article

    german = ("<html><head><meta charset='utf-8'><title>Vögel</title></head><body><p>"
              + "Die Wildvögel werden grundsätzlich für den Winter gefüttert. " * 5 + "</p></body></html>")
    stray = german.encode("utf-8").replace(b"Winter", "Winter –".encode("cp1252"), 2)  # (two stray cp1252 bytes)
    text, warning = decode_page(stray)
    assert "grundsätzlich für" in text and warning and "read as UTF-8, those bytes replaced" in warning
    spanish = "<html><body><p>El niño comió piñata en España, señor, más tarde.</p></body></html>"
    text, warning = decode_page(spanish.encode("cp1252"))
    assert "niño" in text and "España" in text and "cp1252" in warning
    text, warning = decode_page("<p>It costs 5 € – “quoted”</p>".encode("cp1252"), declared="ISO-8859-1")
    assert "5 € – “quoted”" in text and warning is None
    text, _ = decode_page(b"<html><head><meta charset='utf-16'></head><body><p>Plain words here.</p></body></html>")
    assert "Plain words here." in text
    article, _ = page_article(Page("<html><head><title>Klima</title></head><body><p>Der Klima\u00adwandel \u2013 "
                                   "ein Wandel.</p></body></html>".encode(), "x.html", "x.html"))
    assert article is not None and "Der Klimawandel" in article.body


def test_extracted_articles_past_the_memory_budget_are_not_extracted_twice(
    tmp_path: Path, pages: list[WebPage], extracted: list, monkeypatch: pytest.MonkeyPatch
) -> None:
    import searcher.indexing.update as update

    monkeypatch.setattr(update, "KEEP_EXTRACTED_CHARACTERS", 3_000)  # a page or so in memory, the rest spilled
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    _write(corpus / "notes.jsonl", json.dumps({"id": "n1", "title": "Harbour notes", "body": "The pier."}).encode())
    config = Config(index=tmp_path / "ix", workers=1)
    update_index(config, [corpus])
    for page in pages[:8]:
        _write(corpus / page.file.name, page.data)
    report = update_index(config, [corpus])
    assert (report.added, len(extracted)) == (8, 8)
    assert not list((tmp_path / "ix").glob("tmp*"))  # (the spill file is gone)


def test_a_rebuild_without_the_extra_is_refused(tmp_path: Path, pages: list[WebPage],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    import searcher.indexing.update as update
    from searcher.errors import CorpusError

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    _write(corpus / pages[0].file.name, pages[0].data)
    config = Config(index=tmp_path / "ix")
    assert update_index(config, [corpus]).added == 1
    monkeypatch.setattr(update, "missing_extra", lambda: "reading them needs the [html] extra (trafilatura not installed)")
    with pytest.raises(CorpusError, match="a rebuild now would leave their articles out"):
        update_index(config, [corpus], rebuild=True)
    assert len(Index.open(tmp_path / "ix")) == 1


def test_pages_in_flight_are_bounded_by_count_and_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    # The reader keeps a window of pages at the extraction workers, handing the articles
    # on in corpus order: wide enough that a slow page doesn't leave a worker idle, but
    # never more than BYTES_IN_FLIGHT of pages (a page may be 20 MB).
    from concurrent.futures import Future

    from searcher.readers import extraction
    from searcher.readers.html import Page

    class Pending:
        """Submitted pages wait, as at busy workers, until the reader takes the oldest."""
        workers = 2

        def submit(self, page: Page) -> Future:
            done: Future = Future()
            done.set_result((None, []))
            return done

    monkeypatch.setattr(extraction, "BYTES_IN_FLIGHT", 10_000)
    window = extraction.InOrder(Pending(), lambda file, article: None, lambda problem: None)  # type: ignore[arg-type]
    seen = []
    taken = window._take_oldest

    def take() -> None:
        seen.append((len(window._queue), window._bytes))
        taken()

    window._take_oldest = take  # type: ignore[method-assign]
    finished = []
    small = extraction.ExtractedFile(finished.append)
    window.add(small, [Page(b"<p>x</p>" * 10, f"small-{n}", f"small-{n}") for n in range(200)])
    assert max(count for count, _ in seen) == 2 * extraction.PAGES_IN_FLIGHT + 1  # (the count's bound)
    window.drain()
    seen.clear()
    big = extraction.ExtractedFile(finished.append)
    window.add(big, [Page(b"<p>x</p>" * 500, f"big-{n}", f"big-{n}") for n in range(50)])  # 4,000 bytes each
    assert seen and max(size for _, size in seen) == 12_000 and max(count for count, _ in seen) == 3
    window.drain()
    assert finished == [small, big] and window._bytes == 0
