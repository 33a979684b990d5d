"""Reads the Flight SQL column metadata of results, as BI drivers do (Power BI's ADBC path
needs the type name), through the ADBC Flight SQL driver: a table of every Delta type, written
into the lake with the `deltalake` package, queried ad hoc, through GetSchema and as a prepared
statement with a parameter. Checks each column's type name against GetXdbcTypeInfo.

Usage: column_metadata.py URI LAKE
"""

import sys
from decimal import Decimal
from datetime import date, datetime, timezone

import adbc_driver_flightsql.dbapi as flightsql
import pyarrow as pa
import pyarrow.flight as flight
from deltalake import write_deltalake

from flight_sql_wire import any_message

PREFIX = "ARROW:FLIGHT:SQL:"

# Delta type -> (Arrow type written, value, expected TYPE_NAME, PRECISION, SCALE).
EVERY_TYPE = {
    "a_boolean": (pa.bool_(), True, "BOOLEAN", None, None),
    "a_byte": (pa.int8(), 1, "TINYINT", "3", "0"),
    "a_short": (pa.int16(), 2, "SMALLINT", "5", "0"),
    "an_int": (pa.int32(), 3, "INTEGER", "10", "0"),
    "a_long": (pa.int64(), 4, "BIGINT", "19", "0"),
    "a_float": (pa.float32(), 1.5, "REAL", "24", "0"),
    "a_double": (pa.float64(), 2.5, "DOUBLE", "53", "0"),
    "a_decimal": (pa.decimal128(12, 3), Decimal("123.456"), "DECIMAL", "12", "3"),
    "a_string": (pa.string(), "text", "VARCHAR", None, None),
    "a_binary": (pa.binary(), b"\x01\x02", "VARBINARY", None, None),
    "a_date": (pa.date32(), date(2024, 2, 29), "DATE", None, None),
    "a_timestamp": (
        pa.timestamp("us", tz="UTC"),
        datetime(2024, 2, 29, 12, 0, tzinfo=timezone.utc),
        "TIMESTAMP WITH TIME ZONE",
        None,
        None,
    ),
    "a_timestamp_ntz": (pa.timestamp("us"), datetime(2024, 2, 29, 12, 0), "TIMESTAMP", None, None),
    "an_array": (pa.list_(pa.int32()), [1, 2], "ARRAY", None, None),
    "a_map": (pa.map_(pa.string(), pa.int32()), [("k", 1)], "MAP", None, None),
    "a_struct": (
        pa.struct([("x", pa.int32()), ("y", pa.string())]),
        {"x": 1, "y": "z"},
        "STRUCT",
        None,
        None,
    ),
}


def write_every_type(lake: str) -> None:
    schema = pa.schema([(name, spec[0]) for name, spec in EVERY_TYPE.items()])
    row = pa.Table.from_pylist([{name: spec[1] for name, spec in EVERY_TYPE.items()}], schema)
    write_deltalake(f"{lake}/gold/every_type", row)


def described(schema: pa.Schema) -> dict[str, dict[str, str]]:
    return {
        field.name: {
            key.decode()[len(PREFIX):]: value.decode()
            for key, value in (field.metadata or {}).items()
            if key.decode().startswith(PREFIX)
        }
        for field in schema
    }


def check(what: str, schema: pa.Schema, type_names: set[str]) -> None:
    columns = described(schema)
    assert list(columns) == list(EVERY_TYPE), f"{what}: columns {list(columns)}"
    for name, (_, _, type_name, precision, scale) in EVERY_TYPE.items():
        metadata = columns[name]
        expected = {
            "TYPE_NAME": type_name,
            "CATALOG_NAME": "lake",
            "DB_SCHEMA_NAME": "gold",
            "TABLE_NAME": "every_type",
            "IS_READ_ONLY": "1",
            "IS_AUTO_INCREMENT": "0",
        }
        if precision is not None:
            expected |= {"PRECISION": precision, "SCALE": scale}
        for key, value in expected.items():
            assert metadata.get(key) == value, f"{what}: {name}: {key} is {metadata.get(key)!r}, not {value!r}: {metadata}"
        if precision is None:
            assert "PRECISION" not in metadata, f"{what}: {name}: {metadata}"
        assert type_name in type_names, f"{what}: {name}: {type_name} is not in GetXdbcTypeInfo"


def xdbc_type_names(uri: str) -> set[str]:
    """GetXdbcTypeInfo's type names (ADBC has no call for it: asked with pyarrow.flight)."""
    client = flight.FlightClient(uri)
    descriptor = flight.FlightDescriptor.for_command(any_message("CommandGetXdbcTypeInfo", b""))
    info = client.get_flight_info(descriptor)
    table = client.do_get(info.endpoints[0].ticket).read_all()
    return set(table.column("type_name").to_pylist())


def main() -> None:
    uri, lake = sys.argv[1], sys.argv[2]
    write_every_type(lake)
    with flightsql.connect(uri) as conn, conn.cursor() as cursor:
        type_names = xdbc_type_names(uri)
        query = "SELECT * FROM gold.every_type"
        cursor.execute(query)
        table = cursor.fetch_arrow_table()
        assert table.num_rows == 1, table
        check("ad hoc query", table.schema, type_names)
        check("GetSchema", cursor.adbc_execute_schema(query), type_names)
        cursor.execute("SELECT * FROM gold.every_type WHERE an_int = ?", parameters=(3,))
        table = cursor.fetch_arrow_table()
        assert table.num_rows == 1, table
        check("prepared statement", table.schema, type_names)
        # A computed column has a type name, but no table.
        cursor.execute("SELECT an_int + 1 AS next FROM gold.every_type")
        computed = described(cursor.fetch_arrow_table().schema)["next"]
        assert computed.get("TYPE_NAME") == "BIGINT", computed
        assert "TABLE_NAME" not in computed, computed
    print("column metadata: every type described")


if __name__ == "__main__":
    main()
