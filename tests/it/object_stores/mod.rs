//! Lakes in object stores: `s3://`, `az://`, `abfss://`, `gs://`, each served by a real
//! emulator that the test starts for itself (`lakeshore_tests::emulators`).

mod concurrent;
mod golden;
mod harness;
mod lake;
