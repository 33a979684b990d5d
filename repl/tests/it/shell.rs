//! The interactive shell, driven in a real terminal: typing, completion, commands, Ctrl-C,
//! history.

use tempfile::TempDir;

use crate::support::{DECIMALS, Lake, PRIMITIVES, UPDATES, version_and_files};
use crate::terminal::Terminal;

/// A lake of `silver.updates`, `silver.decimals` and `silver.primitives`, and a history file
/// of its own.
struct Setup {
    lake: Lake,
    dir: TempDir,
}

impl Setup {
    fn new() -> Self {
        Setup {
            lake: Lake::with_tables(&[
                ("silver/updates", UPDATES),
                ("silver/decimals", DECIMALS),
                ("silver/primitives", PRIMITIVES),
            ]),
            dir: tempfile::tempdir().expect("a temporary folder"),
        }
    }

    fn history(&self) -> std::path::PathBuf {
        self.dir.path().join("history")
    }

    /// The shell over the lake, at its first prompt.
    fn shell(&self) -> Terminal {
        let terminal = Terminal::start(&["--lake", self.lake.root()], &self.history());
        terminal.wait_for_prompt(1);
        terminal
    }
}

#[test]
fn a_statement_runs_when_a_line_ends_with_a_semicolon() {
    let setup = Setup::new();
    let shell = setup.shell();
    shell.enter("SELECT count(*) AS n,");
    shell.enter("  max(id) AS top");
    shell.enter("FROM silver.updates;");
    let screen = shell.wait_for("1 row");
    assert!(
        screen.contains("SELECT count(*) AS n,\n  max(id) AS top\nFROM silver.updates;"),
        "{screen}"
    );
    assert!(screen.contains("| 100 | 99  |"), "{screen}");
    // One result, after the last line only.
    assert_eq!(screen.matches("| n   | top |").count(), 1, "{screen}");
}

#[test]
fn tab_completes_table_and_column_names() {
    let setup = Setup::new();
    let shell = setup.shell();
    shell.type_text("SELECT as_string FROM silver.prim");
    shell.press(&["Tab"]);
    shell.wait_for("FROM silver.primitives");
    shell.type_text(" WHERE as_bo");
    shell.press(&["Tab"]);
    shell.wait_for("WHERE as_boolean");
    shell.enter(" ORDER BY as_int LIMIT 2;");
    let screen = shell.wait_for("2 rows");
    assert!(
        screen.contains(
            "lakeshore> SELECT as_string FROM silver.primitives WHERE as_boolean ORDER BY as_int LIMIT 2;"
        ),
        "{screen}"
    );
    assert!(screen.contains("| 0         |\n| 2         |"), "{screen}");
}

#[test]
fn dt_lists_the_tables_with_version_files_and_size() {
    let setup = Setup::new();
    let shell = setup.shell();
    shell.enter("\\dt");
    let screen = shell.wait_for("3 rows");
    assert!(
        screen.contains("| layer  | name       | version | files | size    |"),
        "{screen}"
    );
    for (name, table) in [
        ("decimals  ", DECIMALS),
        ("primitives", PRIMITIVES),
        ("updates   ", UPDATES),
    ] {
        let (version, files) = version_and_files(table);
        let row = format!("| silver | {name} | {version:<7} | {files:<5} | ");
        assert!(screen.contains(&row), "no row {row:?} in:\n{screen}");
    }
    assert!(screen.contains("KiB |"), "sizes in binary units: {screen}");

    // A pattern narrows the list; `.tables` is the same command.
    shell.enter(".tables up*");
    let screen = shell.wait_for("1 row");
    assert!(screen.contains("| silver | updates | "), "{screen}");
}

#[test]
fn d_describes_columns_partitioning_and_version() {
    let setup = Setup::new();
    let shell = setup.shell();
    shell.enter("\\d silver.decimals");
    let screen = shell.wait_for("Version:");
    assert!(
        screen.contains("| column_name | data_type          | is_nullable |"),
        "{screen}"
    );
    assert!(
        screen.contains("| part        | Decimal128(12, 5)  | YES         |"),
        "{screen}"
    );
    assert!(screen.contains("Partitioned by: part"), "{screen}");
    let (version, _) = version_and_files(DECIMALS);
    assert!(screen.contains(&format!("Version: {version}")), "{screen}");

    shell.enter("\\d silver.updates");
    let screen = shell.wait_for_count("Version:", 2);
    assert!(screen.contains("Not partitioned."), "{screen}");
}

#[test]
fn x_shows_each_row_as_one_line_per_column() {
    let setup = Setup::new();
    let shell = setup.shell();
    shell.enter("\\x");
    shell.wait_for("Expanded display is on.");
    shell.enter("SELECT id, str FROM silver.updates WHERE id IN (7, 60) ORDER BY id;");
    let screen = shell.wait_for("2 rows");
    assert!(
        screen.contains(
            "-[ RECORD 1 ]-\nid  | 7\nstr | N/A\n-[ RECORD 2 ]-\nid  | 60\nstr | val=60\n2 rows"
        ),
        "{screen}"
    );
    shell.enter("\\x");
    shell.wait_for("Expanded display is off.");
}

#[test]
fn a_wide_result_is_narrowed_to_the_terminal() {
    let setup = Setup::new();
    let shell = setup.shell();
    shell.enter("SELECT 7 AS n, repeat('abc', 100) AS long_text;");
    let screen = shell.wait_for("1 row");
    let table: Vec<&str> = screen
        .lines()
        .filter(|line| line.starts_with('+') || line.starts_with('|'))
        .collect();
    assert_eq!(table.len(), 5, "{screen}");
    for line in &table {
        assert_eq!(
            line.chars().count(),
            120,
            "{line:?} does not fill the 120 columns"
        );
    }
    assert!(table[3].starts_with("| 7 | abcabc"), "{screen}");
    assert!(table[3].ends_with("… |"), "{screen}");
}

#[test]
fn ctrl_c_cancels_a_long_query_and_the_next_one_runs() {
    let setup = Setup::new();
    let shell = setup.shell();
    shell.enter("SELECT count(*) FROM generate_series(1, 1000000000000) AS a(v) WHERE v % 7 = 3;");
    // The live progress line shows the query is running.
    shell.wait_for("(Ctrl-C cancels)");
    shell.press(&["C-c"]);
    let screen = shell.wait_for("Cancelled.");
    assert!(
        !screen.contains("(Ctrl-C cancels)"),
        "progress line left: {screen}"
    );
    shell.wait_for_prompt(2);
    shell.enter("SELECT 6 * 7 AS answer;");
    let screen = shell.wait_for("1 row");
    assert!(screen.contains("| 42     |"), "{screen}");
}

#[test]
fn ctrl_c_clears_the_line_and_ctrl_d_quits() {
    let setup = Setup::new();
    let shell = setup.shell();
    shell.type_text("SELECT this is not finished");
    shell.wait_for("not finished");
    shell.press(&["C-c"]);
    shell.wait_for_prompt(2);
    shell.enter("SELECT 'fresh' AS line;");
    let screen = shell.wait_for("1 row");
    assert!(screen.contains("| fresh |"), "{screen}");
    assert!(!screen.contains("Error"), "{screen}");
    shell.wait_for_prompt(3);
    shell.press(&["C-d"]);
    shell.wait_for_exit();
}

#[test]
fn history_is_there_in_the_next_session() {
    let setup = Setup::new();
    let first = setup.shell();
    first.enter("SELECT 'remembered' AS word;");
    first.wait_for("1 row");
    first.enter("\\q");
    first.wait_for_exit();
    drop(first);
    let saved = std::fs::read_to_string(setup.history()).expect("the history file");
    assert!(saved.contains("SELECT 'remembered' AS word;"), "{saved}");

    let second = setup.shell();
    second.press(&["Up", "Up"]);
    second.wait_for("lakeshore> SELECT 'remembered' AS word;");
}

#[test]
fn without_a_lake_the_shell_opens_and_says_how_to_open_one() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let shell = Terminal::start(&[], &dir.path().join("history"));
    let screen = shell.wait_for_prompt(1);
    assert!(screen.contains("No lake is open"), "{screen}");
    assert!(
        screen.contains("--lake DIR") && screen.contains("--demo"),
        "{screen}"
    );
    shell.enter("SELECT 1 + 1 AS two;");
    let screen = shell.wait_for("1 row");
    assert!(screen.contains("| 2   |"), "{screen}");
}

#[test]
fn format_timing_and_output_to_a_file() {
    let setup = Setup::new();
    let shell = setup.shell();
    let file = setup.dir.path().join("out.csv");
    shell.enter("\\format csv");
    shell.wait_for("Format is csv.");
    shell.enter("\\timing on");
    shell.wait_for("Timing is on.");
    shell.enter("SELECT id, str FROM silver.updates WHERE id = 60;");
    let screen = shell.wait_for("Time: ");
    assert!(screen.contains("id,str\n60,val=60\nTime: "), "{screen}");

    shell.enter(&format!("\\o {}", file.display()));
    shell.wait_for("Results go to");
    shell.enter("SELECT id FROM silver.updates WHERE id < 3 ORDER BY id;");
    shell.wait_for_count("Time: ", 2);
    shell.enter("\\o");
    shell.wait_for("Results go to the terminal.");
    assert_eq!(
        std::fs::read_to_string(&file).expect("the output file"),
        "id\n0\n1\n2\n"
    );
}

#[test]
fn i_runs_a_file_and_stops_at_its_first_error() {
    let setup = Setup::new();
    let script = setup.dir.path().join("script.sql");
    std::fs::write(
        &script,
        "SELECT 'first' AS step;\nSELECT * FROM silver.nowhere;\nSELECT 'third' AS step;\n",
    )
    .expect("write the script");
    let shell = setup.shell();
    shell.enter(&format!("\\i {}", script.display()));
    // The error line is written in pieces: wait for its end, not its start.
    let screen = shell.wait_for("nowhere");
    assert!(screen.contains("| first |"), "{screen}");
    assert!(screen.contains("Error:"), "{screen}");
    shell.wait_for_prompt(2);
    assert!(!shell.screen().contains("third"), "{}", shell.screen());
}

#[test]
fn unknown_commands_and_bad_sql_leave_the_shell_running() {
    let setup = Setup::new();
    let shell = setup.shell();
    shell.enter("\\nonsense");
    shell.wait_for("unknown command \\nonsense");
    shell.enter("SELEC 1;");
    shell.wait_for("Error:");
    shell.enter("\\?");
    let screen = shell.wait_for("\\history");
    assert!(screen.contains(".tables"), "{screen}");
    shell.enter("SELECT 'still here' AS alive;");
    shell.wait_for("| still here |");
}
