"""How a paged table's window slides when a page arrives (widgets/paged_source.py `slide`)."""

from __future__ import annotations

from muscle_tui.widgets.paged_source import View, rows_left, slide

LIMIT, MOST = 100, 400


def test_the_first_and_the_last_page_replace_the_window() -> None:
    first = slide(list(range(500, 600)), View(None, 0, 50, 40, 20), "first", list(range(100)), LIMIT, MOST)
    assert first.rows == list(range(100))
    assert first.view == View(0, None, 0, 0, 20)  # a full page: more rows may follow

    short = slide([], View(0, None), "first", list(range(30)), LIMIT, MOST)
    assert short.view.start == 0 and short.view.tail == 0

    last = slide(list(range(100)), View(0, None, 5, 0, 20), "last", list(range(900, 1000)), LIMIT, MOST)
    assert last.rows == list(range(900, 1000))
    assert last.view == View(None, 0, 99, 80, 20)  # the cursor on the last row, the last screen shown


def test_the_next_page_joins_and_the_first_page_goes_when_the_window_is_full() -> None:
    window = list(range(400))
    slid = slide(window, View(0, None, 380, 370, 20), "next", list(range(400, 500)), LIMIT, MOST)
    assert slid.rows == list(range(100, 500))
    assert slid.view == View(100, None, 280, 270, 20)  # the same rows under the cursor and on screen

    end = slide(window, View(0, None, 380, 370, 20), "next", list(range(400, 450)), LIMIT, MOST)
    assert end.view.tail == 0 and end.rows[-1] == 449

    known = slide(list(range(100)), View(0, 250, 90, 80, 20), "next", list(range(100, 200)), LIMIT, MOST)
    assert known.view.tail == 150 and known.rows == list(range(200))


def test_the_previous_page_joins_and_the_last_page_goes_when_the_window_is_full() -> None:
    window = list(range(500, 900))
    slid = slide(window, View(500, 100, 10, 5, 20), "previous", list(range(400, 500)), LIMIT, MOST)
    assert slid.rows == list(range(400, 800))
    assert slid.view == View(400, 200, 110, 105, 20)

    first = slide(list(range(30, 130)), View(None, 0, 3, 0, 20), "previous", list(range(30)), LIMIT, MOST)
    assert first.view.start == 0 and first.rows == list(range(130))


def test_an_empty_page_says_the_window_reached_that_end() -> None:
    view = View(None, None, 7, 3, 20)
    assert slide(list(range(10)), view, "next", [], LIMIT, MOST).rows is None
    assert slide(list(range(10)), view, "next", [], LIMIT, MOST).view.tail == 0
    assert slide(list(range(10)), view, "previous", [], LIMIT, MOST).view.start == 0


def test_rows_left_is_unknown_when_the_count_was_out_of_date() -> None:
    assert rows_left(250, 100) == 150
    assert rows_left(100, 100) is None  # maybe none, maybe the count changed: the next page says
    assert rows_left(None, 100) is None
