//! SHA-256 of an original kept in a JS buffer: by the browser's
//! `crypto.subtle.digest` (native code, off wasm memory; it copies the bytes
//! when called, so the same buffer goes on to the decoder at once), or by the
//! `sha2` crate in wasm where there is no `crypto.subtle` (a page served
//! from an insecure origin).

use js_sys::Uint8Array;
use sha2::{Digest, Sha256};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// A digest under way.
pub enum Pending {
    Browser(JsFuture),
    Done(String),
}

/// Starts the digest of `bytes`.
pub fn start(bytes: &Uint8Array) -> Pending {
    let subtle = js_sys::Reflect::get(&js_sys::global(), &"crypto".into())
        .ok()
        .and_then(|c| c.dyn_into::<web_sys::Crypto>().ok())
        .map(|c| c.subtle())
        // `crypto.subtle` is undefined outside secure contexts.
        .filter(|s| !s.is_undefined());
    if let Some(subtle) = subtle {
        if let Ok(promise) = subtle.digest_with_str_and_js_u8_array("SHA-256", bytes) {
            return Pending::Browser(JsFuture::from(promise));
        }
    }
    Pending::Done(hex(&Sha256::digest(bytes.to_vec())))
}

impl Pending {
    /// The digest, as lowercase hex.
    pub async fn hex(self) -> Result<String, String> {
        match self {
            Pending::Done(h) => Ok(h),
            Pending::Browser(f) => {
                let buffer = f
                    .await
                    .map_err(|_| "the browser could not hash the image".to_string())?;
                Ok(hex(&Uint8Array::new(&buffer).to_vec()))
            }
        }
    }
}

/// Lowercase hex of the digest `bytes` (a wasm hash of bytes already in wasm memory).
pub fn of_bytes(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}
