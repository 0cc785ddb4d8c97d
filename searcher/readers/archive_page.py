"""Archive pages: news articles saved from a site's archive as text.

The format, as in `corpus/asharq-al-awsat-55363386.txt`::

    Middle-east Arab News Opinion | Asharq Al-awsat            <- site header: the source
    Moscow Wants Entire Aleppo, Idlib ... | ASHARQ AL-AWSAT English Archive 2005 -2017
    Select Page                                                 <- navigation, dropped
    Media ID: 55363386                                          <- the id
    Syrian pro-government troops hold ... neighborhood/ George Ourfalian/AFP   <- caption/ credit
    Moscow, Beirut – China and Russia vetoed on Monday ...      <- dateline – body
    ...more paragraphs...

Scrapes vary, so every part but the title line and a body is optional, and the
dash after a dateline may be an en dash, an em dash or a hyphen.
"""

from __future__ import annotations

import re

from ..model import Article

# Lines a scrape keeps from the site's navigation; never article text.
NAVIGATION_LINES = frozenset(
    {
        "select page", "skip to content", "skip to main content", "menu", "main menu", "search",
        "home", "close", "toggle navigation", "share", "share this", "print", "email", "facebook",
        "twitter", "whatsapp", "linkedin", "telegram", "advertisement", "read more", "related articles",
        "related news", "back to top", "subscribe",
    }
)

_MEDIA_ID = re.compile(r"^media\s+id\s*:\s*(\S+)$", re.IGNORECASE)
_PIPE = re.compile(r"\s+\|\s+")

# "...neighborhood/ George Ourfalian/AFP", "...in Idlib/AFP", "...in Idlib (Reuters)"
_CREDIT = re.compile(
    r"^(?P<text>.*?)\s*(?:/\s*(?P<credit>(?:[A-Z][\w.'’-]*\s*){1,6}/\s*[A-Z][\w .&'’-]{0,40}?"
    r"|[A-Z][\w.&'’-]{1,20}(?:\s[A-Z][\w.&'’-]{1,20}){0,2})"
    r"|\s\((?P<agency>AFP|Reuters|AP|EPA|Getty Images|SANA|Anadolu)\))\s*$",
    re.DOTALL,
)

# A place name: capitalised words, with the particles of transliterated Arabic names
# ("Deir ez-Zor", "Ras al-Ain") and Western ones ("Saint-Denis", "Stratford-upon-Avon").
_WORD = r"[A-Z][\w'’.]*"
_PARTICLE = r"(?:al|el|ez|es|as|ad|ar|an|at|ash|bin|ibn|abu|de|du|da|la|le|of|upon|on|sur)"
_PLACE = rf"{_WORD}(?:[ -](?:{_WORD}|{_PARTICLE}(?=[ -])))*"
_DATELINE = re.compile(
    rf"^(?P<places>{_PLACE}(?:\s*(?:,|/|&|\band\b)\s*{_PLACE}){{0,5}})"
    r"\s*(?:[–—]|-{1,2}(?=\s))\s*(?P<rest>\S.*)$",
    re.DOTALL,
)
_PLACE_SEPARATOR = re.compile(r"\s*(?:,|/|&|\band\b)\s*")


class NotAnArticle(ValueError):
    """The file looks like an archive page but holds no article text."""


def looks_like_archive_page(text: str) -> bool:
    """True when the head of `text` has an archive page's marks (a Media ID or an archive title line)."""
    seen = 0
    for line in text.split("\n", 60)[:60]:
        line = line.strip()
        if not line:
            continue
        seen += 1
        if _MEDIA_ID.match(line):
            return True
        if " | " in line and "archive" in line.rsplit(" | ", 1)[1].lower():
            return True
        if seen >= 12:
            break
    return False


def parse_archive_page(text: str, default_id: str) -> Article:
    """The article in an archive page; `default_id` is used when the page has no Media ID."""
    paragraphs = _paragraphs(text)
    source, title, media_id, content = _split_header(paragraphs)
    caption, credit = "", ""
    if content:
        caption, credit = _caption(content)
        if caption or credit:
            content = content[1:]
    dateline: tuple[str, ...] = ()
    if content:
        dateline, first = split_dateline(content[0])
        content = [first, *content[1:]] if first else content[1:]
    body = "\n\n".join(content)
    if not body:
        raise NotAnArticle("archive page without article text")
    return Article(
        id=media_id or default_id,
        title=title,
        body=body,
        caption=caption,
        credit=credit,
        dateline=dateline,
        source=source,
    )


def split_dateline(paragraph: str) -> tuple[tuple[str, ...], str]:
    """Split "Moscow, Beirut – China and Russia..." into (("Moscow", "Beirut"), "China and Russia...")."""
    match = _DATELINE.match(paragraph)
    if not match or len(match.group("places")) > 80:
        return (), paragraph
    places = tuple(p.strip() for p in _PLACE_SEPARATOR.split(match.group("places")) if p.strip())
    return places, match.group("rest").strip()


def _paragraphs(text: str) -> list[str]:
    """Non-empty paragraphs (blank-line separated), navigation lines dropped."""
    paragraphs = []
    for block in re.split(r"\n\s*\n", text):
        lines = [line.strip() for line in block.split("\n")]
        lines = [line for line in lines if line and line.lower() not in NAVIGATION_LINES]
        if lines:
            paragraphs.append("\n".join(lines))
    return paragraphs


def _split_header(paragraphs: list[str]) -> tuple[str, str, str, list[str]]:
    """(source, title, media id, remaining paragraphs) of an archive page.

    The header is the run of leading paragraphs made only of header lines: lines
    with " | " (the site line, the title line) and the Media ID line.
    """
    header: list[str] = []
    rest = list(paragraphs)
    while rest and all(" | " in line or _MEDIA_ID.match(line) for line in rest[0].split("\n")):
        header.extend(rest.pop(0).split("\n"))
    media_id = next((m.group(1) for m in map(_MEDIA_ID.match, header) if m), "")
    piped = [_PIPE.split(line) for line in header if " | " in line]
    titles = [i for i, parts in enumerate(piped) if "archive" in parts[-1].lower()]
    if titles:
        title_at = titles[0]
    else:
        # No archive suffix: "site | name" then "title | name", or only the site line.
        title_at = 1 if len(piped) >= 2 else None
    site_at = 0 if title_at != 0 and piped else None
    source = _title_case(piped[site_at][-1]) if site_at is not None else ""
    title = piped[title_at][0] if title_at is not None else ""
    if not title and rest:
        # No title line: the first line of the text is the title, as in a plain text file.
        title, _, remainder = rest[0].partition("\n")
        rest = ([remainder] if remainder else []) + rest[1:]
    return source, title, media_id, rest


def _caption(paragraphs: list[str]) -> tuple[str, str]:
    """(caption, credit) when the first paragraph is a photo caption, else ("", "")."""
    first = paragraphs[0]
    if len(first) > 400:
        return "", ""
    match = _CREDIT.match(first)
    if match and match.group("text"):
        return match.group("text").strip(), (match.group("credit") or match.group("agency")).strip()
    # A caption without credit: a short line that is not a sentence, before the dateline.
    if len(paragraphs) > 1 and not first.endswith((".", "”", '"', ":")):
        if split_dateline(paragraphs[1])[0] and not split_dateline(first)[0]:
            return first, ""
    return "", ""


def _title_case(name: str) -> str:
    """"Asharq Al-awsat" -> "Asharq Al-Awsat": capitalise every word and hyphenated part."""
    return re.sub(r"(^|[\s-])(\w)", lambda m: m.group(1) + m.group(2).upper(), name.strip())
