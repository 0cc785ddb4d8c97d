"""`python -m searcher` is the `searcher` command."""

from .cli import main

main()
