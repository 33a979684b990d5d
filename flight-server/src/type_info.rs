//! GetXdbcTypeInfo: the SQL types a client may use in DDL and CAST and meets in results, as
//! JDBC / ODBC describe them; and the name of each result column's type among them, which
//! result schemas carry (see [`crate::column_metadata`]). Every Delta type has its row: boolean,
//! byte, short, int, long, float, double, decimal, string, binary, date, timestamp,
//! timestamp_ntz, array, map and struct; a variant is read as its JSON text, a VARCHAR.

use arrow::datatypes::DataType;
use arrow_flight::sql::metadata::{XdbcTypeInfo, XdbcTypeInfoData, XdbcTypeInfoDataBuilder};
use arrow_flight::sql::{Nullable, Searchable, XdbcDataType, XdbcDatetimeSubcode};

use crate::error::{Result, ServerError};

/// A result column's SQL type name, as GetXdbcTypeInfo lists it (`data_type` as results send
/// it: see [`crate::results::flight_schema`]).
pub fn sql_type_name(data_type: &DataType) -> &'static str {
    match data_type {
        DataType::Null => "NULL",
        DataType::Boolean => "BOOLEAN",
        DataType::Int8 => "TINYINT",
        DataType::Int16 => "SMALLINT",
        DataType::Int32 => "INTEGER",
        DataType::Int64 => "BIGINT",
        DataType::UInt8 => "TINYINT UNSIGNED",
        DataType::UInt16 => "SMALLINT UNSIGNED",
        DataType::UInt32 => "INTEGER UNSIGNED",
        DataType::UInt64 => "BIGINT UNSIGNED",
        DataType::Float16 | DataType::Float32 => "REAL",
        DataType::Float64 => "DOUBLE",
        DataType::Decimal32(..)
        | DataType::Decimal64(..)
        | DataType::Decimal128(..)
        | DataType::Decimal256(..) => "DECIMAL",
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => "VARCHAR",
        DataType::Binary
        | DataType::LargeBinary
        | DataType::BinaryView
        | DataType::FixedSizeBinary(_) => "VARBINARY",
        DataType::Date32 | DataType::Date64 => "DATE",
        DataType::Time32(_) | DataType::Time64(_) => "TIME",
        DataType::Timestamp(_, None) => "TIMESTAMP",
        DataType::Timestamp(_, Some(_)) => TIMESTAMP_WITH_TIME_ZONE,
        DataType::Interval(_) | DataType::Duration(_) => "INTERVAL",
        DataType::List(_)
        | DataType::LargeList(_)
        | DataType::ListView(_)
        | DataType::LargeListView(_)
        | DataType::FixedSizeList(..) => "ARRAY",
        DataType::Map(..) => "MAP",
        DataType::Struct(_) => "STRUCT",
        DataType::Dictionary(_, values) => sql_type_name(values),
        _ => "OTHER",
    }
}

/// Delta's `timestamp` (an instant, UTC); its `timestamp_ntz` is a plain TIMESTAMP.
const TIMESTAMP_WITH_TIME_ZONE: &str = "TIMESTAMP WITH TIME ZONE";

/// One row per SQL type the engine accepts.
pub fn xdbc_type_info() -> Result<XdbcTypeInfoData> {
    use XdbcDataType::*;
    let mut types = XdbcTypeInfoDataBuilder::new();
    for (name, data_type, column_size, radix) in [
        ("BOOLEAN", XdbcBit, Some(1), None),
        ("TINYINT", XdbcTinyint, Some(3), Some(10)),
        ("SMALLINT", XdbcSmallint, Some(5), Some(10)),
        ("INTEGER", XdbcInteger, Some(10), Some(10)),
        ("BIGINT", XdbcBigint, Some(19), Some(10)),
        ("TINYINT UNSIGNED", XdbcTinyint, Some(3), Some(10)),
        ("SMALLINT UNSIGNED", XdbcSmallint, Some(5), Some(10)),
        ("INTEGER UNSIGNED", XdbcInteger, Some(10), Some(10)),
        ("BIGINT UNSIGNED", XdbcBigint, Some(20), Some(10)),
        ("REAL", XdbcFloat, Some(24), Some(2)),
        ("DOUBLE", XdbcDouble, Some(53), Some(2)),
        ("DECIMAL", XdbcDecimal, Some(38), Some(10)),
        ("VARCHAR", XdbcVarchar, None, None),
        ("VARBINARY", XdbcVarbinary, None, None),
    ] {
        types.append(XdbcTypeInfo {
            type_name: name.to_string(),
            data_type,
            column_size,
            literal_prefix: quoted(data_type).then(|| "'".to_string()),
            literal_suffix: quoted(data_type).then(|| "'".to_string()),
            create_params: (data_type == XdbcDecimal)
                .then(|| vec!["precision".to_string(), "scale".to_string()]),
            nullable: Nullable::NullabilityNullable,
            case_sensitive: data_type == XdbcVarchar,
            searchable: Searchable::Full,
            unsigned_attribute: radix.map(|_| name.ends_with(" UNSIGNED")),
            fixed_prec_scale: false,
            auto_increment: radix.map(|_| false),
            local_type_name: Some(name.to_string()),
            minimum_scale: (data_type == XdbcDecimal).then_some(0),
            maximum_scale: (data_type == XdbcDecimal).then_some(38),
            sql_data_type: data_type,
            datetime_subcode: None,
            num_prec_radix: radix,
            interval_precision: None,
        });
    }
    for (name, data_type, subcode) in [
        // Code 1 is both YEAR and DATE in the spec; prost names it after the first.
        ("DATE", XdbcDate, XdbcDatetimeSubcode::XdbcSubcodeYear),
        ("TIME", XdbcTime, XdbcDatetimeSubcode::XdbcSubcodeTime),
        (
            "TIMESTAMP",
            XdbcTimestamp,
            XdbcDatetimeSubcode::XdbcSubcodeTimestamp,
        ),
        (
            TIMESTAMP_WITH_TIME_ZONE,
            XdbcTimestamp,
            XdbcDatetimeSubcode::XdbcSubcodeTimestampWithTimezone,
        ),
    ] {
        types.append(XdbcTypeInfo {
            type_name: name.to_string(),
            data_type,
            // A zoned timestamp is written as a quoted string, which the column's type reads.
            literal_prefix: Some(if name == TIMESTAMP_WITH_TIME_ZONE {
                "'".to_string()
            } else {
                format!("{name} '")
            }),
            literal_suffix: Some("'".to_string()),
            nullable: Nullable::NullabilityNullable,
            searchable: Searchable::Full,
            local_type_name: Some(name.to_string()),
            // Datetime types are reported as XdbcDatetime with a subcode, as JDBC expects.
            sql_data_type: XdbcDatetime,
            datetime_subcode: Some(subcode),
            ..XdbcTypeInfo::default()
        });
    }
    // Nested types have no XDBC code (JDBC's ARRAY and STRUCT are outside XDBC's list), and
    // no literal: clients build them with functions (`make_array`, `map`, `named_struct`).
    for name in ["ARRAY", "MAP", "STRUCT"] {
        types.append(XdbcTypeInfo {
            type_name: name.to_string(),
            data_type: XdbcDataType::XdbcUnknownType,
            nullable: Nullable::NullabilityNullable,
            searchable: Searchable::None,
            local_type_name: Some(name.to_string()),
            sql_data_type: XdbcDataType::XdbcUnknownType,
            ..XdbcTypeInfo::default()
        });
    }
    types
        .build()
        .map_err(|error| ServerError::Internal(format!("building the type list: {error}")))
}

fn quoted(data_type: XdbcDataType) -> bool {
    matches!(
        data_type,
        XdbcDataType::XdbcVarchar | XdbcDataType::XdbcVarbinary
    )
}
