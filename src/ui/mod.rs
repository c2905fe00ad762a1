//! The page: Leptos components, one file per visible part.
//!
//! [`app`] owns the page's state (signals) and starts collections; the other
//! modules draw a part of it. Reports from the collector are applied
//! in one animation frame at most every 120 ms ([`batch`]), so a burst of results is one render.

pub mod app;
pub mod batch;
pub mod charts;
pub mod collection_bar;
pub mod collections;
pub mod detail;
pub mod gallery;
pub mod perf_panel;
pub mod search_form;
pub mod settings_dialog;
pub mod status;
pub mod thumbs;
pub mod update_prompt;

/// Mounts the app on the page's body.
pub fn mount() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
