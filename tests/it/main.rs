//! Integration tests, one binary (ripgrep style). Real-data tests read `../shared/data` (or
//! `EXOSCREEN_DATA`) and skip loudly when it is absent, unless `EXOSCREEN_REQUIRE_DATA=1`.

mod bad_input;
mod bls;
mod classifier;
mod cli;
mod common;
mod detrend_synth;
mod explore;
mod fuzz;
mod http;
mod inject;
mod python;
mod real_data;
mod screen;
mod search_real;
mod search_synth;
mod simulate;
mod slurm;
mod tfrecord;
mod transit_model;
