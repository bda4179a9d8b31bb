//! Library error type. Every error that comes from an input names the file and the reason.

use std::path::PathBuf;

/// Errors returned by the library. The binary wraps them in `anyhow` and prints the chain.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be read or understood.
    #[error("{}: {reason}", path.display())]
    File { path: PathBuf, reason: String },
    /// An operating-system error while touching a file.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// An output folder holds a run that this one may not continue or write over.
    #[error("{}: {reason}", path.display())]
    RunFolder { path: PathBuf, reason: String },
    /// A parameter or a derived input is outside what the operation accepts.
    #[error("{0}")]
    Invalid(String),
    /// The command line asks for something impossible (the binary exits 2).
    #[error("{0}")]
    Usage(String),
    /// The GPU engine could not start or run.
    #[error("GPU: {0}")]
    Gpu(String),
}

impl Error {
    /// An error about the file at `path`.
    pub fn file(path: impl Into<PathBuf>, reason: impl Into<String>) -> Self {
        Error::File {
            path: path.into(),
            reason: reason.into(),
        }
    }

    /// An error about an invalid parameter or input.
    pub fn invalid(reason: impl Into<String>) -> Self {
        Error::Invalid(reason.into())
    }

    /// An error about what the user asked for (options that cannot work together).
    pub fn usage(reason: impl Into<String>) -> Self {
        Error::Usage(reason.into())
    }
}

/// Result alias of the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;
