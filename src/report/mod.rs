//! Figures (PNG, drawn with plotters and the bundled DejaVu Sans font).

pub mod plot;
