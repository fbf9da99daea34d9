"""The preview of a CSV export: its header, its first rows as the file will hold them, and its size.

A preview is read in one snapshot like an export, but a front end previews one block again and
again as the user changes the selection. What does not depend on the selection (the block's
counts and keys, `BlockFacts`) comes back with the preview and, passed in again, is not queried
again: a redraw then costs only the first rows, which are read in the export's order from
index-friendly queries that stop after `limit` rows (never a scan of every result).

MUSCLE 2026's own layout ignores the selection altogether, so its first rows and row count are
facts too.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy.sql import ColumnElement, Select

from muscle_tui.db.database import MuscleDatabase
from muscle_tui.db.filters import NO_FILTER, SessionFilter, check_time_zone
from muscle_tui.db.stream import Snapshot
from muscle_tui.export.csv import muscle2026
from muscle_tui.export.csv.cells import cell_text, neutralise_formula, unchanged
from muscle_tui.export.csv.facts import BlockFacts, complete_facts, known_facts
from muscle_tui.export.csv.plan import plan_export
from muscle_tui.export.csv.rows import export_rows, use_time_zone
from muscle_tui.export.csv.selection import CsvSelection

JIT_SINCE = (11,)  # PostgreSQL's first release with JIT (and its `jit` setting)


@dataclass(frozen=True)
class CsvPreview:
    """The first rows of an export, as strings, and the size the whole export would have.

    `facts` are what the preview learned about the block that does not depend on the selection;
    pass them to the next `preview_csv` of the same block, filters and time zone. They take no
    part in comparing previews.
    """

    header: list[str]
    rows: list[list[str]]
    total_columns: int
    total_rows: int
    facts: BlockFacts | None = field(default=None, compare=False, repr=False)


def preview_csv(
    db: MuscleDatabase,
    block_slug: str,
    selection: CsvSelection,
    limit: int = 20,
    cancel: threading.Event | None = None,
    *,
    filters: SessionFilter = NO_FILTER,
    time_zone: str = "UTC",
    facts: BlockFacts | None = None,
) -> CsvPreview:
    """The header and first `limit` rows of the export as the file will hold them (Excel-safe
    included), and how many rows the whole export has. Setting `cancel` stops it (ExportCancelled).

    `facts` from an earlier preview of this block, filters and time zone are used instead of being
    queried again (others are ignored); the preview's own `facts` add whatever it learned. Reused
    facts describe the data as it was when they were learned: the export learns its own.
    """
    check_time_zone(time_zone)
    if selection.layout == muscle2026.LAYOUT:
        return _preview_muscle_2026(db, block_slug, limit, cancel, filters, time_zone, facts)
    rows: list[list[str]] = []
    shown = neutralise_formula if selection.excel_safe else unchanged
    with db.snapshot(cancel) as snap:
        _for_a_preview(snap, time_zone)
        facts = complete_facts(snap, known_facts(snap, block_slug, filters, time_zone, facts))
        plan = plan_export(snap, block_slug, selection, filters, time_zone, facts)
        width = len(plan.header)
        if limit > 0:
            with export_rows(snap, plan) as pieces:
                for head, tail in pieces:
                    cells = [cell_text(shown(value)) for value in (*head, *tail)]
                    # Facts learned in an earlier snapshot may be behind the data: keep the header's width.
                    rows.append(cells[:width] + [""] * (width - len(cells)))
                    if len(rows) >= limit:
                        break
    return CsvPreview(
        header=[cell_text(shown(name)) for name in plan.header],
        rows=rows,
        total_columns=width,
        total_rows=plan.total_rows,
        facts=plan.facts,
    )


def _for_a_preview(snap: Snapshot, time_zone: str) -> None:
    """Timestamps in `time_zone`; on PostgreSQL no JIT compilation, which costs a preview's small
    queries more than it saves them."""
    use_time_zone(snap, time_zone)
    if snap.postgres and (snap.conn.dialect.server_version_info or (0,)) >= JIT_SINCE:
        snap.scalar("SELECT set_config('jit', 'off', true)")


# MUSCLE 2026's layout is built by `muscle2026`; its queries are reused here (with LIMITs) so the
# preview holds exactly the rows the file starts with.
def _preview_muscle_2026(
    db: MuscleDatabase,
    block_slug: str,
    limit: int,
    cancel: threading.Event | None,
    filters: SessionFilter,
    time_zone: str,
    facts: BlockFacts | None,
) -> CsvPreview:
    header = list(muscle2026.HEADER)
    known = facts if facts is not None and facts.fits(block_slug, filters, time_zone) else None
    if known is None or not _has_muscle_2026_rows(known, limit):
        with db.snapshot(cancel) as snap:
            _for_a_preview(snap, time_zone)
            known = known_facts(snap, block_slug, filters, time_zone, known)
            kept = muscle2026.session_clause(snap, filters, time_zone)
            profile_rows = known.muscle_2026_profile_rows
            if profile_rows is None:
                profile_rows = muscle2026.count_rows(
                    snap, muscle2026.profiles_query(snap, known.block.id, kept)
                )
            first_rows = _muscle_2026_first_rows(snap, known, kept, max(limit, 0))
            known = replace(known, muscle_2026_profile_rows=profile_rows, muscle_2026_first_rows=first_rows)
    first = known.muscle_2026_first_rows
    assert first is not None and known.muscle_2026_profile_rows is not None
    return CsvPreview(
        header=header,
        rows=[list(row) for row in first[: max(limit, 0)]],
        total_columns=len(header),
        total_rows=known.results + known.muscle_2026_profile_rows,
        facts=known,
    )


def _raw_rows(snap: Snapshot, query: Select[Any], limit: int) -> list[Sequence[Any]]:
    """The rows of a query with a LIMIT, as the driver hands them over (as the export reads them)."""
    batches = snap.batches(query, size=limit)
    try:
        return [row for batch in batches for row in batch]
    finally:
        batches.close()


def _has_muscle_2026_rows(facts: BlockFacts, limit: int) -> bool:
    """Whether `facts` hold MUSCLE 2026's row count and its first `limit` rows (or all of them)."""
    first, profile_rows = facts.muscle_2026_first_rows, facts.muscle_2026_profile_rows
    if first is None or profile_rows is None:
        return False
    return len(first) >= min(limit, facts.results + profile_rows)


def _muscle_2026_first_rows(
    snap: Snapshot, facts: BlockFacts, kept: ColumnElement[bool] | None, limit: int
) -> tuple[tuple[str, ...], ...]:
    """The first `limit` data rows: trial results in (created_at, id) order, then profile answers.

    No index orders the results by time, so the ids of the first ones are found from narrow rows
    (a top-N over the block's results, not a sort of all of them) before their cells are read.
    """
    if limit <= 0:
        return ()
    r = snap.schema.table("result_result")
    block_id = facts.block.id
    results = muscle2026.results_query(snap, block_id, kept)
    first_ids = results.with_only_columns(r.c.id).order_by(None).order_by(r.c.created_at, r.c.id).limit(limit)
    first_results = results.where(r.c.id.in_(first_ids))
    rows = [muscle2026.result_cells(row) for row in _raw_rows(snap, first_results, limit)]
    if len(rows) < limit:
        profiles = muscle2026.profiles_query(snap, block_id, kept).limit(limit - len(rows))
        rows.extend(muscle2026.profile_cells(row) for row in _raw_rows(snap, profiles, limit))
    return tuple(tuple(row) for row in rows)
