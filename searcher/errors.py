"""The one exception hierarchy and the one exit-code table.

Library code raises a `SearcherError` subclass; the command line turns it into
one line on stderr and the exit code `exit_code_for` gives. Anything else that
escapes is a bug in searcher and keeps its traceback.
"""

from __future__ import annotations

import enum
from typing import Callable, Sequence


class ExitCode(enum.IntEnum):
    """Exit codes of the `searcher` command, like grep's."""

    OK = 0  # found something, or the command did its work
    NOT_FOUND = 1  # a search or `show` found nothing
    ERROR = 2  # bad input, bad configuration, no index, a locked index...
    INTERRUPTED = 130  # Ctrl-C, as shells report SIGINT


class SearcherError(Exception):
    """Base of every error searcher raises on purpose.

    `hint` says what to do about it, in a few words.
    """

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message

    def __reduce__(self) -> tuple:  # type: ignore[type-arg]
        # (Pickled whole, whatever the subclass's arguments: a shard's error on a cluster's
        # worker is raised again, as it is, in the process that searched.)
        return _restored, (type(self), dict(self.__dict__))


def _restored(cls: type[SearcherError], state: dict) -> SearcherError:  # type: ignore[type-arg]
    error = cls.__new__(cls)
    Exception.__init__(error, state.get("message"))
    error.__dict__.update(state)
    return error


class ConfigError(SearcherError):
    """The configuration file is unreadable, has an unknown key or a bad value."""


class CorpusError(SearcherError):
    """The corpus to index is missing or unusable as a whole.

    Single bad files are not errors: they are reported as `Problem`s and skipped.
    """


class IndexNotFoundError(SearcherError):
    """There is no index where one was expected."""

    def __init__(self, message: str, *, hint: str | None = "run `searcher index` to build it") -> None:
        super().__init__(message, hint=hint)


class IndexFormatError(SearcherError):
    """The folder holds something that is not an index this version can read."""

    def __init__(
        self, message: str, *, hint: str | None = "run `searcher index --rebuild` to build it again"
    ) -> None:
        super().__init__(message, hint=hint)


class IndexVersionError(IndexFormatError):
    """The index was made by a searcher with another schema version (rebuilding it makes it
    readable); `older` when that version is older than this searcher's."""

    def __init__(self, message: str, *, older: bool) -> None:
        super().__init__(message)
        self.older = older


class IndexReadError(SearcherError):
    """The index can't be read, and it is not damaged: permissions, too many open
    files, a failing disk. Rebuilding would not help."""


class IndexLockedError(SearcherError):
    """Another process is writing to the index."""


class IndexWriteError(SearcherError):
    """The index folder can't be written (read-only, full, not ours)."""

    def __init__(self, message: str, *, hint: str | None = "check the folder's space and permissions, "
                                                           "or index into another folder with --index") -> None:
        super().__init__(message, hint=hint)


class ClusterError(SearcherError):
    """The Dask cluster does not answer, or no worker of it can serve a shard."""


class Interrupted(SearcherError):
    """The user stopped a run (Ctrl-C); the message says what was kept."""


class QueryError(SearcherError):
    """A query that cannot be parsed; `position` is the 0-based offset of the problem."""

    def __init__(self, message: str, position: int | None = None, *, hint: str | None = None) -> None:
        if position is not None:
            message = f"{message} at position {position}"
        super().__init__(message, hint=hint)
        self.position = position


class RequestError(SearcherError):
    """A request to `searcher serve` with a parameter that is malformed or out of bounds
    (named by `parameter`)."""

    def __init__(self, message: str, parameter: str | None = None, *, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.parameter = parameter


class ArticleNotFoundError(SearcherError):
    """No article has the id asked for."""


class OutputError(SearcherError):
    """Standard output can't be written (a full disk, an I/O error): said in one line."""

    @classmethod
    def writing(cls, error: OSError) -> OutputError:
        return cls(f"cannot write the output: {error.strerror or error}")


def install_hint(extra: str) -> str:
    """How to add an optional extra: from searcher's own folder, as the README installs
    searcher (a `pip install 'searcher[...]'` would ask the package index for a package
    of that name, which is not this one)."""
    return f"pip install '.[{extra}]' in searcher's folder"


def write_output(write: Callable[[], object]) -> None:
    """Run `write` (a write or flush of standard output), turning a reader gone away into
    OutputClosed and any other failure into OutputError."""
    try:
        write()
    except BrokenPipeError:
        raise OutputClosed from None
    except OSError as error:
        raise OutputError.writing(error) from None


class OutputClosed(Exception):
    """Standard output was closed by its reader (searcher ... | head): not an error.

    Deliberately not an OSError, nor a SearcherError: click turns a broken pipe into
    exit status 1, and the command line ends quietly with 0 instead.
    """


def exit_code_for(error: BaseException) -> ExitCode:
    """The exit code for an exception that reached the command line."""
    if isinstance(error, (KeyboardInterrupt, Interrupted)):
        return ExitCode.INTERRUPTED
    if isinstance(error, ArticleNotFoundError):
        return ExitCode.NOT_FOUND
    return ExitCode.ERROR


def http_status_for(error: SearcherError) -> int:
    """The HTTP status for an error that reached `searcher serve`: the request's fault
    (400), an article that is not there (404), or an index that can't be read now,
    being built, rebuilt with other shards, or its cluster gone (503)."""
    if isinstance(error, ArticleNotFoundError):
        return 404
    if isinstance(error, (IndexNotFoundError, IndexFormatError, IndexReadError, IndexLockedError, ClusterError)):
        return 503
    return 400


def did_you_mean(name: str, names: Sequence[str], cutoff: float = 0.6) -> str:
    """"did you mean place? " for a name typed wrong ("palce"), or "" when none of
    `names` is near it: what every error about a name (an option's value, a key of the
    configuration, a web parameter) says."""
    import difflib

    close = difflib.get_close_matches(name, list(names), n=1, cutoff=cutoff)
    return f"did you mean {close[0]}? " if close else ""
