//! The access policy at the engine's public face: an engine opened with an `AccessConfig`, used
//! as a user, refuses what reaches outside the lake, whatever form the statement takes.

use lakeshore_engine::{AccessConfig, Engine, EngineConfig, EngineError, Layers, Principal, Role};
use lakeshore_tests::{canonical_rows, collect, write_lake};

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
    // The embedded engine (no policy) keeps its freedom.
    collect(&free, "SELECT * FROM gold.history_outside")
        .await
        .unwrap();
}

/// What a user may not read is not there for them to list or describe: information_schema,
/// `SHOW TABLES` and `DESCRIBE` show the granted layers only, to the server's users; the
/// embedded engine sees everything.
#[tokio::test(flavor = "multi_thread")]
async fn listings_and_descriptions_show_the_granted_layers_only() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    write_lake(&lake);
    let free = Engine::open(EngineConfig::for_lake(lake.to_str().unwrap()))
        .await
        .unwrap();
    for sql in [
        "CREATE VIEW bronze.recent_orders AS SELECT * FROM bronze.raw_orders",
        "CREATE VIEW gold.few AS SELECT * FROM gold.summary LIMIT 1",
        // In a granted layer, reading one that is not: listed, but not its columns, which are
        // bronze's.
        "CREATE VIEW gold.bronze_orders AS SELECT * FROM bronze.raw_orders",
    ] {
        collect(&free, sql).await.unwrap();
    }
    let mut config = EngineConfig::for_lake(lake.to_str().unwrap());
    config.access = Some(AccessConfig::default());
    let server = Engine::open(config).await.unwrap();
    let analyst = server.as_user(user(Role::Reader, "gold,silver"));

    let listings = [
        "SELECT DISTINCT table_schema AS layer FROM information_schema.tables",
        "SELECT DISTINCT table_schema AS layer FROM information_schema.columns",
        "SELECT DISTINCT table_schema AS layer FROM information_schema.views",
        "SELECT DISTINCT schema_name AS layer FROM information_schema.schemata",
    ];
    for sql in listings {
        let layers = canonical_rows(&collect(&analyst, sql).await.unwrap());
        assert!(
            layers.contains(&"layer=gold".to_string()),
            "{sql}: {layers:?}"
        );
        assert!(
            !layers.contains(&"layer=bronze".to_string()),
            "{sql}: {layers:?}"
        );
        let layers = canonical_rows(&collect(&free, sql).await.unwrap());
        assert!(
            layers.contains(&"layer=bronze".to_string()),
            "{sql}: {layers:?}"
        );
    }
    let columns = "SELECT DISTINCT table_name FROM information_schema.columns \
                   WHERE table_schema = 'gold'";
    let listed = canonical_rows(&collect(&analyst, columns).await.unwrap());
    assert!(listed.contains(&"table_name=few".to_string()), "{listed:?}");
    assert!(
        !listed.contains(&"table_name=bronze_orders".to_string()),
        "{listed:?}"
    );
    let listed = canonical_rows(&collect(&free, columns).await.unwrap());
    assert!(
        listed.contains(&"table_name=bronze_orders".to_string()),
        "{listed:?}"
    );
    let refused = refusal(&analyst, "SELECT * FROM gold.bronze_orders").await;
    assert!(refused.contains("layer bronze"), "{refused}");
    let shown = canonical_rows(&collect(&analyst, "SHOW TABLES").await.unwrap());
    assert!(
        shown.iter().any(|row| row.contains("table_schema=gold |")),
        "{shown:?}"
    );
    assert!(
        !shown
            .iter()
            .any(|row| row.contains("table_schema=bronze |")),
        "{shown:?}"
    );
    let shown = canonical_rows(&collect(&free, "SHOW TABLES").await.unwrap());
    assert!(
        shown
            .iter()
            .any(|row| row.contains("table_schema=bronze |")),
        "{shown:?}"
    );

    for sql in [
        "DESCRIBE bronze.raw_orders",
        "SHOW COLUMNS FROM bronze.raw_orders",
    ] {
        let refused = refusal(&analyst, sql).await;
        assert!(refused.contains("bronze.raw_orders"), "{sql}: {refused}");
        collect(&free, sql).await.unwrap();
    }
    collect(&analyst, "DESCRIBE gold.summary").await.unwrap();
}
