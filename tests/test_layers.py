"""The layers hold: import-linter checks the contracts in setup.cfg.

- the library imports no command line (searcher.cli, click, rich);
- only the engine and the search import Whoosh;
- the engine imports nothing of the layers above it;
- news analysis reads through a search snapshot, never through an index run or the writers;
- reading a corpus needs nothing of the index, the search or Whoosh;
- only cluster.py imports Dask (the [cluster] extra); the rest reaches it through cluster.py;
- only searcher/web imports the web stack (the [web] extra), and nothing of the library imports it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SETUP_CFG = Path(__file__).resolve().parents[1] / "setup.cfg"


def test_the_import_contracts_hold(tmp_path: Path) -> None:
    # (In a new process, so that what this one imported doesn't matter; the cache in a
    # temporary folder, so that no run reads another's.)
    run = subprocess.run([sys.executable, "-c", "import sys; from importlinter.cli import lint_imports; "
                          f"sys.exit(lint_imports(config_filename={str(SETUP_CFG)!r}, "
                          f"cache_dir={str(tmp_path)!r}, no_logo=True))"],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Contracts: 11 kept, 0 broken." in run.stdout


def test_a_broken_contract_is_caught(tmp_path: Path) -> None:
    """The check can fail: a configuration that forbids what the readers do import."""
    config = tmp_path / "setup.cfg"
    config.write_text("[importlinter]\nroot_package = searcher\n\n"
                      "[importlinter:contract:x]\nname = readers without the model\ntype = forbidden\n"
                      "source_modules =\n    searcher.readers\nforbidden_modules =\n    searcher.model\n")
    run = subprocess.run([sys.executable, "-c", "import sys; from importlinter.cli import lint_imports; "
                          f"sys.exit(lint_imports(config_filename={str(config)!r}, no_cache=True, no_logo=True))"],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 1 and "BROKEN" in run.stdout
