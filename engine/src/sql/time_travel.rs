//! `t VERSION AS OF n` / `t TIMESTAMP AS OF '...'` after a table name (Databricks' syntax),
//! which DataFusion's parser does not read.
//!
//! The clauses are found among the statement's tokens (so words inside strings, quoted names
//! and comments are never mistaken for them) and blanked out of the user's text, keeping every
//! other character where it was; the statement is parsed, and each clause is put back on its
//! table in the syntax tree, where sqlparser's Databricks dialect would have put it. The values
//! go into the tree as the tokenizer read them, never through printed text.

use std::ops::{ControlFlow, Range};

use datafusion::sql::parser::{CopyToSource, Statement};
use datafusion::sql::sqlparser::ast::{
    Expr, ObjectNamePart, TableFactor, TableVersion, Value, VisitMut, VisitorMut,
};
use datafusion::sql::sqlparser::keywords::Keyword;
use datafusion::sql::sqlparser::tokenizer::{Location, Token};

use super::parse::{is_word, syntax_error};
use super::text::Piece;
use crate::error::Result;

/// A `VERSION AS OF` / `TIMESTAMP AS OF` clause found among the tokens.
#[derive(Debug)]
pub(crate) struct TimeTravelClause {
    /// Where the last part of the table's name starts: the clause belongs to that table.
    table_at: Location,
    /// The clause's bytes in the text.
    bytes: Range<usize>,
    version: TableVersion,
}

/// The clauses among `tokens`, the statement's significant tokens.
pub(crate) fn time_travel_clauses(tokens: &[Piece]) -> Vec<TimeTravelClause> {
    let mut clauses = Vec::new();
    for i in 1..tokens.len() {
        let kind = &tokens[i].token;
        let is_version = is_word(kind, Keyword::VERSION);
        if !(is_version || is_word(kind, Keyword::TIMESTAMP)) {
            continue;
        }
        let Token::Word(_) = tokens[i - 1].token else {
            continue;
        };
        let rest: Vec<&Token> = tokens[i + 1..].iter().take(4).map(|t| &t.token).collect();
        let (version, length) = match rest.as_slice() {
            [as_, of, Token::Number(n, long), ..]
                if is_version && is_word(as_, Keyword::AS) && is_word(of, Keyword::OF) =>
            {
                let value = Expr::value(Value::Number(n.clone(), *long));
                (TableVersion::VersionAsOf(value), 3)
            }
            [as_, of, Token::SingleQuotedString(text), ..]
                if !is_version && is_word(as_, Keyword::AS) && is_word(of, Keyword::OF) =>
            {
                let value = Expr::value(Value::SingleQuotedString(text.clone()));
                (TableVersion::TimestampAsOf(value), 3)
            }
            [as_, of, typed, Token::SingleQuotedString(text)]
                if !is_version
                    && is_word(as_, Keyword::AS)
                    && is_word(of, Keyword::OF)
                    && is_word(typed, Keyword::TIMESTAMP) =>
            {
                let value = Expr::value(Value::SingleQuotedString(text.clone()));
                (TableVersion::TimestampAsOf(value), 4)
            }
            _ => continue,
        };
        clauses.push(TimeTravelClause {
            table_at: tokens[i - 1].at,
            bytes: tokens[i].bytes.start..tokens[i + length].bytes.end,
            version,
        });
    }
    clauses
}

/// `sql` with each clause's characters replaced by spaces (line breaks kept), so every other
/// token keeps its line and column: sqlparser counts columns in characters, so one space
/// stands for one character, however many bytes it had.
pub(crate) fn blanked(sql: &str, clauses: &[TimeTravelClause]) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut copied = 0;
    // Clauses come in order and never overlap (a clause holds no word followed by VERSION AS
    // OF or TIMESTAMP AS OF); `max` keeps the slicing safe all the same.
    for clause in clauses {
        let start = clause.bytes.start.max(copied);
        let end = clause.bytes.end.max(start);
        out.push_str(&sql[copied..start]);
        out.extend(
            sql[start..end]
                .chars()
                .map(|c| if c == '\n' { c } else { ' ' }),
        );
        copied = end;
    }
    out.push_str(&sql[copied..]);
    out
}

/// Puts each clause on the table whose name's last part starts where the clause said; fails
/// when a clause follows something other than a table.
pub(crate) fn attach_versions(
    statement: &mut Statement,
    clauses: Vec<TimeTravelClause>,
) -> Result<()> {
    let mut attach = AttachVersions {
        clauses,
        attached: 0,
    };
    let _ = match statement {
        Statement::Statement(inner) => inner.visit(&mut attach),
        Statement::CopyTo(copy) => match &mut copy.source {
            CopyToSource::Query(query) => query.visit(&mut attach),
            CopyToSource::Relation(_) => ControlFlow::Continue(()),
        },
        Statement::Explain(explain) => match explain.statement.as_mut() {
            Statement::Statement(inner) => inner.visit(&mut attach),
            _ => ControlFlow::Continue(()),
        },
        _ => ControlFlow::Continue(()),
    };
    if attach.attached < attach.clauses.len() {
        return Err(syntax_error(
            "VERSION AS OF and TIMESTAMP AS OF must follow a table name, as in \
             SELECT * FROM silver.orders VERSION AS OF 3",
        ));
    }
    Ok(())
}

struct AttachVersions {
    clauses: Vec<TimeTravelClause>,
    attached: usize,
}

impl VisitorMut for AttachVersions {
    type Break = ();

    fn pre_visit_table_factor(&mut self, factor: &mut TableFactor) -> ControlFlow<()> {
        if let TableFactor::Table {
            name,
            version,
            args: None,
            ..
        } = factor
            && let Some(ObjectNamePart::Identifier(last)) = name.0.last()
            && let Some(clause) = self
                .clauses
                .iter()
                .find(|clause| clause.table_at == last.span.start)
        {
            *version = Some(clause.version.clone());
            self.attached += 1;
        }
        ControlFlow::Continue(())
    }
}
