//! The worker binary: a Web Worker that fetches, checks and thumbnails images.
//! All of its logic lives in `collector::web::worker`.

fn main() {
    #[cfg(target_arch = "wasm32")]
    collector::web::worker::start();
}
