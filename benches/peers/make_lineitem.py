"""Writes TPC-H lineitem at scale factor SF as a Delta table (the data of `lakeshore-bench cold`).

    python make_lineitem.py OUT_DIR SF

DuckDB's tpch extension generates the rows; the `deltalake` package (delta-rs) writes the
table, streamed batch by batch so memory stays bounded. Each unit of SF is about 215 MB of
parquet (SF 6 wrote 1.28 GB).
"""

import argparse
import tempfile
from pathlib import Path

from deltalake import write_deltalake

from duckdb_peer import connect

BATCH_ROWS = 1_000_000


def parquet_bytes(table_dir: Path) -> int:
    return sum(f.stat().st_size for f in table_dir.glob("*.parquet"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path, help="the Delta table to create (must not exist)")
    parser.add_argument("sf", type=float, help="TPC-H scale factor")
    args = parser.parse_args()

    # A file-backed DuckDB keeps dbgen's tables off the heap at large scale factors.
    with tempfile.TemporaryDirectory(dir=args.out_dir.parent) as scratch:
        con = connect("tpch", database=str(Path(scratch) / "tpch.duckdb"))
        con.execute("CALL dbgen(sf = ?)", [args.sf])
        rows = con.execute("SELECT * FROM lineitem").fetch_record_batch(BATCH_ROWS)
        write_deltalake(str(args.out_dir), rows, mode="error")
        con.close()

    size_mb = parquet_bytes(args.out_dir) / 1e6
    print(f"wrote {args.out_dir}: TPC-H lineitem SF {args.sf}, {size_mb:.0f} MB of parquet")


if __name__ == "__main__":
    main()
