//! The `exoscreen` command line: parses arguments (clap), sets up logging, runs one
//! subcommand and maps the outcome to exit codes 0 (ok), 1 (some inputs failed), 2 (usage).

mod commands;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // Mesa's Vulkan device-select layer looks for a Wayland display to pick the GPU a
    // desktop shows, and on a headless machine prints "error: XDG_RUNTIME_DIR is invalid or
    // not set" twice per command. Choosing a display GPU means nothing to a compute-only
    // tool: without a session, turn the layer off (before any thread starts, so setting the
    // variable races with nothing).
    if std::env::var_os("XDG_RUNTIME_DIR").is_none()
        && std::env::var_os("NODEVICE_SELECT").is_none()
    {
        std::env::set_var("NODEVICE_SELECT", "1");
    }
    exoscreen::io::fits::quiet_fitsio_panics();
    let cli = commands::Cli::parse();
    commands::init_logging(cli.verbose, cli.quiet);
    commands::exit_code(commands::run(cli))
}
