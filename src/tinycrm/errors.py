"""The one error type that the core raises and the faces catch at their edge."""

from __future__ import annotations


class TinyCrmError(Exception):
    """A mistake or a failure that a person can act on; never shown as a traceback."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class NotFoundError(TinyCrmError):
    """A reference matched nothing."""


class AmbiguousError(TinyCrmError):
    """A reference matched more than one record."""


class ValidationError(TinyCrmError):
    """A value that cannot be read exactly (a date, an amount, an email, a field)."""


class ConflictError(TinyCrmError):
    """The change would break a rule (a duplicate email, a stage still holding deals)."""


class StorageError(TinyCrmError):
    """The database cannot be opened, read or written."""


class UsageError(TinyCrmError):
    """The command was called wrongly; exit code 2 like any usage error."""

    exit_code = 2
