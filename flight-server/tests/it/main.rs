//! The Flight SQL server's integration tests: one binary, one module per concern.
