//! Thumbnail pixels between their arrival and their canvas.
//!
//! A worker transfers a thumbnail's RGBA pixels as an `ArrayBuffer`; they wait
//! here (outside wasm memory) until the gallery's canvas for that item is
//! mounted, which draws them and lets them go.

use std::cell::RefCell;
use std::collections::HashMap;

use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, ImageData};

struct Pixels {
    width: u32,
    height: u32,
    buffer: js_sys::ArrayBuffer,
}

thread_local! {
    static WAITING: RefCell<HashMap<u32, Pixels>> = RefCell::new(HashMap::new());
}

/// Keeps a thumbnail's pixels until its canvas draws them.
pub fn put(id: u32, width: u32, height: u32, buffer: js_sys::ArrayBuffer) {
    WAITING.with_borrow_mut(|w| w.insert(id, Pixels { width, height, buffer }));
}

/// Forgets every waiting thumbnail (a new collection started).
pub fn clear() {
    WAITING.with_borrow_mut(|w| w.clear());
}

/// Draws item `id`'s pixels into `canvas`, if they are here.
pub fn draw(id: u32, canvas: &HtmlCanvasElement) {
    let Some(p) = WAITING.with_borrow_mut(|w| w.remove(&id)) else { return };
    let expected = p.width as usize * p.height as usize * 4;
    if p.buffer.byte_length() as usize != expected {
        return;
    }
    canvas.set_width(p.width);
    canvas.set_height(p.height);
    let Ok(Some(ctx)) = canvas.get_context("2d") else { return };
    let Ok(ctx) = ctx.dyn_into::<CanvasRenderingContext2d>() else { return };
    let data = js_sys::Uint8ClampedArray::new(&p.buffer);
    if let Ok(image) = ImageData::new_with_js_u8_clamped_array_and_sh(&data, p.width, p.height) {
        let _ = ctx.put_image_data(&image, 0.0, 0.0);
    }
}
