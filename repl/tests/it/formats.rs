//! Each --format, on rows of a real Delta table.

use serde_json::{Value, json};

use crate::support::{Lake, lakeshore, run};

/// Two rows of `silver.updates`: one updated to 'N/A', one as first written.
const TWO_ROWS: &str = "SELECT id, str FROM silver.updates WHERE id IN (1, 60) ORDER BY id";
const NO_ROWS: &str = "SELECT id, str FROM silver.updates WHERE id < 0";

fn query(lake: &Lake, format: &str, sql: &str, extra: &[&str]) -> String {
    let mut args = vec!["--lake", lake.root(), "--format", format, "-c", sql];
    args.extend_from_slice(extra);
    run(&mut lakeshore(&args)).ok()
}

#[test]
fn csv_has_a_header_line_then_one_line_per_row() {
    let lake = Lake::silver();
    assert_eq!(
        query(&lake, "csv", TWO_ROWS, &[]),
        "id,str\n1,N/A\n60,val=60\n"
    );
    assert_eq!(query(&lake, "csv", NO_ROWS, &[]), "id,str\n");
}

#[test]
fn nested_values_are_json_text_in_csv_and_tsv() {
    let lake = Lake::silver();
    let nested = "SELECT id, named_struct('str', str, 'none', CAST(NULL AS INT)) AS s, \
                  make_array(id, id + 1) AS l, map(['k'], [id]) AS m \
                  FROM silver.updates WHERE id = 1";
    assert_eq!(
        query(&lake, "csv", nested, &[]),
        "id,s,l,m\n1,\"{\"\"str\"\":\"\"N/A\"\",\"\"none\"\":null}\",\"[1,2]\",\"{\"\"k\"\":1}\"\n"
    );
    let tsv = query(&lake, "tsv", nested, &[]);
    assert!(tsv.starts_with("id\ts\tl\tm\n1\t"), "{tsv}");
    assert!(tsv.contains("[1,2]"), "{tsv}");
    // A result of nested columns the log gives: the history of a table.
    let history = query(&lake, "csv", "DESCRIBE HISTORY silver.updates", &[]);
    assert!(history.starts_with("version,"), "{history}");
    assert!(
        history.contains("{\"\""),
        "operation parameters as JSON: {history}"
    );
}

#[test]
fn tsv_separates_columns_with_tabs() {
    let lake = Lake::silver();
    assert_eq!(
        query(&lake, "tsv", TWO_ROWS, &[]),
        "id\tstr\n1\tN/A\n60\tval=60\n"
    );
}

#[test]
fn json_is_one_array_of_objects() {
    let lake = Lake::silver();
    let parsed: Value =
        serde_json::from_str(&query(&lake, "json", TWO_ROWS, &[])).expect("valid JSON");
    assert_eq!(
        parsed,
        json!([{"id": 1, "str": "N/A"}, {"id": 60, "str": "val=60"}])
    );

    let empty: Value =
        serde_json::from_str(&query(&lake, "json", NO_ROWS, &[])).expect("valid JSON");
    assert_eq!(empty, json!([]));
}

#[test]
fn json_names_null_columns() {
    let lake = Lake::silver();
    let sql = "SELECT id, CAST(NULL AS VARCHAR) AS missing FROM silver.updates WHERE id = 7";
    let parsed: Value = serde_json::from_str(&query(&lake, "json", sql, &[])).expect("valid JSON");
    assert_eq!(parsed, json!([{"id": 7, "missing": null}]));
}

#[test]
fn ndjson_is_one_object_per_line() {
    let lake = Lake::silver();
    let output = query(&lake, "ndjson", TWO_ROWS, &[]);
    let objects: Vec<Value> = output
        .lines()
        .map(|line| serde_json::from_str(line).expect("each line is JSON"))
        .collect();
    assert_eq!(
        objects,
        [
            json!({"id": 1, "str": "N/A"}),
            json!({"id": 60, "str": "val=60"})
        ]
    );
    assert_eq!(query(&lake, "ndjson", NO_ROWS, &[]), "");
}

#[test]
fn markdown_is_a_pipe_table() {
    let lake = Lake::silver();
    assert_eq!(
        query(&lake, "markdown", TWO_ROWS, &[]),
        "| id | str |\n| --- | --- |\n| 1 | N/A |\n| 60 | val=60 |\n"
    );
    assert_eq!(
        query(&lake, "markdown", NO_ROWS, &[]),
        "| id | str |\n| --- | --- |\n"
    );
}

#[test]
fn markdown_escapes_pipes_and_line_breaks_in_values() {
    let output = run(&mut lakeshore(&[
        "--format",
        "markdown",
        "-c",
        "SELECT 'a|b' AS x, concat('one', chr(10), 'two') AS y",
    ]))
    .ok();
    assert_eq!(output, "| x | y |\n| --- | --- |\n| a\\|b | one<br>two |\n");
}

#[test]
fn table_has_borders_and_a_row_count() {
    let lake = Lake::silver();
    assert_eq!(
        query(&lake, "table", TWO_ROWS, &[]),
        "+----+--------+\n\
         | id | str    |\n\
         +----+--------+\n\
         | 1  | N/A    |\n\
         | 60 | val=60 |\n\
         +----+--------+\n\
         2 rows\n"
    );
}

#[test]
fn table_is_the_default_format() {
    let lake = Lake::silver();
    let output = run(&mut lakeshore(&["--lake", lake.root(), "-c", TWO_ROWS])).ok();
    assert_eq!(output, query(&lake, "table", TWO_ROWS, &[]));
}

#[test]
fn an_empty_table_still_shows_its_header() {
    let lake = Lake::silver();
    assert_eq!(
        query(&lake, "table", NO_ROWS, &[]),
        "+----+-----+\n| id | str |\n+----+-----+\n+----+-----+\n0 rows\n"
    );
}

/// The data rows of a bordered table: lines between borders, without the header.
fn table_rows(output: &str) -> Vec<&str> {
    output
        .lines()
        .filter(|line| line.starts_with('|'))
        .skip(1)
        .collect()
}

#[test]
fn table_shows_at_most_maxrows_and_counts_the_rest() {
    let lake = Lake::silver();
    // Small batches, so the rows shown and the rows only counted span several batches.
    let script = "SET datafusion.execution.batch_size = 7; \
                  SELECT id FROM silver.updates ORDER BY id";
    let output = query(&lake, "table", script, &["--maxrows", "10"]);
    let rows = table_rows(&output);
    let expected: Vec<String> = (0..10).map(|id| format!("| {id:<2} |")).collect();
    assert_eq!(rows, expected, "{output}");
    assert!(output.ends_with("+----+\n100 rows, 10 shown\n"), "{output}");
}

#[test]
fn table_shows_40_rows_by_default_and_all_with_maxrows_0() {
    let lake = Lake::silver();
    let sql = "SELECT id FROM silver.updates";
    let output = query(&lake, "table", sql, &[]);
    assert_eq!(table_rows(&output).len(), 40, "{output}");
    assert!(output.ends_with("100 rows, 40 shown\n"), "{output}");

    let output = query(&lake, "table", sql, &["--maxrows", "0"]);
    assert_eq!(table_rows(&output).len(), 100, "{output}");
    assert!(output.ends_with("+\n100 rows\n"), "{output}");
}

#[test]
fn maxrows_does_not_cut_other_formats() {
    let lake = Lake::silver();
    let output = query(
        &lake,
        "csv",
        "SELECT id FROM silver.updates",
        &["--maxrows", "3"],
    );
    assert_eq!(output.lines().count(), 101, "header and 100 rows expected");
}

#[test]
fn quiet_leaves_out_the_row_count_but_not_the_truncation_note() {
    let lake = Lake::silver();
    let output = query(&lake, "table", TWO_ROWS, &["--quiet"]);
    assert!(
        output.ends_with("| 60 | val=60 |\n+----+--------+\n"),
        "{output}"
    );

    let output = query(
        &lake,
        "table",
        "SELECT id FROM silver.updates",
        &["--quiet", "--maxrows", "2"],
    );
    assert!(output.ends_with("100 rows, 2 shown\n"), "{output}");
}

#[test]
fn statements_without_columns_print_nothing() {
    for format in ["table", "csv", "tsv", "json", "ndjson", "markdown"] {
        let output = run(&mut lakeshore(&[
            "--format",
            format,
            "-c",
            "SET datafusion.execution.batch_size = 100",
        ]))
        .ok();
        assert_eq!(output, "", "--format {format}");
    }
}

#[test]
fn an_unknown_format_is_a_usage_error() {
    let result = run(&mut lakeshore(&["--format", "xml", "-c", "SELECT 1"]));
    assert_eq!(result.code, Some(2), "{result:#?}");
    assert!(result.stderr.contains("xml"), "{result:#?}");
}
