"""The configuration: one YAML file, every key checked.

`load_config(None)` finds the file the way git finds its repository: the file
named by `SEARCHER_CONFIG`, else `searcher.yaml` in the current folder or the
nearest parent that has one, else the defaults. Paths in the file are relative
to the file. An unknown key or a bad value is a `ConfigError` that names the
file, the line and the key.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Mapping

from .errors import ConfigError, did_you_mean

CONFIG_NAME = "searcher.yaml"
CONFIG_ENV = "SEARCHER_CONFIG"

#: Corpus formats a file extension can be mapped to ("auto" looks at the content).
FORMATS = ("auto", "archive-page", "plain-text", "jsonl", "csv", "tsv", "html", "warc")

#: The article fields a JSON lines key or CSV column can fill, and the keys tried
#: by default, in order. A key can be a dotted path into nested JSON ("meta.date").
DEFAULT_RECORD_FIELDS: Mapping[str, tuple[str, ...]] = {
    "id": ("id", "doc_id", "docid", "article_id", "guid", "uuid"),
    "title": ("title", "headline", "heading"),
    "body": ("body", "text", "content", "article", "story"),
    "caption": ("caption",),
    "credit": ("credit",),
    "dateline": ("dateline", "places", "place", "location"),
    "source": ("source", "outlet", "publisher", "site"),
    "category": ("category", "categories", "section", "topics", "topic"),
    "date": ("date", "published", "published_at", "pubdate", "datetime", "timestamp"),
    "url": ("url", "link", "href"),
    "author": ("author", "authors", "byline"),
    "language": ("language", "lang"),
}

#: Other names people give fields: a query's `place:brazil`, a configuration's `fields: {place: ...}`.
FIELD_ALIASES = {"dateline": ["place", "places"], "category": ["categories", "topic", "topics"]}

#: Query-time weights of the fields searched by default (BM25F field boosts).
DEFAULT_BOOSTS: Mapping[str, float] = {"title": 3.0, "caption": 1.5, "dateline": 1.0, "body": 1.0}
BOOSTABLE_FIELDS = ("title", "caption", "body", "dateline", "source", "category")

ON_DUPLICATE = ("keep-first", "keep-last")

#: What a sentence-transformers model folder must hold, for `semantic: model:`.
MODEL_FILES = ("config.json", "tokenizer.json", "model.safetensors")


#: The version of how the readers read a file: made one more whenever the same file
#: gives other articles (2: record keys in any case, semicolon CSV; 3: placeholder dates
#: are none, a date's offset is dropped, not converted to UTC, Unix times), so that the next index
#: run reads again the files read by the rules before.
READING_RULES = 3


@dataclass(frozen=True)
class Config:
    """Every setting searcher reads; build one with `load_config`."""

    path: Path | None = None  # the file it came from; None for the defaults
    corpus: tuple[Path, ...] = ()
    index: Path = field(default_factory=lambda: Path.cwd() / "index")
    on_duplicate: str = "keep-first"
    workers: int | None = None  # None: as many as the machine has, when the corpus is big enough
    lock_wait: float = 30.0  # seconds an index run waits for another one writing the same index
    # The Dask scheduler that searches and builds a sharded index ("tcp://host:8786"; None:
    # this machine), and how long to wait for it to answer (see cluster.py).
    cluster: str | None = None
    cluster_timeout: float = 10.0
    commit_every: int = 50_000  # articles: an interrupted index run keeps what it committed
    follow_links: bool = False  # follow symbolic links that lead outside the corpus folders
    formats: Mapping[str, str] = field(default_factory=dict)  # ".txt" -> "plain-text"
    record_fields: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: dict(DEFAULT_RECORD_FIELDS))
    # strptime formats tried before the common ones (ISO 8601, RFC 2822, Reuters', US...)
    date_formats: tuple[str, ...] = ()
    limit: int = 10
    passages: int = 2
    passage_chars: int = 300
    boosts: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_BOOSTS))
    auto_correct: bool = False  # search the suggested words when a query's word is in no article
    all_words: bool = False  # plain words must all match (else those with every word rank first)
    duplicates: bool = True  # find near-duplicates when indexing, and show them once (duplicates.py)
    default_synonyms: bool = True  # the shipped name variants (name_variants.py)
    synonym_groups: tuple[tuple[str, ...], ...] = ()  # more, from the configuration
    # Semantic ranking (searcher/semantic/): the sentence-transformers model folder whose
    # embeddings of each article's windows are fused with BM25 (None: off, nothing loaded).
    semantic: Path | None = None

    def with_index(self, index: str | os.PathLike[str] | None) -> Config:
        """This configuration with another index folder (None keeps this one)."""
        return self if index is None else replace(self, index=Path(index).absolute())

    def with_cluster(self, address: str | None, where: str = "--cluster") -> Config:
        """This configuration with another Dask scheduler (None keeps this one; "" is none).
        Raises ConfigError, saying `where` the address came from, for what is not a
        scheduler's address."""
        if address is None:
            return self
        if address and (problem := address_problem(address)):
            raise ConfigError(f"{where}: {problem}")
        return replace(self, cluster=address or None)

    def reader_fingerprint(self) -> str:  # (follow_links changes which files, not what they hold)
        """What, in this configuration, changes the articles read from the same files."""
        formats = sorted(self.formats.items())
        fields = sorted((k, list(v)) for k, v in self.record_fields.items())
        extra = ([list(self.date_formats)] if self.date_formats else []) + (["duplicates"] if self.duplicates else [])
        extra += [f"reading rules {READING_RULES}"] if READING_RULES > 1 else []
        return repr((formats, fields, *extra)) if extra else repr((formats, fields))


def find_config(start: Path | None = None) -> Path | None:
    """The configuration file that applies in `start` (default: the current folder)."""
    env = os.environ.get(CONFIG_ENV)
    if env:
        return Path(env)
    folder = (start or Path.cwd()).absolute()
    for candidate in (folder, *folder.parents):
        path = candidate / CONFIG_NAME
        if path.is_file():
            return path
    return None


CLUSTER_ENV = "SEARCHER_CLUSTER"
_ADDRESS = re.compile(r"((tcp|tls|ws|wss|ucx)://)?[^\s/:]+:\d{1,5}")


def address_problem(value: object) -> str | None:
    """What is wrong with a Dask scheduler address ("tcp://host:8786"), or None."""
    if not isinstance(value, str) or not _ADDRESS.fullmatch(value):
        return f"expected a Dask scheduler address such as tcp://host:8786, got {_describe(value)}"
    return None


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    """Read and check a configuration file; with None, the one `find_config` finds, else the defaults."""
    found = Path(path) if path is not None else find_config()
    config = Config() if found is None else _parse(found)
    return config.with_cluster(os.environ.get(CLUSTER_ENV), f"${CLUSTER_ENV}")


# -- reading and checking ---------------------------------------------------------------


def _parse(path: Path) -> Config:
    data, lines = _read_yaml(path, "configuration file", str(path))
    checker = _Checker(path, lines)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the configuration must be a mapping of keys to values")
    return checker.config(data)


def _read_yaml(path: Path, what: str, where: str) -> tuple[Any, dict[tuple[str, ...], int]]:
    """The data of a YAML file and the line of each of its keys (_key_lines); ConfigError,
    saying `where` (the file, or the key naming it) and the line, when it can't be read,
    or when a mapping has a key twice."""
    import yaml  # only the commands that read a config pay for pyyaml

    try:
        data = path.read_bytes()
        text = data.decode("utf-8-sig")
    except FileNotFoundError:
        raise ConfigError(f"{where}: {what} not found") from None
    except OSError as error:
        raise ConfigError(f"{where}: cannot read the {what}: {error.strerror or error}") from None
    except UnicodeDecodeError as error:  # (the line, not a byte's position: "é" saved as cp1252)
        at = error.start + (3 if data.startswith(b"\xef\xbb\xbf") else 0)  # (utf-8-sig counts after a BOM)
        line = data[:at].count(b"\n") + 1
        raise ConfigError(f"{path}:{line}: the {what} is not UTF-8 (byte {data[at]:#04x}): save it as UTF-8") from None
    try:
        data, tree = yaml.safe_load(text), yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f"{path}:{mark.line + 1}" if mark else str(path)
        raise ConfigError(f"{line}: not valid YAML: {getattr(error, 'problem', None) or error}") from None
    return data, _key_lines(tree, path)


def _key_lines(node: Any, path: Path, prefix: tuple[str, ...] = (), record: bool = True) -> dict[tuple[str, ...], int]:
    """The line (1-based) of every key of the YAML document's mappings, by its key path
    (those inside lists are checked, not recorded). A key a mapping has twice is a
    ConfigError: YAML's loaders keep the last, silently, and one of the two is a mistake."""
    import yaml

    lines: dict[tuple[str, ...], int] = {}
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            name, line = str(key_node.value), key_node.start_mark.line + 1
            key = (*prefix, name)
            if name in seen:
                raise ConfigError(f"{path}:{line}: {'.'.join(key)}: given twice (first on line {seen[name]})")
            seen[name] = line
            if record:
                lines[key] = line
            lines.update(_key_lines(value_node, path, key, record))
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _key_lines(item, path, prefix, record=False)
    return lines


class _Checker:
    """Turns the parsed YAML into a `Config`, naming file, line and key in every error."""

    def __init__(self, path: Path, lines: dict[tuple[str, ...], int]) -> None:
        self.path = path
        self.lines = lines

    def fail(self, keys: tuple[str, ...], message: str) -> ConfigError:
        line = self.lines.get(keys) or self.lines.get(keys[:1])
        where = f"{self.path}:{line}" if line else str(self.path)
        # (A key with a dot of its own, formats' ".txt", in brackets: not "formats..txt".)
        shown = "".join(f"[{key!r}]" if "." in key else f".{key}" for key in keys).lstrip(".")
        return ConfigError(f"{where}: {shown}: {message}")

    def known(self, mapping: dict[str, Any], allowed: tuple[str, ...], prefix: tuple[str, ...] = (),
              aliases: Mapping[str, str] | None = None) -> None:
        """An error for a key not `allowed`, naming the one meant: the closest, or the one
        the key is another name of (`aliases`: fields' place is dateline)."""
        for key in mapping:
            if key not in allowed:
                keys = (*prefix, str(key))
                alias = (aliases or {}).get(str(key))
                meant = f"did you mean {alias}? " if alias else did_you_mean(str(key), allowed, cutoff=0.75)
                raise self.fail(keys, f"unknown key ({meant}known keys: {', '.join(allowed)})")

    def mapping(self, value: Any, keys: tuple[str, ...]) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.fail(keys, f"expected a mapping of keys to values, got {_describe(value)}")
        return value

    def integer(self, value: Any, keys: tuple[str, ...], minimum: int, other: str = "") -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self.fail(keys, f"expected a whole number of at least {minimum}{other}, got {_describe(value)}")
        return value

    def boolean(self, value: Any, keys: tuple[str, ...]) -> bool:
        if not isinstance(value, bool):
            raise self.fail(keys, f"expected true or false, got {_describe(value)}")
        return value

    def number(self, value: Any, keys: tuple[str, ...], what: str) -> float:
        """A number of 0 or more (`what` says it: "a number of seconds")."""
        if isinstance(value, str) and _EXPONENT.fullmatch(value.strip()):
            value = float(value)  # (YAML 1.1 reads 1e9, without a dot, as a string)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise self.fail(keys, f"expected {what}, 0 or more, got {_describe(value)}")
        return float(value)

    def address(self, value: Any, keys: tuple[str, ...]) -> str | None:
        """A Dask scheduler's address (None, or an empty string: no cluster)."""
        if value is None or value == "":
            return None
        problem = address_problem(value)
        if problem:
            raise self.fail(keys, problem)
        return str(value)

    def choice(self, value: Any, keys: tuple[str, ...], choices: tuple[str, ...]) -> str:
        if value not in choices:
            raise self.fail(keys, f"expected one of {', '.join(choices)}, got {_describe(value)}")
        return value

    def path_value(self, value: Any, keys: tuple[str, ...]) -> Path:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(keys, f"expected a path, got {_describe(value)}")
        path = Path(os.path.expanduser(value))
        return path if path.is_absolute() else (self.path.absolute().parent / path)

    def names(self, value: Any, keys: tuple[str, ...]) -> tuple[str, ...]:
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not items or not all(isinstance(i, str) and i for i in items):
            # (A list: say what in it is wrong, "got a list" said nothing.)
            got = _describe(value) if not isinstance(items, list) else "an empty list" if not items else \
                f"a list with {_describe(next(i for i in items if not (isinstance(i, str) and i)))}"
            raise self.fail(keys, f"expected a key name or a list of key names, got {got}")
        return tuple(items)

    def synonyms(self, value: Any) -> dict[str, Any]:
        """`synonyms: false` (none), `true` (the default list), a file name (the default
        list and that file's groups), or a mapping of default, file and groups."""
        keys = ("synonyms",)
        if isinstance(value, bool):
            return {"default_synonyms": value}
        if isinstance(value, str):
            value = {"file": value}
        if value is not None and not isinstance(value, dict):
            raise self.fail(keys, f"expected true, false, a file of groups or a mapping (default, file, groups), "
                                  f"got {_describe(value)}")
        mapping = self.mapping(value, keys)
        self.known(mapping, ("default", "file", "groups"), keys)
        settings: dict[str, Any] = {}
        if "default" in mapping:
            settings["default_synonyms"] = self.boolean(mapping["default"], (*keys, "default"))
        groups = list(self.groups(mapping.get("groups"), (*keys, "groups")))
        if "file" in mapping:
            groups.extend(_synonym_file(self.path_value(mapping["file"], (*keys, "file")), self.fail((*keys, "file"), "")))
        settings["synonym_groups"] = tuple(groups)
        return settings

    def groups(self, value: Any, keys: tuple[str, ...]) -> list[tuple[str, ...]]:
        if value is None:
            return []
        wrong = "" if isinstance(value, list) else f", got {_describe(value)}"
        for number, group in enumerate(value if isinstance(value, list) else [], start=1):
            if not (isinstance(group, list) and len(group) >= 2 and all(isinstance(s, str) and s.strip() for s in group)):
                wrong = f"; group {number} is {repr(group)[:60]}"
                break
        if wrong:  # (a group's line is not recorded: its number and what it is say which)
            raise self.fail(keys, f"expected a list of groups, each a list of two or more spellings "
                                  f"(- [Idlib, Idleb]){wrong}")
        return [tuple(s.strip() for s in group) for group in value]

    def date_formats(self, value: Any, keys: tuple[str, ...]) -> tuple[str, ...]:
        import datetime as dt

        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not items or not all(isinstance(i, str) and "%" in i for i in items):
            raise self.fail(keys, f"expected a strptime format such as '%d.%m.%Y %H:%M' or a list of them, "
                                  f"got {_describe(value)}")
        for fmt in items:
            try:  # a format that can't read what it writes is mistyped ("%Q")
                dt.datetime.strptime(dt.datetime(2001, 2, 3, 4, 5, 6).strftime(fmt), fmt)
            except ValueError as error:
                raise self.fail(keys, f"invalid format {fmt!r} ({error})") from None
        return tuple(items)

    def config(self, data: dict[str, Any]) -> Config:
        top = ("corpus", "index", "on_duplicate", "workers", "lock_wait", "commit_every", "follow_links", "formats",
               "fields", "date_format", "synonyms", "duplicates", "search", "cluster", "cluster_timeout",
               "semantic")
        self.known(data, top)
        settings: dict[str, Any] = {"path": self.path.absolute()}

        if "corpus" in data:
            corpus = data["corpus"]
            items = corpus if isinstance(corpus, list) else [corpus]
            settings["corpus"] = tuple(self.path_value(item, ("corpus",)) for item in items)
        if "index" in data:
            settings["index"] = self.path_value(data["index"], ("index",))
        if "on_duplicate" in data:
            settings["on_duplicate"] = self.choice(data["on_duplicate"], ("on_duplicate",), ON_DUPLICATE)
        if "workers" in data:
            workers = data["workers"]
            settings["workers"] = None if workers == "auto" else self.integer(workers, ("workers",), 1, " (or auto)")
        if "lock_wait" in data:
            settings["lock_wait"] = self.number(data["lock_wait"], ("lock_wait",), "a number of seconds")
        if "cluster" in data:
            settings["cluster"] = self.address(data["cluster"], ("cluster",))
        if "cluster_timeout" in data:
            settings["cluster_timeout"] = self.number(data["cluster_timeout"], ("cluster_timeout",), "a number of seconds")
        if "commit_every" in data:
            settings["commit_every"] = self.integer(data["commit_every"], ("commit_every",), 1)
        for name in ("follow_links", "duplicates"):
            if name in data:
                settings[name] = self.boolean(data[name], (name,))
        if "synonyms" in data:
            settings.update(self.synonyms(data["synonyms"]))
        if "date_format" in data:
            settings["date_formats"] = self.date_formats(data["date_format"], ("date_format",))

        if "semantic" in data:
            semantic = self.mapping(data["semantic"], ("semantic",))
            self.known(semantic, ("model",), ("semantic",))
            if "model" not in semantic:
                raise self.fail(("semantic",), "expected model: the folder of a sentence-transformers model")
            model = self.path_value(semantic["model"], ("semantic", "model"))
            missing = [name for name in MODEL_FILES if not (model / name).is_file()]
            if missing:
                raise self.fail(("semantic", "model"), f"{model} is not a sentence-transformers model folder "
                                f"(no {', '.join(missing)})")
            settings["semantic"] = model

        formats = self.mapping(data.get("formats"), ("formats",))
        checked_formats = {}
        for ext, fmt in formats.items():
            keys = ("formats", str(ext))
            if not isinstance(ext, str) or not ext.startswith(".") or len(ext) < 2:
                raise self.fail(keys, "expected a file extension such as .txt")
            checked_formats[ext.lower()] = self.choice(fmt, keys, FORMATS)
        settings["formats"] = checked_formats

        fields = self.mapping(data.get("fields"), ("fields",))
        self.known(fields, tuple(DEFAULT_RECORD_FIELDS), ("fields",),
                   {**{alias: name for name, aliases in FIELD_ALIASES.items() for alias in aliases},
                    "authors": "author", "text": "body"})
        record_fields = dict(DEFAULT_RECORD_FIELDS)
        for name, value in fields.items():
            record_fields[name] = self.names(value, ("fields", name))
        settings["record_fields"] = record_fields

        search = self.mapping(data.get("search"), ("search",))
        self.known(search, ("limit", "passages", "passage_chars", "boosts", "auto_correct", "all_words"), ("search",))
        for name in ("auto_correct", "all_words"):
            if name in search:
                settings[name] = self.boolean(search[name], ("search", name))
        if "limit" in search:
            settings["limit"] = self.integer(search["limit"], ("search", "limit"), 1)
        if "passages" in search:
            settings["passages"] = self.integer(search["passages"], ("search", "passages"), 0)
        if "passage_chars" in search:
            settings["passage_chars"] = self.integer(search["passage_chars"], ("search", "passage_chars"), 80)
        if "boosts" in search:
            boosts = self.mapping(search["boosts"], ("search", "boosts"))
            self.known(boosts, BOOSTABLE_FIELDS, ("search", "boosts"))
            checked = {}
            for name, value in boosts.items():
                checked[name] = self.number(value, ("search", "boosts", name), "a number")
            # Fields left out keep their default weight; a weight of 0 stops searching the field.
            merged = {**DEFAULT_BOOSTS, **checked}
            settings["boosts"] = {name: weight for name, weight in merged.items() if weight > 0}
            if not settings["boosts"]:
                raise self.fail(("search", "boosts"), "at least one field needs a weight above 0")
        return Config(**settings)


def _synonym_file(path: Path, where: ConfigError) -> list[tuple[str, ...]]:
    """The groups of a synonym file: YAML, `groups:` a list of lists of spellings (or just the list)."""
    data, lines = _read_yaml(path, f"synonym file {path}", str(where).rstrip(": "))
    if isinstance(data, dict):
        checker = _Checker(path, lines)
        checker.known(data, ("groups",))
        return checker.groups(data.get("groups"), ("groups",))
    return _Checker(path, {}).groups(data, ("groups",))


_EXPONENT = re.compile(r"[0-9]+(?:\.[0-9]*)?[eE][+-]?[0-9]+")


def _describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, (dict, list)):
        return "a mapping" if isinstance(value, dict) else "a list"
    return repr(value)
