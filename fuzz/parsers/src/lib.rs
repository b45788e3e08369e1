//! Every parser of outside data, by name: the one list that both the fuzz targets (`fuzz/`,
//! nightly, `cargo fuzz`) and the regression test under stable `cargo test` use, so that a
//! fuzz target and its regression inputs always reach exactly the function production calls.
//!
//! - [`entries`]: one function per parser, from bytes to the production entry point
//! - [`targets`]: the table: target name → entry point, seed directories, dictionary, input bound

pub mod entries;
pub mod targets;

#[cfg(test)]
mod regressions;

pub use targets::{TARGETS, Target, find, run};
