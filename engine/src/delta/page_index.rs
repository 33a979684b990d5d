//! Parquet footers read with their page indexes, so the session's metadata cache keeps both.
//!
//! DataFusion's Parquet opener asks for a file's footer without its page index, and loads the
//! index only to prune pages by a predicate, and then not into the cache. A scan with a limit and
//! no filter (`SELECT * FROM t LIMIT 10`, the first thing a tool runs on a table) then fetches
//! the whole first row group of each file it opens (73 MB of TPC-H SF 1 lineitem for ten rows):
//! without the offset index, the reader cannot fetch less than a column chunk. Read once with the
//! footer and cached, the offset index lets it fetch only the pages it decodes. A file written
//! without page indexes reads as before.

use std::ops::Range;
use std::sync::Arc;

use bytes::Bytes;
use datafusion::datasource::listing::PartitionedFile;
use datafusion::datasource::physical_plan::ParquetFileReaderFactory;
use datafusion::parquet::arrow::arrow_reader::ArrowReaderOptions;
use datafusion::parquet::arrow::async_reader::AsyncFileReader;
use datafusion::parquet::errors::Result as ParquetResult;
use datafusion::parquet::file::metadata::{PageIndexPolicy, ParquetMetaData};
use datafusion::physical_plan::metrics::ExecutionPlanMetricsSet;
use futures::FutureExt;
use futures::future::BoxFuture;

/// Readers from `0` whose footers come with the page index, when the file has one.
#[derive(Debug)]
pub(crate) struct WithPageIndex(pub(crate) Arc<dyn ParquetFileReaderFactory>);

impl ParquetFileReaderFactory for WithPageIndex {
    fn create_reader(
        &self,
        partition_index: usize,
        partitioned_file: PartitionedFile,
        metadata_size_hint: Option<usize>,
        metrics: &ExecutionPlanMetricsSet,
    ) -> datafusion::error::Result<Box<dyn AsyncFileReader + Send>> {
        let reader = self.0.create_reader(
            partition_index,
            partitioned_file,
            metadata_size_hint,
            metrics,
        )?;
        Ok(Box::new(PageIndexReader(reader)))
    }
}

struct PageIndexReader(Box<dyn AsyncFileReader + Send>);

impl AsyncFileReader for PageIndexReader {
    fn get_bytes(&mut self, range: Range<u64>) -> BoxFuture<'_, ParquetResult<Bytes>> {
        self.0.get_bytes(range)
    }

    fn get_byte_ranges(
        &mut self,
        ranges: Vec<Range<u64>>,
    ) -> BoxFuture<'_, ParquetResult<Vec<Bytes>>> {
        self.0.get_byte_ranges(ranges)
    }

    fn get_metadata<'a>(
        &'a mut self,
        options: Option<&'a ArrowReaderOptions>,
    ) -> BoxFuture<'a, ParquetResult<Arc<ParquetMetaData>>> {
        let options = options
            .cloned()
            .unwrap_or_default()
            .with_page_index_policy(PageIndexPolicy::Optional);
        async move { self.0.get_metadata(Some(&options)).await }.boxed()
    }
}
