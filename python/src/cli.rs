//! The command line inside the Python package: `exoscreen.cli([...])` runs the same
//! subcommands as the `exoscreen` binary (their source is the binary's own), so `screen`,
//! `train` and the rest behave identically from Python.

#[path = "../../src/commands/mod.rs"]
#[allow(dead_code)]
mod commands;

use clap::Parser;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

/// Runs `exoscreen ARGS...` (without the program name) and returns its exit code: 0 all
/// inputs ok, 1 some inputs or the work failed (the error is printed on stderr, as the
/// binary prints it), 2 a usage error. Arguments clap refuses raise `ValueError` with its
/// message; `--help` and `--version` print and return 0.
#[pyfunction]
pub fn cli(py: Python<'_>, args: Vec<String>) -> PyResult<u8> {
    let argv = std::iter::once("exoscreen".to_string()).chain(args);
    let parsed = match commands::Cli::try_parse_from(argv) {
        Ok(c) => c,
        Err(e) if e.use_stderr() => return Err(PyValueError::new_err(e.to_string())),
        Err(e) => {
            print!("{e}");
            return Ok(0);
        }
    };
    commands::init_logging(parsed.verbose, parsed.quiet);
    let code = py.detach(|| commands::exit_code(commands::run(parsed)));
    // ExitCode is opaque; the commands only ever return these.
    Ok((0..=2)
        .find(|&n| std::process::ExitCode::from(n) == code)
        .unwrap_or(1))
}
