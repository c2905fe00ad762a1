//! Hands the user a file to save (an export, the metrics CSV, a chart): the
//! one place the page makes a download.

use wasm_bindgen::JsCast;
use web_sys::{Blob, BlobPropertyBag};

/// Offers a file made of `parts` (strings or blobs, handles only: nothing is
/// copied into the page's memory) as `name`, of type `mime`.
pub fn save_file(parts: &js_sys::Array, mime: &str, name: &str) -> Result<(), String> {
    let cannot = |_| "the browser could not make the file".to_string();
    let options = BlobPropertyBag::new();
    options.set_type(mime);
    let blob = Blob::new_with_blob_sequence_and_options(parts, &options).map_err(cannot)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(cannot)?;
    let offered = save_url(&url, name);
    // The download has its own copy once it started; the URL goes soon after.
    gloo_timers::callback::Timeout::new(60_000, move || {
        let _ = web_sys::Url::revoke_object_url(&url);
    })
    .forget();
    offered
}

/// Offers what `url` (an object or data URL) holds as `name`.
pub fn save_url(url: &str, name: &str) -> Result<(), String> {
    let link = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.create_element("a").ok())
        .and_then(|a| a.dyn_into::<web_sys::HtmlAnchorElement>().ok())
        .ok_or("the browser could not offer the file")?;
    link.set_href(url);
    link.set_download(name);
    link.click();
    Ok(())
}

/// A safe file name from a collection's name.
pub fn file_name(name: &str, extension: &str) -> String {
    let stem: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let stem = stem.trim_matches('-');
    let stem = if stem.is_empty() { "collection" } else { stem };
    format!("{stem}.{extension}")
}
