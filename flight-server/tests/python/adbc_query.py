"""Runs statements through the ADBC Flight SQL driver, as a notebook does, and prints each
result as one JSON line (a list of rows, each a dict); an `ingest:SCHEMA.TABLE:FIRST:COUNT`
argument instead appends rows `FIRST .. FIRST + COUNT - 1` of the orders shape with ADBC's bulk
ingest and prints the rows written.

Usage: adbc_query.py URI STATEMENT_OR_INGEST...
"""

import json
import sys

import adbc_driver_flightsql.dbapi as flightsql
import pyarrow as pa


def ingest(cursor, spec: str) -> int:
    _, target, first, count = spec.split(":")
    schema, table = target.split(".")
    ids = list(range(int(first), int(first) + int(count)))
    data = pa.table(
        {
            "id": pa.array(ids, pa.int64()),
            "item": pa.array([f"item-{i}" for i in ids], pa.string()),
            "amount": pa.array([i * 1.5 for i in ids], pa.float64()),
        }
    )
    return cursor.adbc_ingest(table, data, mode="append", db_schema_name=schema)


def main() -> None:
    uri, statements = sys.argv[1], sys.argv[2:]
    with flightsql.connect(uri) as conn, conn.cursor() as cursor:
        for statement in statements:
            if statement.startswith("ingest:"):
                print(json.dumps([{"written": ingest(cursor, statement)}]))
                continue
            cursor.execute(statement)
            print(json.dumps(cursor.fetch_arrow_table().to_pylist(), default=str))


if __name__ == "__main__":
    main()
