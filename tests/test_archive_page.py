"""The archive page parser, on the sample article and on the variants scrapes produce."""

from __future__ import annotations

from pathlib import Path

import pytest

from searcher import Problem, read_corpus
from searcher.readers.archive_page import looks_like_archive_page, parse_archive_page, split_dateline

from .conftest import SAMPLE

SAMPLE_TEXT = SAMPLE.read_text(encoding="utf-8")
CAPTION = "Syrian pro-government troops hold a position in Aleppo’s eastern Karm al-Jabal neighborhood"
FIRST_BODY = "China and Russia vetoed on Monday a U.N. Security Council resolution"


def read_one(path: Path) -> tuple[object, list[Problem]]:
    problems: list[Problem] = []
    articles = list(read_corpus(path, on_problem=problems.append))
    assert len(articles) == 1, problems
    return articles[0], problems


def test_sample_article_fields() -> None:
    article, problems = read_one(SAMPLE)
    assert problems == []
    assert article.id == "55363386"
    assert article.source == "Asharq Al-Awsat"
    assert article.title == "Moscow Wants Entire Aleppo, Idlib Awaits its Fate"
    assert article.caption == CAPTION
    assert article.credit == "George Ourfalian/AFP"
    assert article.dateline == ("Moscow", "Beirut")
    assert article.body.startswith(FIRST_BODY)
    assert article.body.endswith("Several civilians were killed and injured, it said.")
    assert "Select Page" not in article.body and "Media ID" not in article.body
    assert "Around 1.5 million refugees have joined them" in article.body
    assert article.body.count("\n\n") == 14  # 15 paragraphs, kept apart
    assert article.path == str(SAMPLE)


def write_variant(tmp_path: Path, text: str, name: str = "variant.txt", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_no_media_id_takes_the_id_from_the_file_name(tmp_path: Path) -> None:
    text = SAMPLE_TEXT.replace("Media ID: 55363386\n", "")
    article, _ = read_one(write_variant(tmp_path, text, "moscow-wants-aleppo.txt"))
    assert article.id == "moscow-wants-aleppo"
    assert article.title == "Moscow Wants Entire Aleppo, Idlib Awaits its Fate"
    assert article.caption == CAPTION


def test_no_caption(tmp_path: Path) -> None:
    text = SAMPLE_TEXT.replace(CAPTION + "/ George Ourfalian/AFP\n\n", "")
    article, _ = read_one(write_variant(tmp_path, text))
    assert article.caption == "" and article.credit == ""
    assert article.dateline == ("Moscow", "Beirut")
    assert article.body.startswith(FIRST_BODY)


def test_no_dateline(tmp_path: Path) -> None:
    text = SAMPLE_TEXT.replace("Moscow, Beirut – ", "")
    article, _ = read_one(write_variant(tmp_path, text))
    assert article.dateline == ()
    assert article.caption == CAPTION
    assert article.body.startswith(FIRST_BODY)


def test_no_caption_and_no_dateline_keeps_the_first_paragraph_as_body(tmp_path: Path) -> None:
    text = SAMPLE_TEXT.replace(CAPTION + "/ George Ourfalian/AFP\n\n", "").replace("Moscow, Beirut – ", "")
    article, _ = read_one(write_variant(tmp_path, text))
    assert article.caption == "" and article.dateline == ()
    assert article.body.startswith(FIRST_BODY)


@pytest.mark.parametrize("dash", ["–", "—", "-", "--"])
def test_dateline_dashes(tmp_path: Path, dash: str) -> None:
    text = SAMPLE_TEXT.replace("Moscow, Beirut – ", f"Moscow, Beirut {dash} ")
    article, _ = read_one(write_variant(tmp_path, text))
    assert article.dateline == ("Moscow", "Beirut")
    assert article.body.startswith(FIRST_BODY)


def test_crlf_bom_and_extra_blank_lines(tmp_path: Path) -> None:
    text = "\ufeff" + SAMPLE_TEXT.replace("\n\n", "\n\n\n  \n").replace("\n", "\r\n")
    article, problems = read_one(write_variant(tmp_path, text))
    assert problems == []
    assert article.id == "55363386"
    assert article.source == "Asharq Al-Awsat"
    assert article.title == "Moscow Wants Entire Aleppo, Idlib Awaits its Fate"
    assert article.caption == CAPTION and article.dateline == ("Moscow", "Beirut")
    assert "\r" not in article.body and "\n\n\n" not in article.body
    assert article.body.count("\n\n") == 14


def test_hyphen_inside_words_is_not_a_dateline() -> None:
    assert split_dateline("Pro-government forces - backed by Russia - advanced.") == (
        (),
        "Pro-government forces - backed by Russia - advanced.",
    )
    assert split_dateline("Deir ez-Zor, Ras al-Ain – Fighting resumed.") == (("Deir ez-Zor", "Ras al-Ain"), "Fighting resumed.")


def test_a_page_without_text_is_reported_and_skipped(tmp_path: Path) -> None:
    header = SAMPLE_TEXT.split("Syrian pro-government")[0]
    write_variant(tmp_path, header, "empty-page.txt")
    write_variant(tmp_path, SAMPLE_TEXT, "good.txt")
    problems: list[Problem] = []
    articles = list(read_corpus(tmp_path, on_problem=problems.append))
    assert [a.id for a in articles] == ["55363386"]
    assert len(problems) == 1 and problems[0].path.endswith("empty-page.txt")
    assert "without article text" in problems[0].message


def test_plain_text_file_is_not_an_archive_page(tmp_path: Path) -> None:
    path = write_variant(tmp_path, "Refugees reach Idlib\n\nThousands arrived on Monday.\nMore are expected.\n", "note.txt")
    assert not looks_like_archive_page(path.read_text())
    article, _ = read_one(path)
    assert article.id == "note"
    assert article.title == "Refugees reach Idlib"
    assert article.body == "Thousands arrived on Monday.\nMore are expected."


def test_parse_archive_page_directly() -> None:
    article = parse_archive_page(SAMPLE_TEXT, "fallback")
    assert article.id == "55363386" and article.credit == "George Ourfalian/AFP"
