//! Thumbnails in the worker, made by the path `core::decode` names first,
//! or by its stand-ins when it cannot:
//!
//! - the browser's `ImageDecoder` (WebCodecs): JPEGs decoded at reduced DCT
//!   scale by libjpeg-turbo, off the worker's thread, then drawn to the
//!   thumbnail's exact size on an `OffscreenCanvas` (the browser turns the
//!   frame by its EXIF orientation as it draws it);
//! - `createImageBitmap` with a resize (the whole image decoded, then scaled);
//! - jpeg-decoder at reduced scale, or the `image` crate, in wasm
//!   (`core::thumbnail`): the only paths that copy the original into wasm
//!   memory.
//!
//! The original is a JS buffer; the thumbnail comes back as an `ImageBitmap`
//! that the page takes as it is (transferred, not copied: the page neither
//! copies pixels nor makes bitmaps). Why each stand-in was needed is kept
//! with the thumbnail, for the profile and the panel. Cancel closes the
//! decoders of its collection at once ([`close_all`]).

use std::cell::RefCell;
use std::collections::HashMap;

use js_sys::{Array, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    Blob, BlobPropertyBag, DedicatedWorkerGlobalScope, ImageBitmap, ImageBitmapOptions,
    ImageOrientation, OffscreenCanvas, OffscreenCanvasRenderingContext2d, ResizeQuality,
};

use crate::core::decode::{decode_box, DecodePath};
use crate::core::image_check::Header;
use crate::core::thumbnail::{fit, make_jpeg_thumbnail_scaled, make_thumbnail};

#[wasm_bindgen]
extern "C" {
    /// WebCodecs' `ImageDecoder` (web-sys binds it only with unstable APIs).
    #[wasm_bindgen(js_name = ImageDecoder)]
    #[derive(Clone)]
    type BrowserDecoder;
    #[wasm_bindgen(constructor, js_class = "ImageDecoder", catch)]
    fn new(init: &Object) -> Result<BrowserDecoder, JsValue>;
    #[wasm_bindgen(method, js_class = "ImageDecoder", catch)]
    fn decode(this: &BrowserDecoder, options: &Object) -> Result<Promise, JsValue>;
    #[wasm_bindgen(method, js_class = "ImageDecoder")]
    fn close(this: &BrowserDecoder);

    /// The `VideoFrame` an `ImageDecoder` gives.
    type Frame;
    #[wasm_bindgen(method, getter, js_name = displayWidth)]
    fn display_width(this: &Frame) -> u32;
    #[wasm_bindgen(method, getter, js_name = displayHeight)]
    fn display_height(this: &Frame) -> u32;
    #[wasm_bindgen(method, js_name = close)]
    fn close_frame(this: &Frame);

    /// An `OffscreenCanvasRenderingContext2d`, for the `drawImage` that
    /// takes a `VideoFrame`.
    type Canvas2d;
    #[wasm_bindgen(method, catch, js_name = drawImage)]
    fn draw_frame(
        this: &Canvas2d,
        image: &Frame,
        dx: f64,
        dy: f64,
        dw: f64,
        dh: f64,
    ) -> Result<(), JsValue>;
}

/// A thumbnail: its size, its bitmap (ready to transfer), the path that
/// made it, and why the paths before it could not.
pub struct Made {
    pub width: u32,
    pub height: u32,
    pub bitmap: ImageBitmap,
    pub path: DecodePath,
    pub fallbacks: Vec<(DecodePath, String)>,
    /// How long the worker's thread was held (drawing, a wasm decoder): the
    /// rest was the browser's decoder, off the thread.
    pub sync_ms: f64,
}

/// Why no thumbnail was made.
#[derive(Debug, PartialEq)]
pub enum NotMade {
    /// Every path failed; the sentence is the last one's (the user's reason).
    Failed(String, Vec<(DecodePath, String)>),
    /// Cancel closed the decoder.
    Cancelled,
}

/// An `ImageDecoder` at work, and its number.
type Open = (u32, BrowserDecoder);

thread_local! {
    /// The `ImageDecoder`s at work, by the collection they work for (None:
    /// a remake), so Cancel can close them.
    static OPEN: RefCell<HashMap<Option<u32>, Vec<Open>>> = RefCell::new(HashMap::new());
    static NEXT: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// Closes every decoder at work for `collection`: their decodes end at once.
pub fn close_all(collection: u32) {
    let open = OPEN.with_borrow_mut(|o| o.remove(&Some(collection)).unwrap_or_default());
    for (_, d) in open {
        d.close();
    }
}

/// Makes the thumbnail of `original` (checked into `header`) fitting
/// `thumb_px`, trying `first` and then its stand-ins (`DecodePath::chain`).
/// `owner` is the collection it works for, so Cancel can close it.
pub async fn thumbnail(
    original: &Uint8Array,
    header: &Header,
    thumb_px: u32,
    first: DecodePath,
    owner: Option<u32>,
) -> Result<Made, NotMade> {
    let mut fallbacks = Vec::new();
    let mut held = Held(0.0);
    for path in first.chain(header.format) {
        let made = match path {
            DecodePath::ImageDecoder => {
                by_image_decoder(original, header, thumb_px, owner, &mut held).await
            }
            DecodePath::CreateImageBitmap => by_image_bitmap(original, header, thumb_px).await,
            DecodePath::ScaledJpeg => {
                let scaled = |bytes: &[u8]| make_jpeg_thumbnail_scaled(bytes, header, thumb_px);
                bitmap_of(held.time(|| in_wasm(scaled, original))).await
            }
            DecodePath::ImageCrate => {
                let full = |bytes: &[u8]| make_thumbnail(bytes, header, thumb_px);
                bitmap_of(held.time(|| in_wasm(full, original))).await
            }
        };
        match made {
            Ok((width, height, bitmap)) => {
                return Ok(Made {
                    width,
                    height,
                    bitmap,
                    path,
                    fallbacks,
                    sync_ms: held.0,
                })
            }
            Err(Tried::Cancelled) => return Err(NotMade::Cancelled),
            Err(Tried::Failed(why)) => fallbacks.push((path, why)),
        }
    }
    let last = fallbacks
        .last()
        .map(|(_, why)| why.clone())
        .unwrap_or_else(|| format!("no decoder here takes {}", header.format.label()));
    Err(NotMade::Failed(last, fallbacks))
}

enum Tried {
    Failed(String),
    Cancelled,
}

/// The ms the worker's thread was held by synchronous work.
struct Held(f64);

impl Held {
    fn time<T>(&mut self, work: impl FnOnce() -> T) -> T {
        let start = crate::web::now_ms();
        let out = work();
        self.0 += crate::web::now_ms() - start;
        out
    }
}

/// A thumbnail's size and its bitmap.
type Bitmap = (u32, u32, ImageBitmap);
/// A bitmap on its way: the size and the promise of it.
type Drawn = (u32, u32, Promise);

/// A wasm decoder: the one path that copies the original into wasm memory.
/// The thumbnail's RGBA goes out once, into an `ImageData`, then a bitmap.
fn in_wasm(
    decode: impl FnOnce(&[u8]) -> Result<crate::core::thumbnail::Thumbnail, String>,
    original: &Uint8Array,
) -> Result<Drawn, Tried> {
    let thumb = decode(&original.to_vec()).map_err(Tried::Failed)?;
    let fail = || Tried::Failed("the thumbnail could not be made a bitmap".into());
    let data = web_sys::ImageData::new_with_u8_clamped_array_and_sh(
        wasm_bindgen::Clamped(thumb.rgba.as_slice()),
        thumb.width,
        thumb.height,
    )
    .map_err(|_| fail())?;
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let promise = scope
        .create_image_bitmap_with_image_data(&data)
        .map_err(|_| fail())?;
    Ok((thumb.width, thumb.height, promise))
}

/// Waits for a bitmap on its way.
async fn bitmap_of(drawn: Result<Drawn, Tried>) -> Result<Bitmap, Tried> {
    let (width, height, promise) = drawn?;
    let bitmap = JsFuture::from(promise).await.map_err(|e| {
        Tried::Failed(format!(
            "the thumbnail could not be made a bitmap ({})",
            name_of(&e)
        ))
    })?;
    Ok((width, height, bitmap.unchecked_into()))
}

fn mime(header: &Header) -> String {
    format!("image/{}", header.format.name())
}

/// `ImageDecoder`, asked for the smallest DCT scale that still reaches the
/// thumbnail (`core::decode::decode_box`), then drawn to its exact size.
async fn by_image_decoder(
    original: &Uint8Array,
    header: &Header,
    thumb_px: u32,
    owner: Option<u32>,
    held: &mut Held,
) -> Result<Bitmap, Tried> {
    let fail = |what: &str| Tried::Failed(format!("the browser's ImageDecoder {what}"));
    if !Reflect::has(&js_sys::global(), &"ImageDecoder".into()).unwrap_or(false) {
        return Err(fail("is missing in this browser"));
    }
    let (ow, oh) = header.oriented_size();
    let (width, height) = fit(ow, oh, thumb_px);
    let (box_w, box_h) = decode_box(ow, oh, thumb_px);
    let init = Object::new();
    let set = |k: &str, v: &JsValue| Reflect::set(&init, &k.into(), v).map(drop);
    let _ = set("data", original);
    let _ = set("type", &mime(header).into());
    let _ = set("desiredWidth", &box_w.into());
    let _ = set("desiredHeight", &box_h.into());
    let _ = set("preferAnimation", &false.into());
    // It copies the bytes as it starts.
    let decoder = held
        .time(|| BrowserDecoder::new(&init))
        .map_err(|e| fail(&format!("refused it ({})", name_of(&e))))?;
    let id = NEXT.with(|n| {
        n.set(n.get().wrapping_add(1));
        n.get()
    });
    OPEN.with_borrow_mut(|o| o.entry(owner).or_default().push((id, decoder.clone())));
    let options = Object::new();
    let _ = Reflect::set(&options, &"frameIndex".into(), &0.into());
    let decoded = match decoder.decode(&options) {
        Ok(promise) => JsFuture::from(promise).await,
        Err(e) => Err(e),
    };
    // Not in the list any more: Cancel closed it.
    let closed = OPEN.with_borrow_mut(|o| {
        let Some(list) = o.get_mut(&owner) else {
            return true;
        };
        let before = list.len();
        list.retain(|(i, _)| *i != id);
        let closed = list.len() == before;
        if list.is_empty() {
            o.remove(&owner);
        }
        closed
    });
    decoder.close();
    if closed {
        return Err(Tried::Cancelled);
    }
    let result = decoded.map_err(|e| fail(&format!("could not decode it ({})", name_of(&e))))?;
    let frame: Frame = Reflect::get(&result, &"image".into())
        .map_err(|_| fail("gave no frame"))?
        .unchecked_into();
    // The browser turns the frame by its orientation (Chromium as it draws
    // it, Firefox as it decodes it): its shape must be the oriented one.
    let (fw, fh) = (frame.display_width(), frame.display_height());
    let upright = |a: u32, b: u32, c: u32, d: u32| {
        (a as f64 / b.max(1) as f64 - c as f64 / d.max(1) as f64).abs()
            <= 0.1 * (c as f64 / d.max(1) as f64)
    };
    if !upright(fw, fh, ow, oh) && upright(fw, fh, oh, ow) {
        frame.close_frame();
        return Err(fail("did not turn it by its orientation"));
    }
    let drawn = held.time(|| {
        draw(width, height, |ctx| {
            let ctx: &Canvas2d = ctx.unchecked_ref();
            ctx.draw_frame(&frame, 0.0, 0.0, width as f64, height as f64)
        })
    });
    frame.close_frame();
    let promise = drawn.map_err(|what| fail(&what))?;
    bitmap_of(Ok((width, height, promise))).await
}

/// `createImageBitmap` with a resize: decodes the whole image, then scales.
async fn by_image_bitmap(
    original: &Uint8Array,
    header: &Header,
    thumb_px: u32,
) -> Result<Bitmap, Tried> {
    let fail = |what: &str| Tried::Failed(format!("createImageBitmap could not {what}"));
    let (ow, oh) = header.oriented_size();
    let (width, height) = fit(ow, oh, thumb_px);
    let options = BlobPropertyBag::new();
    options.set_type(&mime(header));
    let blob = Blob::new_with_u8_array_sequence_and_options(&Array::of1(original), &options)
        .map_err(|_| fail("hold the image"))?;
    let resize = ImageBitmapOptions::new();
    resize.set_resize_width(width);
    resize.set_resize_height(height);
    resize.set_resize_quality(ResizeQuality::Medium);
    resize.set_image_orientation(ImageOrientation::FromImage);
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let promise = scope
        .create_image_bitmap_with_blob_and_image_bitmap_options(&blob, &resize)
        .map_err(|e| fail(&format!("decode it ({})", name_of(&e))))?;
    // Already the thumbnail: decoded, turned and scaled by the browser.
    let bitmap: ImageBitmap = JsFuture::from(promise)
        .await
        .map_err(|e| fail(&format!("decode it ({})", name_of(&e))))?
        .unchecked_into();
    Ok((width, height, bitmap))
}

thread_local! {
    /// The worker's one canvas, as large as the largest thumbnail so far:
    /// each thumbnail is drawn in its top-left corner (a new canvas each
    /// time allocated and freed its pixels each time).
    static CANVAS: RefCell<Option<(OffscreenCanvas, OffscreenCanvasRenderingContext2d)>> =
        const { RefCell::new(None) };
}

/// The worker's canvas, at least `width × height`.
fn canvas(width: u32, height: u32) -> Option<OffscreenCanvasRenderingContext2d> {
    CANVAS.with_borrow_mut(|held| {
        if let Some((c, ctx)) = held.as_ref() {
            if c.width() >= width && c.height() >= height {
                return Some(ctx.clone());
            }
        }
        let (w, h) = match held.as_ref() {
            Some((c, _)) => (c.width().max(width), c.height().max(height)),
            None => (width, height),
        };
        let canvas = OffscreenCanvas::new(w, h).ok()?;
        // Read back, not shown: keep the canvas in memory the CPU reads.
        let attributes = Object::new();
        let _ = Reflect::set(&attributes, &"willReadFrequently".into(), &true.into());
        let ctx: OffscreenCanvasRenderingContext2d = canvas
            .get_context_with_context_options("2d", &attributes)
            .ok()
            .flatten()
            .and_then(|c| c.dyn_into().ok())?;
        let _ = Reflect::set(&ctx, &"imageSmoothingQuality".into(), &"medium".into());
        *held = Some((canvas, ctx.clone()));
        Some(ctx)
    })
}

/// Draws in a `width × height` corner of the worker's canvas and takes a
/// bitmap of it (`createImageBitmap` copies the corner as it is called, so
/// the next thumbnail may draw there at once). The pixels never pass
/// through wasm memory.
fn draw(
    width: u32,
    height: u32,
    paint: impl FnOnce(&OffscreenCanvasRenderingContext2d) -> Result<(), JsValue>,
) -> Result<Promise, String> {
    let ctx = canvas(width, height).ok_or("draw it")?;
    // What the last thumbnail left there would show through a transparent one.
    ctx.clear_rect(0.0, 0.0, width as f64, height as f64);
    paint(&ctx).map_err(|e| format!("draw it ({})", name_of(&e)))?;
    let canvas = CANVAS
        .with_borrow(|held| held.as_ref().map(|(c, _)| c.clone()))
        .ok_or("draw it")?;
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    scope
        .create_image_bitmap_with_offscreen_canvas_and_a_sx_and_a_sy_and_a_sw_and_a_sh(
            &canvas,
            0,
            0,
            width as i32,
            height as i32,
        )
        .map_err(|e| format!("take a bitmap of it ({})", name_of(&e)))
}

/// A DOMException's name ("EncodingError"), or what it says.
fn name_of(e: &JsValue) -> String {
    let field = |k: &str| Reflect::get(e, &k.into()).ok().and_then(|v| v.as_string());
    field("name")
        .filter(|n| !n.is_empty() && n != "Error")
        .or_else(|| field("message"))
        .unwrap_or_else(|| "no reason given".into())
}
