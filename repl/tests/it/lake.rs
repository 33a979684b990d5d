//! Which lake is open (--lake, LAKESHORE_LAKE, none), reading tables by path, and COPY.

use crate::support::{DECIMALS, Lake, UPDATES, golden, lakeshore, run, sql_path};

const COUNT_UPDATES: &str = "SELECT count(*) AS n FROM silver.updates";

#[test]
fn lake_tables_hold_the_rows_spark_wrote() {
    // The expected rows, read from the golden parquet files, match the Delta table's rows.
    let summary = "SELECT count(*) AS n, sum(id) AS ids, count(*) FILTER (WHERE str = 'N/A') AS updated, \
                   count(*) FILTER (WHERE str = concat('val=', CAST(id AS VARCHAR))) AS original";
    let expected_dir = golden(UPDATES).join("expected");
    let expected = run(&mut lakeshore(&[
        "--format",
        "csv",
        "-c",
        &format!(
            "CREATE EXTERNAL TABLE expected STORED AS PARQUET LOCATION {}",
            sql_path(&expected_dir)
        ),
        "-c",
        &format!("{summary} FROM expected"),
    ]))
    .ok();
    assert_eq!(expected, "n,ids,updated,original\n100,4950,50,50\n");

    let lake = Lake::silver();
    let actual = run(&mut lakeshore(&[
        "--lake",
        lake.root(),
        "--format",
        "csv",
        "-c",
        &format!("{summary} FROM silver.updates"),
    ]))
    .ok();
    assert_eq!(actual, expected);
}

#[test]
fn the_lake_comes_from_the_environment_when_not_given() {
    let lake = Lake::silver();
    let output = run(
        lakeshore(&["--format", "csv", "-c", COUNT_UPDATES]).env("LAKESHORE_LAKE", lake.root())
    )
    .ok();
    assert_eq!(output, "n\n100\n");
}

#[test]
fn lake_on_the_command_line_wins_over_the_environment() {
    let env_lake = Lake::with_tables(&[("silver/updates", UPDATES)]);
    let flag_lake = Lake::with_tables(&[("silver/decimals", DECIMALS)]);
    let with_both = |sql: &str| {
        run(
            lakeshore(&["--lake", flag_lake.root(), "--format", "csv", "-c", sql])
                .env("LAKESHORE_LAKE", env_lake.root()),
        )
    };
    assert_eq!(
        with_both("SELECT count(*) AS n FROM silver.decimals").ok(),
        "n\n4\n"
    );
    let result = with_both(COUNT_UPDATES).failed();
    assert!(result.stderr.contains("updates"), "{result:#?}");
}

#[test]
fn without_a_lake_the_catalog_is_empty() {
    let result = run(&mut lakeshore(&["-c", COUNT_UPDATES])).failed();
    assert!(result.stderr.contains("updates"), "{result:#?}");
}

#[test]
fn an_empty_lake_variable_means_no_lake() {
    let output =
        run(lakeshore(&["--format", "csv", "-c", "SELECT 1 AS x"]).env("LAKESHORE_LAKE", "")).ok();
    assert_eq!(output, "x\n1\n");
}

#[test]
fn delta_scan_reads_a_table_by_path_without_a_lake() {
    let table = golden(DECIMALS).join("delta");
    let output = run(&mut lakeshore(&[
        "--format",
        "csv",
        "-c",
        &format!("SELECT count(*) AS n FROM delta_scan({})", sql_path(&table)),
    ]))
    .ok();
    assert_eq!(output, "n\n4\n");
}

#[test]
fn copy_writes_parquet_that_reads_back() {
    let lake = Lake::silver();
    let out_dir = tempfile::tempdir().expect("temporary folder");
    let out = sql_path(&out_dir.path().join("out.parquet"));
    let copied = run(&mut lakeshore(&[
        "--lake",
        lake.root(),
        "--format",
        "csv",
        "-c",
        &format!(
            "COPY (SELECT id, str FROM silver.updates WHERE id >= 90) TO {out} STORED AS PARQUET"
        ),
    ]))
    .ok();
    assert_eq!(copied, "count\n10\n", "COPY reports the rows written");

    let read_back = run(&mut lakeshore(&[
        "--format",
        "csv",
        "-c",
        &format!("CREATE EXTERNAL TABLE copied STORED AS PARQUET LOCATION {out}"),
        "-c",
        "SELECT count(*) AS n, min(id) AS low, max(str) AS high FROM copied",
    ]))
    .ok();
    assert_eq!(read_back, "n,low,high\n10,90,val=99\n");
}

#[test]
fn memory_limit_and_target_partitions_are_accepted() {
    let lake = Lake::silver();
    let output = run(&mut lakeshore(&[
        "--lake",
        lake.root(),
        "--memory-limit",
        "256M",
        "--target-partitions",
        "2",
        "--format",
        "csv",
        "-c",
        "SELECT count(*) AS n FROM silver.updates",
    ]))
    .ok();
    assert_eq!(output, "n\n100\n");

    let result = run(&mut lakeshore(&[
        "--memory-limit",
        "lots",
        "-c",
        "SELECT 1",
    ]));
    assert_eq!(result.code, Some(2), "{result:#?}");
    assert!(result.stderr.contains("lots"), "{result:#?}");
}
