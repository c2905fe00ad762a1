//! The page binary: mounts the Leptos app. Its logic lives in `collector::ui`.

fn main() {
    #[cfg(target_arch = "wasm32")]
    collector::ui::mount();
}
