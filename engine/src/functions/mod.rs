//! SQL functions Lakeshore adds to DataFusion's own.

mod tsql;

pub(crate) use tsql::{quote_date_part_keywords, register_tsql_functions};
