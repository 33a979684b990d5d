//! Where results go: the terminal, or the file named by `\o`.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

pub enum Output {
    Terminal,
    File {
        path: PathBuf,
        file: BufWriter<File>,
    },
}

impl Output {
    /// Results to a new file at `path` (an existing one is replaced).
    pub fn to_file(path: &Path) -> Result<Self> {
        let file =
            File::create(path).with_context(|| format!("cannot write {}", path.display()))?;
        Ok(Output::File {
            path: path.to_path_buf(),
            file: BufWriter::new(file),
        })
    }

    pub fn is_terminal(&self) -> bool {
        matches!(self, Output::Terminal)
    }

    pub fn writer(&mut self) -> Box<dyn Write + '_> {
        match self {
            Output::Terminal => Box::new(std::io::stdout().lock()),
            Output::File { file, .. } => Box::new(file),
        }
    }

    /// Writes what is buffered for the file, so it is whole before the prompt returns.
    pub fn flush(&mut self) -> Result<()> {
        match self {
            Output::Terminal => Ok(std::io::stdout().flush()?),
            Output::File { path, file } => file
                .flush()
                .with_context(|| format!("cannot write {}", path.display())),
        }
    }
}
