//! Decoding a checked image and making its thumbnail.
//!
//! Runs in a worker, never on the page: decoding a large photo takes far more
//! than a frame. The thumbnail comes out upright (EXIF orientation applied),
//! fitting `thumb_px` on its long side, as RGBA pixels ready for an
//! `ImageData`.

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageReader, Limits};

use crate::core::image_check::Header;

/// A thumbnail's RGBA pixels, row by row.
#[derive(Clone, Debug, PartialEq)]
pub struct Thumbnail {
    pub width: u32,
    pub height: u32,
    pub rgba: Vec<u8>,
}

/// The thumbnail size of a `width`×`height` image: its long side fits
/// `thumb_px`, the aspect is kept, nothing is enlarged, no side is 0.
pub fn fit(width: u32, height: u32, thumb_px: u32) -> (u32, u32) {
    let long = width.max(height).max(1);
    let side = thumb_px.max(1);
    if long <= side {
        return (width.max(1), height.max(1));
    }
    let scale = side as f64 / long as f64;
    let w = ((width as f64 * scale).round() as u32).clamp(1, side);
    let h = ((height as f64 * scale).round() as u32).clamp(1, side);
    (w, h)
}

/// A JPEG's thumbnail decoded at reduced scale: the decoder's IDCT makes an
/// image 1/2, 1/4 or 1/8 the size directly (the smallest still at least the
/// thumbnail's size), so a 12 Mpx photo costs about what a 0.2 Mpx one does;
/// then it is turned upright and resized to fit `thumb_px`. CMYK JPEGs go
/// the full way ([`make_thumbnail`]).
pub fn make_jpeg_thumbnail_scaled(
    bytes: &[u8],
    header: &Header,
    thumb_px: u32,
) -> Result<Thumbnail, String> {
    use jpeg_decoder::PixelFormat;
    let cannot = |e: jpeg_decoder::Error| format!("its JPEG data cannot be decoded ({e})");
    let mut decoder = jpeg_decoder::Decoder::new(Cursor::new(bytes));
    let (want_w, want_h) = fit(header.width, header.height, thumb_px);
    let clamp = |v: u32| v.min(u16::MAX as u32) as u16;
    decoder
        .scale(clamp(want_w), clamp(want_h))
        .map_err(cannot)?;
    let pixels = decoder.decode().map_err(cannot)?;
    let info = decoder
        .info()
        .ok_or("its JPEG data cannot be decoded (no frame)")?;
    let (w, h) = (info.width as u32, info.height as u32);
    let short = || "its JPEG data cannot be decoded (too few pixels)".to_string();
    let mut image = match info.pixel_format {
        PixelFormat::RGB24 => {
            DynamicImage::ImageRgb8(image::RgbImage::from_raw(w, h, pixels).ok_or_else(short)?)
        }
        PixelFormat::L8 => {
            DynamicImage::ImageLuma8(image::GrayImage::from_raw(w, h, pixels).ok_or_else(short)?)
        }
        PixelFormat::L16 => DynamicImage::ImageLuma8(
            image::GrayImage::from_raw(w, h, pixels.chunks_exact(2).map(|p| p[0]).collect())
                .ok_or_else(short)?,
        ),
        PixelFormat::CMYK32 => return make_thumbnail(bytes, header, thumb_px),
    };
    image.apply_orientation(header.orientation);
    let side = thumb_px.max(1);
    if image.width() > side || image.height() > side {
        image = image.resize(side, side, image::imageops::FilterType::Triangle);
    }
    let rgba = image.to_rgba8();
    Ok(Thumbnail {
        width: rgba.width(),
        height: rgba.height(),
        rgba: rgba.into_raw(),
    })
}

/// Decodes `bytes` (already checked into `header`) and makes the thumbnail.
pub fn make_thumbnail(bytes: &[u8], header: &Header, thumb_px: u32) -> Result<Thumbnail, String> {
    let name = header.format.label();
    let image_format = header.format.image_format().ok_or_else(|| {
        format!("its {name} data cannot be decoded without the browser's decoder")
    })?;
    let mut reader = ImageReader::with_format(Cursor::new(bytes), image_format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(header.width);
    limits.max_image_height = Some(header.height);
    // The decoded RGBA image plus the decoder's own buffers.
    limits.max_alloc = Some(header.width as u64 * header.height as u64 * 8 + (64 << 20));
    reader.limits(limits);
    let mut decoder = reader
        .into_decoder()
        .map_err(|e| format!("its {name} data cannot be decoded ({e})"))?;
    let orientation = decoder.orientation().ok();
    let mut image = DynamicImage::from_decoder(decoder)
        .map_err(|e| format!("its {name} data cannot be decoded ({e})"))?;
    if let Some(o) = orientation {
        image.apply_orientation(o);
    }
    let side = thumb_px.max(1);
    let thumb = if image.width() > side || image.height() > side {
        image.thumbnail(side, side)
    } else {
        image
    };
    let rgba = thumb.to_rgba8();
    Ok(Thumbnail {
        width: rgba.width(),
        height: rgba.height(),
        rgba: rgba.into_raw(),
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::core::image_check::check;
    use crate::core::protocol::Checks;
    use image::{ImageFormat, Rgb, RgbImage};

    /// A small real image file of this format: a two-coloured gradient.
    pub(crate) fn encoded(format: ImageFormat, w: u32, h: u32) -> Vec<u8> {
        let img = RgbImage::from_fn(w, h, |x, y| {
            Rgb([(x * 255 / w.max(1)) as u8, (y * 255 / h.max(1)) as u8, 90])
        });
        let mut out = Cursor::new(Vec::new());
        DynamicImage::ImageRgb8(img)
            .write_to(&mut out, format)
            .expect("encoding a test image");
        out.into_inner()
    }

    #[test]
    fn a_thumbnail_fits_the_long_side_and_keeps_the_aspect() {
        for format in [
            ImageFormat::Jpeg,
            ImageFormat::Png,
            ImageFormat::Gif,
            ImageFormat::WebP,
        ] {
            let bytes = encoded(format, 1000, 500);
            let header = check(&bytes, &Checks::default()).unwrap();
            let t = make_thumbnail(&bytes, &header, 256).unwrap();
            assert_eq!((t.width, t.height), (256, 128), "{format:?}");
            assert_eq!(t.rgba.len(), 256 * 128 * 4);
            // Real pixels: the gradient differs from corner to corner.
            assert_ne!(&t.rgba[0..4], &t.rgba[t.rgba.len() - 4..]);
        }
    }

    #[test]
    fn a_jpeg_scaled_in_decoding_gives_the_same_thumbnail_size_and_picture() {
        for (w, h) in [(4000, 3000), (1000, 500), (300, 200), (640, 480)] {
            let bytes = encoded(ImageFormat::Jpeg, w, h);
            let header = check(&bytes, &Checks::default()).unwrap();
            let full = make_thumbnail(&bytes, &header, 256).unwrap();
            let scaled = make_jpeg_thumbnail_scaled(&bytes, &header, 256).unwrap();
            assert_eq!(
                (scaled.width, scaled.height),
                (full.width, full.height),
                "{w}x{h}"
            );
            // The same picture: the gradient's corners agree within JPEG noise.
            let px = |t: &Thumbnail, x: u32, y: u32| {
                let i = ((y * t.width + x) * 4) as usize;
                [t.rgba[i] as i32, t.rgba[i + 1] as i32, t.rgba[i + 2] as i32]
            };
            for (x, y) in [
                (2, 2),
                (full.width - 3, full.height - 3),
                (full.width / 2, full.height / 2),
            ] {
                let (a, b) = (px(&full, x, y), px(&scaled, x, y));
                for c in 0..3 {
                    assert!(
                        (a[c] - b[c]).abs() <= 24,
                        "{w}x{h} at {x},{y}: {a:?} vs {b:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_truncated_jpeg_fails_with_a_sentence_when_scaled() {
        let bytes = encoded(ImageFormat::Jpeg, 800, 600);
        let cut = &bytes[..bytes.len() / 3];
        // `check` refuses it first (cut short); the decoder must not panic alone either.
        assert!(check(cut, &Checks::default()).is_err());
        let header = check(&bytes, &Checks::default()).unwrap();
        match make_jpeg_thumbnail_scaled(cut, &header, 256) {
            Ok(t) => assert_eq!(
                (t.width, t.height),
                (256, 192),
                "a decoder may fill what is missing"
            ),
            Err(e) => assert!(e.starts_with("its JPEG data cannot be decoded"), "{e}"),
        }
    }

    #[test]
    fn fit_keeps_the_aspect_and_never_enlarges() {
        assert_eq!(fit(4000, 3000, 256), (256, 192));
        assert_eq!(fit(3000, 4000, 256), (192, 256));
        assert_eq!(fit(100, 50, 256), (100, 50));
        assert_eq!(fit(10_000, 1, 256), (256, 1));
        assert_eq!(fit(0, 0, 256), (1, 1));
    }

    #[test]
    fn oriented_size_is_the_header_size_without_exif() {
        let bytes = encoded(ImageFormat::Jpeg, 300, 200);
        let header = check(&bytes, &Checks::default()).unwrap();
        assert_eq!(header.oriented_size(), (300, 200));
    }

    #[test]
    fn a_small_image_is_not_enlarged() {
        let bytes = encoded(ImageFormat::Png, 64, 40);
        let header = check(&bytes, &Checks::default()).unwrap();
        let t = make_thumbnail(&bytes, &header, 256).unwrap();
        assert_eq!((t.width, t.height), (64, 40));
    }

    #[test]
    fn a_truncated_file_fails_with_a_sentence() {
        let bytes = encoded(ImageFormat::Png, 300, 300);
        let cut = &bytes[..bytes.len() / 2];
        // `check` refuses it first (cut short); the decoder must fail alone too.
        assert!(check(cut, &Checks::default()).is_err());
        let header = check(&bytes, &Checks::default()).unwrap();
        let err = make_thumbnail(cut, &header, 256).unwrap_err();
        assert!(err.starts_with("its PNG data cannot be decoded"), "{err}");
    }
}
