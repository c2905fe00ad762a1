//! The page: Leptos components, one file per visible part.
//!
//! [`state`] holds the page's one state (signals, services, actions), which
//! [`app`] provides to every part as context. Reports from the collector are
//! applied in one animation frame at most every 120 ms ([`batch`]), so a
//! burst of results is one render.

pub mod app;
pub mod batch;
pub mod collection_bar;
pub mod collections;
pub mod detail;
pub mod form;
pub mod gallery;
pub mod perf;
pub mod search_form;
pub mod settings_dialog;
pub mod state;
pub mod status;
pub mod thumbs;
pub mod tile;
pub mod update_prompt;

/// Mounts the app on the page's body.
pub fn mount() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
