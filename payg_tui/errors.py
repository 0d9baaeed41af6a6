"""User-facing failures and the exit codes of cli.md.

Anything raised as a `UserError` is shown as one line on stderr (no
traceback unless `--debug`) and ends the command with its exit code.
"""

from __future__ import annotations

EXIT_OK = 0
# Output that cannot be written: sysexits' EX_IOERR, so it never reads as alerts' 1 ("something to say").
EXIT_OUTPUT = 74
EXIT_USAGE = 2
EXIT_NETWORK = 3
EXIT_CONTRACT = 4
EXIT_CACHE = 5


class UserError(Exception):
    exit_code = EXIT_USAGE

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @property
    def lines(self) -> list[str]:
        """What stderr shows, one line each."""
        return [self.message]


class UsageError(UserError):
    exit_code = EXIT_USAGE


class UsageErrors(UsageError):
    """Several problems found at once (every bad key of a file), one line each (exit 2)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems

    @property
    def lines(self) -> list[str]:
        return list(self.problems)


class NetworkError(UserError):
    """The API could not be reached or answered with an error (exit 3)."""

    exit_code = EXIT_NETWORK


class DataContractError(UserError):
    """The API's data broke the contract (exit 4)."""

    exit_code = EXIT_CONTRACT


class CacheError(UserError):
    """The cache file is not ours, damaged, or cannot be written (exit 5)."""

    exit_code = EXIT_CACHE


class OutputError(UserError):
    """The command's output could not be written (a full disk, an I/O error): exit 74."""

    exit_code = EXIT_OUTPUT
