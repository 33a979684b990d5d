"""The peers' side of `lakeshore-bench freshness`, on a copy of TABLE_DIR (left unchanged).

    python freshness_duckdb.py TABLE_DIR [--rounds N]

TABLE_DIR is the orders table of 1,000 one-row commits plus a checkpoint that
`tests/fixtures/delta_writer.py commits` writes. Two peers, each on its own copy:

- DuckDB with its delta extension: `SELECT count(*) FROM delta_scan(...)`, which reads the log
  again on every query;
- the `deltalake` package: `DeltaTable(path)`, then `update_incremental()`. This is the log
  work alone, no query: a floor for what a freshness check costs in delta-rs.

Cases: "open" (DuckDB: connect and load the extension), "first query" (deltalake: load the
table), "unchanged" (N times, nothing changed), "after commit" (N rounds of one commit written
outside the timing, then one timed query). Prints one JSON line per peer and case, with the
raw samples in milliseconds.
"""

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from deltalake import DeltaTable, write_deltalake

from duckdb_peer import connect

# The orders rows the repository's test writer makes, so appends match the table's schema.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "fixtures"))
from delta_writer import orders_rows  # noqa: E402


def timed(action):
    """`(milliseconds, result)` of calling `action`."""
    started = time.perf_counter()
    result = action()
    return (time.perf_counter() - started) * 1000, result


def emit(peer: str, case: str, samples_ms: list[float]) -> None:
    print(
        json.dumps(
            {
                "peer": peer,
                "case": case,
                "median_ms": statistics.median(samples_ms),
                "samples_ms": samples_ms,
            }
        ),
        flush=True,
    )


def append_one_row(table: Path, next_id: int) -> None:
    write_deltalake(str(table), orders_rows(next_id, 1), mode="append")


def duckdb_peer(table: Path, rounds: int) -> None:
    peer = "duckdb 1.4.4 + delta"
    sql = f"SELECT count(*) FROM delta_scan('{table}')"
    open_ms, con = timed(lambda: connect("delta"))
    count = lambda: con.execute(sql).fetchone()[0]  # noqa: E731

    first_ms, rows = timed(count)
    unchanged = []
    for _ in range(rounds):
        ms, seen = timed(count)
        assert seen == rows, f"nothing changed, yet DuckDB counted {seen} rows, not {rows}"
        unchanged.append(ms)
    after_commit = []
    for _ in range(rounds):
        append_one_row(table, rows + 1)
        ms, seen = timed(count)
        assert seen == rows + 1, f"stale: DuckDB counted {seen} rows after a commit, not {rows + 1}"
        rows = seen
        after_commit.append(ms)

    emit(peer, "open", [open_ms])
    emit(peer, "first query", [first_ms])
    emit(peer, "unchanged", unchanged)
    emit(peer, "after commit", after_commit)


def deltalake_peer(table: Path, rounds: int) -> None:
    peer = "deltalake-py (log only, no query)"
    first_ms, dt = timed(lambda: DeltaTable(str(table)))
    version = dt.version()
    unchanged = []
    for _ in range(rounds):
        ms, _ = timed(dt.update_incremental)
        assert dt.version() == version
        unchanged.append(ms)
    after_commit = []
    next_id = 1 + dt.to_pyarrow_dataset().count_rows()
    for _ in range(rounds):
        append_one_row(table, next_id)
        next_id += 1
        ms, _ = timed(dt.update_incremental)
        assert dt.version() == version + 1, f"stale: version {dt.version()}, not {version + 1}"
        version += 1
        after_commit.append(ms)

    emit(peer, "first query", [first_ms])
    emit(peer, "unchanged", unchanged)
    emit(peer, "after commit", after_commit)


def main() -> None:
    parser = argparse.ArgumentParser(description="DuckDB and deltalake on the freshness benchmark.")
    parser.add_argument("table_dir", type=Path)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="freshness-peers-") as scratch:
        for name, peer in [("duckdb", duckdb_peer), ("deltalake", deltalake_peer)]:
            copy = Path(scratch) / name
            shutil.copytree(args.table_dir, copy)
            peer(copy, args.rounds)


if __name__ == "__main__":
    main()
