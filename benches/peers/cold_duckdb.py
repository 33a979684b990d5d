"""The DuckDB side of `lakeshore-bench cold`: one query in a new process, its result as CSV.

    python cold_duckdb.py "SELECT count(*) FROM delta_scan('/path/to/table')"

Writes the header and rows to stdout (flushed after the first row, which the bench waits
for), then one JSON line to stderr with the times measured inside this process:
`in_process_ms`, from the script's first line (so after Python's own start-up) to the first
row, which covers `import duckdb`, loading the delta extension and the query; and `query_ms`,
the query alone.
"""

import time

started = time.perf_counter()

import csv  # noqa: E402  (imports after the clock starts, so they count)
import json  # noqa: E402
import sys  # noqa: E402

from duckdb_peer import connect  # noqa: E402


def main() -> None:
    sql = sys.argv[1]
    con = connect("delta")
    ready = time.perf_counter()
    cursor = con.execute(sql)
    first = cursor.fetchone()
    first_row_at = time.perf_counter()

    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow([column[0] for column in cursor.description])
    if first is not None:
        out.writerow(first)
        sys.stdout.flush()
        out.writerows(cursor.fetchall())
    sys.stdout.flush()

    timings = {
        "in_process_ms": (first_row_at - started) * 1000,
        "query_ms": (first_row_at - ready) * 1000,
    }
    print(json.dumps(timings), file=sys.stderr)


if __name__ == "__main__":
    main()
