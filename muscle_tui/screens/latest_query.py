"""The cancel event of a screen's latest background query (a catalog load, a CSV preview).

A query waiting on the server (say for a table another session locked) must not outlive the
reason it ran: starting the next one, or closing the screen, sets the previous one's event, and
the data layer then cancels its statement on the server.
"""

from __future__ import annotations

import threading


class LatestQuery:
    """Hands out one cancel event per query; only the latest one is left unset."""

    def __init__(self) -> None:
        self._current = threading.Event()

    def start(self) -> threading.Event:
        """Cancel the previous query and return the event of the next one."""
        self._current.set()
        self._current = threading.Event()
        return self._current

    def cancel(self) -> None:
        """Cancel the latest query (the screen is closing, or its result is no longer wanted)."""
        self._current.set()
