//! The worker's entry point: it says `Ready` once its wasm runs, then takes
//! jobs from the page: chunks (`web::chunk`), remakes of thumbnails from
//! stored originals, exports and imports (`web::archive`). Reports go to the
//! page with the thumbnail's pixels transferred, not copied. Cancel aborts
//! every request of its collection and closes its decoders at once, and
//! starts nothing more of it. Its state lives in `web::worker_state`.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::MessageEvent;

use crate::core::decode::DecodePath;
use crate::core::protocol::{self, Checks, FromWorker, ToWorker};
use crate::web::archive;
use crate::web::chunk::{check_original, run_chunk};
use crate::web::decode;
use crate::web::originals::get_original;
use crate::web::worker_state::{
    cancel, pause_host, post, scope, wasm_bytes, work_ended, work_started,
};

/// Starts the worker: listens for messages, then says it is ready.
pub fn start() {
    std::panic::set_hook(Box::new(console_error_panic_hook::hook));
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(|event: MessageEvent| {
        // A message is JSON text, or {msg, file} when a file comes with it.
        let data = event.data();
        let (text, file) = match data.as_string() {
            Some(text) => (text, None),
            None => (
                js_sys::Reflect::get(&data, &"msg".into())
                    .ok()
                    .and_then(|m| m.as_string())
                    .unwrap_or_default(),
                js_sys::Reflect::get(&data, &"file".into())
                    .ok()
                    .and_then(archive::as_blob),
            ),
        };
        match protocol::decode::<ToWorker>(&text) {
            Ok(ToWorker::Chunk(chunk)) => wasm_bindgen_futures::spawn_local(run_chunk(chunk)),
            Ok(ToWorker::Cancel { collection }) => cancel(collection),
            Ok(ToWorker::PauseHost { host, for_ms }) => pause_host(&host, for_ms),
            Ok(ToWorker::Remake {
                key,
                sha256,
                thumb_px,
            }) => wasm_bindgen_futures::spawn_local(remake(key, sha256, thumb_px)),
            Ok(ToWorker::Export { job, images, texts }) => {
                wasm_bindgen_futures::spawn_local(archive::export(job, images, texts))
            }
            Ok(ToWorker::Import {
                job,
                collection,
                thumb_px,
            }) => match file {
                Some(file) => wasm_bindgen_futures::spawn_local(archive::import(
                    job, collection, thumb_px, file,
                )),
                None => post(
                    &FromWorker::JobEnded {
                        job,
                        result: Err("no file came with it".into()),
                    },
                    None,
                ),
            },
            Ok(ToWorker::CancelJob { job }) => archive::cancel(job),
            Err(e) => web_sys::console::error_1(&e.into()),
        }
    });
    scope().set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    post(&FromWorker::Ready, None);
}

/// Makes a thumbnail again from a stored original.
async fn remake(key: u64, sha256: String, thumb_px: u32) {
    work_started();
    let made = async {
        let original = get_original(&sha256)
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| "its original is no longer in browser storage".to_string())?;
        let checks = Checks {
            max_bytes: u64::MAX,
            max_side: u32::MAX,
            max_pixels: u64::MAX,
            ..Checks::default()
        };
        let header = check_original(&original, &checks).map_err(|r| r.to_string())?;
        // The default decoder (the fastest measured), whatever the setting.
        let made = decode::thumbnail(&original, &header, thumb_px, DecodePath::default(), None);
        match made.await {
            Ok(m) => Ok((m.width, m.height, m.bitmap)),
            Err(decode::NotMade::Failed(reason, _)) => Err(reason),
            Err(decode::NotMade::Cancelled) => Err("it was cancelled".into()),
        }
    }
    .await;
    work_ended();
    match made {
        Ok((width, height, bitmap)) => {
            let msg = FromWorker::Remade {
                key,
                result: Ok((width, height)),
                wasm_bytes: wasm_bytes(),
            };
            post(&msg, Some(bitmap));
        }
        Err(reason) => post(
            &FromWorker::Remade {
                key,
                result: Err(reason),
                wasm_bytes: wasm_bytes(),
            },
            None,
        ),
    }
}
