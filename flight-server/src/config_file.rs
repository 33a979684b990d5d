//! The command line, with the `--config` file under it: a container deployment mounts one
//! file of options and overrides a few through the environment.
//!
//! Each top-level key of the TOML file is a long option of `lakeshore-server` (`listen`,
//! `read-only`, `allow-read`, ...); `[storage."PREFIX"]` sections hold object-store options and
//! are read by the engine. An option takes its value from the command line, else its
//! `LAKESHORE_<OPTION>` variable, else the file, else its default. The file's options are
//! handed to clap as if typed before the others, so they are checked exactly as typed ones.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use clap::error::ErrorKind;
use clap::parser::ValueSource;
use clap::{ArgAction, ArgMatches, CommandFactory, Parser};

use crate::config::Cli;

/// The file's section the engine reads (object-store options); every other key is an option.
const STORAGE_SECTION: &str = "storage";

/// Parses `args` (the program name first), with the options of the `--config` file (or
/// `$LAKESHORE_CONFIG`) where neither the command line nor the environment gives them.
/// Errors are clap's, so they print and exit as a bad option does (code 2).
pub fn parse_command_line<I, T>(args: I) -> Result<Cli, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString>,
{
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    // Leniently first: the file may complete what the command line leaves incomplete (a
    // --tls-key there, its --tls-cert in the file). Help and version still stop here.
    let given = Cli::command()
        .ignore_errors(true)
        .try_get_matches_from(&args)?;
    let file = given
        .get_one::<PathBuf>("config")
        .filter(|_| given.subcommand_name().is_none());
    let Some(file) = file else {
        return Cli::try_parse_from(&args);
    };
    let from_file = file_arguments(file, &given)
        .map_err(|message| Cli::command().error(ErrorKind::InvalidValue, message))?;
    let mut combined = Vec::with_capacity(args.len() + from_file.len());
    combined.extend(args.first().cloned());
    combined.extend(from_file);
    combined.extend(args.iter().skip(1).cloned());
    Cli::try_parse_from(combined).map_err(|error| {
        match Cli::try_parse_from(&args) {
            // The command line alone is at fault, and the file cannot mend it.
            Err(own) if own.kind() != ErrorKind::MissingRequiredArgument => own,
            _ => naming_the_file(&error, file),
        }
    })
}

/// `error`, caused by a value from `file`, as an error that names the file.
fn naming_the_file(error: &clap::Error, file: &Path) -> clap::Error {
    let message = error.to_string();
    let first_line = message.lines().next().unwrap_or_default();
    Cli::command().error(
        ErrorKind::InvalidValue,
        format!(
            "{}: {}",
            file.display(),
            first_line.trim_start_matches("error: ")
        ),
    )
}

/// The file's options as command-line arguments, leaving out those the command line or the
/// environment already gives.
fn file_arguments(file: &Path, matches: &ArgMatches) -> Result<Vec<OsString>, String> {
    let name = file.display();
    let text =
        std::fs::read_to_string(file).map_err(|error| format!("cannot read {name}: {error}"))?;
    let document: toml::Table = text
        .parse()
        .map_err(|error: toml::de::Error| format!("{name}: {}", error.message()))?;
    let command = Cli::command();
    let mut arguments = Vec::new();
    for (key, value) in &document {
        if key == STORAGE_SECTION {
            continue;
        }
        let option = command
            .get_arguments()
            .find(|arg| arg.get_long() == Some(key.as_str()) && key != "config")
            .ok_or_else(|| {
                format!(
                    "{name}: unknown key `{key}`; the keys are the long options of \
                     lakeshore-server (such as `listen`, `users`, `read-only`) and \
                     [storage.\"PREFIX\"] sections"
                )
            })?;
        let given = matches!(
            matches.value_source(option.get_id().as_str()),
            Some(ValueSource::CommandLine | ValueSource::EnvVariable)
        );
        if given {
            continue;
        }
        let bad = |expected: &str| format!("{name}: `{key}` must be {expected}");
        match option.get_action() {
            ArgAction::SetTrue => match value {
                toml::Value::Boolean(true) => arguments.push(format!("--{key}").into()),
                toml::Value::Boolean(false) => {}
                _ => return Err(bad("true or false")),
            },
            ArgAction::Append => {
                let values = match value {
                    toml::Value::Array(values) => values.iter().collect(),
                    single => vec![single],
                };
                for value in values {
                    let text = scalar(value).ok_or_else(|| bad("a string or a list of strings"))?;
                    arguments.push(format!("--{key}={text}").into());
                }
            }
            _ => {
                let text = scalar(value).ok_or_else(|| bad("a string or a number"))?;
                arguments.push(format!("--{key}={text}").into());
            }
        }
    }
    Ok(arguments)
}

/// A string or number as the command line would spell it.
fn scalar(value: &toml::Value) -> Option<String> {
    match value {
        toml::Value::String(text) => Some(text.clone()),
        toml::Value::Integer(number) => Some(number.to_string()),
        toml::Value::Float(number) => Some(number.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use super::*;

    fn config(text: &str) -> tempfile::NamedTempFile {
        let file = tempfile::NamedTempFile::new().expect("a temporary config file");
        std::fs::write(file.path(), text).expect("write the config file");
        file
    }

    fn parse(args: &[&str]) -> Result<Cli, String> {
        let mut all = vec!["lakeshore-server"];
        all.extend(args);
        parse_command_line(all).map_err(|error| error.to_string())
    }

    #[test]
    fn the_file_gives_what_the_command_line_does_not() {
        let file = config(
            "lake = \"/data/lake\"\nlisten = \"0.0.0.0:6000\"\nread-only = true\n\
             max-concurrent-queries = 4\nallow-read = [\"/data/shared\", \"s3://b/x\"]\n\
             [storage.\"s3://b/\"]\naws_region = \"eu-west-1\"\n",
        );
        let path = file.path().to_str().unwrap();
        let cli = parse(&["--config", path, "--max-concurrent-queries", "2"]).unwrap();
        let serve = cli.serve;
        assert_eq!(serve.lake.as_deref(), Some("/data/lake"));
        assert_eq!(serve.listen, "0.0.0.0:6000".parse::<SocketAddr>().unwrap());
        assert!(serve.read_only);
        assert_eq!(serve.max_concurrent_queries, 2, "the command line wins");
        assert_eq!(serve.allow_read, ["/data/shared", "s3://b/x"]);
        assert_eq!(serve.max_queued_queries, 64, "the default stays");
    }

    #[test]
    fn the_file_may_complete_the_command_line() {
        let file = config("tls-cert = \"/etc/lakeshore/cert.pem\"\n");
        let path = file.path().to_str().unwrap();
        let cli = parse(&["--config", path, "--tls-key", "/etc/lakeshore/key.pem"]).unwrap();
        assert_eq!(
            cli.serve.tls_cert.as_deref(),
            Some(Path::new("/etc/lakeshore/cert.pem"))
        );
        let error = parse(&["--config", path, "--max-concurrent-queries", "many"]).unwrap_err();
        assert!(
            error.contains("'many'") && !error.contains(path),
            "a mistake of the command line is not the file's: {error}"
        );
    }

    #[test]
    fn an_unknown_key_or_a_wrong_value_is_an_error_naming_it_and_the_file() {
        for (text, named) in [
            ("lisen = \"0.0.0.0:6000\"\n", "unknown key `lisen`"),
            ("read-only = \"yes\"\n", "`read-only` must be true or false"),
            (
                "listen = \"nowhere\"\n",
                "invalid value 'nowhere' for '--listen",
            ),
            (
                "allow-read = [1.5, {}]\n",
                "`allow-read` must be a string or a list",
            ),
        ] {
            let file = config(text);
            let path = file.path().to_str().unwrap();
            let error = parse(&["--config", path]).unwrap_err();
            assert!(error.contains(named) && error.contains(path), "{error}");
        }
        let error = parse(&["--config", "/no/such/lakeshore.toml"]).unwrap_err();
        assert!(
            error.contains("cannot read /no/such/lakeshore.toml"),
            "{error}"
        );
    }
}
