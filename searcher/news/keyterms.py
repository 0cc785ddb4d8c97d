"""Top words: the terms that set the matching articles apart from the rest of the index.

Each term of the matching articles (read again with the indexing analysis, so terms
are the index's stems) is scored by Dunning's log-likelihood ratio (G2) of two
document frequencies: in the matching articles, and in the other articles of the
index. G2 is the corpus linguists' "keyness": unlike a tf-idf ratio it does not
reward a word seen once in a handful of articles. A word rarer in the matches than
elsewhere gets a negative score and is left out.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import TYPE_CHECKING, Callable, Iterable, Sequence

from ..engine.tokens import STOP_WORDS, TEXT_TERMS
from ..model import KeyTerm, TopWords

if TYPE_CHECKING:
    from ..search.filters import Filters
    from ..search.snapshot import Snapshot


def log_likelihood(a: int, n1: int, c: int, n2: int) -> float:
    """Signed G2 for a word in `a` of `n1` documents against `c` of `n2` others (0 when n2 is 0)."""
    if n1 <= 0 or n2 <= 0:
        return 0.0
    # (Estimated counts can overshoot: a sampled count scaled up, a count with deleted articles.)
    a, c = min(max(a, 0), n1), min(max(c, 0), n2)
    b, d = n1 - a, n2 - c
    total = n1 + n2
    score = 0.0
    for observed, row, column in ((a, n1, a + c), (b, n1, b + d), (c, n2, a + c), (d, n2, b + d)):
        if observed:
            score += observed * math.log(observed * total / (row * column))
    score *= 2
    return score if a * n2 >= c * n1 else -score


def key_terms(texts: Iterable[str], read: int, total: int, compared: int, estimate: Callable[[str], int],
              exact: Callable[[str], tuple[int, int]], query_terms: set[str], limit: int) -> list[KeyTerm]:
    """The `limit` most characteristic terms of the `total` matching articles against the
    `compared` articles they are part of, found in `texts` (the `read` matching
    articles read: all, or a sample).

    `estimate(term)` is a quick count of the compared articles with a term, for
    choosing candidates; `exact(term)` gives the true counts (matching articles,
    compared articles) of the candidates near the top, which are then scored again
    and shown. So every figure shown is exact, and a sample only picks the candidates.
    """
    if total >= compared:
        return []  # every article matches: there is nothing to compare them with
    document_frequency: Counter[str] = Counter()
    spellings: dict[str, Counter[str]] = {}
    for text in texts:
        seen = set()
        for start, end, term in TEXT_TERMS.tokens(text):
            if not term or term in seen or term in STOP_WORDS or len(term) < 2 or term.replace(",", "").isdigit():
                continue
            seen.add(term)
            word = text[start:end]
            counts = spellings.get(term)
            if counts is None:
                counts = spellings[term] = Counter()
            counts[word.lower() if not word.isupper() or len(word) > 5 else word] += 1
        document_frequency.update(seen)
    scale = total / read if read else 1.0
    others = compared - total

    def score(inside: float, everywhere: int) -> float:
        return log_likelihood(round(inside), total, everywhere - round(inside), others)

    candidates = []
    for term, inside in document_frequency.items():
        if inside < 2 and term not in query_terms:
            continue  # (a word of one article says nothing of the set)
        candidates.append((score(inside * scale, max(estimate(term), round(inside * scale))), term))
    candidates.sort(key=lambda item: (-item[0], item[1]))
    scored = []
    for _, term in candidates[:limit * 3 + 10]:
        inside, everywhere = exact(term)
        found = score(inside, everywhere)
        if inside and (found > 0 or term in query_terms):
            scored.append((found, term, inside, everywhere))
    scored.sort(key=lambda item: (-item[0], item[1]))
    return [KeyTerm(word=spellings[term].most_common(1)[0][0], term=term, matches=inside, articles=everywhere,
                    score=round(found, 2), in_query=term in query_terms)
            for found, term, inside, everywhere in scored[:limit]]


def counted_top_words(matched: Sequence[int], compared: Sequence[int] | None, live: int, text_of: Callable[[int], str],
                      document_frequency: Callable[[str], int], articles_with: Callable[[str], set[int]],
                      query_terms: set[str], limit: int, sample: int,
                      order_key: Callable[[int], int]) -> tuple[list[KeyTerm], int, int]:
    """The `limit` key terms of the `matched` articles (article numbers) against the
    `compared` ones (None: all `live` articles of the index), with what the index says:
    `text_of(article)`, `document_frequency(term)` (the largest of the text fields'),
    `articles_with(term)` (those with it in a text field). A result of more than
    `sample` articles is read from a fixed random sample of them, to choose the
    candidates; the counts shown are exact. The articles are read in the order of
    `order_key(article)` (schema.order_key, a hash of its id), and the sample is those
    first in it: the same articles in the same order however the index is built or
    sharded. Returns the terms, how many articles were compared, and how many matching
    ones were read."""
    size = len(compared) if compared is not None else live
    docnums = sorted(matched, key=order_key)[:sample]
    share = size / max(live, 1)
    matched_set = set(matched)
    compared_set = set(compared) if compared is not None else set()

    def estimate(term: str) -> int:  # (the largest field's count, in proportion to the articles compared)
        return round(document_frequency(term) * share)

    def exact(term: str) -> tuple[int, int]:  # articles with the term in a field read: matching, compared
        articles = articles_with(term)
        inside = len(articles & matched_set)
        return inside, len(articles) if compared is None else len(articles & compared_set)

    texts = (text_of(docnum) for docnum in docnums)
    return key_terms(texts, len(docnums), len(matched), size, estimate, exact, query_terms, limit), size, len(docnums)


def top_words(shards: Sequence[Snapshot], query: str, limit: int, *, filters: Filters | None, sample: int,
              all_words: bool | None) -> TopWords:
    """Index.top_words, in one snapshot of each shard. The articles of all the shards are
    numbered one after the other (a shard's article number plus the articles of the
    shards before it), and every count is summed over the shards: the words are those of
    the whole index."""
    import bisect

    offsets, matched, compared_all, found_all = [], [], [], []
    filtered, offset, live = False, 0, 0
    query_terms: set[str] = set()
    for snapshot in shards:
        found = snapshot.find(query, filters, all_words=all_words)
        metadata = snapshot.metadata
        compared = filters.apply(metadata.live(), metadata) if filters else None
        offsets.append(offset)
        matched += (found.scores.docnums + offset).tolist()
        compared_all += ((compared.docnums if compared is not None else metadata.live().docnums) + offset).tolist()
        filtered = filtered or compared is not None
        found_all.append(found)
        wanted = snapshot.wanted(found)
        query_terms |= {term for field in wanted.values() for term in field.terms} | {
            word for field in wanted.values() for phrase in field.phrases for word in phrase}
        offset += snapshot.searcher.doc_count_all()
        live += snapshot.searcher.doc_count()
    if filtered and len(matched) >= len(compared_all):
        filtered = False  # (the filters alone: compare them with the whole index)

    def shard_of_number(number: int) -> tuple[Snapshot, int]:
        place = bisect.bisect_right(offsets, number) - 1
        return shards[place], number - offsets[place]

    def text_of(number: int) -> str:
        snapshot, docnum = shard_of_number(number)
        return snapshot.article_text(docnum)

    def order_key(number: int) -> int:
        snapshot, docnum = shard_of_number(number)
        return int(snapshot.metadata.order_keys[docnum])

    def document_frequency(term: str) -> int:  # (Snapshot.document_frequency's, of all the shards)
        return max(map(sum, zip(*(snapshot.field_frequencies(term) for snapshot in shards))))

    def articles_with(term: str) -> set[int]:
        return {start + docnum for snapshot, start in zip(shards, offsets) for docnum in snapshot.articles_with(term)}

    terms, size, read = counted_top_words(matched, compared_all if filtered else None, live, text_of,
                                          document_frequency, articles_with, query_terms, limit, sample, order_key)
    every = sum(found.scores.count_every() for found in found_all)
    return TopWords(terms=tuple(terms), matches=len(matched), compared=size, read=read,
                    filtered=filtered, every_word=every if every < len(matched) else None)
