//! Tests of the `lakeshore` binary, run as a user runs it: real Delta tables copied into a
//! temporary lake, the real executable, its standard output, standard error and exit code.

mod cluster;
mod demo;
mod formats;
mod lake;
mod object_store;
mod remote;
mod scripts;
mod shell;
mod support;
mod terminal;
