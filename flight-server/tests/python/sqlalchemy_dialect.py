"""The SQLAlchemy calls Superset makes through flightsql-dbapi's `datafusion://` dialect, against
lakeshore-server on the Electroniz demo lake, each checked against what the ADBC driver (an
independent client) reads from the same server.

Usage: sqlalchemy_dialect.py SQLALCHEMY_URL ADBC_URI [USER PASSWORD [TLS_ROOT_CERTS_FILE]]
Prints one line per check; exits non-zero on the first wrong answer.
"""

import sys
from decimal import Decimal

import adbc_driver_flightsql.dbapi as flightsql
import sqlalchemy as sa
from adbc_driver_flightsql import DatabaseOptions


def adbc_rows(adbc_uri, credentials, tls_roots, sql):
    options = {}
    if credentials:
        options["username"], options["password"] = credentials
    if tls_roots:
        with open(tls_roots) as pem:
            options[DatabaseOptions.TLS_ROOT_CERTS.value] = pem.read()
    with flightsql.connect(adbc_uri, db_kwargs=options) as conn, conn.cursor() as cursor:
        cursor.execute(sql)
        return [tuple(row) for row in cursor.fetchall()]


def check(what, seen, expected):
    if seen != expected:
        sys.exit(f"{what}: got {seen!r}, expected {expected!r}")
    print(f"ok: {what}")


def main():
    url, adbc_uri = sys.argv[1], sys.argv[2]
    credentials = tuple(sys.argv[3:5]) or None
    tls_roots = sys.argv[5] if len(sys.argv) > 5 else None
    engine = sa.create_engine(url)

    # A view, made through the dialect as a Superset user would in SQL Lab.
    with engine.connect() as conn:
        conn.execute(
            sa.text(
                "CREATE OR REPLACE VIEW gold.sales_2024 AS "
                "SELECT quarter, total_sales_usd FROM gold.aggregated_sales WHERE year = 2024"
            )
        )

    inspector = sa.inspect(engine)
    schemas = inspector.get_schema_names()
    check("the layers are schemas", {"bronze", "silver", "gold"} <= set(schemas), True)

    expected_tables = {
        row[0]
        for row in adbc_rows(
            adbc_uri,
            credentials,
            tls_roots,
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'gold'",
        )
    }
    gold_tables = inspector.get_table_names(schema="gold")
    check("gold's tables, the view among them", set(gold_tables), expected_tables)
    check("the view is listed", "sales_2024" in gold_tables, True)
    # flightsql-dbapi 0.2.2 answers get_view_names with [] without asking the server; views
    # come with the tables (GetTables without a type filter), which is where Superset finds them.
    check("get_view_names (the dialect's own answer)", inspector.get_view_names(schema="gold"), [])

    columns = inspector.get_columns("aggregated_sales", schema="gold")
    check(
        "gold.aggregated_sales' columns and types",
        [(c["name"], type(c["type"]).__name__) for c in columns],
        [("year", "INTEGER"), ("quarter", "INTEGER"), ("total_sales_usd", "DECIMAL")],
    )
    view_columns = inspector.get_columns("sales_2024", schema="gold")
    check("the view's columns", [c["name"] for c in view_columns], ["quarter", "total_sales_usd"])
    check("no primary key", inspector.get_pk_constraint("aggregated_sales", schema="gold"), [])
    check("no foreign keys", inspector.get_foreign_keys("aggregated_sales", schema="gold"), [])

    inner = "SELECT year, quarter, total_sales_usd FROM gold.aggregated_sales"
    expected = adbc_rows(adbc_uri, credentials, tls_roots, f"{inner} ORDER BY year, quarter")[:3]
    # A chart over a SQL-defined dataset wraps its SQL the way Superset does: a subquery named
    # virtual_table, with ORDER BY and LIMIT outside. (An ORDER BY inside the subquery alone
    # does not order the outer rows: DataFusion drops it, as SQL allows.)
    wrapped = f"SELECT * FROM ({inner}) AS virtual_table ORDER BY year, quarter LIMIT 3"
    with engine.connect() as conn:
        rows = [tuple(row) for row in conn.execute(sa.text(wrapped))]
    check("a LIMIT-wrapped query", rows, expected)
    check("decimals arrive as decimals", isinstance(rows[0][2], Decimal), True)

    # The same through SQLAlchemy's own compiler: a reflected table, a filter bound as a
    # literal (the dialect's default), ORDER BY and LIMIT.
    table = sa.Table("aggregated_sales", sa.MetaData(), schema="gold", autoload_with=engine)
    query = (
        sa.select(table.c.quarter, table.c.total_sales_usd)
        .where(table.c.year == 2024)
        .order_by(table.c.quarter)
        .limit(2)
    )
    with engine.connect() as conn:
        compiled = [tuple(row) for row in conn.execute(query)]
    expected = adbc_rows(
        adbc_uri,
        credentials,
        tls_roots,
        "SELECT * FROM gold.sales_2024 ORDER BY quarter LIMIT 2",
    )
    check("a compiled select over a reflected table", compiled, expected)


if __name__ == "__main__":
    main()
