"""Replays the calls the Flight SQL JDBC driver makes (DBeaver, DataGrip, Tableau go through it)
against a running lakeshore-server, with pyarrow.flight, checking each answer the way the driver
reads it.

Usage: jdbc_replay.py URI LAKE [USER PASSWORD]
"""

import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.flight as flight
from deltalake import DeltaTable

from flight_sql_wire import (
    any_message,
    field_bytes,
    field_string,
    field_varint,
    parse,
    unpack_any,
)

# Every SqlInfo id of the spec, by the union member its value must be in.
STRING, BOOL, BIGINT, INT32, STRING_LIST, INT32_MAP = (
    "string_value",
    "bool_value",
    "bigint_value",
    "int32_bitmask",
    "string_list",
    "int32_to_int32_list_map",
)
SQL_INFO_TYPES = {
    0: STRING, 1: STRING, 2: STRING, 3: BOOL, 4: BOOL, 5: BOOL, 6: STRING, 7: STRING,
    8: INT32, 9: BOOL, 10: BOOL, 11: BOOL, 100: INT32, 101: INT32,
    500: BOOL, 501: BOOL, 502: BOOL, 503: INT32, 504: STRING, 505: INT32, 506: BOOL,
    507: INT32, 508: STRING_LIST, 509: STRING_LIST, 510: STRING_LIST, 511: STRING_LIST,
    512: STRING_LIST, 513: STRING, 514: STRING, 515: BOOL, 516: BOOL, 517: INT32_MAP,
    518: BOOL, 519: BOOL, 520: BOOL, 521: BOOL, 522: INT32, 523: BOOL, 524: BOOL,
    525: INT32, 526: INT32, 527: BOOL, 528: INT32, 529: STRING, 530: STRING, 531: STRING,
    532: BOOL, 533: INT32, 534: INT32, 535: INT32, 536: BOOL, 537: BOOL, 538: INT32,
    539: BOOL, 540: INT32, **{id: BIGINT for id in range(541, 556)}, 556: BOOL,
    557: BIGINT, 558: BIGINT, 559: BIGINT, 560: BIGINT, 561: BIGINT, 562: INT32, 563: BOOL,
    564: INT32, 565: BOOL, 566: BOOL, 567: INT32, 568: INT32, 569: INT32, 570: INT32,
    571: INT32, 572: BOOL, 573: BOOL, 574: BOOL, 575: BOOL, 576: BOOL,
}


class Replay:
    def __init__(self, uri: str, user: str | None, password: str | None):
        self.client = flight.FlightClient(uri)
        headers = []
        if user is not None:
            # Handshake with Basic auth; the driver then sends the bearer token on every call.
            headers.append(self.client.authenticate_basic_token(user, password))
        self.options = flight.FlightCallOptions(headers=headers)

    def info(self, command: str, body: bytes = b"") -> flight.FlightInfo:
        descriptor = flight.FlightDescriptor.for_command(any_message(command, body))
        return self.client.get_flight_info(descriptor, self.options)

    def fetch(self, info: flight.FlightInfo) -> pa.Table:
        assert len(info.endpoints) == 1, info.endpoints
        endpoint = info.endpoints[0]
        assert not endpoint.locations, "endpoints must carry no location"
        table = self.client.do_get(endpoint.ticket, self.options).read_all()
        assert table.schema == info.schema, f"DoGet schema {table.schema} != FlightInfo schema {info.schema}"
        return table

    def action(self, name: str, body: bytes) -> list[bytes]:
        results = self.client.do_action(flight.Action(name, body), self.options)
        return [result.body.to_pybytes() for result in results]


def check_sql_info(replay: Replay) -> None:
    table = replay.fetch(replay.info("CommandGetSqlInfo"))
    assert table.schema.field("info_name").type == pa.uint32()
    value_type = table.schema.field("value").type
    assert value_type.mode == "dense", value_type
    members = [value_type.field(i).name for i in range(value_type.num_fields)]
    assert members == [STRING, BOOL, BIGINT, INT32, STRING_LIST, INT32_MAP], members
    ids = table.column("info_name").to_pylist()
    missing = sorted(set(SQL_INFO_TYPES) - set(ids))
    assert not missing, f"SqlInfo ids not answered: {missing}"
    values = table.column("value").combine_chunks()
    for row, info_id in enumerate(ids):
        if info_id not in SQL_INFO_TYPES:
            continue
        member = members[values.type_codes[row].as_py()]
        assert member == SQL_INFO_TYPES[info_id], f"SqlInfo {info_id} is a {member}, should be {SQL_INFO_TYPES[info_id]}"
    name = values[ids.index(0)].as_py()
    assert name == "Lakeshore", name
    # Asking for some ids answers just those.
    some = replay.fetch(replay.info("CommandGetSqlInfo", field_varint(1, 0) + field_varint(1, 504)))
    assert sorted(some.column("info_name").to_pylist()) == [0, 504]


def check_catalog(replay: Replay, lake: Path) -> None:
    catalogs = replay.fetch(replay.info("CommandGetCatalogs")).column("catalog_name").to_pylist()
    assert "lake" in catalogs, catalogs

    schemas = replay.fetch(replay.info("CommandGetDbSchemas"))
    pairs = set(zip(schemas.column("catalog_name").to_pylist(), schemas.column("db_schema_name").to_pylist()))
    for layer in ("bronze", "silver", "gold", "default"):
        assert ("lake", layer) in pairs, (layer, pairs)
    only_silver = replay.fetch(replay.info("CommandGetDbSchemas", field_string(1, "lake") + field_string(2, "si%")))
    assert only_silver.column("db_schema_name").to_pylist() == ["silver"]

    # GetTables with include_schema, as DatabaseMetaData.getColumns asks for it.
    body = field_string(1, "lake") + field_string(2, "silver") + field_varint(5, 1)
    tables = replay.fetch(replay.info("CommandGetTables", body))
    names = tables.column("table_name").to_pylist()
    assert sorted(names) == ["customers", "sales_store_orders"], names
    assert set(tables.column("table_type").to_pylist()) == {"TABLE"}
    for name, ipc in zip(names, tables.column("table_schema").to_pylist()):
        schema = pa.ipc.read_schema(pa.py_buffer(ipc))
        folder = lake / "silver" / ("customers" if name == "customers" else "sales/store_orders")
        written = DeltaTable(str(folder)).schema().to_arrow()
        assert schema.names == [field.name for field in written], (name, schema.names)

    table_types = replay.fetch(replay.info("CommandGetTableTypes")).column("table_type").to_pylist()
    assert sorted(table_types) == ["TABLE", "VIEW"], table_types
    keys = replay.fetch(replay.info("CommandGetPrimaryKeys", field_string(3, "customers")))
    assert keys.num_rows == 0 and "key_sequence" in keys.schema.names
    imported = replay.fetch(replay.info("CommandGetImportedKeys", field_string(3, "customers")))
    assert imported.num_rows == 0 and "fk_table_name" in imported.schema.names
    types = replay.fetch(replay.info("CommandGetXdbcTypeInfo"))
    assert "VARCHAR" in types.column("type_name").to_pylist()


def prepare(replay: Replay, sql: str) -> tuple[bytes, pa.Schema]:
    body = any_message("ActionCreatePreparedStatementRequest", field_string(1, sql))
    [result] = replay.action("CreatePreparedStatement", body)
    type_url, message = unpack_any(result)
    assert type_url.endswith("ActionCreatePreparedStatementResult"), type_url
    fields = parse(message)
    handle = fields[1][0]
    dataset = fields.get(2, [b""])[0]
    schema = pa.ipc.read_schema(pa.py_buffer(dataset)) if dataset else pa.schema([])
    return handle, schema


def close(replay: Replay, handle: bytes) -> None:
    replay.action("ClosePreparedStatement", any_message("ActionClosePreparedStatementRequest", field_bytes(1, handle)))


def check_statements(replay: Replay, view_name: str) -> None:
    # Statement.executeQuery: the driver prepares every statement, then fetches it.
    handle, schema = prepare(replay, "SELECT currency, count(*) AS orders FROM silver.sales_store_orders GROUP BY currency ORDER BY currency")
    info = replay.info("CommandPreparedStatementQuery", field_bytes(1, handle))
    assert info.schema.equals(schema, check_metadata=True), (info.schema, schema)
    # ResultSetMetaData.getColumnTypeName and getTableName read the column metadata.
    type_names = {field.name: field.metadata[b"ARROW:FLIGHT:SQL:TYPE_NAME"] for field in schema}
    assert type_names == {"currency": b"VARCHAR", "orders": b"BIGINT"}, type_names
    assert schema.field("currency").metadata[b"ARROW:FLIGHT:SQL:TABLE_NAME"] == b"sales_store_orders", schema
    rows = replay.fetch(info).to_pylist()
    assert rows == [{"currency": "EUR", "orders": 3}, {"currency": "GBP", "orders": 1}, {"currency": "USD", "orders": 2}], rows
    close(replay, handle)

    # Statement.executeUpdate: an empty dataset schema tells the driver to use DoPut.
    handle, schema = prepare(replay, f"CREATE VIEW {view_name} AS SELECT id FROM silver.customers")
    assert len(schema) == 0, f"a statement that returns no rows must have an empty dataset schema, not {schema}"
    descriptor = flight.FlightDescriptor.for_command(any_message("CommandPreparedStatementUpdate", field_bytes(1, handle)))
    writer, reader = replay.client.do_put(descriptor, pa.schema([]), replay.options)
    writer.done_writing()
    metadata = reader.read()
    writer.close()
    assert metadata is not None, "DoPut update sends a DoPutUpdateResult"
    record_count = parse(metadata.to_pybytes()).get(1, [0])[0]
    assert record_count == 0, record_count
    close(replay, handle)
    handle, _ = prepare(replay, f"SELECT count(*) AS n FROM {view_name}")
    counted = replay.fetch(replay.info("CommandPreparedStatementQuery", field_bytes(1, handle))).to_pylist()
    assert counted[0]["n"] > 0, counted
    close(replay, handle)


def main() -> None:
    uri, lake = sys.argv[1], Path(sys.argv[2])
    user, password = (sys.argv[3], sys.argv[4]) if len(sys.argv) > 4 else (None, None)
    replay = Replay(uri, user, password)
    check_sql_info(replay)
    check_catalog(replay, lake)
    check_statements(replay, "gold.jdbc_view")
    print("jdbc replay: ok")


if __name__ == "__main__":
    main()
