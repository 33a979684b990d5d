//! SQL fuzzing over the demo lake: seeded, generated statements (expressions, joins,
//! subqueries, time travel, history, change feed, views, then the same text cut, spliced and
//! garbled) must each end in rows or in a clear error, and the engine must go on. No panic,
//! no hang, no internal prefix or debug form in a message.
//!
//! `LAKESHORE_FUZZ_STATEMENTS` (default 300) and `LAKESHORE_FUZZ_SEED` set the run, and
//! `LAKESHORE_FUZZ_SHOW` prints each refusal with its message; a longer
//! run is `LAKESHORE_FUZZ_STATEMENTS=10000 cargo test --workspace --test it fuzz -- --nocapture`.

use std::time::Duration;

use lakeshore_engine::{Engine, EngineConfig, StorageOptions};
use lakeshore_tests::collect;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};

/// Longer than any statement over the small demo lake takes in a debug build: past it, the
/// statement is taken to hang.
const STATEMENT_LIMIT: Duration = Duration::from_secs(120);

/// Words that may only appear in a message by mistake: debug forms, internal prefixes and
/// panics.
const FORBIDDEN_IN_MESSAGES: &[&str] = &[
    "panicked",
    "TokenizerError(",
    "ParserError(",
    "Error during planning",
    "Schema error:",
    "SQL error:",
    "Arrow error:",
    "External error:",
    "Internal error",
    "Optimizer rule",
    "type_coercion",
    "This issue was likely caused by a bug",
    "RUST_BACKTRACE",
];

/// A table of the lake with its columns, as `information_schema` lists them.
struct Table {
    name: String,
    columns: Vec<(String, String)>,
}

#[tokio::test(flavor = "multi_thread")]
async fn generated_statements_end_in_rows_or_clear_errors() {
    let statements = lakeshore_tests::fuzz_setting("LAKESHORE_FUZZ_STATEMENTS", 300) as usize;
    let seed = lakeshore_tests::fuzz_setting("LAKESHORE_FUZZ_SEED", 20261204);
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    let location = lake.to_str().expect("temporary folder names are UTF-8");
    lakeshore_demo::create(location, &StorageOptions::default(), 1)
        .await
        .unwrap_or_else(|error| panic!("the demo lake should build: {error}"));
    let engine = Engine::open(EngineConfig::for_lake(location.to_string()))
        .await
        .unwrap();
    let tables = lake_tables(&engine).await;
    let show_refusals = std::env::var_os("LAKESHORE_FUZZ_SHOW").is_some();
    let mut rng = StdRng::seed_from_u64(seed);
    let (mut answered, mut refused) = (0, 0);
    for n in 0..statements {
        let statement = Generator {
            rng: &mut rng,
            tables: &tables,
        }
        .statement();
        let sql = match n % 4 {
            3 => garble(&mut rng, &statement),
            _ => statement,
        };
        let outcome = tokio::time::timeout(STATEMENT_LIMIT, collect(&engine, &sql)).await;
        match outcome {
            Err(_) => panic!("statement {n} (seed {seed}) hung:\n{sql}"),
            Ok(Ok(_)) => answered += 1,
            Ok(Err(error)) => {
                refused += 1;
                let message = error.to_string();
                if show_refusals {
                    println!("refused: {sql}\n  -> {message}");
                }
                assert!(
                    !message.trim().is_empty(),
                    "statement {n} (seed {seed}) failed without a message:\n{sql}"
                );
                for word in FORBIDDEN_IN_MESSAGES {
                    assert!(
                        !message.contains(word),
                        "statement {n} (seed {seed}): the message shows {word:?}:\n{sql}\n\
                         -> {message}"
                    );
                }
            }
        }
    }
    // The engine goes on after all of it.
    let after = collect(&engine, "SELECT count(*) FROM silver.customers").await;
    assert!(after.is_ok(), "the engine should still answer: {after:?}");
    println!("fuzz: {statements} statements (seed {seed}): {answered} answered, {refused} refused");
    // Many generated statements are wrong on purpose (types, versions, garbled text); a run
    // where almost none answer tests nothing past the parser.
    assert!(
        answered > statements / 8,
        "too few generated statements answered: {answered} of {statements}"
    );
}

async fn lake_tables(engine: &Engine) -> Vec<Table> {
    let batches = collect(
        engine,
        "SELECT table_schema || '.' || table_name AS t, column_name, data_type \
         FROM information_schema.columns \
         WHERE table_schema IN ('bronze', 'silver', 'gold') ORDER BY 1, ordinal_position",
    )
    .await
    .unwrap();
    let mut tables: Vec<Table> = Vec::new();
    for row in lakeshore_tests::canonical_rows(&batches) {
        let cell = |name: &str| {
            row.split(" | ")
                .find_map(|cell| cell.strip_prefix(&format!("{name}=")))
                .unwrap_or_default()
                .to_string()
        };
        let (table, column, data_type) = (cell("t"), cell("column_name"), cell("data_type"));
        match tables.last_mut() {
            Some(last) if last.name == table => last.columns.push((column, data_type)),
            _ => tables.push(Table {
                name: table,
                columns: vec![(column, data_type)],
            }),
        }
    }
    assert!(tables.len() >= 5, "the demo lake has tables in each layer");
    tables
}

struct Generator<'a> {
    rng: &'a mut StdRng,
    tables: &'a [Table],
}

impl Generator<'_> {
    fn statement(&mut self) -> String {
        match self.rng.random_range(0..10) {
            0 => self.history(),
            1 => format!("EXPLAIN {}", self.query(0)),
            2 => format!("SELECT * FROM ({}) q ORDER BY 1 LIMIT 5", self.query(1)),
            _ => self.query(0),
        }
    }

    fn table(&mut self) -> String {
        let index = self.rng.random_range(0..self.tables.len());
        self.tables[index].name.clone()
    }

    fn query(&mut self, depth: usize) -> String {
        let table_index = self.rng.random_range(0..self.tables.len());
        let table = self.tables[table_index].name.clone();
        let from = match self.rng.random_range(0..8) {
            0 => format!("{table} VERSION AS OF {}", self.rng.random_range(0..4)),
            1 => format!("{table} TIMESTAMP AS OF '2024-01-01 00:00:00'"),
            _ => table,
        };
        let mut columns = Vec::new();
        for _ in 0..self.rng.random_range(1..4) {
            columns.push(self.expr(table_index, depth));
        }
        let grouped = self.rng.random_bool(0.25);
        if grouped {
            let aggregate = ["count", "min", "max", "approx_distinct"]
                .choose(self.rng)
                .unwrap_or(&"count");
            let argument = self.column(table_index);
            columns.truncate(1);
            columns.push(format!("{aggregate}({argument})"));
        }
        let mut sql = format!("SELECT {} FROM {from} t", columns.join(", "));
        if self.rng.random_bool(0.3) {
            let other = self.table();
            sql.push_str(&format!(
                " JOIN {other} u ON {}",
                self.predicate(table_index, depth)
            ));
        }
        if self.rng.random_bool(0.5) {
            sql.push_str(&format!(" WHERE {}", self.predicate(table_index, depth)));
        }
        if grouped {
            sql.push_str(" GROUP BY 1");
        }
        if self.rng.random_bool(0.3) {
            sql.push_str(&format!(" LIMIT {}", self.rng.random_range(0..20)));
        }
        sql
    }

    fn history(&mut self) -> String {
        let table = self.table();
        match self.rng.random_range(0..4) {
            0 => format!("DESCRIBE HISTORY {table}"),
            1 => format!("DESCRIBE DETAIL {table}"),
            2 => format!("SELECT * FROM delta_history('{table}', 2)"),
            _ => format!(
                "SELECT count(*) FROM table_changes('{table}', {})",
                self.rng.random_range(0..3)
            ),
        }
    }

    /// A column of the table, and a literal of its type (now and then of another type, to try
    /// the coercions).
    fn column_and_literal(&mut self, table: usize) -> (String, String) {
        let columns = &self.tables[table].columns;
        let (name, data_type) = &columns[self.rng.random_range(0..columns.len())];
        let column = format!("t.\"{}\"", name.replace('"', "\"\""));
        let literal = if self.rng.random_bool(0.2) {
            self.literal()
        } else {
            typed_literal(self.rng, data_type)
        };
        (column, literal)
    }

    fn column(&mut self, table: usize) -> String {
        self.column_and_literal(table).0
    }

    fn expr(&mut self, table: usize, depth: usize) -> String {
        let deeper = depth < 3;
        match self.rng.random_range(0..12) {
            0..=2 => self.column(table),
            3 => self.literal(),
            4 if deeper => format!("({} + {})", self.expr(table, depth + 1), self.literal()),
            5 if deeper => format!(
                "{}({})",
                ["upper", "lower", "length", "abs", "trim", "md5"]
                    .choose(self.rng)
                    .unwrap_or(&"abs"),
                self.expr(table, depth + 1)
            ),
            6 if deeper => format!(
                "CAST({} AS {})",
                self.expr(table, depth + 1),
                [
                    "INT",
                    "BIGINT",
                    "DOUBLE",
                    "VARCHAR",
                    "DATE",
                    "TIMESTAMP",
                    "DECIMAL(10,2)"
                ]
                .choose(self.rng)
                .unwrap_or(&"INT")
            ),
            7 if deeper => format!(
                "CASE WHEN {} THEN {} ELSE {} END",
                self.predicate(table, depth + 1),
                self.literal(),
                self.literal()
            ),
            8 if deeper => format!(
                "(SELECT count(*) FROM {} WHERE {})",
                self.table(),
                self.literal_predicate()
            ),
            9 => {
                let (column, literal) = self.column_and_literal(table);
                format!("coalesce({column}, {literal})")
            }
            _ => self.column(table),
        }
    }

    fn predicate(&mut self, table: usize, depth: usize) -> String {
        let operator = ["=", "<>", "<", ">=", "IS DISTINCT FROM"]
            .choose(self.rng)
            .unwrap_or(&"=");
        match self.rng.random_range(0..5) {
            0 if depth < 3 => format!(
                "EXISTS (SELECT 1 FROM {} WHERE {})",
                self.table(),
                self.literal_predicate()
            ),
            1 => format!("{} IS NULL", self.column(table)),
            2 if depth < 3 => format!(
                "{} IN ({}, {})",
                self.expr(table, depth + 1),
                self.literal(),
                self.literal()
            ),
            _ => {
                let (column, literal) = self.column_and_literal(table);
                format!("{column} {operator} {literal}")
            }
        }
    }

    fn literal_predicate(&mut self) -> String {
        format!("{} = {}", self.literal(), self.literal())
    }

    fn literal(&mut self) -> String {
        [
            "0",
            "1",
            "-1",
            "9223372036854775807",
            "1e308",
            "0.1",
            "NULL",
            "''",
            "'O''Brien'",
            "'é ☕'",
            "'2024-02-29'",
            "DATE '9999-12-31'",
            "TIMESTAMP '0001-01-01 00:00:00'",
            "'%'",
            "true",
        ]
        .choose(self.rng)
        .unwrap_or(&"1")
        .to_string()
    }
}

/// A literal of the type `information_schema` names, as DataFusion writes types.
fn typed_literal(rng: &mut StdRng, data_type: &str) -> String {
    let choices: &[&str] = if data_type.starts_with("Int") || data_type.starts_with("UInt") {
        &["0", "1", "-1", "42", "9223372036854775807"]
    } else if data_type.starts_with("Float") || data_type.starts_with("Decimal") {
        &["0", "0.5", "-1.25", "1e10", "99999999.99"]
    } else if data_type.starts_with("Date") {
        &[
            "DATE '2024-02-29'",
            "DATE '0001-01-01'",
            "DATE '9999-12-31'",
            "'2023-06-01'",
        ]
    } else if data_type.starts_with("Timestamp") {
        &[
            "TIMESTAMP '2024-01-01 00:00:00'",
            "TIMESTAMP '9999-12-31 23:59:59'",
            "'2023-06-01T12:00:00Z'",
        ]
    } else if data_type == "Boolean" {
        &["true", "false", "NULL"]
    } else {
        &["''", "'O''Brien'", "'é ☕'", "'EUR'", "'%'", "NULL"]
    };
    choices[rng.random_range(0..choices.len())].to_string()
}

/// `sql` damaged as a typing user or a broken client damages text: cut short, a token doubled
/// or dropped, a stray character or quote.
fn garble(rng: &mut StdRng, sql: &str) -> String {
    let chars: Vec<char> = sql.chars().collect();
    let at = rng.random_range(0..=chars.len());
    let (before, after): (String, String) =
        (chars[..at].iter().collect(), chars[at..].iter().collect());
    match rng.random_range(0..6) {
        0 => before,
        1 => format!("{before}'{after}"),
        2 => format!("{before}\"{after}"),
        3 => format!("{before} ({after}"),
        4 => format!(
            "{before}{}{after}",
            ["SELECT", "FROM", ",", ";", "/*", "--", "\\", "$1", "?"][rng.random_range(0..9)]
        ),
        _ => {
            let noise: String = (0..rng.random_range(1..8))
                .map(|_| char::from_u32(rng.random_range(0x20..0x2FFF)).unwrap_or('x'))
                .collect();
            format!("{before}{noise}{after}")
        }
    }
}
