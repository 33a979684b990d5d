//! Where views and external tables are kept: one small JSON file per object, at
//! `<catalog folder>/catalog/<schema>/<name>.json` (the catalog folder is `<lake>/_lakeshore` unless
//! configured), so every process that opens the lake sees the same objects.
//!
//! Each file is written whole in one put, which object stores (and delta-rs' local store, by a
//! temporary file renamed into place) make atomic: a reader never sees half a definition. Creating
//! is a put-if-absent, so two processes creating one name cannot both succeed; replacing (`OR
//! REPLACE`) and dropping are last-writer-wins, as the statements mean. One file per object keeps
//! two processes that change different objects from ever touching the same file.

use std::sync::Arc;

use deltalake::{ObjectStore, ObjectStoreError, Path};
use futures::TryStreamExt;
use object_store::{ObjectStoreExt as _, PutMode, PutOptions, PutPayload};
use serde::{Deserialize, Serialize};
use url::Url;

use crate::error::{EngineError, Result};
use crate::location::display_url;
use crate::store::ObjectStores;

/// The folder below the catalog folder that holds the definitions.
const DEFINITIONS_FOLDER: &str = "catalog";
/// The version of the file format, written into every file so a later one can tell them apart.
const FORMAT_VERSION: u64 = 1;

/// What a catalog object is, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum Definition {
    /// A view: the `CREATE VIEW` statement, planned anew whenever the view is read, and the
    /// schema its unqualified table names resolve in.
    View { sql: String, default_schema: String },
    /// A Delta table outside the lake's layout, read from its location.
    ExternalTable { location: String },
}

/// How a stored file looked when we read it: a file whose stamp is unchanged is not read again.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FileStamp {
    size: u64,
    last_modified: chrono::DateTime<chrono::Utc>,
    e_tag: Option<String>,
}

/// One definition file found by a listing.
#[derive(Debug, Clone)]
pub(crate) struct StoredFile {
    pub schema: String,
    pub name: String,
    pub path: Path,
    pub stamp: FileStamp,
}

/// The definition files of one lake, in its catalog folder.
#[derive(Debug)]
pub(crate) struct DefinitionStore {
    folder: Url,
    store: Arc<dyn ObjectStore>,
}

impl DefinitionStore {
    /// The store of the catalog folder at `folder`.
    pub(crate) fn open(folder: Url, stores: &ObjectStores) -> Result<Self> {
        let store = stores.folder_store(&folder)?;
        Ok(Self { folder, store })
    }

    /// Every definition file, with the schema and name its path gives.
    pub(crate) async fn list(&self) -> Result<Vec<StoredFile>> {
        let prefix = Path::from(DEFINITIONS_FOLDER);
        let objects: Vec<_> = match self.store.list(Some(&prefix)).try_collect().await {
            Ok(objects) => objects,
            Err(ObjectStoreError::NotFound { .. }) => Vec::new(),
            Err(e) => return Err(self.failed(&prefix, e.to_string())),
        };
        let mut files = Vec::new();
        for object in objects {
            let parts: Vec<String> = object
                .location
                .parts()
                .map(|part| part.as_ref().to_string())
                .collect();
            // `catalog/<schema>/<name>.json`; anything else (a temporary file) is not ours.
            let [_, schema, file] = parts.as_slice() else {
                continue;
            };
            let Some(name) = file.strip_suffix(".json") else {
                continue;
            };
            files.push(StoredFile {
                schema: schema.clone(),
                name: name.to_string(),
                path: object.location.clone(),
                stamp: FileStamp {
                    size: object.size,
                    last_modified: object.last_modified,
                    e_tag: object.e_tag.clone(),
                },
            });
        }
        Ok(files)
    }

    /// The definition in `path`; the error says what is wrong with the file.
    pub(crate) async fn read(&self, path: &Path) -> Result<Definition> {
        let bytes = match self.store.get(path).await {
            Ok(found) => found.bytes().await,
            Err(e) => Err(e),
        }
        .map_err(|e| self.failed(path, format!("cannot read the file: {e}")))?;
        parse(&bytes).map_err(|reason| {
            self.failed(
                path,
                format!("the file is damaged ({reason}); fix it, or drop the object to remove it"),
            )
        })
    }

    /// Stores a new object; fails, without changing anything, if the name is taken (also when
    /// another process took it a moment ago).
    pub(crate) async fn create(&self, schema: &str, name: &str, object: &Definition) -> Result<()> {
        self.put(schema, name, object, PutMode::Create).await
    }

    /// Stores an object, replacing any definition of the name.
    pub(crate) async fn replace(
        &self,
        schema: &str,
        name: &str,
        object: &Definition,
    ) -> Result<()> {
        self.put(schema, name, object, PutMode::Overwrite).await
    }

    /// Removes an object's definition (never any data).
    pub(crate) async fn remove(&self, schema: &str, name: &str) -> Result<()> {
        let path = file_path(schema, name);
        match self.store.delete(&path).await {
            Ok(()) | Err(ObjectStoreError::NotFound { .. }) => Ok(()),
            Err(e) => Err(self.failed(&path, format!("cannot remove the file: {e}"))),
        }
    }

    /// The location of a definition file, for messages.
    pub(crate) fn describe(&self, path: &Path) -> String {
        format!("{}/{path}", display_url(&self.folder))
    }

    async fn put(
        &self,
        schema: &str,
        name: &str,
        object: &Definition,
        mode: PutMode,
    ) -> Result<()> {
        let path = file_path(schema, name);
        let options = PutOptions {
            mode,
            ..PutOptions::default()
        };
        let text = to_json(object).map_err(|e| self.failed(&path, e.to_string()))?;
        match self
            .store
            .put_opts(&path, PutPayload::from(text), options)
            .await
        {
            Ok(_) => Ok(()),
            Err(ObjectStoreError::AlreadyExists { .. }) => Err(self.failed(
                &path,
                format!("{schema}.{name} already exists (created by another process just now)"),
            )),
            Err(e) => Err(self.failed(&path, format!("cannot write the file: {e}"))),
        }
    }

    fn failed(&self, path: &Path, reason: String) -> EngineError {
        EngineError::Definitions {
            location: self.describe(path),
            reason,
        }
    }
}

fn file_path(schema: &str, name: &str) -> Path {
    Path::from_iter([DEFINITIONS_FOLDER, schema, &format!("{name}.json")])
}

/// A definition file: the format's version beside the definition, tagged by its kind
/// (`{"format_version": 1, "kind": "view", "sql": ..., "default_schema": ...}`).
#[derive(Serialize, Deserialize)]
struct DefinitionFile {
    format_version: u64,
    #[serde(flatten)]
    definition: Definition,
}

/// Just the version, read first: a newer format is refused by name, not by a missing field.
#[derive(Deserialize)]
struct FormatVersion {
    format_version: Option<u64>,
}

fn to_json(object: &Definition) -> std::result::Result<Vec<u8>, serde_json::Error> {
    serde_json::to_vec_pretty(&DefinitionFile {
        format_version: FORMAT_VERSION,
        definition: object.clone(),
    })
}

fn parse(bytes: &[u8]) -> std::result::Result<Definition, String> {
    let version: FormatVersion = serde_json::from_slice(bytes).map_err(|e| unreadable(&e))?;
    match version.format_version {
        Some(FORMAT_VERSION) => {}
        Some(other) => {
            return Err(format!(
                "format version {other} is newer than this Lakeshore"
            ));
        }
        None => return Err("the field \"format_version\" is missing".to_string()),
    }
    let file: DefinitionFile = serde_json::from_slice(bytes).map_err(|e| unreadable(&e))?;
    Ok(file.definition)
}

/// Why a file is no definition: not JSON at all, or JSON of another shape.
fn unreadable(error: &serde_json::Error) -> String {
    if error.is_syntax() || error.is_eof() {
        format!("not JSON: {error}")
    } else {
        format!("not a definition: {error}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definitions_survive_a_round_trip() {
        for object in [
            Definition::View {
                sql: "CREATE VIEW v AS SELECT 1".into(),
                default_schema: "default".into(),
            },
            Definition::ExternalTable {
                location: "file:///data/t/".into(),
            },
        ] {
            let bytes = to_json(&object).unwrap();
            assert_eq!(parse(&bytes).unwrap(), object);
        }
    }

    #[test]
    fn files_written_before_keep_reading_and_newer_formats_are_named() {
        let view = br#"{"format_version": 1, "kind": "view", "sql": "CREATE VIEW v AS SELECT 1",
                        "default_schema": "gold"}"#;
        assert_eq!(
            parse(view).unwrap(),
            Definition::View {
                sql: "CREATE VIEW v AS SELECT 1".into(),
                default_schema: "gold".into()
            }
        );
        let newer = br#"{"format_version": 2, "kind": "view"}"#;
        assert!(parse(newer).unwrap_err().contains("format version 2"));
        let missing =
            br#"{"format_version": 1, "kind": "view", "sql": "CREATE VIEW v AS SELECT 1"}"#;
        assert!(parse(missing).unwrap_err().contains("default_schema"));
        let unknown = br#"{"format_version": 1, "kind": "index"}"#;
        assert!(parse(unknown).unwrap_err().contains("index"));
    }

    #[tokio::test]
    async fn a_name_is_created_once_and_replaced_on_request() {
        let dir =
            std::env::temp_dir().join(format!("lakeshore-definitions-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let store = DefinitionStore::open(
            Url::from_directory_path(&dir).unwrap(),
            &ObjectStores::new(Default::default()),
        )
        .unwrap();
        let first = Definition::ExternalTable {
            location: "file:///a/".into(),
        };
        let second = Definition::ExternalTable {
            location: "file:///b/".into(),
        };
        store.create("s", "t", &first).await.unwrap();
        // What a second process racing to create the same name meets.
        let taken = store
            .create("s", "t", &second)
            .await
            .unwrap_err()
            .to_string();
        assert!(taken.contains("already exists"), "{taken}");
        let files = store.list().await.unwrap();
        assert_eq!(store.read(&files[0].path).await.unwrap(), first);
        store.replace("s", "t", &second).await.unwrap();
        assert_eq!(store.read(&files[0].path).await.unwrap(), second);
        store.remove("s", "t").await.unwrap();
        assert!(store.list().await.unwrap().is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn damaged_files_say_what_is_wrong() {
        assert!(parse(b"{\"kind\":").unwrap_err().contains("not JSON"));
        let no_sql = br#"{"format_version":1,"kind":"view","default_schema":"x"}"#;
        assert!(parse(no_sql).unwrap_err().contains("`sql`"));
    }
}
