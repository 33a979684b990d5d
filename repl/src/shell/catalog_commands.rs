//! The commands that describe the catalog: `\dt`, `\d`, `\dv`, `\history`. Each is plain SQL
//! (information_schema, `DESCRIBE`, the engine's Delta table functions), so it works the same
//! embedded and remote, and its result prints in the current format.

use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;

use anyhow::Result;
use arrow::array::{RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use datafusion::execution::SendableRecordBatchStream;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;

use super::command::Command;
use crate::backend::Backend;
use crate::print_format::Printer;
use crate::text_rows::collect_text_rows;

/// Runs `\dt`, `\d`, `\dv` or `\history`; other commands are not about the catalog and do
/// nothing here.
pub async fn run(
    backend: &dyn Backend,
    command: &Command,
    printer: &Printer,
    out: &mut impl Write,
) -> Result<()> {
    match command {
        Command::ListTables(pattern) => {
            list_tables(backend, pattern.as_deref(), printer, out).await
        }
        Command::Describe(table) => describe(backend, table, printer, out).await,
        Command::ListViews => list_views(backend, printer, out).await,
        Command::History(table) => history(backend, table, printer, out).await,
        _ => Ok(()),
    }
}

/// `\dt [pattern]`: the lake's tables with their layer, and, from `delta_detail`, their current
/// version, number of files and size.
async fn list_tables(
    backend: &dyn Backend,
    pattern: Option<&str>,
    printer: &Printer,
    out: &mut impl Write,
) -> Result<()> {
    let listing = format!(
        "SELECT table_schema, table_name FROM information_schema.tables \
         WHERE table_type = 'BASE TABLE' AND table_schema <> 'information_schema'{} \
         ORDER BY table_schema, table_name",
        pattern.map(name_filter).unwrap_or_default()
    );
    let tables = collect_text_rows(backend.execute(&listing).await?).await?;
    let mut rows = Vec::new();
    for table in tables {
        let [layer, name] = <[String; 2]>::try_from(table).unwrap_or_default();
        let qualified = format!("{layer}.{name}");
        let detail = table_detail(backend, &qualified).await;
        let version = current_version(backend, &qualified).await;
        rows.push(vec![
            layer,
            name,
            version,
            detail.value(&["numFiles", "num_files"]),
            detail
                .value(&["sizeInBytes", "size_in_bytes"])
                .parse::<u64>()
                .map_or_else(|_| String::new(), human_size),
        ]);
    }
    let headers = ["layer", "name", "version", "files", "size"];
    printer.print(text_stream(&headers, rows), out).await
}

/// `\d name`: the columns of a table or view (name, type, nullable), then, for a Delta table,
/// its partition columns and current version.
async fn describe(
    backend: &dyn Backend,
    table: &str,
    printer: &Printer,
    out: &mut impl Write,
) -> Result<()> {
    printer
        .print(backend.execute(&format!("DESCRIBE {table}")).await?, out)
        .await?;
    let detail = table_detail(backend, table).await;
    let partitions = detail.value(&["partitionColumns", "partition_columns"]);
    let partitions = partitions.trim_matches(['[', ']']);
    if detail.is_delta() {
        if partitions.is_empty() {
            writeln!(out, "Not partitioned.")?;
        } else {
            writeln!(out, "Partitioned by: {partitions}")?;
        }
        let version = current_version(backend, table).await;
        if !version.is_empty() {
            writeln!(out, "Version: {version}")?;
        }
    }
    Ok(())
}

/// `\dv`: the views and their definitions.
async fn list_views(backend: &dyn Backend, printer: &Printer, out: &mut impl Write) -> Result<()> {
    let sql = "SELECT table_schema AS layer, table_name AS name, view_definition AS definition \
               FROM information_schema.views ORDER BY table_schema, table_name";
    printer.print(backend.execute(sql).await?, out).await
}

/// `\history name`: the table's commits, newest first.
async fn history(
    backend: &dyn Backend,
    table: &str,
    printer: &Printer,
    out: &mut impl Write,
) -> Result<()> {
    let sql = format!("DESCRIBE HISTORY {table}");
    printer.print(backend.execute(&sql).await?, out).await
}

/// What `delta_detail` says of a table, by column name; empty when the table is not a Delta
/// table (a view, a parquet table) or the engine cannot describe it.
struct TableDetail(HashMap<String, String>);

impl TableDetail {
    fn value(&self, names: &[&str]) -> String {
        names
            .iter()
            .find_map(|name| self.0.get(&name.to_ascii_lowercase()))
            .cloned()
            .unwrap_or_default()
    }

    fn is_delta(&self) -> bool {
        !self.0.is_empty()
    }
}

async fn table_detail(backend: &dyn Backend, table: &str) -> TableDetail {
    let sql = format!(
        "SELECT * FROM delta_detail('{}')",
        table.replace('\'', "''")
    );
    let Ok(stream) = backend.execute(&sql).await else {
        return TableDetail(HashMap::new());
    };
    let schema = stream.schema();
    let Ok(rows) = collect_text_rows(stream).await else {
        return TableDetail(HashMap::new());
    };
    let Some(row) = rows.into_iter().next() else {
        return TableDetail(HashMap::new());
    };
    TableDetail(
        schema
            .fields()
            .iter()
            .map(|field| field.name().to_ascii_lowercase())
            .zip(row)
            .collect(),
    )
}

/// The table's latest version, from its newest commit; empty when it has none to show.
async fn current_version(backend: &dyn Backend, table: &str) -> String {
    let newest = async {
        let stream = backend
            .execute(&format!("DESCRIBE HISTORY {table} LIMIT 1"))
            .await?;
        let column = stream.schema().index_of("version")?;
        let rows = collect_text_rows(stream).await?;
        anyhow::Ok(
            rows.into_iter()
                .next()
                .and_then(|mut row| row.get_mut(column).map(std::mem::take)),
        )
    };
    newest.await.ok().flatten().unwrap_or_default()
}

/// An SQL condition matching `pattern` (`*` any characters, `?` one) against the table name, or
/// against `layer.name` when the pattern has a dot.
fn name_filter(pattern: &str) -> String {
    let like: String = pattern
        .chars()
        .map(|c| match c {
            '*' => "%".to_string(),
            '?' => "_".to_string(),
            '\'' => "''".to_string(),
            other => other.to_string(),
        })
        .collect();
    if pattern.contains('.') {
        format!(" AND table_schema || '.' || table_name LIKE '{like}'")
    } else {
        format!(" AND table_name LIKE '{like}'")
    }
}

/// A size in bytes as people read it: 512 B, 1.5 KiB, 20.3 MiB.
fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut size = bytes as f64;
    let mut unit = 0;
    while size >= 1024.0 && unit < UNITS.len() - 1 {
        size /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{size:.1} {}", UNITS[unit])
    }
}

/// Rows of text as a result stream, so they print like any query's.
fn text_stream(headers: &[&str], rows: Vec<Vec<String>>) -> SendableRecordBatchStream {
    let schema = Arc::new(Schema::new(
        headers
            .iter()
            .map(|name| Field::new(*name, DataType::Utf8, true))
            .collect::<Vec<_>>(),
    ));
    let columns = (0..headers.len())
        .map(|column| {
            Arc::new(StringArray::from_iter(rows.iter().map(|row| {
                row.get(column).filter(|value| !value.is_empty()).cloned()
            }))) as _
        })
        .collect();
    let batch = RecordBatch::try_new(schema.clone(), columns).map_err(Into::into);
    Box::pin(RecordBatchStreamAdapter::new(
        schema,
        futures::stream::iter([batch]),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_in_binary_units() {
        assert_eq!(human_size(512), "512 B");
        assert_eq!(human_size(1536), "1.5 KiB");
        assert_eq!(human_size(5 << 20), "5.0 MiB");
    }

    #[test]
    fn patterns_become_like_conditions() {
        assert_eq!(name_filter("up*"), " AND table_name LIKE 'up%'");
        assert_eq!(
            name_filter("silver.?ates"),
            " AND table_schema || '.' || table_name LIKE 'silver._ates'"
        );
    }
}
