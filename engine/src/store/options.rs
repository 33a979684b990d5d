//! Object-store options: credentials, endpoints, timeouts. Given for every location (the
//! command line's `--storage-option KEY=VALUE`), or for the locations under a URI prefix (a
//! config file's `[storage."s3://bucket/lake"]` sections), so two lakes on two accounts can be
//! open at once. Keys are delta-rs' and object_store's (`aws_region`, `azure_storage_account_key`,
//! `google_service_account`, `allow_http`, `timeout`, ...); what is not given comes from each
//! cloud's own chain (environment, profile, workload identity, metadata service).

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use url::Url;

use crate::error::{EngineError, Result};

/// Bounds a remote store gets unless the options say otherwise: a store that does not answer
/// must end in an error within seconds, not hang a query for object_store's default three
/// minutes of retries.
const REMOTE_DEFAULTS: &[(&str, &str)] = &[
    ("connect_timeout", "5s"),
    ("timeout", "30s"),
    ("max_retries", "3"),
    ("retry_timeout", "30s"),
];

/// The object-store options of an engine.
#[derive(Debug, Clone, Default)]
pub struct StorageOptions {
    /// Options for every location.
    pub global: HashMap<String, String>,
    /// Options for the locations under each URI prefix; where prefixes nest, the longer one
    /// wins, and `global` wins over both.
    pub by_prefix: BTreeMap<String, HashMap<String, String>>,
}

impl StorageOptions {
    /// Options for every location.
    pub fn global(options: HashMap<String, String>) -> Self {
        Self {
            global: options,
            by_prefix: BTreeMap::new(),
        }
    }

    /// The options a command line gives: `--storage-option KEY=VALUE` pairs, for every
    /// location, and the `[storage."PREFIX"]` sections of `--config FILE`.
    pub fn from_command_line(pairs: &[String], config_file: Option<&Path>) -> Result<Self> {
        let mut global = HashMap::new();
        for pair in pairs {
            // The text may be a secret typed without its key: never repeat it.
            let (key, value) = pair.split_once('=').ok_or_else(|| {
                EngineError::Config(
                    "a --storage-option without '=': each takes KEY=VALUE".to_string(),
                )
            })?;
            global.insert(key.trim().to_string(), value.to_string());
        }
        let options = Self::global(global);
        let Some(file) = config_file else {
            return Ok(options);
        };
        let name = file.display().to_string();
        let text = std::fs::read_to_string(file)
            .map_err(|e| EngineError::Config(format!("cannot read {name}: {e}")))?;
        options.with_config_file(&name, &text)
    }

    /// Reads the `[storage."PREFIX"]` sections of a TOML config file; other tables of the file
    /// belong to others and are left alone.
    ///
    /// ```toml
    /// [storage."abfss://bronze@account1.dfs.core.windows.net/"]
    /// azure_storage_account_key = "..."
    /// [storage."s3://lake-bucket/"]
    /// aws_region = "eu-west-1"
    /// ```
    pub fn with_config_file(mut self, name: &str, text: &str) -> Result<Self> {
        let invalid = |reason: String| EngineError::Config(format!("{name}: {reason}"));
        let document: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| invalid(e.message().to_string()))?;
        let Some(storage) = document.get("storage") else {
            return Ok(self);
        };
        let toml::Value::Table(sections) = storage else {
            return Err(invalid(
                "`storage` must be a table of sections, as in [storage.\"s3://bucket/lake\"]"
                    .to_string(),
            ));
        };
        for (prefix, section) in sections {
            let toml::Value::Table(section) = section else {
                return Err(invalid(format!(
                    "[storage.\"{prefix}\"] must be a section of KEY = \"VALUE\" lines"
                )));
            };
            let mut options = HashMap::new();
            for (key, value) in section {
                let value = match value {
                    toml::Value::String(text) => text.clone(),
                    toml::Value::Integer(number) => number.to_string(),
                    toml::Value::Boolean(flag) => flag.to_string(),
                    // The value may be a secret: name the key only.
                    _ => {
                        return Err(invalid(format!(
                            "[storage.\"{prefix}\"] {key} must be a string, number or boolean"
                        )));
                    }
                };
                options.insert(key.clone(), value);
            }
            self.by_prefix
                .insert(prefix.trim_end_matches('/').to_string(), options);
        }
        Ok(self)
    }

    /// The options for `url`: its prefix's sections and the global ones, over the bounds a
    /// remote store gets by default (timeouts, retries).
    pub fn for_location(&self, url: &Url) -> HashMap<String, String> {
        let mut options = HashMap::new();
        if url.scheme() != "file" {
            for (key, value) in REMOTE_DEFAULTS {
                options.insert(key.to_string(), value.to_string());
            }
        }
        let location = url.as_str();
        // Shorter prefixes first, so the longest matching one has the last word.
        let mut matching: Vec<_> = self
            .by_prefix
            .iter()
            .filter(|(prefix, _)| under_prefix(location, prefix))
            .collect();
        matching.sort_by_key(|(prefix, _)| prefix.len());
        for (_, section) in matching {
            options.extend(section.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        options.extend(self.global.iter().map(|(k, v)| (k.clone(), v.clone())));
        options
    }

    /// Every value given, of any key; for keeping secrets out of what users see.
    pub(crate) fn values(&self) -> impl Iterator<Item = (&String, &String)> {
        self.global
            .iter()
            .chain(self.by_prefix.values().flat_map(|section| section.iter()))
    }
}

/// Whether `location` is `prefix` or below it, folder by folder (`s3://b/lake` is not under
/// `s3://b/la`).
fn under_prefix(location: &str, prefix: &str) -> bool {
    let location = location.trim_end_matches('/');
    location == prefix
        || location
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = r#"
        [storage."s3://lake"]
        aws_region = "eu-west-1"
        aws_access_key_id = "outer"

        [storage."s3://lake/finance/"]
        aws_access_key_id = "inner"

        [server]
        listen = "0.0.0.0:50051"
    "#;

    #[test]
    fn the_longest_prefix_wins_and_global_options_win_over_it() {
        let options = StorageOptions::global(HashMap::from([(
            "allow_http".to_string(),
            "true".to_string(),
        )]))
        .with_config_file("lakeshore.toml", CONFIG)
        .unwrap();
        let finance = options.for_location(&Url::parse("s3://lake/finance/gold/t/").unwrap());
        assert_eq!(finance["aws_access_key_id"], "inner");
        assert_eq!(finance["aws_region"], "eu-west-1");
        assert_eq!(finance["allow_http"], "true");
        assert_eq!(finance["timeout"], "30s");
        let sales = options.for_location(&Url::parse("s3://lake/sales/t").unwrap());
        assert_eq!(sales["aws_access_key_id"], "outer");
        let elsewhere = options.for_location(&Url::parse("s3://lakehouse/t").unwrap());
        assert!(!elsewhere.contains_key("aws_access_key_id"));
    }

    #[test]
    fn local_folders_get_no_remote_defaults() {
        let options = StorageOptions::default();
        assert!(
            options
                .for_location(&Url::parse("file:///tmp/lake/").unwrap())
                .is_empty()
        );
    }

    #[test]
    fn a_bad_config_file_is_an_error_naming_the_file_and_never_a_value() {
        let error = StorageOptions::default()
            .with_config_file("lake.toml", "[storage.\"s3://b\"]\nkey = [\"s3cr3t\"]\n")
            .unwrap_err()
            .to_string();
        assert!(error.contains("lake.toml"), "{error}");
        assert!(error.contains("key must be a string"), "{error}");
        assert!(!error.contains("s3cr3t"), "{error}");
        let error = StorageOptions::default()
            .with_config_file("lake.toml", "[storage\n")
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("invalid configuration: lake.toml:"),
            "{error}"
        );
    }
}
