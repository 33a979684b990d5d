//! Building the Arrow columns of history and detail rows, which hold JSON-ish values.

use std::sync::Arc;

use arrow::array::{ArrayRef, ListBuilder, MapBuilder, StringBuilder};
use arrow::error::ArrowError;
use serde_json::{Map, Value};

/// A JSON value as text: strings as they are, anything else as JSON.
pub(crate) fn json_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// A `map<string, string>` column; a row without a map is null.
pub(crate) fn string_maps<'a>(
    rows: impl Iterator<Item = Option<Vec<(String, String)>>> + 'a,
) -> Result<ArrayRef, ArrowError> {
    let mut maps = MapBuilder::new(None, StringBuilder::new(), StringBuilder::new());
    for row in rows {
        match row {
            Some(mut entries) => {
                entries.sort();
                for (key, value) in entries {
                    maps.keys().append_value(key);
                    maps.values().append_value(value);
                }
                maps.append(true)?;
            }
            None => maps.append(false)?,
        }
    }
    Ok(Arc::new(maps.finish()))
}

/// The entries of a JSON object, values as text.
pub(crate) fn object_entries(object: Option<&Map<String, Value>>) -> Option<Vec<(String, String)>> {
    object.map(|object| {
        object
            .iter()
            .map(|(key, value)| (key.clone(), json_text(value)))
            .collect()
    })
}

/// An `array<string>` column.
pub(crate) fn string_lists(rows: impl Iterator<Item = Vec<String>>) -> ArrayRef {
    let mut lists = ListBuilder::new(StringBuilder::new());
    for row in rows {
        for value in row {
            lists.values().append_value(value);
        }
        lists.append(true);
    }
    Arc::new(lists.finish())
}
