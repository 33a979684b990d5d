//! Select lists as users write them: a column selected twice is answered (DataFusion alone
//! refuses it), and a list with no columns at all is refused rather than answered with rows of
//! nothing (`SELECT all FROM t`, where `all` was meant as a column).

use lakeshore_tests::{query_error, read_as_written, write_lake};

use crate::lake_catalog::{open_lake, rows};

#[tokio::test(flavor = "multi_thread")]
async fn a_column_selected_twice_is_answered_under_a_second_name() {
    let lake = tempfile::tempdir().unwrap();
    write_lake(lake.path());
    let engine = open_lake(lake.path()).await;
    assert_eq!(
        rows(
            &engine,
            "SELECT id, name, id, ID FROM silver.customers ORDER BY id"
        )
        .await,
        [
            "id=10 | id_1=10 | id_2=10 | name=Dee",
            "id=11 | id_1=11 | id_2=11 | name=Eve"
        ]
    );
    assert_eq!(
        rows(&engine, "SELECT 1 AS x, 2 AS x, x FROM (SELECT 3 AS x)").await,
        ["x=1 | x_1=2 | x_2=3"]
    );
    // Columns of one name from two tables, which DataFusion alone answers under one name.
    assert_eq!(
        rows(
            &engine,
            "SELECT c.id, d.id FROM silver.customers AS c JOIN silver.customers AS d \
             ON c.id = d.id WHERE c.id = 10"
        )
        .await,
        ["id=10 | id_1=10"]
    );
    // In a subquery and in a new table, where names must be unique.
    assert_eq!(
        rows(
            &engine,
            "SELECT s.id_1 FROM (SELECT id, id FROM silver.customers WHERE id = 11) AS s"
        )
        .await,
        ["id_1=11"]
    );
    rows(
        &engine,
        "CREATE TABLE gold.twice AS SELECT id, id, name FROM silver.customers",
    )
    .await;
    let (schema, _) = read_as_written(&lake.path().join("gold/twice")).await;
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    assert_eq!(names, ["id", "id_1", "name"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_select_list_without_columns_is_an_error_that_says_how_to_name_one() {
    let lake = tempfile::tempdir().unwrap();
    write_lake(lake.path());
    let engine = open_lake(lake.path()).await;
    for sql in [
        "SELECT all FROM silver.customers",
        "SELECT distinct FROM silver.customers",
        "SELECT id FROM silver.customers WHERE id IN (SELECT all FROM silver.customers)",
    ] {
        let message = query_error(&engine, sql).await;
        assert!(
            message.contains("lists no columns") && message.contains(r#"SELECT "all" FROM t"#),
            "{sql}: {message}"
        );
    }
}
