//! Thumbnails made by the browser's own decoder, in the worker:
//! `createImageBitmap(blob, {resizeWidth, resizeHeight})` decodes and scales in
//! native code (and outside wasm memory), then an `OffscreenCanvas` reads the
//! small result's pixels. Measured faster than the `image` crate here (see
//! BENCHMARKS.md), so it is the default; `core::thumbnail` remains the
//! fallback for what the browser cannot decode.

use js_sys::{Array, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    Blob, BlobPropertyBag, DedicatedWorkerGlobalScope, ImageBitmap, ImageBitmapOptions,
    ImageOrientation, OffscreenCanvas, OffscreenCanvasRenderingContext2d, ResizeQuality,
};

use crate::core::image_check::Header;
use crate::core::thumbnail::{fit, oriented_size};

/// A thumbnail's size and its RGBA pixels (in a JS buffer, ready to transfer).
pub struct BrowserThumbnail {
    pub width: u32,
    pub height: u32,
    pub pixels: js_sys::ArrayBuffer,
}

/// Decodes and scales `bytes` with the browser; `Err` says why (then the
/// caller falls back to the `image` crate).
pub async fn thumbnail(
    bytes: &[u8],
    header: &Header,
    thumb_px: u32,
) -> Result<BrowserThumbnail, String> {
    let fail = |what: &str| format!("the browser could not {what}");
    let (ow, oh) = oriented_size(bytes, header);
    let (width, height) = fit(ow, oh, thumb_px);
    let options = BlobPropertyBag::new();
    options.set_type(&format!("image/{}", header.format.name()));
    let parts = Array::of1(&Uint8Array::from(bytes));
    let blob = Blob::new_with_u8_array_sequence_and_options(&parts, &options)
        .map_err(|_| fail("hold the image"))?;
    let resize = ImageBitmapOptions::new();
    resize.set_resize_width(width);
    resize.set_resize_height(height);
    resize.set_resize_quality(ResizeQuality::Medium);
    resize.set_image_orientation(ImageOrientation::FromImage);
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let promise = scope
        .create_image_bitmap_with_blob_and_image_bitmap_options(&blob, &resize)
        .map_err(|_| fail("decode it"))?;
    let bitmap: ImageBitmap = JsFuture::from(promise)
        .await
        .map_err(|_| fail("decode it"))?
        .dyn_into()
        .map_err(|_| fail("decode it"))?;
    let canvas = OffscreenCanvas::new(width, height).map_err(|_| fail("draw it"))?;
    let ctx: OffscreenCanvasRenderingContext2d = canvas
        .get_context("2d")
        .ok()
        .flatten()
        .and_then(|c| c.dyn_into().ok())
        .ok_or_else(|| fail("draw it"))?;
    ctx.draw_image_with_image_bitmap(&bitmap, 0.0, 0.0)
        .map_err(|_| fail("draw it"))?;
    bitmap.close();
    let data = ctx
        .get_image_data(0.0, 0.0, width as f64, height as f64)
        .map_err(|_| fail("read its pixels"))?;
    // The pixels' own JS buffer: they never pass through wasm memory.
    let pixels: js_sys::Uint8ClampedArray = js_sys::Reflect::get(&data, &"data".into())
        .ok()
        .and_then(|d| d.dyn_into().ok())
        .ok_or_else(|| fail("read its pixels"))?;
    let pixels = pixels.buffer();
    Ok(BrowserThumbnail {
        width,
        height,
        pixels,
    })
}
