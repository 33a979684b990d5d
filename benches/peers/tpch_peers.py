"""TPC-H's 22 queries over the Delta tables `lakeshore-bench tpch-gen` wrote, in a peer engine,
one query per request, so that `lakeshore-bench tpch` can alternate engines query by query.

    tpch_peers.py --engine duckdb|polars LAKE SQL_DIR

reads query numbers from standard input, one per line, runs each once (the result collected in
memory) and prints one JSON line per query: {"query": N, "ms": ..., "rows": ...}, or
{"query": N, "error": "..."} when the engine cannot run it. It prints {"ready": true} once the
tables are registered.

    tpch_peers.py --write-answers OUT_DIR LAKE SQL_DIR

writes DuckDB's answer to each query as OUT_DIR/qNN.csv (the reference answers kept in the
repository were made this way, at scale factor 0.01).

DuckDB reads each table through the delta extension (`delta_scan`, which reads the Delta log
again for every query); Polars through `pl.scan_delta`, queried with `pl.SQLContext`.
"""

import argparse
import json
import sys
import time
from pathlib import Path

TABLES = ["nation", "region", "part", "supplier", "partsupp", "customer", "orders", "lineitem"]


def query_text(sql_dir: Path, number: int) -> str:
    return (sql_dir / f"q{number:02d}.sql").read_text().strip().rstrip(";")


def duckdb_runner(lake: Path):
    import duckdb_peer

    con = duckdb_peer.connect("delta")
    for table in TABLES:
        con.execute(f"CREATE VIEW {table} AS SELECT * FROM delta_scan('{lake / 'tpch' / table}')")

    def run(sql: str) -> int:
        return len(con.execute(sql).fetchall())

    return con, run


def polars_runner(lake: Path):
    import polars as pl

    context = pl.SQLContext({table: pl.scan_delta(str(lake / "tpch" / table)) for table in TABLES})

    def run(sql: str) -> int:
        return context.execute(sql, eager=False).collect().height

    return run


def serve(engine: str, lake: Path, sql_dir: Path) -> None:
    run = duckdb_runner(lake)[1] if engine == "duckdb" else polars_runner(lake)
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        number = int(line)
        sql = query_text(sql_dir, number)
        started = time.perf_counter()
        try:
            rows = run(sql)
        except Exception as error:  # the engine's refusal is a result, reported as such
            message = str(error).strip().splitlines()
            print(json.dumps({"query": number, "error": message[0] if message else repr(error)}), flush=True)
            continue
        ms = (time.perf_counter() - started) * 1000
        print(json.dumps({"query": number, "ms": ms, "rows": rows}), flush=True)


def write_answers(out: Path, lake: Path, sql_dir: Path) -> None:
    con, _ = duckdb_runner(lake)
    out.mkdir(parents=True, exist_ok=True)
    for number in range(1, 23):
        target = out / f"q{number:02d}.csv"
        con.execute(f"COPY ({query_text(sql_dir, number)}) TO '{target}' (HEADER, DELIMITER ',')")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engine", choices=["duckdb", "polars"])
    parser.add_argument("--write-answers", type=Path, metavar="OUT_DIR")
    parser.add_argument("lake", type=Path)
    parser.add_argument("sql_dir", type=Path)
    args = parser.parse_args()
    if args.write_answers:
        write_answers(args.write_answers, args.lake, args.sql_dir)
    elif args.engine:
        serve(args.engine, args.lake, args.sql_dir)
    else:
        parser.error("give --engine or --write-answers")


if __name__ == "__main__":
    main()
