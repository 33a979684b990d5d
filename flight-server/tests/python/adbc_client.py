"""Uses a running lakeshore-server the way a notebook does, through the ADBC Flight SQL driver,
and checks what it answers against the lake itself, read with the `deltalake` package.

Usage: adbc_client.py URI LAKE [USER PASSWORD]
"""

import sys
from pathlib import Path

import adbc_driver_flightsql.dbapi as flightsql
import adbc_driver_manager
import pyarrow as pa
from adbc_driver_flightsql import DatabaseOptions
from deltalake import DeltaTable


def connect(uri: str, user: str | None, password: str | None):
    kwargs = {}
    if user is not None:
        kwargs = {"db_kwargs": {"username": user, "password": password}}
    return flightsql.connect(uri, **kwargs)


def lake_tables(lake: Path) -> dict[tuple[str, str], list[str]]:
    """(schema, table) -> column names, from the Delta logs, by the README's naming rule."""
    tables = {}
    for log in lake.rglob("_delta_log"):
        folder = log.parent
        parts = folder.relative_to(lake).parts
        if any(part.startswith(("_", ".")) for part in parts):
            continue
        schema, names = ("default", parts) if len(parts) == 1 else (parts[0], parts[1:])
        name = "_".join(names).lower()
        columns = [field.name for field in DeltaTable(str(folder)).schema().to_arrow()]
        tables[(schema.lower(), name)] = columns
    return tables


def check_wrong_password_is_refused(uri: str, user: str) -> None:
    try:
        with connect(uri, user, "not the password") as conn, conn.cursor() as cursor:
            cursor.execute("SELECT 1")
    except adbc_driver_manager.Error as error:
        assert "UNAUTHENTICATED" in str(error).upper() or "password" in str(error), error
        return
    raise AssertionError("a wrong password was accepted")


def check_get_objects(conn, lake: Path) -> None:
    expected = lake_tables(lake)
    objects = conn.adbc_get_objects(depth="all").read_all().to_pylist()
    catalogs = {catalog["catalog_name"]: catalog for catalog in objects}
    assert "lake" in catalogs, list(catalogs)
    seen = {}
    for schema in catalogs["lake"]["catalog_db_schemas"]:
        for table in schema["db_schema_tables"] or []:
            columns = [column["column_name"] for column in table["table_columns"] or []]
            seen[(schema["db_schema_name"], table["table_name"])] = columns
    for key, columns in expected.items():
        assert key in seen, f"{key} is not listed; listed: {sorted(seen)}"
        assert seen[key] == columns, (key, seen[key], columns)
    layers = {schema for schema, _ in expected}
    listed_layers = {schema["db_schema_name"] for schema in catalogs["lake"]["catalog_db_schemas"]}
    assert layers <= listed_layers, (layers, listed_layers)


def check_table_schema(conn, lake: Path) -> None:
    schema = conn.adbc_get_table_schema("customers", catalog_filter="lake", db_schema_filter="silver")
    written = DeltaTable(str(lake / "silver" / "customers")).schema().to_arrow()
    assert schema.names == [field.name for field in written], schema


def check_queries(conn) -> None:
    with conn.cursor() as cursor:
        cursor.execute("SELECT currency, count(*) AS orders FROM silver.sales_store_orders GROUP BY currency ORDER BY currency")
        assert cursor.fetchall() == [("EUR", 3), ("GBP", 1), ("USD", 2)]
        # Parameters, in both placeholder styles.
        cursor.execute("SELECT count(*) FROM silver.sales_store_orders WHERE currency = ?", parameters=("EUR",))
        assert cursor.fetchone() == (3,)
        cursor.execute("SELECT count(*) FROM silver.sales_store_orders WHERE currency = $1 OR currency = $2", parameters=("EUR", "GBP"))
        assert cursor.fetchone() == (4,)
        # Escaped quotes, and `?` inside strings and comments beside real parameters (issue 11).
        cursor.execute("SELECT 'O''Brien' AS n")
        assert cursor.fetchone() == ("O'Brien",)
        cursor.execute(
            "SELECT '?''s' AS q, count(*) FROM silver.sales_store_orders -- why?\n"
            "WHERE currency = ? AND 'it''s?' <> ?",
            parameters=("EUR", "O'Brien?"),
        )
        assert cursor.fetchone() == ("?'s", 3)
        # Over a million rows, checked by count and sum.
        rows = 1_200_000
        cursor.execute(f"SELECT value FROM range({rows})")
        table = cursor.fetch_arrow_table()
        assert table.num_rows == rows, table.num_rows
        assert pa.compute.sum(table.column(0)).as_py() == rows * (rows - 1) // 2
        # Strings come as plain Utf8, which every client reads.
        cursor.execute("SELECT currency FROM silver.sales_store_orders LIMIT 1")
        assert cursor.fetch_arrow_table().schema.field(0).type == pa.string()
        # A statement the engine refuses is an error that says why; the connection goes on.
        try:
            cursor.execute("SELECT * FROM silver.no_such_table")
            raise AssertionError("a missing table was not an error")
        except adbc_driver_manager.Error as error:
            assert "no_such_table" in str(error), error
        cursor.execute("SELECT 1 AS one")
        assert cursor.fetchone() == (1,)


def check_session_schema(conn) -> None:
    conn.adbc_current_db_schema = "silver"
    assert conn.adbc_current_db_schema == "silver"
    with conn.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM customers")
        assert cursor.fetchone()[0] > 0


def check_ddl_and_ingest(conn) -> None:
    with conn.cursor() as cursor:
        cursor.execute("CREATE VIEW gold.eur_orders AS SELECT * FROM silver.sales_store_orders WHERE currency = 'EUR'")
        cursor.execute("SELECT count(*) FROM gold.eur_orders")
        assert cursor.fetchone() == (3,)
        data = pa.table({"id": pa.array(range(1000), pa.int64()), "name": [f"n{i}" for i in range(1000)]})
        written = cursor.adbc_ingest("ingested", data, mode="create", db_schema_name="bronze")
        assert written in (1000, -1), written
        cursor.adbc_ingest("ingested", data.slice(0, 10), mode="append", db_schema_name="bronze")
        cursor.execute("SELECT count(*), sum(id) FROM bronze.ingested")
        assert cursor.fetchone() == (1010, sum(range(1000)) + sum(range(10)))


def check_info(conn) -> None:
    info = conn.adbc_get_info()
    assert info["vendor_name"] == "Lakeshore", info
    assert info["vendor_version"], info
    assert info["driver_name"].startswith("ADBC Flight SQL Driver"), info


def main() -> None:
    uri, lake = sys.argv[1], Path(sys.argv[2])
    user, password = (sys.argv[3], sys.argv[4]) if len(sys.argv) > 4 else (None, None)
    if user is not None:
        check_wrong_password_is_refused(uri, user)
    with connect(uri, user, password) as conn:
        check_info(conn)
        check_get_objects(conn, lake)
        check_table_schema(conn, lake)
        check_queries(conn)
        check_ddl_and_ingest(conn)
        check_session_schema(conn)
    print("adbc client: ok")


if __name__ == "__main__":
    main()
