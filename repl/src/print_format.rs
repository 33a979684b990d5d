//! Output formats, and writing a query's result stream in one of them.
//!
//! Every format but `table` writes batch by batch as the query produces them, so a result larger
//! than memory can be piped out. `table` needs all the rows it shows to size its columns, so it
//! keeps at most `maxrows` of them and only counts the rest.

use std::io::Write;

use anyhow::Result;
use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use clap::ValueEnum;
use datafusion::execution::SendableRecordBatchStream;
use futures::StreamExt;
use lakeshore_engine::EngineError;

use crate::nested_json::nested_as_json;
use crate::table::TextTable;
use crate::text_rows::text_rows;

/// How a result is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PrintFormat {
    /// A bordered table, for reading in a terminal.
    Table,
    /// Comma-separated values with a header line.
    Csv,
    /// Tab-separated values with a header line.
    Tsv,
    /// One JSON array of objects.
    Json,
    /// One JSON object per line.
    Ndjson,
    /// A GitHub markdown table.
    Markdown,
}

impl PrintFormat {
    /// The format's name, as `--format` and `\format` take it.
    pub fn name(self) -> String {
        self.to_possible_value()
            .map_or_else(String::new, |value| value.get_name().to_string())
    }
}

/// When `table` shows each row as a block of `name | value` lines (psql's `\x`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Expanded {
    Off,
    On,
    /// Only results wider than the terminal.
    Auto,
}

/// A format with the choices that go with it.
#[derive(Debug, Clone, Copy)]
pub struct Printer {
    pub format: PrintFormat,
    /// The most rows a table shows; `None` for all.
    pub table_maxrows: Option<usize>,
    /// No row count under tables.
    pub quiet: bool,
    /// The terminal's width, which a table is narrowed to; `None` when the output is not a
    /// terminal, and tables keep every character.
    pub width: Option<usize>,
    pub expanded: Expanded,
}

impl Printer {
    /// Writes every row of `stream` to `out`. A result without columns (from DDL) writes
    /// nothing, though the stream is still run to its end.
    pub async fn print(
        &self,
        mut stream: SendableRecordBatchStream,
        out: &mut impl Write,
    ) -> Result<()> {
        let schema = stream.schema();
        if schema.fields().is_empty() {
            while next_batch(&mut stream).await?.is_some() {}
            return Ok(());
        }
        match self.format {
            PrintFormat::Table => self.print_table(stream, out).await,
            PrintFormat::Csv => print_delimited(stream, b',', out).await,
            PrintFormat::Tsv => print_delimited(stream, b'\t', out).await,
            PrintFormat::Json => print_json_array(stream, out).await,
            PrintFormat::Ndjson => print_ndjson(stream, out).await,
            PrintFormat::Markdown => print_markdown(stream, out).await,
        }
    }

    async fn print_table(
        &self,
        mut stream: SendableRecordBatchStream,
        out: &mut impl Write,
    ) -> Result<()> {
        let schema = stream.schema();
        let mut shown = Vec::new();
        let mut shown_rows = 0;
        let mut total_rows = 0;
        while let Some(batch) = next_batch(&mut stream).await? {
            total_rows += batch.num_rows();
            let room = self
                .table_maxrows
                .map_or(usize::MAX, |max| max - shown_rows)
                .min(batch.num_rows());
            if room > 0 {
                shown.push(batch.slice(0, room));
                shown_rows += room;
            }
        }
        let table = text_table(&schema, &shown)?;
        let expanded = match self.expanded {
            Expanded::Off => false,
            Expanded::On => true,
            Expanded::Auto => self
                .width
                .is_some_and(|width| table.natural_width() > width),
        };
        if expanded {
            write!(out, "{}", table.expanded(self.width))?;
        } else {
            write!(out, "{}", table.bordered(self.width))?;
        }
        if shown_rows < total_rows {
            writeln!(out, "{total_rows} rows, {shown_rows} shown")?;
        } else if !self.quiet {
            writeln!(out, "{}", count_rows(total_rows))?;
        }
        Ok(())
    }
}

/// The column names and values of `batches` as text.
fn text_table(schema: &SchemaRef, batches: &[RecordBatch]) -> Result<TextTable> {
    Ok(TextTable {
        headers: schema.fields().iter().map(|f| f.name().clone()).collect(),
        rows: text_rows(batches)?,
    })
}

/// "1 row", "2 rows".
fn count_rows(rows: usize) -> String {
    match rows {
        1 => "1 row".to_string(),
        n => format!("{n} rows"),
    }
}

/// The next batch of `stream`, with a failed query's error in the engine's words.
async fn next_batch(stream: &mut SendableRecordBatchStream) -> Result<Option<RecordBatch>> {
    match stream.next().await {
        Some(batch) => Ok(Some(batch.map_err(EngineError::from)?)),
        None => Ok(None),
    }
}

async fn print_delimited(
    mut stream: SendableRecordBatchStream,
    delimiter: u8,
    out: &mut impl Write,
) -> Result<()> {
    let builder = arrow::csv::WriterBuilder::new().with_delimiter(delimiter);
    // The CSV writer turns a failed write into words, losing the io::Error (which tells a closed
    // pipe from a real failure), so each batch is formatted into a buffer and written from there.
    let mut buffer = Vec::new();
    // An empty first batch writes the header, even when the query returns no rows.
    let header = nested_as_json(&RecordBatch::new_empty(stream.schema()))?;
    builder
        .clone()
        .with_header(true)
        .build(&mut buffer)
        .write(&header)?;
    out.write_all(&buffer)?;
    while let Some(batch) = next_batch(&mut stream).await? {
        buffer.clear();
        builder
            .clone()
            .with_header(false)
            .build(&mut buffer)
            .write(&nested_as_json(&batch)?)?;
        out.write_all(&buffer)?;
    }
    Ok(())
}

async fn print_json_array(
    mut stream: SendableRecordBatchStream,
    out: &mut impl Write,
) -> Result<()> {
    let mut writer = json_writer_builder().build::<_, arrow::json::writer::JsonArray>(&mut *out);
    while let Some(batch) = next_batch(&mut stream).await? {
        writer.write(&batch)?;
    }
    writer.finish()?;
    writeln!(out)?;
    Ok(())
}

async fn print_ndjson(mut stream: SendableRecordBatchStream, out: &mut impl Write) -> Result<()> {
    let mut writer = json_writer_builder().build::<_, arrow::json::writer::LineDelimited>(out);
    while let Some(batch) = next_batch(&mut stream).await? {
        writer.write(&batch)?;
    }
    writer.finish()?;
    Ok(())
}

/// JSON objects name every column, null or not, so each object has the same keys.
fn json_writer_builder() -> arrow::json::WriterBuilder {
    arrow::json::WriterBuilder::new().with_explicit_nulls(true)
}

async fn print_markdown(mut stream: SendableRecordBatchStream, out: &mut impl Write) -> Result<()> {
    write_markdown_header(&stream.schema(), out)?;
    while let Some(batch) = next_batch(&mut stream).await? {
        for row in text_rows(&[batch])? {
            write_markdown_row(row.iter().map(|value| markdown_cell(value)), out)?;
        }
    }
    Ok(())
}

fn write_markdown_header(schema: &SchemaRef, out: &mut impl Write) -> Result<()> {
    let names = schema
        .fields()
        .iter()
        .map(|field| markdown_cell(field.name()));
    write_markdown_row(names, out)?;
    write_markdown_row(schema.fields().iter().map(|_| "---".to_string()), out)
}

fn write_markdown_row(cells: impl Iterator<Item = String>, out: &mut impl Write) -> Result<()> {
    write!(out, "|")?;
    for cell in cells {
        write!(out, " {cell} |")?;
    }
    writeln!(out)?;
    Ok(())
}

/// A value made safe for a markdown cell: a `|` would end the cell and a line break the row.
fn markdown_cell(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace("\r\n", "<br>")
        .replace(['\n', '\r'], "<br>")
}
