"""Saved web pages: the article in a page, not the page (the [html] extra).

A page saved by a browser or a crawler is mostly menus, footers, cookie notices and
lists of other stories. The article in it is found by trafilatura, a well-kept
extractor measured on judged pages (../shared/data/web: it keeps 0.946 of the text an
article must hold and drops 0.90 of the boilerplate it must not), rather than by
heuristics of our own. Around it, this module does what the extractor leaves out:

- decoding: the charset of the HTTP response (WARC), then the page's own declaration,
  then UTF-8, then detection (charset_normalizer, which trafilatura brings), with a
  warning when the page had to be guessed;
- soft hyphens and zero-width characters, which German pages put inside words, are
  removed from the text, so that they neither split a word nor show;
- the title from `og:title` or `<title>` when the extractor finds none; the date and
  time from the page's JSON-LD `datePublished` or `article:published_time` (the
  extractor keeps only the day), else the day it finds, else the URL's;
- the language the page declares (`<html lang>`, `og:locale`, Content-Language).

`page_article(page)` is the work of one page, a `Page`: plain data, so that index
runs can send it to worker processes (see `extraction`), where extraction runs.
trafilatura is imported by `page_article` only: reading other formats never loads it.
"""

from __future__ import annotations

import codecs
import datetime as dt
import html as html_entities
import json
import re
from dataclasses import dataclass

from ..dates import parse_date
from ..errors import CorpusError, install_hint
from ..model import Article, Problem
from ..text import clean_text, without_invisible
from .files import UTF16_BOMS, UnreadableFile, refuse_binary

#: The extractor's time grows with the square of a page's elements, not with its bytes:
#: a 20 MB page of inlined images takes 0.4 s, a 6 MB page of 300,000 elements minutes.
#: Up to FULL_EXTRACTION_TAGS (a few pages in a thousand have more), the extractor runs
#: with its fallbacks (readability, jusText), which give its best figures and are the
#: most quadratic part; up to MAX_PAGE_TAGS without them (at most a few seconds); past
#: that, the page is reported and skipped. Tags are counted as "<" bytes.
FULL_EXTRACTION_TAGS = 10_000
MAX_PAGE_TAGS = 50_000
#: A page with no title needs this many words of text to be an article.
MIN_UNTITLED_WORDS = 10
MAX_PAGE_BYTES = 64_000_000  # (memory: the page, its text and its tree are in memory at once)
#: Where a page's charset declaration is looked for (HTML5 says 1,024 bytes; pages put it later).
_HEAD_BYTES = 16_384
INSTALL_HINT = install_hint("html")


@dataclass(frozen=True)
class Page:
    """One web page to make an article of: its bytes and what is known around them."""

    data: bytes
    path: str  # the file it is in (a page, or a WARC)
    id: str  # the article's id (see page_of)
    url: str = ""  # the page's address, when known before extraction
    charset: str = ""  # declared by the HTTP response (a WARC record), "" when unknown
    date: dt.datetime | None = None  # when it was fetched (a WARC record's date)
    offset: int | None = None  # a WARC record's offset in its file (its article's `line`)


def page_of(data: bytes, path: str, relative: str) -> Page:
    """A saved page, `data` read from the file at `path` (`relative`: its path under the
    corpus root). Its id is the canonical URL it declares (`<link rel=canonical>`, else
    `og:url`), else `relative`: found before extraction, so that an index run knows
    which pages it needs (a shard's, the changed ones) without extracting the others."""
    url = _declared_url(data)
    return Page(data, path, id=url or relative, url=url)


_LINK_TAG = re.compile(rb"<link\s[^>]*?(?<![\w-])rel\s*=\s*[\"']?canonical\b[^>]*>", re.IGNORECASE)
_OG_URL_TAG = re.compile(rb"<meta\s[^>]*?(?<![\w-])property\s*=\s*[\"']og:url[\"'][^>]*>", re.IGNORECASE)
_ATTRIBUTE = {name: re.compile(rb"(?<![\w-])" + name + rb"\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>]+))", re.IGNORECASE)
              for name in (b"href", b"content")}
_COMMENT = re.compile(rb"<!--.*?-->", re.DOTALL)


def _declared_url(data: bytes) -> str:
    if b"<!--" in data:
        data = _COMMENT.sub(b"", data)  # (a commented-out link is not the page's)
    for tag, attribute in ((_LINK_TAG, b"href"), (_OG_URL_TAG, b"content")):
        found = tag.search(data)
        value = found and _ATTRIBUTE[attribute].search(found.group())
        if value:
            text = next(group for group in value.groups() if group is not None)
            url = html_entities.unescape(text.decode("utf-8", errors="replace")).strip()
            if url.startswith("//"):
                url = "https:" + url  # (protocol-relative: the page was served over one of them)
            if _canonical(url):
                return url
    return ""


def page_article(page: Page) -> tuple[Article | None, list[Problem]]:
    """The article in `page` (None when it has none) and the problems met."""
    problems: list[Problem] = []
    where = f"record at offset {page.offset}: " if page.offset is not None else ""

    def problem(message: str, severity: str = "error") -> tuple[None, list[Problem]]:
        problems.append(Problem(page.path, where + message, severity=severity))  # type: ignore[arg-type]
        return None, problems

    tags = page.data.count(b"<")
    if len(page.data) > MAX_PAGE_BYTES or tags > MAX_PAGE_TAGS:
        return problem(f"page too large to extract ({len(page.data) / 1e6:.1f} MB, {tags:,} tags; the limits are "
                       f"{MAX_PAGE_BYTES / 1e6:.0f} MB and {MAX_PAGE_TAGS:,} tags); skipped")
    try:
        markup, warning = decode_page(page.data, page.charset)
    except UnreadableFile as error:
        return problem(f"{error}; skipped")
    if warning:
        problem(warning, "warning")
    try:
        import trafilatura
    except ImportError:  # (reading checks first: see readers.without_extra)
        raise CorpusError("reading web pages needs the [html] extra", hint=INSTALL_HINT) from None
    document = trafilatura.bare_extraction(
        markup, url=page.url or None, with_metadata=True, include_comments=False, fast=tags > FULL_EXTRACTION_TAGS,
        # The day from the page's metadata, JSON-LD, <time> or URL, not guessed from its text.
        date_extraction_params={"extensive_search": False, "original_date": True},
    )
    text = _visible(document.text or "") if document is not None else ""
    title = _visible(document.title or "") if document is not None else ""
    # (Given a page of menus only, the extractor falls back to all its text: "Home News".)
    if len(text.split()) < (1 if title else MIN_UNTITLED_WORDS):
        return problem("no article text found in the page (a menu, an index or an empty page); skipped")
    if _linked_share(markup, text) >= LINKED_SHARE:
        # (A section's front page, its menu and a list of headlines: the extractor keeps the
        # list as text, and the page was a hit for every headline's words.)
        return problem("no article text found in the page, only a list of links (a menu or a section's front "
                       "page); skipped")
    title = title or _title_of(markup)
    url = page.url or _canonical(document.url)
    paragraphs = [line.strip() for line in text.split("\n") if line.strip()]
    if len(paragraphs) > 1 and paragraphs[0] == title:
        del paragraphs[0]  # (the page's headline, kept by the extractor as the text's first line)
    article = Article(
        id=page.id,
        title=title,
        body="\n\n".join(paragraphs),
        source=_visible(document.sitename or ""),
        categories=tuple(_visible(name) for name in (document.categories or []) if name.strip()),
        date=_published(markup) or _day(document.date) or page.date,
        url=url or "",
        authors=tuple(dict.fromkeys(_visible(name) for name in (document.author or "").split(";") if name.strip())),
        language=_language(markup),
        path=page.path,
        line=page.offset,
    )
    return article, problems


def decode_page(data: bytes, declared: str = "") -> tuple[str, str | None]:
    """The text of a page, and a warning when its encoding had to be guessed or its
    declaration was wrong. Raises UnreadableFile for a binary or an empty file.

    As browsers do: a byte order mark wins; labels mean what the WHATWG Encoding standard
    says (ISO-8859-1 is windows-1252; a page that says UTF-16 in a meta tag is ASCII-based,
    so UTF-8). A page in UTF-8 with a few stray bytes (a paste from a cp1252 file) keeps
    its UTF-8, those bytes replaced; a page that is not UTF-8 and does not say what it is
    is detected, Western text as windows-1252.
    """
    if data.startswith(codecs.BOM_UTF8):
        return _checked(data.decode("utf-8", errors="replace")), None
    if data.startswith(UTF16_BOMS):
        return _checked(data.decode("utf-16", errors="replace")), None
    refuse_binary(data)
    charset = _label(declared) if declared else _label(_declared_charset(data[:_HEAD_BYTES]), in_page=True)
    note = "no charset declared"
    if charset and charset != "utf-8":
        try:
            return _checked(data.decode(charset)), None
        except LookupError:
            note = f"unknown charset {charset!r} declared"
        except UnicodeDecodeError as error:
            note = f"declared {charset}, but byte 0x{data[error.start]:02x} at offset {error.start} is not {charset}"
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd") - data.count("\ufffd".encode())
    if not bad:
        return _checked(text), (f"{note}; read as UTF-8" if charset and charset != "utf-8" else None)
    if bad <= sum(1 for ch in text if ord(ch) > 0x7F) - bad:  # more well-formed UTF-8 than bad bytes
        first = text.index("\ufffd")
        said = "declared utf-8" if charset == "utf-8" else note
        return _checked(text), (f"{said}, but {bad:,} byte sequences are not UTF-8 (the first at character {first:,}); "
                                "read as UTF-8, those bytes replaced")
    encoding = _detected(data)
    if charset == "utf-8":
        note = "declared utf-8, but it is not"
    elif not charset:
        note += " and not UTF-8"
    return _checked(data.decode(encoding, errors="replace")), f"{note}; read as {encoding} (detected)"


#: Labels that mean another encoding than their name (WHATWG Encoding), as Python names it.
_LABELS = {label: "cp1252" for label in ("iso-8859-1", "iso8859-1", "iso_8859-1", "latin1", "latin-1", "l1", "cp819",
                                          "ascii", "us-ascii", "windows-1252", "x-cp1252", "iso-ir-100", "ibm819")}
_LABELS.update({"utf8": "utf-8", "unicode-1-1-utf-8": "utf-8", "iso-8859-9": "cp1254", "latin5": "cp1254",
                "iso-8859-11": "cp874", "tis-620": "cp874", "gb2312": "gb18030", "gbk": "gb18030",
                "x-sjis": "shift_jis", "ks_c_5601-1987": "cp949", "euc-kr": "cp949"})


def _label(charset: str, in_page: bool = False) -> str:
    charset = charset.strip().strip("\"'").lower()
    if in_page and charset.startswith(("utf-16", "utf-32")):
        return "utf-8"  # (a page whose bytes held this meta tag is not UTF-16)
    return _LABELS.get(charset, charset)


#: Single-byte encodings of Latin scripts, which detection tells apart badly: for them,
#: windows-1252 (what browsers assume of a Western page) unless the bytes rule it out.
_WESTERN = frozenset({"cp1250", "cp1252", "latin_1", "iso8859_15", "iso8859_2", "mac_roman", "cp850", "cp437"})


def _detected(data: bytes) -> str:
    import charset_normalizer  # (trafilatura's own dependency)

    best = charset_normalizer.from_bytes(data[:200_000]).best()
    encoding = best.encoding if best is not None else "cp1252"
    if encoding in _WESTERN:
        try:
            data.decode("cp1252")
            return "cp1252"
        except UnicodeDecodeError:
            pass
    return encoding


def _checked(text: str) -> str:
    if not text.strip():
        raise UnreadableFile("empty file")
    return text


_META_CHARSET = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_:.-]+)""", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9_.-]+)""", re.IGNORECASE)


def _declared_charset(head: bytes) -> str:
    match = _XML_ENCODING.match(head) or _META_CHARSET.search(head)
    if not match:
        return ""
    return match.group(1).decode("ascii")


def _visible(text: str) -> str:
    """Text without control characters and the invisible characters that sit inside words."""
    return clean_text(without_invisible(text)).strip()


def _canonical(url: str | None) -> str:
    """The page's canonical URL, when it is one (not a path or a bare name)."""
    return url if url and re.match(r"https?://[^/\s]+", url, re.IGNORECASE) else ""


#: The share of a page's text in whole lines that are its links' text from which it is a
#: list of links, not an article: 0.93 for a section's front page; at most 0.111 for the
#: 300 news pages of ../shared/data/web.
LINKED_SHARE = 0.8
# (A link's text runs to its </a>, never past another <a: with `.*?`, each of 20,000 unclosed
# anchors searched the rest of the page for one, 148 s; this is linear.)
_ANCHOR = re.compile(r"<a\b[^>]*>((?:[^<]|<(?!/?a\b))*)</a\s*>", re.IGNORECASE)
_ANY_TAG = re.compile(r"<[^>]+>")


def _linked_share(markup: str, text: str) -> float:
    """The share of the words of `text` in lines that are the whole text of one of the
    page's links."""
    links = {" ".join(html_entities.unescape(_ANY_TAG.sub(" ", found)).split()) for found in _ANCHOR.findall(markup)}
    lines = [" ".join(line.split()) for line in text.splitlines()]
    words = sum(len(line.split()) for line in lines)
    linked = sum(len(line.split()) for line in lines if line and line in links)
    return linked / words if words else 0.0


_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_OG_TITLE = re.compile(r"""<meta[^>]+property=["']og:title["'][^>]*content=["']([^"']*)""", re.IGNORECASE)


def _title_of(markup: str) -> str:
    match = _OG_TITLE.search(markup) or _TITLE.search(markup)
    return _visible(" ".join(html_entities.unescape(match.group(1)).split())) if match else ""


_PUBLISHED_META = re.compile(
    r"""<meta[^>]+(?:property|name|itemprop)=["'](?:article:published_time|datePublished|pubdate)["'][^>]*"""
    r"""content=["']([^"']+)""", re.IGNORECASE)
_JSON_LD = re.compile(r"""<script[^>]+application/ld\+json[^>]*>(.*?)</script>""", re.IGNORECASE | re.DOTALL)
_ARTICLE_TYPES = ("Article", "NewsArticle", "ReportageNewsArticle", "AnalysisNewsArticle", "BlogPosting",
                  "OpinionNewsArticle", "Report", "LiveBlogPosting", "WebPage")


def _published(markup: str) -> dt.datetime | None:
    """The date and time the page says it was published: its article:published_time, else
    the datePublished of its own article in JSON-LD (not of the other stories a page lists
    there). The day the extractor finds loses the time, which orders a day's stories."""
    values = [match.group(1) for match in _PUBLISHED_META.finditer(markup)]
    if not values and "ld+json" in markup:
        values = [value for block in _JSON_LD.findall(markup) for value in _article_dates(block)]
    for value in values:
        if "T" in value or ":" in value:  # a day alone is what the extractor finds anyway
            try:
                return parse_date(value.strip())
            except ValueError:
                continue
    return None


def _article_dates(block: str) -> list[str]:
    """The datePublished of the article objects in a JSON-LD block (top level or @graph)."""
    try:
        data = json.loads(block)
    except ValueError:
        return []
    items = data if isinstance(data, list) else [data]
    items += [item for entry in list(items) if isinstance(entry, dict) for item in entry.get("@graph", [])]
    found = []
    for item in items:
        if not isinstance(item, dict):
            continue
        kinds = item.get("@type")
        kinds = kinds if isinstance(kinds, list) else [kinds]
        if any(kind in _ARTICLE_TYPES for kind in kinds) and isinstance(item.get("datePublished"), str):
            found.append(item["datePublished"])
    # A list of several articles is the stories a page links to, not its own.
    return found if len(found) == 1 or not isinstance(data, list) else []


def _day(value: str | None) -> dt.datetime | None:
    try:
        return dt.datetime.strptime(value, "%Y-%m-%d") if value else None
    except ValueError:
        return None


_LANG = re.compile(
    r"""<html[^>]*?\slang=["']?([A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})?)"""
    r"""|<meta[^>]+(?:property=["']og:locale["']|http-equiv=["']content-language["'])[^>]*content=["']"""
    r"""([A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})?)""", re.IGNORECASE)


def _language(markup: str) -> str:
    match = _LANG.search(markup[:_HEAD_BYTES * 4])
    return (match.group(1) or match.group(2)).replace("_", "-") if match else ""
