//! The `exoscreen` command line: parses arguments (clap), sets up logging, runs one
//! subcommand and maps the outcome to exit codes 0 (ok), 1 (some inputs failed), 2 (usage).

mod commands;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    exoscreen::io::fits::quiet_fitsio_panics();
    let cli = commands::Cli::parse();
    commands::init_logging(cli.verbose, cli.quiet);
    commands::exit_code(commands::run(cli))
}
