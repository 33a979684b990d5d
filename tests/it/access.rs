//! The access policy at the engine's public face: an engine opened with an `AccessConfig`, used
//! as a user, refuses what reaches outside the lake, whatever form the statement takes.

use lakeshore_engine::{AccessConfig, Engine, EngineConfig, EngineError, Layers, Principal, Role};
use lakeshore_tests::{collect, write_lake};

fn user(role: Role, layers: &str) -> Principal {
    Principal {
        name: "alice".to_string(),
        role,
        layers: Layers::parse(layers),
    }
}

async fn refusal(engine: &Engine, sql: &str) -> String {
    match collect(engine, sql).await {
        Err(error @ EngineError::PermissionDenied(_)) => error.to_string(),
        other => panic!("{sql}: expected a refusal, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn views_are_checked_for_what_they_read_by_path_and_by_layer() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    write_lake(&lake);
    let outside = dir.path().join("outside");
    write_lake(&outside);
    let table = outside.join("gold/summary");
    let table = table.to_str().unwrap();
    let free = Engine::open(EngineConfig::for_lake(lake.to_str().unwrap()))
        .await
        .unwrap();
    for sql in [
        format!("CREATE VIEW gold.rows_outside AS SELECT * FROM delta_scan('{table}')"),
        format!("CREATE VIEW gold.history_outside AS SELECT * FROM delta_history('{table}')"),
        format!("CREATE VIEW gold.detail_outside AS SELECT * FROM delta_detail('{table}')"),
        "CREATE VIEW gold.bronze_orders AS SELECT * FROM bronze.raw_orders".to_string(),
        "CREATE VIEW gold.of_a_view AS SELECT * FROM gold.bronze_orders".to_string(),
    ] {
        collect(&free, &sql).await.unwrap();
    }
    let mut config = EngineConfig::for_lake(lake.to_str().unwrap());
    config.access = Some(AccessConfig::default());
    let server = Engine::open(config).await.unwrap();

    let admin = server.as_user(user(Role::Admin, "*"));
    for view in ["rows_outside", "history_outside", "detail_outside"] {
        let refused = refusal(&admin, &format!("SELECT * FROM gold.{view}")).await;
        assert!(refused.contains(table), "{refused}");
    }
    collect(&admin, "SELECT * FROM gold.of_a_view")
        .await
        .unwrap();

    let analyst = server.as_user(user(Role::Reader, "gold,silver"));
    for sql in [
        "SELECT * FROM gold.bronze_orders",
        "SELECT * FROM gold.of_a_view",
        "SELECT * FROM bronze.raw_orders",
    ] {
        let refused = refusal(&analyst, sql).await;
        assert!(refused.contains("layer bronze"), "{refused}");
    }
    collect(&analyst, "SELECT * FROM gold.summary")
        .await
        .unwrap();
    assert!(
        server
            .as_user(user(Role::Reader, "gold"))
            .may_read_schema("lake", "gold")
    );
    assert!(!analyst.may_read_schema("lake", "bronze"));

    // The embedded engine (no policy) keeps its freedom.
    collect(&free, "SELECT * FROM gold.history_outside")
        .await
        .unwrap();
}
