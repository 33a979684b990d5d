//! Where statements come from (-c, -f, standard input), their order, and how errors end a run.

use std::io::Read;
use std::process::Stdio;
use std::time::Duration;

use crate::support::{Lake, csv_in, lakeshore, run, run_with_stdin};
use crate::terminal::Terminal;

#[test]
fn a_command_with_several_statements_runs_them_all_in_order() {
    let output = run(&mut lakeshore(&[
        "--format",
        "csv",
        "-c",
        "SELECT 1 AS one; SELECT 'x;y' AS two",
    ]))
    .ok();
    assert_eq!(output, "one\n1\ntwo\nx;y\n");
}

#[test]
fn commands_and_files_run_in_command_line_order() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let file = dir.path().join("middle.sql");
    std::fs::write(&file, "SELECT 2 AS b;\nSELECT 3 AS c;\n").expect("write script");
    let output = run(&mut lakeshore(&[
        "--format",
        "csv",
        "-c",
        "SELECT 1 AS a",
        "-f",
        file.to_str().expect("UTF-8 path"),
        "-c",
        "SELECT 4 AS d",
    ]))
    .ok();
    assert_eq!(output, "a\n1\nb\n2\nc\n3\nd\n4\n");
}

#[test]
fn a_file_stops_at_its_first_failing_statement() {
    let lake = Lake::silver();
    let dir = tempfile::tempdir().expect("temporary folder");
    let file = dir.path().join("three.sql");
    std::fs::write(
        &file,
        "SELECT count(*) AS n FROM silver.updates;\n\
         SELECT * FROM silver.no_such_table;\n\
         SELECT 'third' AS never;\n",
    )
    .expect("write script");
    let result = run(&mut lakeshore(&[
        "--lake",
        lake.root(),
        "--format",
        "csv",
        "-f",
        file.to_str().expect("UTF-8 path"),
    ]))
    .failed();
    assert_eq!(
        result.stdout, "n\n100\n",
        "the first result only: {result:#?}"
    );
    assert!(result.stderr.contains("no_such_table"), "{result:#?}");
    assert!(!result.stderr.contains("never"), "{result:#?}");
}

#[test]
fn a_missing_file_is_named_in_the_error() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let missing = dir.path().join("missing.sql");
    let result = run(&mut lakeshore(&[
        "-c",
        "SELECT 1",
        "-f",
        missing.to_str().expect("UTF-8 path"),
    ]))
    .failed();
    assert!(result.stderr.contains("missing.sql"), "{result:#?}");
    assert!(
        result.stdout.contains('1'),
        "the -c before the file ran: {result:#?}"
    );
}

#[test]
fn bad_sql_fails_with_an_error_message() {
    let result = run(&mut lakeshore(&["-c", "SELEC 1"])).failed();
    assert!(result.stderr.contains("SELEC"), "{result:#?}");
    assert_eq!(result.stdout, "");
}

#[test]
fn a_missing_table_fails_with_its_name() {
    let lake = Lake::silver();
    let result = run(&mut lakeshore(&[
        "--lake",
        lake.root(),
        "-c",
        "SELECT * FROM silver.nowhere",
    ]))
    .failed();
    assert!(result.stderr.contains("nowhere"), "{result:#?}");
    assert_eq!(result.stdout, "");
}

#[test]
fn statements_piped_on_stdin_run_as_a_script() {
    let lake = Lake::silver();
    let script = "SELECT count(*) AS n FROM silver.updates WHERE str = 'N/A';\n\
                  SELECT max(id) AS top FROM silver.updates;\n";
    let output = run_with_stdin(
        &mut lakeshore(&["--lake", lake.root(), "--format", "csv"]),
        script,
    )
    .ok();
    assert_eq!(output, "n\n50\ntop\n99\n");
}

#[test]
fn an_error_in_piped_statements_fails_the_run() {
    let result = run_with_stdin(
        &mut lakeshore(&["--format", "csv"]),
        "SELECT 1 AS a; SELEC 2;",
    )
    .failed();
    assert_eq!(result.stdout, "a\n1\n");
}

#[test]
fn a_reader_that_stops_early_ends_the_run_quietly() {
    for format in ["csv", "tsv", "json", "ndjson", "markdown"] {
        let sql = "SELECT * FROM generate_series(1, 1000000)";
        let mut child = lakeshore(&["--format", format, "-c", sql])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start lakeshore");
        // Like `lakeshore ... | head -c 10`: read a little, then close the pipe.
        let mut stdout = child.stdout.take().expect("stdout is piped");
        let mut start = [0u8; 10];
        stdout.read_exact(&mut start).expect("read the first bytes");
        drop(stdout);
        let output = child.wait_with_output().expect("wait for lakeshore");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "--format {format}: {stderr}");
        assert_eq!(stderr, "", "--format {format}");
    }
}

#[test]
fn help_documents_the_options() {
    let help = run(&mut lakeshore(&["--help"])).ok();
    for option in [
        "--lake",
        "--command",
        "--file",
        "--format",
        "--maxrows",
        "--quiet",
        "--memory-limit",
        "--target-partitions",
        "LAKESHORE_LAKE",
    ] {
        assert!(
            help.contains(option),
            "--help does not mention {option}:\n{help}"
        );
    }
}

#[test]
fn a_long_statement_shows_its_progress_only_when_stderr_is_a_terminal() {
    let endless = "SELECT count(*) FROM generate_series(1, 1000000000000) AS a(v) WHERE v % 7 = 3";
    let dir = tempfile::tempdir().expect("a temporary folder");
    let terminal = Terminal::start(&["-c", endless], &dir.path().join("history"));
    terminal.wait_for("(Ctrl-C cancels)");
    terminal.press(&["C-c"]);
    terminal.wait_for_exit();

    // Piped, standard error stays clean however long the statement runs: past the second
    // after which the line would show, nothing has been written to it.
    let mut child = lakeshore(&["-c", endless])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start lakeshore");
    std::thread::sleep(Duration::from_secs(3));
    child.kill().expect("stop lakeshore");
    let output = child.wait_with_output().expect("wait for lakeshore");
    assert_eq!(String::from_utf8_lossy(&output.stderr), "");
}

/// The statement of issue 11: a string with an escaped quote, from every source of statements.
#[test]
fn escaped_quotes_reach_the_engine_as_written_from_c_f_and_stdin() {
    let expected = "n\nO'Brien\n";
    let from_c = run(&mut lakeshore(&[
        "--format",
        "csv",
        "-c",
        "SELECT 'O''Brien' AS n",
    ]))
    .ok();
    assert_eq!(from_c, expected);
    let from_stdin = run_with_stdin(
        &mut lakeshore(&["--format", "csv"]),
        "SELECT 'O''Brien' AS n;\n",
    )
    .ok();
    assert_eq!(from_stdin, expected);
    // A file with Windows line breaks, multi-byte characters and a `;` in a comment.
    let dir = tempfile::tempdir().expect("temporary folder");
    let file = dir.path().join("quotes.sql");
    std::fs::write(
        &file,
        "-- O'Brien; é\r\nSELECT 'O''Brien' AS n;\r\nSELECT 'é😀 it''s' AS \"ü\"\"x\";\r\n",
    )
    .expect("write script");
    let from_file = run(&mut lakeshore(&[
        "--format",
        "csv",
        "-f",
        file.to_str().expect("UTF-8 path"),
    ]))
    .ok();
    assert_eq!(from_file, "n\nO'Brien\n\"ü\"\"x\"\né😀 it's\n");
}

#[test]
fn a_where_with_an_escaped_quote_finds_the_row_in_a_lake_table() {
    let lake = Lake::silver();
    let output = csv_in(
        &lake,
        "CREATE TABLE silver.people AS SELECT * FROM (VALUES ('O''Brien', 1), ('Smith', 2)) \
         AS v(name, id);\n\
         SELECT id, name FROM silver.people WHERE name = 'O''Brien'",
    )
    .ok();
    assert_eq!(output, "count\n2\nid,name\n1,O'Brien\n");
}

#[test]
fn time_travel_and_describe_history_work_beside_escaped_quotes() {
    let lake = Lake::silver();
    // Version 0 of silver.updates is before the update that set 50 rows to 'N/A'.
    let output = csv_in(
        &lake,
        "SELECT 'it''s' AS x, count(*) AS n FROM silver.updates VERSION AS OF 0 \
         WHERE str <> 'N/A' AND str <> 'O''Brien';\
         SELECT version FROM (SELECT 'it''s' AS x) JOIN \"silver\" . \"updates\" \
         TIMESTAMP AS OF '2000-01-01''' ON true LIMIT 1",
    )
    .failed();
    assert_eq!(output.stdout, "x,n\nit's,100\n");
    assert!(
        output.stderr.contains("2000-01-01'"),
        "the timestamp is read as written: {output:#?}"
    );
    let history = csv_in(
        &lake,
        "DESCRIBE HISTORY lake . \"silver\" . \"updates\" LIMIT 1",
    )
    .ok();
    assert!(history.starts_with("version,"), "{history}");
    assert!(
        history
            .lines()
            .nth(1)
            .is_some_and(|row| row.starts_with("1,")),
        "{history}"
    );
}
