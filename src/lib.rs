//! The image collector: a Leptos page and Rust Web Workers that turn a query
//! into a collection of images.
//!
//! - [`core`] is pure logic with no browser types: it builds and tests natively.
//! - `web` is the browser glue (workers, fetch, storage) and `ui` the Leptos
//!   components; both exist only on `wasm32`.
//!
//! ARCHITECTURE.md has the map.

pub mod core;

#[cfg(target_arch = "wasm32")]
pub mod ui;
#[cfg(target_arch = "wasm32")]
pub mod web;
