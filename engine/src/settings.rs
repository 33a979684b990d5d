//! Lakeshore's own session settings, set with `SET lakeshore.<name> = ...` beside DataFusion's
//! `datafusion.*` ones and shown by `SHOW ALL`.

use std::fmt;
use std::time::Duration;

use datafusion::common::config::{ConfigExtension, ConfigField, Visit};
use datafusion::common::extensions_options;
use datafusion::error::{DataFusionError, Result};

extensions_options! {
    /// Settings of the `lakeshore` namespace.
    pub struct LakeshoreSettings {
        /// How old a look at a table's log a query may reuse: `0` (the default) checks every
        /// table a query reads; `5s` lets a dashboard's queries within five seconds of a check
        /// reuse it, with no request to the store.
        pub max_staleness: Staleness, default = Staleness::default()
    }
}

impl ConfigExtension for LakeshoreSettings {
    const PREFIX: &'static str = "lakeshore";
}

/// A duration written as `5s`, `500ms`, `2m` or `0`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Staleness(pub Duration);

impl Staleness {
    /// Reads `5s`, `500ms`, `1m 30s` or `0`.
    pub fn parse(text: &str) -> std::result::Result<Self, String> {
        let text = text.trim();
        if text == "0" {
            return Ok(Staleness(Duration::ZERO));
        }
        humantime::parse_duration(text)
            .map(Staleness)
            .map_err(|e| format!("'{text}' is not a duration such as '5s', '500ms' or '2m': {e}"))
    }
}

impl fmt::Display for Staleness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", humantime::format_duration(self.0))
    }
}

impl ConfigField for Staleness {
    fn visit<V: Visit>(&self, v: &mut V, key: &str, description: &'static str) {
        v.some(key, self, description)
    }

    fn set(&mut self, key: &str, value: &str) -> Result<()> {
        *self = Staleness::parse(value)
            .map_err(|reason| DataFusionError::Configuration(format!("{key}: {reason}")))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_users_write_them() {
        assert_eq!(Staleness::parse("5s").unwrap().0, Duration::from_secs(5));
        assert_eq!(
            Staleness::parse("250ms").unwrap().0,
            Duration::from_millis(250)
        );
        assert_eq!(Staleness::parse("0").unwrap().0, Duration::ZERO);
        let error = Staleness::parse("soon").unwrap_err();
        assert!(error.contains("'soon' is not a duration"), "{error}");
    }
}
