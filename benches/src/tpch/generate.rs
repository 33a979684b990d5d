//! `lakeshore-bench tpch-gen --sf N --out DIR`: the eight TPC-H tables as Delta tables in the
//! lake DIR, schema `tpch` (`DIR/tpch/lineitem`, ...), written through the engine's ingest (the
//! path a Flight SQL client's bulk ingest takes). The data comes from the `tpchgen` crates,
//! which generate dbgen's rows straight into Arrow batches.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use arrow::array::RecordBatch;
use arrow::compute::cast;
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::error::ArrowError;
use arrow::record_batch::RecordBatchReader;
use clap::Args;
use datafusion::error::DataFusionError;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use lakeshore_engine::{Engine, EngineConfig, IngestMode};
use tpchgen::generators::{
    CustomerGenerator, LineItemGenerator, NationGenerator, OrderGenerator, PartGenerator,
    PartSuppGenerator, RegionGenerator, SupplierGenerator,
};
use tpchgen_arrow::{
    CustomerArrow, LineItemArrow, NationArrow, OrderArrow, PartArrow, PartSuppArrow, RegionArrow,
    SupplierArrow,
};

use super::layout::{SCHEMA, TABLES, write_scale_factor};

#[derive(Debug, Args)]
pub struct TpchGenArgs {
    /// The scale factor: 1 is about 1 GB of text (6M lineitem rows), 0.01 about 10 MB.
    #[arg(long, value_name = "N")]
    sf: f64,
    /// The lake folder to write the tables into (created if missing; the tables must not
    /// exist yet).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Write each table (but the tiny nation and region) as this many commits of one of
    /// dbgen's parts each, as a lake appended to over time: a cluster shares a scan out by
    /// whole files.
    #[arg(long, value_name = "N", default_value_t = 1)]
    parts: usize,
}

/// Batches handed from the generating thread to the writer at a time.
const BATCHES_IN_FLIGHT: usize = 4;

pub async fn run(args: &TpchGenArgs) -> Result<()> {
    if !(args.sf > 0.0 && args.sf.is_finite()) {
        bail!("--sf must be a positive number, not {}", args.sf);
    }
    let out = &args.out;
    std::fs::create_dir_all(out.join(SCHEMA))
        .with_context(|| format!("cannot create {}", out.join(SCHEMA).display()))?;
    let engine = Engine::open(EngineConfig::for_lake(lake_uri(out)?)).await?;
    for &table in TABLES {
        let started = Instant::now();
        let parts = match table {
            "nation" | "region" => 1,
            _ => args.parts.max(1),
        };
        let mut rows = 0;
        for part in 1..=parts {
            let mode = match part {
                1 => IngestMode::Create,
                _ => IngestMode::Append,
            };
            let generator = generator(table, args.sf, part, parts)?;
            rows += write_part(&engine, table, generator, mode).await?;
        }
        eprintln!(
            "{SCHEMA}.{table}: {rows} rows in {:.1} s",
            started.elapsed().as_secs_f64()
        );
    }
    write_scale_factor(out, args.sf)?;
    Ok(())
}

/// The lake URI of a local folder (absolute, as the engine wants it).
pub fn lake_uri(dir: &Path) -> Result<String> {
    let absolute =
        std::path::absolute(dir).with_context(|| format!("cannot resolve {}", dir.display()))?;
    absolute
        .to_str()
        .map(str::to_string)
        .with_context(|| format!("{} is not UTF-8", absolute.display()))
}

/// Runs `generator` (of `table`) on a blocking thread while the engine writes what is ready
/// in one commit, so both cores work; returns the rows written.
async fn write_part(
    engine: &Engine,
    table: &str,
    generator: Box<dyn RecordBatchReader + Send>,
    mode: IngestMode,
) -> Result<u64> {
    let schema = without_views(&generator.schema());
    let (sender, receiver) = tokio::sync::mpsc::channel(BATCHES_IN_FLIGHT);
    let target = schema.clone();
    let producer = tokio::task::spawn_blocking(move || {
        for batch in generator {
            let batch = batch.and_then(|batch| with_schema(&batch, &target));
            if sender
                .blocking_send(batch.map_err(DataFusionError::from))
                .is_err()
            {
                // The writer stopped (and says why); nothing more to send.
                return;
            }
        }
    });
    let batches = futures::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|batch| (batch, receiver))
    });
    let input = Box::pin(RecordBatchStreamAdapter::new(schema, batches));
    let rows = engine
        .ingest(&format!("{SCHEMA}.{table}"), input, mode)
        .await
        .with_context(|| format!("writing {SCHEMA}.{table}"))?;
    producer.await.context("the generating thread")?;
    Ok(rows)
}

/// The Arrow generator of part `part` (from 1) of `parts` of one table at scale factor `sf`.
fn generator(
    table: &str,
    sf: f64,
    part: usize,
    parts: usize,
) -> Result<Box<dyn RecordBatchReader + Send>> {
    let (part, parts) = (part as i32, parts as i32);
    Ok(match table {
        "nation" => Box::new(NationArrow::new(NationGenerator::new(sf, part, parts))),
        "region" => Box::new(RegionArrow::new(RegionGenerator::new(sf, part, parts))),
        "part" => Box::new(PartArrow::new(PartGenerator::new(sf, part, parts))),
        "supplier" => Box::new(SupplierArrow::new(SupplierGenerator::new(sf, part, parts))),
        "partsupp" => Box::new(PartSuppArrow::new(PartSuppGenerator::new(sf, part, parts))),
        "customer" => Box::new(CustomerArrow::new(CustomerGenerator::new(sf, part, parts))),
        "orders" => Box::new(OrderArrow::new(OrderGenerator::new(sf, part, parts))),
        "lineitem" => Box::new(LineItemArrow::new(LineItemGenerator::new(sf, part, parts))),
        other => bail!("no TPC-H table {other}"),
    })
}

/// The generators' string columns are `Utf8View`; Delta's `string` is written as plain
/// `Utf8`, which every reader (the peers' too) takes as it is.
fn without_views(schema: &Schema) -> SchemaRef {
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|field| match field.data_type() {
            DataType::Utf8View => field.as_ref().clone().with_data_type(DataType::Utf8),
            _ => field.as_ref().clone(),
        })
        .collect();
    Arc::new(Schema::new(fields))
}

fn with_schema(batch: &RecordBatch, schema: &SchemaRef) -> Result<RecordBatch, ArrowError> {
    let columns = batch
        .columns()
        .iter()
        .zip(schema.fields())
        .map(|(column, field)| cast(column, field.data_type()))
        .collect::<Result<Vec<_>, _>>()?;
    RecordBatch::try_new(schema.clone(), columns)
}
