//! The shell over a lake in an object store: Azurite (the Azure emulator) reached by an
//! `abfss://` URI, with the credentials given as `--storage-option`s.

use lakeshore_tests::{Emulator, StoreKind, write_lake_at};

use crate::support::{lakeshore, run, run_with_stdin};

#[test]
fn c_and_scripts_run_over_a_lake_in_azurite() {
    let emulator = Emulator::start(StoreKind::AzuriteAbfss);
    let options = emulator.storage_options();
    let lake = emulator.uri("lake");
    write_lake_at(&lake, &options);
    let mut args = vec!["--lake".to_string(), lake.clone()];
    for (key, value) in &options {
        args.push("--storage-option".to_string());
        args.push(format!("{key}={value}"));
    }
    let with = |more: &[&str]| {
        let mut all: Vec<&str> = args.iter().map(String::as_str).collect();
        all.extend(more);
        lakeshore(&all)
    };

    let counted = run(&mut with(&[
        "--format",
        "csv",
        "-c",
        "SELECT count(*) AS n FROM bronze.raw_orders",
        "-c",
        "SELECT count(*) AS n FROM bronze.raw_orders VERSION AS OF 0",
    ]))
    .ok();
    assert_eq!(counted, "n\n7\nn\n3\n");

    // A script on standard input writes a gold table into the store and reads it back.
    let script = "CREATE TABLE gold.eur_orders AS \
                  SELECT order_id FROM silver.sales_store_orders WHERE currency = 'EUR';\n\
                  SELECT count(*) AS n FROM gold.eur_orders;\n";
    let written = run_with_stdin(&mut with(&["--format", "csv"]), script).ok();
    assert!(written.ends_with("n\n3\n"), "{written}");

    // A missing table: an error that names it, in a message without the account key.
    let missing = run(&mut with(&["-c", "SELECT * FROM gold.nowhere"])).failed();
    assert!(missing.stderr.contains("nowhere"), "{missing:#?}");
    // The libraries' debug logs too (delta-rs logs a store's whole configuration).
    let debug =
        run(with(&["-c", "SELECT count(*) AS n FROM gold.eur_orders"]).env("RUST_LOG", "debug"));
    assert_eq!(debug.code, Some(0), "{debug:#?}");
    assert!(debug.stderr.contains("DEBUG"), "no debug log: {debug:#?}");
    // The account key is held decoded, and printed as bytes in the store's debug form.
    assert!(
        debug.stderr.contains("AzureAccessKey(***)") && !debug.stderr.contains("AzureAccessKey(["),
        "the account key's bytes are in the debug log"
    );
    for secret in emulator.secrets() {
        for output in [
            &counted,
            &written,
            &missing.stdout,
            &missing.stderr,
            &debug.stderr,
        ] {
            assert!(!output.contains(&secret), "a secret is in the output");
        }
    }
}
