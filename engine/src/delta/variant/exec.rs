//! The plan node that shows a scan's variants as JSON text.

use std::fmt;
use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties};
use futures::StreamExt;

use crate::single_child::single_child;

use super::VariantColumns;

/// The scan below with its variants as JSON text.
#[derive(Debug)]
pub(super) struct VariantAsJsonExec {
    pub(super) input: Arc<dyn ExecutionPlan>,
    pub(super) columns: VariantColumns,
    pub(super) schema: SchemaRef,
    pub(super) properties: Arc<PlanProperties>,
}

impl DisplayAs for VariantAsJsonExec {
    fn fmt_as(&self, _: DisplayFormatType, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VariantAsJsonExec")
    }
}

impl ExecutionPlan for VariantAsJsonExec {
    fn name(&self) -> &str {
        "VariantAsJsonExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }

    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        Ok(self.columns.wrap(single_child(children, self.name())?))
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn maintains_input_order(&self) -> Vec<bool> {
        vec![true]
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let columns = self.columns.clone();
        let schema = self.schema.clone();
        let stream = self.input.execute(partition, context)?.map(move |batch| {
            batch.and_then(|batch| {
                columns.convert(batch, &schema).map_err(|error| {
                    DataFusionError::ArrowError(
                        Box::new(error),
                        Some("while reading a variant column as JSON".to_string()),
                    )
                })
            })
        });
        Ok(Box::pin(RecordBatchStreamAdapter::new(
            self.schema.clone(),
            stream,
        )))
    }
}
