//! GetXdbcTypeInfo: the SQL types a client may use in DDL and CAST, as JDBC / ODBC describe them.

use arrow_flight::sql::metadata::{XdbcTypeInfo, XdbcTypeInfoData, XdbcTypeInfoDataBuilder};
use arrow_flight::sql::{Nullable, Searchable, XdbcDataType, XdbcDatetimeSubcode};

use crate::error::{Result, ServerError};

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
            unsigned_attribute: radix.map(|_| false),
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
    ] {
        types.append(XdbcTypeInfo {
            type_name: name.to_string(),
            data_type,
            literal_prefix: Some(format!("{name} '")),
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
