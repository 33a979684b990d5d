"""The few Flight SQL protobuf messages a JDBC-like client sends, encoded by hand.

pyarrow.flight speaks Flight, not Flight SQL: the Flight SQL commands travel inside Flight
descriptors, tickets and actions as protobuf `Any` messages. This module writes and reads those
messages with the protobuf wire format itself (no generated code), so the scripts that use it
depend on pyarrow alone.
"""

SQL_PACKAGE = "type.googleapis.com/arrow.flight.protocol.sql."


def _varint(value: int) -> bytes:
    if value < 0:
        value += 1 << 64
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _field(number: int, wire_type: int) -> bytes:
    return _varint((number << 3) | wire_type)


def field_bytes(number: int, value: bytes) -> bytes:
    return _field(number, 2) + _varint(len(value)) + value


def field_string(number: int, value: str) -> bytes:
    return field_bytes(number, value.encode())


def field_varint(number: int, value: int) -> bytes:
    return _field(number, 0) + _varint(value)


def any_message(name: str, body: bytes) -> bytes:
    """`google.protobuf.Any` holding the Flight SQL message `name`."""
    return field_string(1, SQL_PACKAGE + name) + field_bytes(2, body)


def parse(message: bytes) -> dict[int, list]:
    """Every field of a message: number -> values (ints for varints, bytes otherwise)."""
    fields: dict[int, list] = {}
    position = 0

    def read_varint() -> int:
        nonlocal position
        shift = result = 0
        while True:
            byte = message[position]
            position += 1
            result |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                return result

    while position < len(message):
        key = read_varint()
        number, wire_type = key >> 3, key & 7
        if wire_type == 0:
            value = read_varint()
        elif wire_type == 2:
            length = read_varint()
            value = message[position : position + length]
            position += length
        elif wire_type == 1:
            value = message[position : position + 8]
            position += 8
        elif wire_type == 5:
            value = message[position : position + 4]
            position += 4
        else:
            raise ValueError(f"unexpected wire type {wire_type}")
        fields.setdefault(number, []).append(value)
    return fields


def unpack_any(message: bytes) -> tuple[str, bytes]:
    fields = parse(message)
    return fields[1][0].decode(), fields.get(2, [b""])[0]
