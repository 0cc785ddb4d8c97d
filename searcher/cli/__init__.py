"""The `searcher` command: the click commands (commands), each one library call plus
printing, and the terminal's rendering and progress bars (terminal). Nothing in the
library imports it.
"""


def main() -> None:
    """The `searcher` command (the console script's entry point, `searcher.cli:main`)."""
    from .commands import main as run

    run()
