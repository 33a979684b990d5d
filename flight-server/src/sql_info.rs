//! GetSqlInfo: what the server and its SQL dialect support, answered for every id of the Flight
//! SQL spec (the JDBC driver reads them all), each in the union type the spec gives it:
//! strings, booleans, int32 (ordinals and bitmasks), int64, string lists, and the int32-to-list
//! map of SQL_SUPPORTS_CONVERT.

use std::collections::HashMap;

use arrow_flight::sql::metadata::{SqlInfoData, SqlInfoDataBuilder};
use arrow_flight::sql::{
    SqlInfo, SqlSupportedCaseSensitivity, SqlSupportedResultSetType, SqlSupportsConvert,
    SqlTransactionIsolationLevel, SupportedSqlGrammar,
};

use crate::error::{Result, ServerError};

/// The answers to every SqlInfo id. `read_only` reflects `--read-only`.
pub fn sql_info(read_only: bool) -> Result<SqlInfoData> {
    use SqlInfo::*;
    let mut info = SqlInfoDataBuilder::new();
    // The server.
    info.append(FlightSqlServerName, "Lakeshore");
    info.append(FlightSqlServerVersion, env!("CARGO_PKG_VERSION"));
    info.append(FlightSqlServerArrowVersion, "1.5");
    info.append(FlightSqlServerReadOnly, read_only);
    info.append(FlightSqlServerSql, true);
    info.append(FlightSqlServerSubstrait, false);
    info.append(FlightSqlServerSubstraitMinVersion, "");
    info.append(FlightSqlServerSubstraitMaxVersion, "");
    // SqlSupportedTransaction::None: every statement commits on its own.
    info.append(FlightSqlServerTransaction, 0i32);
    info.append(FlightSqlServerCancel, true);
    info.append(FlightSqlServerBulkIngestion, !read_only);
    info.append(FlightSqlServerIngestTransactionsSupported, false);
    info.append(FlightSqlServerStatementTimeout, 0i32);
    info.append(FlightSqlServerTransactionTimeout, 0i32);
    // Definitions.
    info.append(SqlDdlCatalog, false);
    info.append(SqlDdlSchema, false);
    info.append(SqlDdlTable, !read_only);
    // Unquoted names are folded to lower case; quoted names keep their case.
    info.append(
        SqlIdentifierCase,
        SqlSupportedCaseSensitivity::SqlCaseSensitivityLowercase as i32,
    );
    info.append(SqlIdentifierQuoteChar, "\"");
    info.append(
        SqlQuotedIdentifierCase,
        SqlSupportedCaseSensitivity::SqlCaseSensitivityCaseInsensitive as i32,
    );
    info.append(SqlAllTablesAreSelectable, true);
    info.append(
        SqlNullOrdering,
        arrow_flight::sql::SqlNullOrdering::SqlNullsSortedHigh as i32,
    );
    info.append(SqlKeywords, KEYWORDS);
    info.append(SqlNumericFunctions, NUMERIC_FUNCTIONS);
    info.append(SqlStringFunctions, STRING_FUNCTIONS);
    info.append(SqlSystemFunctions, SYSTEM_FUNCTIONS);
    info.append(SqlDatetimeFunctions, DATETIME_FUNCTIONS);
    info.append(SqlSearchStringEscape, "\\");
    info.append(SqlExtraNameCharacters, "");
    info.append(SqlSupportsColumnAliasing, true);
    info.append(SqlNullPlusNullIsNull, true);
    info.append(SqlSupportsConvert, supported_conversions());
    info.append(SqlSupportsTableCorrelationNames, true);
    info.append(SqlSupportsDifferentTableCorrelationNames, false);
    info.append(SqlSupportsExpressionsInOrderBy, true);
    info.append(SqlSupportsOrderByUnrelated, true);
    info.append(
        SqlSupportedGroupBy,
        bits(&[arrow_flight::sql::SqlSupportedGroupBy::SqlGroupByUnrelated as i32]),
    );
    info.append(SqlSupportsLikeEscapeClause, true);
    info.append(SqlSupportsNonNullableColumns, true);
    info.append(
        SqlSupportedGrammar,
        bits(&[
            SupportedSqlGrammar::SqlMinimumGrammar as i32,
            SupportedSqlGrammar::SqlCoreGrammar as i32,
        ]),
    );
    // Bit 0: ANSI92 entry level.
    info.append(SqlAnsi92SupportedLevel, 1i32);
    info.append(SqlSupportsIntegrityEnhancementFacility, false);
    info.append(
        SqlOuterJoinsSupportLevel,
        arrow_flight::sql::SqlOuterJoinsSupportLevel::SqlFullOuterJoins as i32,
    );
    info.append(SqlSchemaTerm, "schema");
    info.append(SqlProcedureTerm, "procedure");
    info.append(SqlCatalogTerm, "catalog");
    info.append(SqlCatalogAtStart, true);
    // Bits of SqlSupportedElementActions: procedure calls 0, index definitions 1, privileges 2.
    info.append(SqlSchemasSupportedActions, 0i32);
    info.append(SqlCatalogsSupportedActions, 0i32);
    info.append(SqlSupportedPositionedCommands, 0i32);
    info.append(SqlSelectForUpdateSupported, false);
    info.append(SqlStoredProceduresSupported, false);
    info.append(
        SqlSupportedSubqueries,
        bits(&[
            arrow_flight::sql::SqlSupportedSubqueries::SqlSubqueriesInComparisons as i32,
            arrow_flight::sql::SqlSupportedSubqueries::SqlSubqueriesInExists as i32,
            arrow_flight::sql::SqlSupportedSubqueries::SqlSubqueriesInIns as i32,
            arrow_flight::sql::SqlSupportedSubqueries::SqlSubqueriesInQuantifieds as i32,
        ]),
    );
    info.append(SqlCorrelatedSubqueriesSupported, true);
    info.append(
        SqlSupportedUnions,
        bits(&[
            arrow_flight::sql::SqlSupportedUnions::SqlUnion as i32,
            arrow_flight::sql::SqlSupportedUnions::SqlUnionAll as i32,
        ]),
    );
    // Limits: 0 means none known.
    for id in [
        SqlMaxBinaryLiteralLength,
        SqlMaxCharLiteralLength,
        SqlMaxColumnNameLength,
        SqlMaxColumnsInGroupBy,
        SqlMaxColumnsInIndex,
        SqlMaxColumnsInOrderBy,
        SqlMaxColumnsInSelect,
        SqlMaxColumnsInTable,
        SqlMaxConnections,
        SqlMaxCursorNameLength,
        SqlMaxIndexLength,
        SqlDbSchemaNameLength,
        SqlMaxProcedureNameLength,
        SqlMaxCatalogNameLength,
        SqlMaxRowSize,
        SqlMaxStatementLength,
        SqlMaxStatements,
        SqlMaxTableNameLength,
        SqlMaxTablesInSelect,
        SqlMaxUsernameLength,
    ] {
        info.append(id, 0i64);
    }
    info.append(SqlMaxRowSizeIncludesBlobs, true);
    info.append(
        SqlDefaultTransactionIsolation,
        SqlTransactionIsolationLevel::SqlTransactionNone as i32,
    );
    info.append(SqlTransactionsSupported, false);
    info.append(SqlSupportedTransactionsIsolationLevels, 0i32);
    info.append(SqlDataDefinitionCausesTransactionCommit, false);
    info.append(SqlDataDefinitionsInTransactionsIgnored, true);
    info.append(
        SqlSupportedResultSetTypes,
        bits(&[SqlSupportedResultSetType::SqlResultSetTypeForwardOnly as i32]),
    );
    // Bits of SqlSupportedResultSetConcurrency: read-only results (bit 1).
    for id in [
        SqlSupportedConcurrenciesForResultSetUnspecified,
        SqlSupportedConcurrenciesForResultSetForwardOnly,
        SqlSupportedConcurrenciesForResultSetScrollSensitive,
        SqlSupportedConcurrenciesForResultSetScrollInsensitive,
    ] {
        info.append(id, 1i32 << 1);
    }
    info.append(SqlBatchUpdatesSupported, false);
    info.append(SqlSavepointsSupported, false);
    info.append(SqlNamedParametersSupported, false);
    info.append(SqlLocatorsUpdateCopy, false);
    info.append(SqlStoredFunctionsUsingCallSyntaxSupported, false);
    info.build()
        .map_err(|error| ServerError::Internal(format!("building SqlInfo: {error}")))
}

/// A bitmask with the given bit positions set.
fn bits(positions: &[i32]) -> i32 {
    positions.iter().fold(0, |mask, bit| mask | (1 << bit))
}

/// CAST between these SQL types works in both directions.
fn supported_conversions() -> HashMap<i32, Vec<i32>> {
    use SqlSupportsConvert::*;
    let numeric = [
        SqlConvertBigint,
        SqlConvertDecimal,
        SqlConvertFloat,
        SqlConvertInteger,
        SqlConvertNumeric,
        SqlConvertReal,
        SqlConvertSmallint,
        SqlConvertTinyint,
    ];
    let text = [SqlConvertChar, SqlConvertVarchar, SqlConvertLongvarchar];
    let mut all: Vec<i32> = numeric.iter().chain(&text).map(|t| *t as i32).collect();
    all.push(SqlConvertBit as i32);
    let mut conversions = HashMap::new();
    for from in &all {
        conversions.insert(*from, all.clone());
    }
    let dated = [SqlConvertDate as i32, SqlConvertTimestamp as i32];
    for from in dated {
        let mut targets: Vec<i32> = text.iter().map(|t| *t as i32).collect();
        targets.extend(dated);
        conversions.insert(from, targets);
    }
    conversions
}

const KEYWORDS: &[&str] = &[
    "ANALYZE",
    "COPY",
    "DESCRIBE",
    "EXPLAIN",
    "EXTERNAL",
    "HISTORY",
    "LIMIT",
    "OFFSET",
    "QUALIFY",
    "SHOW",
    "STORED",
    "TBLPROPERTIES",
    "UNNEST",
    "VERSION",
];

const NUMERIC_FUNCTIONS: &[&str] = &[
    "abs", "acos", "asin", "atan", "atan2", "cbrt", "ceil", "cos", "degrees", "exp", "floor", "ln",
    "log", "log10", "log2", "mod", "pi", "power", "radians", "random", "round", "sign", "sin",
    "sqrt", "tan", "trunc",
];

const STRING_FUNCTIONS: &[&str] = &[
    "ascii",
    "btrim",
    "char_length",
    "concat",
    "concat_ws",
    "initcap",
    "left",
    "length",
    "lower",
    "lpad",
    "ltrim",
    "md5",
    "regexp_like",
    "regexp_replace",
    "repeat",
    "replace",
    "reverse",
    "right",
    "rpad",
    "rtrim",
    "split_part",
    "starts_with",
    "strpos",
    "substr",
    "substring",
    "to_hex",
    "translate",
    "trim",
    "upper",
];

const SYSTEM_FUNCTIONS: &[&str] = &["arrow_typeof", "coalesce", "nullif", "nvl", "version"];

const DATETIME_FUNCTIONS: &[&str] = &[
    "current_date",
    "current_time",
    "date_bin",
    "date_part",
    "date_trunc",
    "extract",
    "from_unixtime",
    "make_date",
    "now",
    "to_char",
    "to_date",
    "to_timestamp",
    "to_unixtime",
];
