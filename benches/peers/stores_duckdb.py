"""The DuckDB side of `lakeshore-bench stores`: a Delta table in an object-store emulator, read
by DuckDB 1.4.4's delta extension through a secret for that emulator.

    LAKESHORE_STORAGE_OPTIONS='{"aws_access_key_id": ...}' \\
        python stores_duckdb.py URI [--rounds N] [--expect-rows R] [--step]

URI is `s3://BUCKET/PATH` (moto) or `az://CONTAINER/PATH` (Azurite). LAKESHORE_STORAGE_OPTIONS
holds the object_store keys Lakeshore is given for the same emulator, in the environment rather
than on the command line, where `ps` shows it. They become DuckDB's secret:

- S3: `TYPE S3` with KEY_ID, SECRET, ENDPOINT '127.0.0.1:PORT', URL_STYLE 'path', USE_SSL false
  and REGION (keys `aws_access_key_id`, `aws_secret_access_key`, `aws_endpoint_url`,
  `aws_region`);
- Azure: `TYPE AZURE` with a CONNECTION_STRING of the account, its key and BlobEndpoint (keys
  `azure_storage_account_name`, `azure_storage_account_key`, `azure_storage_endpoint`).

Azurite needs one thing more. The delta extension (1.4.4.20260205) hands delta-kernel the
connection string's AccountKey but not its BlobEndpoint, and for the account `devstoreaccount1`
it turns on object_store's `use_emulator`, which goes to http://127.0.0.1:10000 unless
AZURITE_BLOB_STORAGE_URL names another address. Without that variable the first query fails,
after ten retries, with

    IO Error: DeltaKernel ObjectStoreError (8): Error interacting with object store: Generic
    MicrosoftAzure error: Error performing GET http://127.0.0.1:10000/devstoreaccount1/CONTAINER/
    PATH/_delta_log/_last_checkpoint in ... after 10 retries ... HTTP error: error sending request

so this script sets it to the emulator's address. (The data files are read by DuckDB's own azure
extension, which follows BlobEndpoint.)

Cases: "open" (connect, load the extensions, create the secret), "first query", then "repeated"
N times, each `SELECT count(*) FROM delta_scan(URI)`. Each is printed as soon as it is measured,
one JSON line `{"peer", "case", "samples_ms"}` with one sample; with --step the script then waits
for a line on standard input before it goes on, so that the caller can read, between two
queries, what each cost the emulator.
"""

import argparse
import json
import os
import sys
import time
from urllib.parse import urlsplit

from duckdb_peer import connect

PEER = "duckdb 1.4.4 + delta"


def sql_text(value: str) -> str:
    """`value` as a SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def s3_secret(options: dict) -> str:
    endpoint = urlsplit(options["aws_endpoint_url"])
    return (
        "CREATE SECRET emulator (TYPE S3"
        f", KEY_ID {sql_text(options['aws_access_key_id'])}"
        f", SECRET {sql_text(options['aws_secret_access_key'])}"
        f", ENDPOINT {sql_text(endpoint.netloc)}"
        ", URL_STYLE 'path'"
        f", USE_SSL {'true' if endpoint.scheme == 'https' else 'false'}"
        f", REGION {sql_text(options.get('aws_region', 'us-east-1'))})"
    )


def azure_secret(options: dict) -> str:
    blob_endpoint = options["azure_storage_endpoint"]
    connection_string = (
        f"DefaultEndpointsProtocol={urlsplit(blob_endpoint).scheme};"
        f"AccountName={options['azure_storage_account_name']};"
        f"AccountKey={options['azure_storage_account_key']};"
        f"BlobEndpoint={blob_endpoint};"
    )
    return f"CREATE SECRET emulator (TYPE AZURE, CONNECTION_STRING {sql_text(connection_string)})"


def emit(case: str, ms: float, step: bool) -> None:
    print(json.dumps({"peer": PEER, "case": case, "samples_ms": [ms]}), flush=True)
    if step and sys.stdin.readline() == "":
        sys.exit("stopped: the caller closed standard input")


def main() -> None:
    parser = argparse.ArgumentParser(description="DuckDB reading a Delta table in an object-store emulator.")
    parser.add_argument("uri")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--expect-rows", type=int, help="fail unless every count is this")
    parser.add_argument("--step", action="store_true", help="wait for a line on stdin after each case")
    args = parser.parse_args()
    options = json.loads(os.environ.get("LAKESHORE_STORAGE_OPTIONS", "{}"))

    scheme = urlsplit(args.uri).scheme
    if scheme == "s3":
        extensions, secret = ("httpfs", "delta"), s3_secret(options)
    elif scheme in ("az", "azure", "abfss"):
        extensions, secret = ("azure", "delta"), azure_secret(options)
        # Before the delta extension builds its store: see the module's documentation.
        endpoint = urlsplit(options["azure_storage_endpoint"])
        os.environ["AZURITE_BLOB_STORAGE_URL"] = f"{endpoint.scheme}://{endpoint.netloc}"
    else:
        sys.exit(f"{args.uri}: only s3:// and az:// tables")

    started = time.perf_counter()
    con = connect(*extensions)
    con.execute(secret)
    emit("open", (time.perf_counter() - started) * 1000, args.step)

    sql = f"SELECT count(*) FROM delta_scan({sql_text(args.uri)})"
    for case in ["first query"] + ["repeated"] * args.rounds:
        started = time.perf_counter()
        (rows,) = con.execute(sql).fetchone()
        ms = (time.perf_counter() - started) * 1000
        if args.expect_rows is not None and rows != args.expect_rows:
            sys.exit(f"DuckDB counted {rows} rows in {args.uri}, expected {args.expect_rows}")
        emit(case, ms, args.step)


if __name__ == "__main__":
    main()
