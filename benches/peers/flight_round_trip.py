"""The cost of one Flight SQL round trip to a running server, as a client sees it: the median of
40 bare gRPC calls (`ListActions`, pyarrow.flight) and of 40 `SELECT 1` through the ADBC Flight
SQL driver (GetFlightInfo and DoGet: two round trips), after one warm-up call each.

Usage: flight_round_trip.py URI
"""

import statistics
import sys
import time
import warnings

import adbc_driver_flightsql.dbapi as flightsql
import pyarrow.flight as flight

ROUNDS = 40


def median_ms(call) -> float:
    call()
    samples = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def main() -> None:
    uri = sys.argv[1]
    client = flight.FlightClient(uri)
    print(f"ListActions: {median_ms(lambda: list(client.list_actions())):.2f} ms")
    warnings.simplefilter("ignore")  # the driver warns that autocommit cannot be turned off
    with flightsql.connect(uri) as conn, conn.cursor() as cursor:

        def select_one() -> None:
            cursor.execute("SELECT 1")
            cursor.fetchall()

        print(f"ADBC SELECT 1: {median_ms(select_one):.2f} ms")


if __name__ == "__main__":
    main()
