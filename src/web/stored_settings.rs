//! The user's settings, kept in the browser's localStorage as JSON; read
//! back through `Settings::from_stored_json`, which repairs what an older
//! version or a hand edit left out of range.

use crate::core::settings::Settings;

const STORAGE_KEY: &str = "collector.settings";

fn storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|w| w.local_storage().ok().flatten())
}

/// The stored settings, or the defaults.
pub fn load_settings() -> Settings {
    storage()
        .and_then(|s| s.get_item(STORAGE_KEY).ok().flatten())
        .map(|json| Settings::from_stored_json(&json))
        .unwrap_or_default()
}

pub fn save_settings(settings: &Settings) {
    if let (Some(s), Ok(json)) = (storage(), serde_json::to_string(settings)) {
        let _ = s.set_item(STORAGE_KEY, &json);
    }
}
