"""The configuration file: found like git finds its repository, every key checked."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from searcher import ConfigError, load_config
from searcher.config import DEFAULT_BOOSTS, find_config

from .conftest import REPO


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_a_file(tmp_path: Path) -> None:
    config = load_config(None)
    assert config.path is None
    assert config.index == tmp_path / "index"
    assert config.corpus == ()
    assert dict(config.boosts) == dict(DEFAULT_BOOSTS)


def test_the_repository_config_points_at_corpus_and_index() -> None:
    config = load_config(REPO / "searcher.yaml")
    assert config.corpus == (REPO / "corpus",)
    assert config.index == REPO / "index"


def test_found_in_a_parent_folder_with_paths_relative_to_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "searcher.yaml", "corpus: [news, more/wire.jsonl]\nindex: data/ix\n")
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)
    config = load_config(None)
    assert config.path == tmp_path / "searcher.yaml"
    assert config.corpus == (tmp_path / "news", tmp_path / "more" / "wire.jsonl")
    assert config.index == tmp_path / "data" / "ix"


def test_environment_variable_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "searcher.yaml", "index: here\n")
    other = write(tmp_path / "elsewhere" / "conf.yaml", "index: there\n")
    monkeypatch.setenv("SEARCHER_CONFIG", str(other))
    assert find_config() == other
    assert load_config(None).index == tmp_path / "elsewhere" / "there"


def test_every_key(tmp_path: Path) -> None:
    path = write(
        tmp_path / "searcher.yaml",
        """
corpus: news
index: ix
on_duplicate: keep-last
workers: 1
formats: {.TXT: plain-text, .data: jsonl}
fields:
  id: story_id
  body: [story, text]
search:
  limit: 20
  passages: 3
  passage_chars: 200
  boosts: {title: 5, body: 1, caption: 0}
""",
    )
    config = load_config(path)
    assert config.on_duplicate == "keep-last" and config.workers == 1
    assert dict(config.formats) == {".txt": "plain-text", ".data": "jsonl"}
    assert config.record_fields["id"] == ("story_id",) and config.record_fields["body"] == ("story", "text")
    assert config.record_fields["title"][0] == "title"  # keys left out keep their defaults
    assert (config.limit, config.passages, config.passage_chars) == (20, 3, 200)
    assert dict(config.boosts) == {"title": 5.0, "dateline": 1.0, "body": 1.0}  # 0 turns a field off


@pytest.mark.parametrize(
    "text, message",
    [
        ("corpus: news\nserach: {limit: 3}\n", "searcher.yaml:2: serach: unknown key (did you mean search? known keys: "),
        ("indx: ix\n", "searcher.yaml:1: indx: unknown key (did you mean index? "),
        ("zzz: 1\n", "searcher.yaml:1: zzz: unknown key (known keys: "),
        ("search:\n  limit: ten\n", "searcher.yaml:2: search.limit: expected a whole number of at least 1, got 'ten'"),
        ("search:\n  boosts:\n    headline: 2\n", "searcher.yaml:3: search.boosts.headline: unknown key"),
        ("on_duplicate: newest\n", "on_duplicate: expected one of keep-first, keep-last, got 'newest'"),
        ("fields:\n  id: 7\n", "fields.id: expected a key name or a list of key names, got 7"),
        ("fields:\n  writer: byline\n", "fields.writer: unknown key"),
        ("formats:\n  txt: jsonl\n", "formats.txt: expected a file extension such as .txt"),
        ("workers: 0\n", "workers: expected a whole number of at least 1 (or auto), got 0"),
        ("lock_wait: soon\n", "lock_wait: expected a number of seconds, 0 or more, got 'soon'"),
        ("commit_every: 0\n", "commit_every: expected a whole number of at least 1, got 0"),
        ("follow_links: sometimes\n", "follow_links: expected true or false, got 'sometimes'"),
        ("corpus: news\ncluster: sched 8786\n",
         "searcher.yaml:2: cluster: expected a Dask scheduler address such as tcp://host:8786, got 'sched 8786'"),
        ("cluster_timeout: -1\n", "cluster_timeout: expected a number of seconds, 0 or more, got -1"),
        ("index: [a, b]\n", "index: expected a path, got a list"),
        ("search: [1, 2]\n", "search: expected a mapping of keys to values, got a list"),
        ("corpus: news\n  bad indent: x\n", "not valid YAML"),
        ("- just\n- a list\n", "the configuration must be a mapping"),
        # YAML keeps the last of a key given twice, silently: one of the two is a mistake.
        ("index: a\ncorpus: news\nindex: b\n", "searcher.yaml:3: index: given twice (first on line 1)"),
        ("search:\n  limit: 3\n  passages: 1\n  limit: 5\n", "searcher.yaml:4: search.limit: given twice (first on line 2)"),
        # A new user's trial: messages that said too little, or named the wrong thing.
        ("fields:\n  title: [hed, 5]\n", "fields.title: expected a key name or a list of key names, got a list with 5"),
        ("fields:\n  date: []\n", "fields.date: expected a key name or a list of key names, got an empty list"),
        ("synonyms: 5\n", "synonyms: expected true, false, a file of groups or a mapping (default, file, groups), got 5"),
        ("formats:\n  .txt: text\n", "searcher.yaml:2: formats['.txt']: expected one of auto, "),
        ("fields:\n  place: places\n", "fields.place: unknown key (did you mean dateline? known keys: "),
        ("synonyms:\n  groups: [[Idlib, Idleb], [Benghazi]]\n", "synonyms.groups: expected a list of groups, each a "
         "list of two or more spellings (- [Idlib, Idleb]); group 2 is ['Benghazi']"),
    ],
)
def test_bad_configs_name_file_line_and_key(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path / "searcher.yaml", text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(path) in str(caught.value)
    assert message in str(caught.value)


def test_a_file_not_in_utf8_is_said_by_its_line_and_1e9_is_a_number(tmp_path: Path) -> None:
    """A new user's trial: 'utf-8' codec can't decode byte 0xe9 in position 38' (a position
    in bytes); and `title: 1e9` was "expected a number, got '1e9'" (YAML 1.1 reads it as text)."""
    path = tmp_path / "searcher.yaml"
    for bom in (b"", b"\xef\xbb\xbf"):  # (a review: after a BOM, the byte and line were another's)
        path.write_bytes(bom + "index: ix\n\n# café\n".encode("cp1252"))
        with pytest.raises(ConfigError, match=re.escape(f"{path}:3: the configuration file is not UTF-8 (byte 0xe9)")):
            load_config(path)
    path.write_text("search:\n  boosts: {title: 1e9, body: 2.5E-1}\n", encoding="utf-8")
    boosts = load_config(path).boosts
    assert (boosts["title"], boosts["body"]) == (1e9, 0.25)


def test_yaml_is_read_safely(tmp_path: Path) -> None:
    path = write(tmp_path / "searcher.yaml", "index: !!python/object/apply:os.system ['echo pwned']\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.yaml")


def test_the_cluster_from_the_file_the_environment_or_the_command(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path / "searcher.yaml", "cluster: tcp://sched:8786\ncluster_timeout: 2.5\n")
    config = load_config(path)
    assert (config.cluster, config.cluster_timeout) == ("tcp://sched:8786", 2.5)
    assert config.with_cluster(None).cluster == "tcp://sched:8786"  # (no --cluster: the file's)
    assert config.with_cluster("10.0.0.5:8786").cluster == "10.0.0.5:8786"
    assert config.with_cluster("").cluster is None  # (--cluster "": this machine)
    with pytest.raises(ConfigError, match="--cluster: expected a Dask scheduler address"):
        config.with_cluster("http://sched")
    monkeypatch.setenv("SEARCHER_CLUSTER", "tls://other:9000")
    assert load_config(path).cluster == "tls://other:9000"
    monkeypatch.setenv("SEARCHER_CLUSTER", "nowhere")
    with pytest.raises(ConfigError, match=r"\$SEARCHER_CLUSTER: expected a Dask scheduler address"):
        load_config(path)
