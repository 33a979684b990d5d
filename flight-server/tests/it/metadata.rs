//! Catalog browsing, as BI tools do it.

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{Schema, UInt32Type};
use arrow::ipc::convert::try_schema_from_ipc_buffer;
use arrow_flight::FlightInfo;
use arrow_flight::sql::client::FlightSqlServiceClient;
use arrow_flight::sql::{
    CommandGetDbSchemas, CommandGetPrimaryKeys, CommandGetTables, CommandGetXdbcTypeInfo, SqlInfo,
};
use tonic::transport::Channel;

use crate::harness::{TestServer, fetch, test_lake};

fn strings(batches: &[RecordBatch], column: &str) -> Vec<String> {
    let mut values: Vec<String> = batches
        .iter()
        .flat_map(|batch| {
            let column = batch
                .column_by_name(column)
                .expect("the column")
                .as_string::<i32>()
                .clone();
            (0..column.len()).map(move |row| column.value(row).to_string())
        })
        .collect();
    values.sort();
    values
}

async fn answer(
    client: &mut FlightSqlServiceClient<Channel>,
    info: FlightInfo,
) -> Vec<RecordBatch> {
    let announced = Schema::try_from(info.clone()).unwrap();
    let batches = fetch(client, &info).await.unwrap();
    for batch in &batches {
        assert_eq!(batch.schema().as_ref(), &announced);
    }
    batches
}

#[tokio::test(flavor = "multi_thread")]
async fn catalogs_schemas_and_tables_are_listed_with_and_without_a_catalog() {
    let lake = test_lake();
    let server = TestServer::start(lake.path(), &[]);
    let mut client = server.client().await;

    let info = client.get_catalogs().await.unwrap();
    assert_eq!(
        strings(&answer(&mut client, info).await, "catalog_name"),
        vec!["lake"]
    );

    for catalog in [None, Some("lake".to_string())] {
        let request = CommandGetDbSchemas {
            catalog: catalog.clone(),
            db_schema_filter_pattern: None,
        };
        let info = client.get_db_schemas(request).await.unwrap();
        let schemas = strings(&answer(&mut client, info).await, "db_schema_name");
        for layer in ["bronze", "default", "gold", "golden", "silver"] {
            assert!(
                schemas.contains(&layer.to_string()),
                "{catalog:?}: {schemas:?}"
            );
        }
    }
    let request = CommandGetDbSchemas {
        catalog: None,
        db_schema_filter_pattern: Some("gold%".into()),
    };
    let info = client.get_db_schemas(request).await.unwrap();
    assert_eq!(
        strings(&answer(&mut client, info).await, "db_schema_name"),
        vec!["gold", "golden"]
    );

    // Without a catalog, every table (DBeaver's tree asks this way).
    let request = CommandGetTables {
        include_schema: false,
        ..Default::default()
    };
    let info = client.get_tables(request).await.unwrap();
    let tables = strings(&answer(&mut client, info).await, "table_name");
    for table in [
        "customers",
        "decimals",
        "nested",
        "primitives",
        "raw_orders",
        "rootcount",
        "sales_store_orders",
        "summary",
    ] {
        assert!(tables.contains(&table.to_string()), "{tables:?}");
    }

    // With a pattern and the schemas, decoded as IPC like the JDBC driver does.
    let request = CommandGetTables {
        catalog: Some("lake".into()),
        db_schema_filter_pattern: Some("golden".into()),
        table_name_filter_pattern: Some("pri%".into()),
        table_types: vec!["TABLE".into()],
        include_schema: true,
    };
    let info = client.get_tables(request).await.unwrap();
    let batches = answer(&mut client, info).await;
    assert_eq!(strings(&batches, "table_name"), vec!["primitives"]);
    let ipc = batches[0]
        .column_by_name("table_schema")
        .unwrap()
        .as_binary::<i32>()
        .value(0)
        .to_vec();
    let schema = try_schema_from_ipc_buffer(&ipc).unwrap();
    let names: Vec<&str> = schema
        .fields()
        .iter()
        .map(|field| field.name().as_str())
        .collect();
    assert!(
        names.contains(&"as_int") && names.contains(&"as_string"),
        "{names:?}"
    );

    let info = client.get_table_types().await.unwrap();
    assert_eq!(
        strings(&answer(&mut client, info).await, "table_type"),
        vec!["TABLE", "VIEW"]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn sql_info_answers_every_id_and_keys_are_empty_with_the_spec_schema() {
    let lake = test_lake();
    let server = TestServer::start(lake.path(), &[]);
    let mut client = server.client().await;
    let info = client.get_sql_info(Vec::new()).await.unwrap();
    let batches = answer(&mut client, info).await;
    let ids: Vec<u32> = batches
        .iter()
        .flat_map(|batch| {
            batch
                .column(0)
                .as_primitive::<UInt32Type>()
                .values()
                .to_vec()
        })
        .collect();
    // Every id the spec defines (the enum lists them all).
    for id in (0..12).chain(100..102).chain(500..577) {
        if SqlInfo::try_from(id as i32).is_ok() {
            assert!(ids.contains(&id), "SqlInfo {id} is not answered");
        }
    }
    let info = client
        .get_primary_keys(CommandGetPrimaryKeys {
            table: "customers".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let batches = answer(&mut client, info.clone()).await;
    assert_eq!(batches.iter().map(RecordBatch::num_rows).sum::<usize>(), 0);
    let schema = Schema::try_from(info).unwrap();
    assert_eq!(schema.field(5).name(), "key_sequence");
    let info = client
        .get_xdbc_type_info(CommandGetXdbcTypeInfo { data_type: None })
        .await
        .unwrap();
    assert!(
        strings(&answer(&mut client, info).await, "type_name").contains(&"VARCHAR".to_string())
    );
}
