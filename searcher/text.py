"""Control characters: kept out of the index, and out of the terminal (and the other
kinds of text that readers and queries treat alike: invisible characters, web addresses).

C0 controls but tab and newline, DEL and C1 controls have no place in article
text: NULs break tools downstream, and escape sequences would let an article move
the cursor or recolour the terminal of whoever reads it.
"""

from __future__ import annotations

import re

CONTROL_CHARACTERS = frozenset(chr(c) for c in (*range(32), *range(0x7F, 0xA0)) if chr(c) not in "\t\n")

_REMOVE = {ord(ch): None for ch in CONTROL_CHARACTERS}
_REPLACE = {ord(ch): "\ufffd" for ch in CONTROL_CHARACTERS}
# Whether a text has any, found by the regular expression engine: str.isprintable is
# false for every text with a line break, and str.translate looks each character up in
# a dict (0.3 ms for a web page's 5,500 characters, against 0.02 ms for the search).
_CONTROL = re.compile("[%s]" % "".join(sorted(map(re.escape, CONTROL_CHARACTERS))))


#: Characters that are neither letters nor spaces and sit inside words: the soft hyphen,
#: zero-width space, non-joiner and joiner, word joiner and the byte order mark. German
#: web pages put them inside long words; left in, a word would be cut in two at them.
_INVISIBLE_CHARACTERS = "\u00ad\u200b\u200c\u200d\u2060\ufeff"
_IN_WORDS = dict.fromkeys(map(ord, _INVISIBLE_CHARACTERS))
_INVISIBLE = re.compile(f"[{_INVISIBLE_CHARACTERS}]")


#: A web address: a scheme and "://", or "www.", and what follows up to a space. A
#: query that is one is looked up as an article's id, and its words are never
#: "corrected" (search/query.py, search/spelling.py).
WEB_ADDRESS = re.compile(r"(?:\b[a-z][a-z0-9+.-]*://|\bwww\.)\S+", re.IGNORECASE)


def quoted(text: str) -> str:
    """`text` in quotes, as typed: in single quotes, or double when it holds a single
    one ("Russia's"), as repr would, but without its backslashes ('Blair\\' was shown
    with two)."""
    return f'"{text}"' if "'" in text and '"' not in text else f"'{text}'"


def without_invisible(text: str) -> str:
    """Text without the invisible characters that sit inside words (a web page's text, a query)."""
    return text.translate(_IN_WORDS) if _INVISIBLE.search(text) else text


def clean_text(text: str) -> str:
    """Text without control characters (what readers store)."""
    return text.translate(_REMOVE) if _CONTROL.search(text) else text


def safe(text: str) -> str:
    """Text with control characters replaced by U+FFFD, one for one, so offsets into it still hold."""
    return text.translate(_REPLACE) if _CONTROL.search(text) else text
