"""Tries every way out of the lake through a running lakeshore-server, as its users would, with
the ADBC Flight SQL driver: each must be refused with PERMISSION_DENIED and a message that names
what was refused, and nothing may be read or written; what is allowed must still work.

Usage: security_client.py URI CONFIG_JSON
CONFIG_JSON: {"lake", "outside", "shared", "exports", "elsewhere", "users": {role: [name, password]}}
"""

import json
import os
import sys

import adbc_driver_flightsql.dbapi as flightsql
import adbc_driver_manager
import pyarrow as pa

SECRET = "TOPSECRET"


def connect(uri: str, user: list[str]):
    return flightsql.connect(uri, db_kwargs={"username": user[0], "password": user[1]})


def refused(conn, sql: str, *needles: str) -> str:
    """Runs `sql`, which must be refused for permission, naming every needle, showing no secret."""
    with conn.cursor() as cursor:
        try:
            cursor.execute(sql)
            rows = cursor.fetchall()
        except adbc_driver_manager.Error as error:
            message = str(error)
            assert error.status_code == adbc_driver_manager.AdbcStatusCode.UNAUTHORIZED, (sql, error.status_code, message)
            assert "may not" in message, (sql, message)
            for needle in needles:
                assert needle in message, (sql, needle, message)
            assert SECRET not in message, (sql, message)
            return message
    raise AssertionError(f"not refused: {sql} -> {rows}")


def rows(conn, sql: str) -> list[tuple]:
    with conn.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


def not_found(conn, sql: str) -> None:
    with conn.cursor() as cursor:
        try:
            cursor.execute(sql)
            cursor.fetchall()
        except adbc_driver_manager.Error as error:
            assert SECRET not in str(error), str(error)
            return
    raise AssertionError(f"{sql} found something")


def ways_out(conn, c: dict) -> None:
    """Every way to read or write outside the lake; the user may otherwise create tables."""
    outside, lake = c["outside"], c["lake"]
    secret_csv = f"{outside}/secret.csv"
    for kind, location in [
        ("CSV", secret_csv),
        ("PARQUET", f"{outside}/secret.parquet"),
        ("JSON", f"{outside}/secret.json"),
        ("DELTA", f"{outside}/delta"),
        # `..`, file:// URLs, a symbolic link inside the lake, the lake's hidden folders.
        ("CSV", f"{lake}/gold/../../outside/secret.csv"),
        ("CSV", f"file://{secret_csv}"),
        ("CSV", f"file:{secret_csv}"),
        ("CSV", f"{lake}/gold/link.csv"),
        ("JSON", f"{lake}/silver/customers/_delta_log/00000000000000000000.json"),
    ]:
        message = refused(conn, f"CREATE EXTERNAL TABLE gold.stolen STORED AS {kind} LOCATION '{location}'", location)
        assert "reads are allowed inside the lake and --allow-read prefixes only" in message or "start with _" in message, message
        not_found(conn, "SELECT * FROM gold.stolen")
    delta = f"{outside}/delta"
    refused(conn, f"SELECT * FROM delta_scan('{delta}')", delta)
    refused(conn, f"SELECT * FROM delta_scan('file://{delta}')", delta)
    refused(conn, f"SELECT * FROM delta_scan('{lake}/gold/../../outside/delta')", "outside/delta")
    refused(conn, f"SELECT * FROM delta_history('{delta}')", delta)
    refused(conn, f"SELECT * FROM delta_detail('{delta}')", delta)
    refused(conn, f"SELECT * FROM table_changes('{delta}', 0)", delta)
    refused(conn, f"SELECT * FROM delta_scan('{delta}', version => 0)", delta)
    # Views someone else defined: what they read is checked, by path and through history.
    refused(conn, "SELECT * FROM gold.outside_rows", delta)
    refused(conn, "SELECT * FROM gold.outside_history", delta)
    refused(conn, "SELECT count(*) FROM (SELECT * FROM gold.summary UNION ALL SELECT * FROM gold.outside_rows)", delta)
    # COPY TO only into --allow-copy-to.
    elsewhere = c["elsewhere"]
    refused(conn, f"COPY (SELECT * FROM gold.summary) TO '{elsewhere}/out.parquet' STORED AS PARQUET", f"{elsewhere}/out.parquet", "--allow-copy-to")
    refused(conn, f"COPY (SELECT 1) TO '{c['exports']}/../elsewhere/out.csv' STORED AS CSV", "COPY TO")
    refused(conn, f"COPY (SELECT 1) TO '{lake}/gold/out.parquet' STORED AS PARQUET", "COPY TO")
    # A SET that tunes the engine is for admins.
    refused(conn, "SET datafusion.execution.target_partitions = 3", "SET datafusion.execution.target_partitions", "admins")


def reader(uri: str, c: dict) -> None:
    with connect(uri, c["users"]["reader"]) as conn:
        # Granted layers answer; bronze, by name, by path, through a view, does not.
        assert rows(conn, "SELECT count(*) FROM gold.summary")[0][0] > 0
        assert rows(conn, "SELECT count(*) FROM silver.customers")[0][0] > 0
        refused(conn, "SELECT * FROM bronze.raw_orders", "bronze")
        refused(conn, f"SELECT * FROM delta_scan('{c['lake']}/bronze/raw_orders')", "bronze")
        refused(conn, "SELECT * FROM delta_history('bronze.raw_orders')", "bronze")
        refused(conn, "SELECT * FROM gold.bronze_orders", "bronze")
        # Session-local settings are everyone's.
        rows(conn, "SET datafusion.execution.time_zone = '+02:00'")
        # Writes are not a reader's, whatever the target.
        before = rows(conn, "SELECT count(*) FROM gold.summary")
        refused(conn, "INSERT INTO gold.summary SELECT * FROM gold.summary", "INSERT", "readers")
        assert rows(conn, "SELECT count(*) FROM gold.summary") == before
        refused(conn, "CREATE TABLE gold.mine AS SELECT 1 AS x", "CREATE TABLE")
        refused(conn, "CREATE VIEW gold.mine AS SELECT 1 AS x", "CREATE VIEW")
        refused(conn, f"CREATE EXTERNAL TABLE gold.mine STORED AS CSV LOCATION '{c['shared']}/shared.csv'", "CREATE EXTERNAL TABLE")
        refused(conn, f"COPY (SELECT 1) TO '{c['exports']}/reader.csv' STORED AS CSV", "COPY TO")
        refused(conn, "SET datafusion.execution.target_partitions = 3", "SET")
        with conn.cursor() as cursor:
            try:
                cursor.adbc_ingest("mine", pa.table({"x": [1]}), mode="create", db_schema_name="gold")
                raise AssertionError("a reader ingested")
            except adbc_driver_manager.Error as error:
                assert error.status_code == adbc_driver_manager.AdbcStatusCode.UNAUTHORIZED, str(error)
                assert "ingest" in str(error), str(error)
        not_found(conn, "SELECT * FROM gold.mine")
        # Listings leave out what cannot be read: no name or column of bronze shows. (The
        # columns and views of information_schema are checked by the engine's tests: here views
        # over places outside the lake cannot be planned, which those listings do not survive.)
        objects = conn.adbc_get_objects(depth="all").read_all().to_pylist()
        lake = next(catalog for catalog in objects if catalog["catalog_name"] == "lake")
        schemas = {schema["db_schema_name"] for schema in lake["catalog_db_schemas"]}
        assert "gold" in schemas and "silver" in schemas and "bronze" not in schemas, schemas
        for sql in [
            "SELECT DISTINCT table_schema FROM information_schema.tables",
            "SELECT DISTINCT schema_name FROM information_schema.schemata",
        ]:
            layers = {row[0] for row in rows(conn, sql)}
            assert "gold" in layers and "bronze" not in layers, (sql, layers)
        shown = {row[1] for row in rows(conn, "SHOW TABLES")}
        assert "gold" in shown and "bronze" not in shown, shown
        refused(conn, "DESCRIBE bronze.raw_orders", "bronze.raw_orders")
        refused(conn, "SHOW COLUMNS FROM bronze.raw_orders", "bronze.raw_orders")
        assert rows(conn, "DESCRIBE gold.summary")
        try:
            schema = conn.adbc_get_table_schema("raw_orders", db_schema_filter="bronze")
            raise AssertionError(f"the schema of bronze.raw_orders was shown: {schema}")
        except adbc_driver_manager.Error as error:
            assert "raw_orders" not in str(error) or "may not" in str(error), str(error)


def writer(uri: str, c: dict) -> None:
    with connect(uri, c["users"]["writer"]) as conn:
        ways_out(conn, c)
        # What is allowed still works: the lake, --allow-read, --allow-copy-to.
        rows(conn, f"CREATE EXTERNAL TABLE gold.shared STORED AS CSV LOCATION '{c['shared']}/shared.csv'")
        assert rows(conn, "SELECT count(*) FROM gold.shared") == [(2,)]
        rows(conn, "CREATE TABLE gold.made AS SELECT 1 AS x")
        rows(conn, "INSERT INTO gold.made VALUES (2)")
        assert rows(conn, "SELECT count(*) FROM gold.made") == [(2,)]
        assert rows(conn, f"SELECT count(*) FROM delta_scan('{c['lake']}/gold/summary')")[0][0] > 0
        rows(conn, f"COPY (SELECT * FROM gold.summary) TO '{c['exports']}/summary.parquet' STORED AS PARQUET")
        assert os.path.exists(f"{c['exports']}/summary.parquet")
        # Unrestricted layers include bronze, and the view that reads it.
        assert rows(conn, "SELECT count(*) FROM gold.bronze_orders")[0][0] > 0


def admin(uri: str, c: dict) -> None:
    with connect(uri, c["users"]["admin"]) as conn:
        # Admins may tune the engine, but reach no further than anyone.
        rows(conn, "SET datafusion.execution.target_partitions = 3")
        secret_csv = f"{c['outside']}/secret.csv"
        refused(conn, f"CREATE EXTERNAL TABLE gold.stolen STORED AS CSV LOCATION '{secret_csv}'", secret_csv, "--allow-read")
        refused(conn, f"SELECT * FROM delta_scan('{c['outside']}/delta')", "--allow-read")
        refused(conn, "SELECT * FROM gold.outside_rows", "--allow-read")
        assert rows(conn, "SELECT count(*) FROM gold.bronze_orders")[0][0] > 0


def main() -> None:
    uri, config = sys.argv[1], json.loads(sys.argv[2])
    reader(uri, config)
    writer(uri, config)
    admin(uri, config)
    print("security client: ok")


if __name__ == "__main__":
    main()
