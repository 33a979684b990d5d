//! How a [`PortableDeltaScanExec`] becomes bytes and back: DataFusion's plan codec
//! (datafusion-proto) hands it to us as an extension node, registered on the coordinator and
//! on every worker.
//!
//! The message carries the table's URI and version, the files of each output partition, the
//! projection, the filters (as DataFusion's logical expressions) and the limit: a few hundred
//! bytes plus the file names, whatever the size of the table's log. No credentials: a worker
//! reaches the stores with its own storage options.

use std::sync::Arc;

use arrow::datatypes::Schema;
use datafusion::common::{internal_err, plan_datafusion_err};
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::TaskContext;
use datafusion::physical_plan::ExecutionPlan;
use datafusion_proto::logical_plan::DefaultLogicalExtensionCodec;
use datafusion_proto::logical_plan::from_proto::parse_exprs;
use datafusion_proto::logical_plan::to_proto::serialize_exprs;
use datafusion_proto::physical_plan::{PhysicalExtensionCodec, PhysicalProtoConverterExtension};
use datafusion_proto::protobuf;
use prost::Message;

use super::pinned_snapshots::PinnedSnapshots;
use super::portable_scan::{PortableDeltaScanExec, ScanDescription, SnapshotSource};

/// The physical codec of Lakeshore's Delta scans. Plans holding other nodes that DataFusion
/// cannot serialize (delta-rs' own scans, as a table's change feed plans them) fail to encode
/// with an error that names the node.
#[derive(Debug)]
pub struct DeltaScanCodec {
    /// Where a decoded scan loads its snapshot.
    snapshots: Arc<SnapshotSource>,
}

impl DeltaScanCodec {
    pub(crate) fn new(snapshots: Arc<PinnedSnapshots>) -> Self {
        Self {
            snapshots: Arc::new(SnapshotSource::Pinned(snapshots)),
        }
    }
}

#[derive(Clone, PartialEq, prost::Message)]
struct PortableScanMessage {
    #[prost(string, tag = "1")]
    table_name: String,
    #[prost(string, tag = "2")]
    table_url: String,
    #[prost(uint64, tag = "3")]
    version: u64,
    #[prost(message, repeated, tag = "4")]
    file_groups: Vec<FileGroupMessage>,
    #[prost(message, optional, tag = "5")]
    projection: Option<ProjectionMessage>,
    #[prost(message, repeated, tag = "6")]
    filters: Vec<protobuf::LogicalExprNode>,
    #[prost(uint64, optional, tag = "7")]
    limit: Option<u64>,
    #[prost(message, optional, tag = "8")]
    schema: Option<protobuf::Schema>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct FileGroupMessage {
    #[prost(string, repeated, tag = "1")]
    files: Vec<String>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct ProjectionMessage {
    #[prost(uint64, repeated, tag = "1")]
    columns: Vec<u64>,
}

impl PhysicalExtensionCodec for DeltaScanCodec {
    fn try_decode(
        &self,
        buf: &[u8],
        inputs: &[Arc<dyn ExecutionPlan>],
        ctx: &TaskContext,
        _proto_converter: &dyn PhysicalProtoConverterExtension,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        if !inputs.is_empty() {
            return internal_err!("a Delta scan has no inputs, but {} came", inputs.len());
        }
        let message = PortableScanMessage::decode(buf)
            .map_err(|e| plan_datafusion_err!("cannot decode a Delta scan: {e}"))?;
        let Some(schema) = &message.schema else {
            return internal_err!(
                "the Delta scan of {} came without its schema",
                message.table_name
            );
        };
        let schema = Arc::new(Schema::try_from(schema)?);
        let filters = parse_exprs(&message.filters, ctx, &DefaultLogicalExtensionCodec {})?;
        let projection = message
            .projection
            .map(|projection| {
                projection
                    .columns
                    .into_iter()
                    .map(|column| {
                        usize::try_from(column).map_err(|_| {
                            plan_datafusion_err!("column index {column} is out of range")
                        })
                    })
                    .collect::<Result<Vec<_>>>()
            })
            .transpose()?;
        let limit = message
            .limit
            .map(|limit| {
                usize::try_from(limit)
                    .map_err(|_| plan_datafusion_err!("limit {limit} is out of range"))
            })
            .transpose()?;
        let description = ScanDescription {
            table_name: message.table_name,
            table_url: message.table_url,
            version: message.version,
            projection,
            filters,
            limit,
        };
        let file_groups = message
            .file_groups
            .into_iter()
            .map(|group| group.files)
            .collect();
        Ok(Arc::new(PortableDeltaScanExec::part(
            Arc::new(description),
            file_groups,
            schema,
            self.snapshots.clone(),
        )))
    }

    fn try_encode(
        &self,
        node: Arc<dyn ExecutionPlan>,
        buf: &mut Vec<u8>,
        _proto_converter: &dyn PhysicalProtoConverterExtension,
    ) -> Result<()> {
        let Some(scan) = node.downcast_ref::<PortableDeltaScanExec>() else {
            return Err(DataFusionError::NotImplemented(format!(
                "{} cannot be sent to a cluster worker: only Lakeshore's Delta scans and \
                 DataFusion's own operators travel",
                node.name()
            )));
        };
        let description = scan.description();
        let message = PortableScanMessage {
            table_name: description.table_name.clone(),
            table_url: description.table_url.clone(),
            version: description.version,
            file_groups: scan
                .file_groups()
                .iter()
                .map(|files| FileGroupMessage {
                    files: files.clone(),
                })
                .collect(),
            projection: description
                .projection
                .as_ref()
                .map(|columns| ProjectionMessage {
                    columns: columns.iter().map(|&column| column as u64).collect(),
                }),
            filters: serialize_exprs(&description.filters, &DefaultLogicalExtensionCodec {})?,
            limit: description.limit.map(|limit| limit as u64),
            schema: Some(node.schema().as_ref().try_into()?),
        };
        message
            .encode(buf)
            .map_err(|e| plan_datafusion_err!("cannot encode the Delta scan: {e}"))
    }
}
