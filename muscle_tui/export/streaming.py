"""Reading ahead: the next batch of rows is fetched while the current one is formatted."""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable, Iterator


def prefetched_batches(fetch: Callable[[], list[tuple]], ahead: int = 2) -> Iterator[list[tuple]]:
    """Batches from `fetch` (until an empty one), fetched by a helper thread one batch ahead.

    The driver waits for the server without holding the GIL, so the server produces the next
    batch while this thread formats the current one.
    """
    batches: queue.Queue[list[tuple] | BaseException] = queue.Queue(maxsize=ahead)
    stop = threading.Event()

    def fetch_all() -> None:
        try:
            while not stop.is_set():
                rows = fetch()
                batches.put(rows)
                if not rows:
                    return
        except BaseException as exc:  # noqa: BLE001 - handed over to the consuming thread
            batches.put(exc)

    worker = threading.Thread(target=fetch_all, name="muscle-tui-fetch", daemon=True)
    worker.start()
    try:
        while True:
            item = batches.get()
            if isinstance(item, BaseException):
                raise item
            if not item:
                return
            yield item
    finally:
        stop.set()
        while worker.is_alive():
            with contextlib.suppress(queue.Empty):
                batches.get(timeout=0.05)
        worker.join()
