//! Splitting a script into statements, so `-f file.sql` and multi-statement strings run one
//! statement at a time.

use datafusion::sql::sqlparser::dialect::GenericDialect;
use datafusion::sql::sqlparser::tokenizer::{Token, Tokenizer};

use crate::error::{EngineError, Result};

/// The statements of `script`, in order, without their terminating `;`. Semicolons inside
/// strings, quoted names and comments do not split; statements that are only whitespace or
/// comments are dropped.
pub fn split_statements(script: &str) -> Result<Vec<String>> {
    let dialect = GenericDialect {};
    let tokens = Tokenizer::new(&dialect, script).tokenize().map_err(|e| {
        EngineError::Query(datafusion::error::DataFusionError::SQL(
            Box::new(e.into()),
            None,
        ))
    })?;
    let mut statements = Vec::new();
    let mut current = String::new();
    let mut has_code = false;
    for token in tokens {
        match token {
            Token::SemiColon => {
                if has_code {
                    statements.push(current.trim().to_string());
                }
                current.clear();
                has_code = false;
            }
            Token::Whitespace(ws) => current.push_str(&ws.to_string()),
            other => {
                has_code = true;
                current.push_str(&other.to_string());
            }
        }
    }
    if has_code {
        statements.push(current.trim().to_string());
    }
    Ok(statements)
}

#[cfg(test)]
mod tests {
    use super::split_statements;

    #[test]
    fn splits_on_semicolons_outside_strings_and_comments() {
        let script =
            "SELECT 'a;b' AS x; -- one; two\nSELECT 2;\n/* ; */ ;\n  SELECT \"c;d\" FROM t";
        let got = split_statements(script).unwrap();
        assert_eq!(got.len(), 3, "{got:?}");
        assert_eq!(got[0], "SELECT 'a;b' AS x");
        assert!(got[1].ends_with("SELECT 2"), "{got:?}");
        assert_eq!(got[2], "SELECT \"c;d\" FROM t");
    }

    #[test]
    fn an_unterminated_string_is_an_error() {
        assert!(split_statements("SELECT 'oops").is_err());
    }
}
