//! Reading tables that list reader features delta-rs refuses although its scan (as we adapt
//! it) reads them.
//!
//! delta-rs 1.1 checks a table's reader features against a fixed list before it scans, and
//! refuses every feature outside it. Some that Spark writes are missing from that list:
//!
//! - `vacuumProtocolCheck` is a reader-writer feature only so that old clients, which would not
//!   know to check the protocol before a VACUUM, refuse the table; the Delta protocol asks
//!   nothing of readers for it.
//! - `typeWidening` (and `typeWidening-preview`): a column's type was widened (int to long,
//!   float to double, a wider decimal, date to timestamp_ntz, ...). Files written before keep
//!   the narrow physical type; the scan reads them as the table's wide type, and statistics and
//!   partition values are read in the wide type too (see tests/it/type_widening.rs).
//! - `variantShredding` (and `variantShredding-preview`): variants stored with part of each
//!   value in a typed column. delta-rs' scan would lose that part, so ours reads each file's
//!   variants whole and folds them back (see `delta/variant/unshred.rs` and
//!   tests/it/variant.rs); hiding the feature is only sound together with that scan.
//!
//! This object store shows delta-rs each commit's protocol action without those features
//! (`commit.rs`), so such a table reads as the protocol intends. A checkpoint must be rewritten
//! whole to change (`checkpoint.rs`), so the store does that only for a table whose snapshot
//! still lists such a feature once loaded ([`listed_in`]): its protocol came from a checkpoint,
//! and the table is read again through a store that rewrites them. The store is for reading: a
//! writer must see the protocol as it is (writes go through a store without this filter).

mod checkpoint;
mod commit;

use std::fmt;
use std::future::Future;
use std::ops::Range;
use std::sync::Arc;

use async_trait::async_trait;
use deltalake::DeltaTable;
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use object_store::path::Path;
use object_store::{
    CopyOptions, GetOptions, GetResult, GetResultPayload, ListResult, MultipartUpload, ObjectMeta,
    ObjectStore, PutMultipartOptions, PutOptions, PutPayload, PutResult, Result,
};

use self::checkpoint::RewrittenCheckpoints;
use self::commit::{is_commit, without_readable_features};

/// Reader features that delta-rs refuses and our scan of its plan reads, as the protocol
/// spells them.
const READABLE_FEATURES: &[&str] = &[
    "vacuumProtocolCheck",
    "typeWidening",
    "typeWidening-preview",
    "variantShredding",
    "variantShredding-preview",
];

/// How a store is shown without readable features: [`ReadableFeaturesHidden::new`] or
/// [`ReadableFeaturesHidden::with_checkpoints_rewritten`].
pub(crate) type Hiding = fn(Arc<dyn ObjectStore>) -> ReadableFeaturesHidden;

/// A table opened by `open` through a store that hides readable features: in its commits, and
/// when the snapshot still lists one (its checkpoint showed it), in its checkpoints too.
/// `table_of` finds the table in what `open` returns.
pub(crate) async fn open_hiding<T, E, Opened>(
    open: impl Fn(Hiding) -> Opened,
    table_of: impl Fn(&T) -> &DeltaTable,
) -> std::result::Result<T, E>
where
    Opened: Future<Output = std::result::Result<T, E>>,
{
    let opened = open(ReadableFeaturesHidden::new).await?;
    let table = table_of(&opened);
    if !listed_in(table) {
        return Ok(opened);
    }
    tracing::debug!(table = %table.table_url(), "its checkpoint lists a readable feature; reading it anew");
    open(ReadableFeaturesHidden::with_checkpoints_rewritten).await
}

/// Whether the snapshot `table` holds lists a readable feature: through this store, only a
/// checkpoint can have shown it.
pub(crate) fn listed_in(table: &DeltaTable) -> bool {
    let features = table
        .snapshot()
        .ok()
        .and_then(|snapshot| snapshot.protocol().reader_features().map(<[_]>::to_vec));
    features.into_iter().flatten().any(|feature| {
        let name = feature.to_string();
        READABLE_FEATURES.contains(&name.as_str())
    })
}

/// An object store that serves `_delta_log/*.json` commits, and where asked its checkpoints,
/// without [`READABLE_FEATURES`].
#[derive(Debug)]
pub(crate) struct ReadableFeaturesHidden {
    inner: Arc<dyn ObjectStore>,
    /// Set for a table whose checkpoints list a readable feature.
    checkpoints: Option<Arc<RewrittenCheckpoints>>,
}

impl ReadableFeaturesHidden {
    /// Commits shown without readable features, checkpoints as stored.
    pub(crate) fn new(inner: Arc<dyn ObjectStore>) -> Self {
        Self {
            inner,
            checkpoints: None,
        }
    }

    /// Commits and checkpoints shown without readable features.
    pub(crate) fn with_checkpoints_rewritten(inner: Arc<dyn ObjectStore>) -> Self {
        Self {
            checkpoints: Some(Arc::new(RewrittenCheckpoints::new(inner.clone()))),
            inner,
        }
    }

    /// `listed` with each checkpoint's size as this store shows it.
    fn shown(
        &self,
        listed: BoxStream<'static, Result<ObjectMeta>>,
    ) -> BoxStream<'static, Result<ObjectMeta>> {
        let Some(checkpoints) = self.checkpoints.clone() else {
            return listed;
        };
        listed
            .and_then(move |meta| {
                let checkpoints = checkpoints.clone();
                async move { checkpoints.listed(meta).await }
            })
            .boxed()
    }
}

impl fmt::Display for ReadableFeaturesHidden {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.inner)
    }
}

#[async_trait]
impl ObjectStore for ReadableFeaturesHidden {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> Result<PutResult> {
        self.inner.put_opts(location, payload, opts).await
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> Result<Box<dyn MultipartUpload>> {
        self.inner.put_multipart_opts(location, opts).await
    }

    async fn get_opts(&self, location: &Path, options: GetOptions) -> Result<GetResult> {
        if let Some(checkpoints) = &self.checkpoints
            && checkpoint::is_checkpoint(location)
        {
            return checkpoints.get_opts(location, options).await;
        }
        if !is_commit(location) || options.head || options.range.is_some() {
            return self.inner.get_opts(location, options).await;
        }
        let result = self.inner.get_opts(location, options).await?;
        let meta = result.meta.clone();
        let attributes = result.attributes.clone();
        let range = result.range.clone();
        let bytes = result.bytes().await?;
        let (bytes, meta, range) = match without_readable_features(&bytes) {
            Some(stripped) => {
                let size = stripped.len() as u64;
                (
                    stripped,
                    ObjectMeta { size, ..meta },
                    Range {
                        start: 0,
                        end: size,
                    },
                )
            }
            None => (bytes, meta, range),
        };
        Ok(GetResult {
            payload: GetResultPayload::Stream(
                futures::stream::once(async move { Ok(bytes) }).boxed(),
            ),
            meta,
            range,
            attributes,
        })
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, Result<Path>>,
    ) -> BoxStream<'static, Result<Path>> {
        self.inner.delete_stream(locations)
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, Result<ObjectMeta>> {
        self.shown(self.inner.list(prefix))
    }

    fn list_with_offset(
        &self,
        prefix: Option<&Path>,
        offset: &Path,
    ) -> BoxStream<'static, Result<ObjectMeta>> {
        self.shown(self.inner.list_with_offset(prefix, offset))
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> Result<ListResult> {
        let mut listed = self.inner.list_with_delimiter(prefix).await?;
        if let Some(checkpoints) = &self.checkpoints {
            let mut objects = Vec::with_capacity(listed.objects.len());
            for meta in listed.objects {
                objects.push(checkpoints.listed(meta).await?);
            }
            listed.objects = objects;
        }
        Ok(listed)
    }

    async fn copy_opts(&self, from: &Path, to: &Path, options: CopyOptions) -> Result<()> {
        self.inner.copy_opts(from, to, options).await
    }
}
