//! GPU engine (work in progress in this tree).
use super::{Engine, Job, Objective, Periodogram};
use crate::error::{Error, Result};
pub struct GpuEngine;
impl GpuEngine {
    pub fn new() -> Result<Self> { Err(Error::Gpu("not built yet".into())) }
}
impl Engine for GpuEngine {
    fn name(&self) -> String { "gpu".into() }
    fn periodograms(&self, _: &[Job<'_>], _: Objective) -> Result<Vec<Periodogram>> { Err(Error::Gpu("x".into())) }
}
