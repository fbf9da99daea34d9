"""Parquet export of one block: the CSV export's selection, rows and filters, with typed columns.

`arrow` imports pyarrow (an optional extra, `pip install 'muscle-tui[parquet]'`) only when an
export runs and types the columns; `export` streams the rows into row groups. Integers are int64,
numbers double, timestamps `timestamp[us, <time zone>]`, booleans bool, and everything else text
(nested JSON values as JSON text), each column's type decided from the data before any row is written.
"""

from muscle_tui.export.parquet.arrow import (
    PARQUET_EXTRA_MESSAGE,
    ParquetUnavailable,
    ParquetValueError,
    parquet_available,
)
from muscle_tui.export.parquet.export import default_parquet_name, write_parquet

__all__ = [
    "PARQUET_EXTRA_MESSAGE",
    "ParquetUnavailable",
    "ParquetValueError",
    "default_parquet_name",
    "parquet_available",
    "write_parquet",
]
