"""DuckDB 1.4.4 as a peer: one place that opens a connection with PyPI's extension wheels loaded.

The extensions come from the `duckdb-ext-*` wheels (no network download at run time), so they
are unsigned from DuckDB's point of view and need `allow_unsigned_extensions`.
"""

from pathlib import Path

import duckdb
import duckdb_ext  # namespace package installed by the duckdb-ext-* wheels

EXTENSION_DIR = Path(list(duckdb_ext.__path__)[0]) / "extensions" / f"v{duckdb.__version__}" / "linux_amd64"


def connect(*extensions: str, database: str = ":memory:") -> duckdb.DuckDBPyConnection:
    """A connection with each named extension (e.g. "delta", "tpch") loaded from its wheel."""
    con = duckdb.connect(database, config={"allow_unsigned_extensions": "true"})
    for name in extensions:
        con.execute(f"LOAD '{EXTENSION_DIR / f'{name}.duckdb_extension'}'")
    return con
