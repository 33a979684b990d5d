"""Flight SQL from a notebook's side: DoGet throughput of a large result to the ADBC driver, and
the latency of a small query with many clients at once, against a running lakeshore-server.

    python flight_adbc.py URI --sql "SELECT * FROM tpch.lineitem" [--clients 16] [--small "SELECT ..."]

Compare the throughput with `lakeshore-bench scan --lake LAKE --sql SQL` (the engine draining
the same result in-process).
"""

import argparse
import statistics
import threading
import time

import adbc_driver_flightsql.dbapi as flightsql


def throughput(uri: str, sql: str, runs: int) -> None:
    best, rows, nbytes = float("inf"), 0, 0
    with flightsql.connect(uri) as conn, conn.cursor() as cursor:
        for _ in range(runs):
            started = time.perf_counter()
            cursor.execute(sql)
            table = cursor.fetch_arrow_table()
            best = min(best, time.perf_counter() - started)
            rows, nbytes = table.num_rows, table.nbytes
    print(f"flight to ADBC: {rows} rows, {nbytes / 1e6:.1f} MB in {best:.3f} s: "
          f"{rows / best:.0f} rows/s, {nbytes / 1e6 / best:.1f} MB/s")


def latency(uri: str, sql: str, clients: int, per_client: int) -> None:
    timings: list[float] = []
    lock = threading.Lock()
    ready = threading.Barrier(clients)

    def client() -> None:
        with flightsql.connect(uri) as conn, conn.cursor() as cursor:
            cursor.execute(sql)  # warm the connection
            cursor.fetchall()
            ready.wait()
            mine = []
            for _ in range(per_client):
                started = time.perf_counter()
                cursor.execute(sql)
                cursor.fetchall()
                mine.append(time.perf_counter() - started)
            with lock:
                timings.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    timings.sort()
    p50 = statistics.median(timings)
    p99 = timings[min(len(timings) - 1, int(len(timings) * 0.99))]
    print(f"small query, {clients} clients x {per_client}: p50 {p50 * 1e3:.1f} ms, p99 {p99 * 1e3:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("uri")
    parser.add_argument("--sql", required=True, help="the large query")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--small", default="SELECT count(*) FROM tpch.lineitem WHERE l_orderkey = 42")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--per-client", type=int, default=25)
    args = parser.parse_args()
    throughput(args.uri, args.sql, args.runs)
    latency(args.uri, args.small, args.clients, args.per_client)


if __name__ == "__main__":
    main()
