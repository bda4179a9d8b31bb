//! What a person looks at: figures (PNG, drawn with plotters and the bundled DejaVu Sans
//! font) and the screen's HTML report.

pub mod html;
pub(crate) mod page_data;
pub mod plot;
