//! # exoscreen
//!
//! Rediscover planets in Kepler, K2 and TESS light curves. The flow: files are read
//! ([`io`]) into labelled [`lightcurve`]s (Warp 10 style: class name + labels, one segment a
//! quarter/campaign/sector), stitched per target, detrended ([`detrend`]), searched for
//! periodic transits with box-least-squares, folded into views and ranked.
//!
//! Times are `f64` in the mission's time system (BKJD for Kepler/K2, BTJD for TESS), durations
//! in days, depths as fractions (ppm only in outputs).

pub mod bls;
pub mod catalogue;
pub mod cdpp;
pub mod dataset;
pub mod detrend;
pub mod error;
pub mod explore;
pub mod hash;
pub mod io;
pub mod known;
pub mod lightcurve;
pub mod model;
pub mod named;
pub mod nulls;
pub mod pipeline;
pub mod report;
pub mod robust;
pub mod screen;
pub mod search;
pub mod signal;
pub mod simulate;
pub mod transit;
pub mod variability;
pub mod views;

pub use error::{Error, Result};

// The test support crate names this library `exoscreen`; unit tests include its source.
#[cfg(test)]
extern crate self as exoscreen;
#[cfg(test)]
#[path = "../testkit/src/lib.rs"]
#[allow(dead_code)]
mod synth;
pub use lightcurve::{LightCurve, Segment, Series, SeriesMeta};
