//! Which folders of a lake are schemas and tables, and what they are called.
//!
//! The naming rule: each top-level folder is a schema; each Delta table (a folder holding
//! `_delta_log/`) anywhere below it is a table named by its path below the schema, folders joined
//! with `_` (`silver/sales/store_orders` is `silver.sales_store_orders`). Names are lower-cased and
//! every character other than `a-z`, `0-9` and `_` becomes `_`, so they need no quoting in SQL
//! (but for names that start with a digit).
//! Delta tables directly under the root belong to the schema `default`. Folders whose names start
//! with `_` or `.` are skipped, and nothing below a table is searched (its subfolders are
//! partitions). Two folders that would get one name make that name an error naming both.

use std::collections::BTreeMap;

use deltalake::ObjectStore;
use deltalake::Path;
use futures::future::try_join_all;

/// The schema of Delta tables found directly under the lake root.
pub const DEFAULT_SCHEMA: &str = "default";

/// How deep below a schema folder we look for tables; deeper folders are partitions or data.
const MAX_TABLE_DEPTH: usize = 6;

/// The lake's schemas and tables, as found by one listing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LakeLayout {
    pub schemas: BTreeMap<String, SchemaLayout>,
}

/// The tables of one schema, by name.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SchemaLayout {
    pub tables: BTreeMap<String, TableFolder>,
}

/// What a table name points at.
#[derive(Debug, Clone, PartialEq)]
pub enum TableFolder {
    /// The table's folder, relative to the lake root (`silver/sales/store_orders`).
    Delta(String),
    /// Several folders map to the name; each is relative to the lake root.
    Ambiguous(Vec<String>),
}

/// The SQL name of a folder: lower-cased, with anything but `a-z0-9_` turned into `_`.
pub fn sql_name(folder: &str) -> String {
    folder
        .chars()
        .map(|c| {
            let c = c.to_ascii_lowercase();
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Folders named `_x` or `.x` hold tooling state or hidden data, never tables.
fn is_skipped(folder: &str) -> bool {
    folder.starts_with('_') || folder.starts_with('.')
}

impl SchemaLayout {
    fn add(&mut self, name: String, folder: String) {
        use std::collections::btree_map::Entry;
        match self.tables.entry(name) {
            Entry::Vacant(slot) => {
                slot.insert(TableFolder::Delta(folder));
            }
            Entry::Occupied(mut slot) => {
                let folders = match slot.get_mut() {
                    TableFolder::Delta(first) => vec![std::mem::take(first), folder],
                    TableFolder::Ambiguous(folders) => {
                        let mut folders = std::mem::take(folders);
                        folders.push(folder);
                        folders
                    }
                };
                slot.insert(TableFolder::Ambiguous(folders));
            }
        }
    }
}

/// Lists the lake under `store` (rooted at the lake) and names what it finds.
pub async fn discover(store: &dyn ObjectStore) -> Result<LakeLayout, deltalake::ObjectStoreError> {
    let top = store.list_with_delimiter(None).await?;
    let mut layout = LakeLayout::default();
    layout
        .schemas
        .insert(DEFAULT_SCHEMA.to_string(), SchemaLayout::default());

    let folders: Vec<&Path> = top
        .common_prefixes
        .iter()
        .filter(|p| p.filename().is_some_and(|name| !is_skipped(name)))
        .collect();
    let found = try_join_all(folders.iter().map(|folder| tables_below(store, folder, 0))).await?;
    for (folder, tables) in folders.iter().zip(found) {
        let Some(schema_folder) = folder.filename() else {
            continue;
        };
        if tables.len() == 1 && tables[0].is_empty() {
            // The top-level folder is itself a Delta table.
            let schema = layout
                .schemas
                .entry(DEFAULT_SCHEMA.to_string())
                .or_default();
            schema.add(sql_name(schema_folder), folder.to_string());
            continue;
        }
        let schema = layout.schemas.entry(sql_name(schema_folder)).or_default();
        for parts in tables {
            let name = parts
                .iter()
                .map(|p| sql_name(p))
                .collect::<Vec<_>>()
                .join("_");
            schema.add(name, format!("{folder}/{}", parts.join("/")));
        }
    }
    Ok(layout)
}

/// The Delta tables at or below `folder`, each as its path of folder names below `folder`
/// (an empty path when `folder` is a table itself).
fn tables_below<'a>(
    store: &'a dyn ObjectStore,
    folder: &'a Path,
    depth: usize,
) -> futures::future::BoxFuture<'a, Result<Vec<Vec<String>>, deltalake::ObjectStoreError>> {
    Box::pin(async move {
        let listing = store.list_with_delimiter(Some(folder)).await?;
        let children: Vec<&Path> = listing.common_prefixes.iter().collect();
        if children.iter().any(|c| c.filename() == Some("_delta_log")) {
            return Ok(vec![Vec::new()]);
        }
        if depth >= MAX_TABLE_DEPTH {
            return Ok(Vec::new());
        }
        let candidates: Vec<&Path> = children
            .into_iter()
            .filter(|c| c.filename().is_some_and(|name| !is_skipped(name)))
            .collect();
        let below =
            try_join_all(candidates.iter().map(|c| tables_below(store, c, depth + 1))).await?;
        let mut tables = Vec::new();
        for (child, found) in candidates.iter().zip(below) {
            let Some(name) = child.filename() else {
                continue;
            };
            for mut parts in found {
                parts.insert(0, name.to_string());
                tables.push(parts);
            }
        }
        Ok(tables)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use deltalake::ObjectStore;
    use object_store::local::LocalFileSystem;

    fn touch(root: &std::path::Path, rel: &str) {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, b"{}").unwrap();
    }

    async fn layout_of(files: &[&str]) -> LakeLayout {
        let dir = tempfile_dir();
        for f in files {
            touch(&dir, f);
        }
        let store = LocalFileSystem::new_with_prefix(&dir).unwrap();
        let layout = discover(&store as &dyn ObjectStore).await.unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        layout
    }

    fn tempfile_dir() -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "lakeshore-layout-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn folder(layout: &LakeLayout, schema: &str, table: &str) -> Option<TableFolder> {
        layout.schemas.get(schema)?.tables.get(table).cloned()
    }

    #[test]
    fn names_are_lower_case_and_safe_to_type() {
        assert_eq!(sql_name("Store-Orders 2024"), "store_orders_2024");
    }

    #[tokio::test]
    async fn nested_folders_join_with_underscores_and_hidden_folders_are_skipped() {
        let layout = layout_of(&[
            "silver/sales/store_orders/_delta_log/0.json",
            "silver/sales/store_orders/currency=USD/part-0.parquet",
            "silver/customers/_delta_log/0.json",
            "silver/.hidden/t/_delta_log/0.json",
            "_lakeshore/views/_delta_log/0.json",
            "bronze/landing/files/a.csv",
            "rootcount/_delta_log/0.json",
        ])
        .await;
        assert_eq!(
            folder(&layout, "silver", "sales_store_orders"),
            Some(TableFolder::Delta("silver/sales/store_orders".into()))
        );
        assert!(folder(&layout, "silver", "customers").is_some());
        assert_eq!(layout.schemas["silver"].tables.len(), 2);
        assert!(layout.schemas["bronze"].tables.is_empty());
        assert!(!layout.schemas.contains_key("_lakeshore"));
        assert_eq!(
            folder(&layout, DEFAULT_SCHEMA, "rootcount"),
            Some(TableFolder::Delta("rootcount".into()))
        );
    }

    #[tokio::test]
    async fn two_folders_with_one_name_are_ambiguous() {
        let layout = layout_of(&[
            "silver/dup/a_b/_delta_log/0.json",
            "silver/dup_a/b/_delta_log/0.json",
        ])
        .await;
        match folder(&layout, "silver", "dup_a_b") {
            Some(TableFolder::Ambiguous(folders)) => assert_eq!(folders.len(), 2),
            other => panic!("expected an ambiguous name, got {other:?}"),
        }
    }
}
