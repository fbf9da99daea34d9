"""Errors that reach the user as one clear line."""


class MuscleTuiError(Exception):
    """A failure the user can act on; its message is one line and never holds a password."""


class DatabaseError(MuscleTuiError):
    """The database cannot be reached, opened or read."""


class SchemaError(MuscleTuiError):
    """The database is not a MUSCLE database muscle-tui knows how to read."""


class NotFoundError(MuscleTuiError):
    """An unknown block or experiment slug."""


class OutputError(MuscleTuiError):
    """The export's output cannot be written."""


class ExportCancelled(MuscleTuiError):
    """The export was cancelled; nothing was left behind."""
