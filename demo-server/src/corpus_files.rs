//! The bytes of the corpus's image files, made in code and the same on every
//! run: broken files (cut short, empty, a bomb's header), the awkward but valid
//! ones (CMYK, progressive, 16-bit, palette with transparency, 10 000 GIF
//! frames, WebP lossy, lossless and animated, EXIF-rotated) and the formats a
//! collector must refuse (SVG, TIFF, BMP, ICO). The containers no encoder here
//! writes (TIFF, BMP, ICO, animated WebP, the EXIF block) are put together by
//! hand, following their specifications, from pixels the encoders made. Only
//! `corpus/lossy.webp` and `corpus/rotated.avif` are committed files (see
//! `corpus/README.md`).

use std::collections::HashMap;

use image::codecs::png::PngEncoder;
use image::codecs::webp::WebPEncoder;
use image::{ExtendedColorType, ImageEncoder};

use crate::library::Format;
use crate::pixels;

/// Chromium's lossy WebP encoding of a 96×64 drawing (`corpus/make-lossy-webp.mjs`).
const LOSSY_WEBP: &[u8] = include_bytes!("../corpus/lossy.webp");
/// libavif's encoding of a 120×80 drawing with `irot` 1 (`corpus/make-rotated-avif.mjs`).
const ROTATED_AVIF: &[u8] = include_bytes!("../corpus/rotated.avif");

/// The colour of the EXIF image's true top-left quarter (red) and of the rest.
pub const UPRIGHT_MARK: [u8; 3] = [230, 20, 20];
pub const UPRIGHT_REST: [u8; 3] = [20, 60, 220];

/// Every corpus file, by its name in the URL (`cmyk.jpg`).
pub fn make_all() -> HashMap<&'static str, Vec<u8>> {
    let photo = |seed, w, h, f| pixels::encode(seed, w, h, f);
    let cut = |mut bytes: Vec<u8>| {
        bytes.truncate(bytes.len() / 2);
        bytes
    };
    let rgb = pixels::render(0xC0_2B05, 160, 120);
    HashMap::from([
        (
            "truncated.jpg",
            cut(photo(0xC0_2B01, 320, 240, Format::Jpeg)),
        ),
        (
            "truncated.png",
            cut(photo(0xC0_2B02, 320, 240, Format::Png)),
        ),
        ("empty.jpg", Vec::new()),
        ("html.jpg", html_page()),
        ("bomb.png", png_bomb()),
        ("frames-10000.gif", gif_frames(10_000)),
        ("cmyk.jpg", cmyk_jpeg()),
        ("progressive.jpg", jpeg(&rgb, 160, 120, true, None)),
        ("16-bit.png", png_16_bit()),
        ("palette-alpha.png", palette_png()),
        ("lossy.webp", LOSSY_WEBP.to_vec()),
        ("lossless.webp", photo(0xC0_2B03, 160, 120, Format::WebP)),
        ("animated.webp", animated_webp()),
        ("drawing.svg", SVG.as_bytes().to_vec()),
        ("image.tiff", tiff(&rgb, 160, 120)),
        ("image.bmp", bmp(&rgb, 160, 120)),
        ("icon.ico", ico()),
        ("exif-orientation-6.jpg", exif_rotated_jpeg()),
        ("rotated.avif", ROTATED_AVIF.to_vec()),
        ("reset.jpg", photo(0xC0_2B04, 320, 240, Format::Jpeg)),
        ("no-cors.jpg", photo(0xC0_2B06, 200, 150, Format::Jpeg)),
    ])
}

/// A sign-in page, as a login wall sends in place of an image.
fn html_page() -> Vec<u8> {
    b"<!doctype html>\n<html><head><title>Sign in</title></head>\
      <body><h1>Please sign in</h1><p>This page stands in for an image.</p></body></html>\n"
        .to_vec()
}

/// An SVG with a script in it: the reason it is never rendered.
const SVG: &str = r##"<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="120" height="80" onload="document.title='svg ran'">
  <script>document.title = 'svg script ran';</script>
  <rect width="120" height="80" fill="#3a7"/>
</svg>
"##;

fn jpeg(rgb: &[u8], w: u16, h: u16, progressive: bool, exif: Option<&[u8]>) -> Vec<u8> {
    let mut out = Vec::new();
    let mut e = jpeg_encoder::Encoder::new(&mut out, pixels::JPEG_QUALITY);
    e.set_progressive(progressive);
    if let Some(exif) = exif {
        e.add_exif_metadata(exif).expect("a small EXIF block fits");
    }
    e.encode(rgb, w, h, jpeg_encoder::ColorType::Rgb)
        .expect("encoding a small JPEG");
    out
}

/// Four bands of pure process colours (C, M, Y, K), stored as CMYK with
/// Adobe's APP14 marker, as print workflows export.
fn cmyk_jpeg() -> Vec<u8> {
    let (w, h) = (128u16, 96u16);
    let mut cmyk = Vec::with_capacity(w as usize * h as usize * 4);
    for _y in 0..h {
        for x in 0..w {
            let band = (x as usize * 4) / w as usize;
            let mut px = [0u8; 4];
            px[band] = 255;
            cmyk.extend_from_slice(&px);
        }
    }
    let mut out = Vec::new();
    jpeg_encoder::Encoder::new(&mut out, 90)
        .encode(&cmyk, w, h, jpeg_encoder::ColorType::Cmyk)
        .expect("encoding a CMYK JPEG");
    out
}

/// 120×80 stored, tagged orientation 6 (turn 90° clockwise to view): shown
/// upright it is 80×120 with a red top-left quarter, the rest blue. Shown
/// unturned, or turned the wrong way, the red is elsewhere.
fn exif_rotated_jpeg() -> Vec<u8> {
    let (w, h) = (120u32, 80u32);
    let mut rgb = Vec::with_capacity((w * h * 3) as usize);
    for y in 0..h {
        for x in 0..w {
            // Viewed pixel (vx, vy) = (h - 1 - y, x): the viewed top-left
            // quarter is the stored bottom-left one.
            let mark = x < w / 2 && y >= h / 2;
            rgb.extend_from_slice(if mark { &UPRIGHT_MARK } else { &UPRIGHT_REST });
        }
    }
    // A big-endian TIFF block with one IFD entry: Orientation (0x0112), SHORT, 6.
    let exif = [
        b'M', b'M', 0, 42, 0, 0, 0, 8, // header, IFD at 8
        0, 1, // one entry
        0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0, // Orientation = 6
        0, 0, 0, 0, // no next IFD
    ];
    jpeg(&rgb, w as u16, h as u16, false, Some(&exif))
}

fn png_16_bit() -> Vec<u8> {
    let (w, h) = (96u32, 64u32);
    let mut be = Vec::with_capacity((w * h * 6) as usize);
    for y in 0..h {
        for x in 0..w {
            let r = (x * 65_535 / (w - 1)) as u16;
            let g = (y * 65_535 / (h - 1)) as u16;
            for c in [r, g, 0x8000] {
                be.extend_from_slice(&c.to_be_bytes());
            }
        }
    }
    let mut out = Vec::new();
    PngEncoder::new(&mut out)
        .write_image(&be, w, h, ExtendedColorType::Rgb16)
        .expect("encoding a 16-bit PNG");
    out
}

/// An indexed PNG of four colours whose first is fully transparent (tRNS):
/// a transparent frame around an opaque square with a half-transparent band.
fn palette_png() -> Vec<u8> {
    let (w, h) = (64u32, 64u32);
    let mut indices = Vec::with_capacity((w * h) as usize);
    for y in 0..h {
        for x in 0..w {
            let inside = (8..56).contains(&x) && (8..56).contains(&y);
            indices.push(match (inside, y) {
                (false, _) => 0,
                (true, 28..=35) => 3,
                (true, _) if x < 32 => 1,
                _ => 2,
            });
        }
    }
    let mut out = Vec::new();
    let mut e = png::Encoder::new(&mut out, w, h);
    e.set_color(png::ColorType::Indexed);
    e.set_depth(png::BitDepth::Eight);
    e.set_palette(vec![0, 0, 0, 200, 40, 40, 40, 160, 60, 250, 220, 40]);
    e.set_trns(vec![0, 255, 255, 128]);
    let mut writer = e.write_header().expect("a palette PNG header");
    writer
        .write_image_data(&indices)
        .expect("palette PNG pixels");
    writer.finish().expect("finishing a palette PNG");
    out
}

/// A real 64×64 PNG whose IHDR is rewritten (CRC and all) to claim
/// 100 000 × 100 000 px: 40 GB of RGBA if a decoder believed it.
fn png_bomb() -> Vec<u8> {
    let mut png = pixels::encode(0xB0_4B, 64, 64, Format::Png);
    assert_eq!(&png[12..16], b"IHDR");
    png[16..20].copy_from_slice(&100_000u32.to_be_bytes());
    png[20..24].copy_from_slice(&100_000u32.to_be_bytes());
    let crc = crc32(&png[12..29]);
    png[29..33].copy_from_slice(&crc.to_be_bytes());
    png
}

/// A 64×64 GIF of `frames` frames: a full first frame, then 1×1 frames that
/// each change one pixel, 10 ms apart.
fn gif_frames(frames: u32) -> Vec<u8> {
    let palette: Vec<u8> = (0..=255u8).flat_map(|i| [i, 255 - i, i / 2]).collect();
    let mut out = Vec::new();
    {
        let mut e = gif::Encoder::new(&mut out, 64, 64, &palette).expect("a GIF header");
        e.set_repeat(gif::Repeat::Infinite).expect("a GIF loop");
        let first: Vec<u8> = (0..64 * 64).map(|i| ((i % 64) * 4) as u8).collect();
        let mut f = gif::Frame::from_indexed_pixels(64, 64, first, None);
        f.delay = 1;
        e.write_frame(&f).expect("the first GIF frame");
        for n in 1..frames {
            let mut f = gif::Frame::from_indexed_pixels(1, 1, vec![(n % 256) as u8], None);
            f.left = (n % 64) as u16;
            f.top = ((n / 64) % 64) as u16;
            f.delay = 1;
            e.write_frame(&f).expect("a GIF frame");
        }
    }
    out
}

/// The chunks of a RIFF/WebP file after its 12-byte header.
fn webp_chunks(file: &[u8]) -> &[u8] {
    assert!(file.len() > 12 && &file[..4] == b"RIFF" && &file[8..12] == b"WEBP");
    &file[12..]
}

fn u24(n: u32) -> [u8; 3] {
    let b = n.to_le_bytes();
    [b[0], b[1], b[2]]
}

fn riff_chunk(fourcc: &[u8; 4], payload: &[u8]) -> Vec<u8> {
    let mut c = fourcc.to_vec();
    c.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    c.extend_from_slice(payload);
    if payload.len() % 2 == 1 {
        c.push(0);
    }
    c
}

/// An animated WebP (VP8X + ANIM + three ANMF frames), each frame a lossless
/// VP8L bitstream from the `image` crate's encoder.
fn animated_webp() -> Vec<u8> {
    let (w, h) = (96u32, 64u32);
    let mut body = Vec::new();
    let mut vp8x = vec![0x02, 0, 0, 0]; // flags: animation
    vp8x.extend_from_slice(&u24(w - 1));
    vp8x.extend_from_slice(&u24(h - 1));
    body.extend(riff_chunk(b"VP8X", &vp8x));
    body.extend(riff_chunk(b"ANIM", &[255, 255, 255, 255, 0, 0]));
    for n in 0..3u64 {
        let rgb = pixels::render(0xA1_0000 + n, w, h);
        let mut frame = Vec::new();
        WebPEncoder::new_lossless(&mut frame)
            .write_image(&rgb, w, h, ExtendedColorType::Rgb8)
            .expect("encoding a WebP frame");
        let mut anmf = Vec::new();
        anmf.extend_from_slice(&u24(0)); // x / 2
        anmf.extend_from_slice(&u24(0)); // y / 2
        anmf.extend_from_slice(&u24(w - 1));
        anmf.extend_from_slice(&u24(h - 1));
        anmf.extend_from_slice(&u24(200)); // ms
        anmf.push(0b10); // do not blend, do not dispose
        anmf.extend_from_slice(webp_chunks(&frame));
        body.extend(riff_chunk(b"ANMF", &anmf));
    }
    let mut out = b"RIFF".to_vec();
    out.extend_from_slice(&(body.len() as u32 + 4).to_le_bytes());
    out.extend_from_slice(b"WEBP");
    out.extend(body);
    out
}

/// A baseline little-endian TIFF: uncompressed RGB, one strip.
fn tiff(rgb: &[u8], w: u32, h: u32) -> Vec<u8> {
    const SHORT: u16 = 3;
    const LONG: u16 = 4;
    let entries: [(u16, u16, u32, u32); 10] = [
        (256, LONG, 1, w),         // ImageWidth
        (257, LONG, 1, h),         // ImageLength
        (258, SHORT, 3, 0),        // BitsPerSample -> offset, patched below
        (259, SHORT, 1, 1),        // Compression: none
        (262, SHORT, 1, 2),        // Photometric: RGB
        (273, LONG, 1, 0),         // StripOffsets -> patched below
        (277, SHORT, 1, 3),        // SamplesPerPixel
        (278, LONG, 1, h),         // RowsPerStrip
        (279, LONG, 1, w * h * 3), // StripByteCounts
        (284, SHORT, 1, 1),        // PlanarConfiguration: chunky
    ];
    let ifd_len = 2 + entries.len() * 12 + 4;
    let bits_at = 8 + ifd_len as u32;
    let strip_at = bits_at + 6;
    let mut out = b"II*\0".to_vec();
    out.extend_from_slice(&8u32.to_le_bytes());
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    for (tag, kind, count, value) in entries {
        let value = match tag {
            258 => bits_at,
            273 => strip_at,
            _ => value,
        };
        out.extend_from_slice(&tag.to_le_bytes());
        out.extend_from_slice(&kind.to_le_bytes());
        out.extend_from_slice(&count.to_le_bytes());
        if kind == SHORT && count == 1 {
            out.extend_from_slice(&(value as u16).to_le_bytes());
            out.extend_from_slice(&[0, 0]);
        } else {
            out.extend_from_slice(&value.to_le_bytes());
        }
    }
    out.extend_from_slice(&0u32.to_le_bytes());
    for _ in 0..3 {
        out.extend_from_slice(&8u16.to_le_bytes());
    }
    out.extend_from_slice(&rgb[..(w * h * 3) as usize]);
    out
}

/// A Windows bitmap: BITMAPINFOHEADER, 24 bits, bottom-up rows padded to 4 bytes.
fn bmp(rgb: &[u8], w: u32, h: u32) -> Vec<u8> {
    let row = (w * 3).div_ceil(4) * 4;
    let size = 54 + row * h;
    let mut out = b"BM".to_vec();
    for v in [size, 0, 54, 40, w, h] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(&1u16.to_le_bytes()); // planes
    out.extend_from_slice(&24u16.to_le_bytes()); // bits a pixel
    for v in [0, row * h, 2835, 2835, 0, 0] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    for y in (0..h).rev() {
        let start = out.len();
        for x in 0..w {
            let i = ((y * w + x) * 3) as usize;
            out.extend_from_slice(&[rgb[i + 2], rgb[i + 1], rgb[i]]);
        }
        out.resize(start + row as usize, 0);
    }
    out
}

/// An icon file holding one 32×32 PNG image (allowed since Windows Vista).
fn ico() -> Vec<u8> {
    let png = pixels::encode(0x01C0, 32, 32, Format::Png);
    let mut out = vec![0, 0, 1, 0, 1, 0]; // reserved, type icon, one image
    out.extend_from_slice(&[32, 32, 0, 0]); // width, height, colours, reserved
    out.extend_from_slice(&1u16.to_le_bytes()); // planes
    out.extend_from_slice(&32u16.to_le_bytes()); // bits a pixel
    out.extend_from_slice(&(png.len() as u32).to_le_bytes());
    out.extend_from_slice(&22u32.to_le_bytes());
    out.extend(png);
    out
}

/// CRC-32 as PNG chunks use it.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader};
    use std::io::Cursor;

    fn decode(bytes: &[u8], format: ImageFormat) -> image::ImageResult<DynamicImage> {
        ImageReader::with_format(Cursor::new(bytes), format).decode()
    }

    #[test]
    fn the_files_are_the_same_on_every_run() {
        let (a, b) = (make_all(), make_all());
        assert_eq!(a, b);
    }

    #[test]
    fn the_valid_files_decode_to_what_they_claim() {
        let f = make_all();
        let cmyk = decode(&f["cmyk.jpg"], ImageFormat::Jpeg).unwrap();
        assert_eq!((cmyk.width(), cmyk.height()), (128, 96));
        // The first band is cyan: little red, much green and blue.
        let p = cmyk.to_rgb8().get_pixel(4, 48).0;
        assert!(p[0] < 80 && p[1] > 150 && p[2] > 150, "{p:?}");
        let prog = decode(&f["progressive.jpg"], ImageFormat::Jpeg).unwrap();
        assert_eq!(prog.width(), 160);
        assert!(
            f["progressive.jpg"].windows(2).any(|m| m == [0xFF, 0xC2]),
            "SOF2"
        );
        let deep = decode(&f["16-bit.png"], ImageFormat::Png).unwrap();
        assert!(matches!(deep, DynamicImage::ImageRgb16(_)));
        let pal = decode(&f["palette-alpha.png"], ImageFormat::Png)
            .unwrap()
            .to_rgba8();
        assert_eq!(pal.get_pixel(0, 0).0[3], 0);
        assert_eq!(pal.get_pixel(20, 20).0, [200, 40, 40, 255]);
        assert_eq!(pal.get_pixel(20, 30).0[3], 128);
        for name in ["lossy.webp", "lossless.webp", "animated.webp"] {
            let img = decode(&f[name], ImageFormat::WebP).unwrap();
            assert!(img.width() > 0, "{name}");
        }
        assert!(f["lossy.webp"].windows(4).any(|c| c == b"VP8 "));
        let gif = decode(&f["frames-10000.gif"], ImageFormat::Gif).unwrap();
        assert_eq!((gif.width(), gif.height()), (64, 64));
    }

    #[test]
    fn the_animations_have_their_frames() {
        use image::AnimationDecoder;
        let f = make_all();
        let gif = image::codecs::gif::GifDecoder::new(Cursor::new(&f["frames-10000.gif"])).unwrap();
        assert_eq!(gif.into_frames().count(), 10_000);
        let webp = image::codecs::webp::WebPDecoder::new(Cursor::new(&f["animated.webp"])).unwrap();
        assert!(webp.has_animation());
        assert_eq!(webp.into_frames().count(), 3);
    }

    #[test]
    fn the_exif_image_is_upright_only_when_turned_as_its_tag_says() {
        let bytes = &make_all()["exif-orientation-6.jpg"];
        let mut decoder = ImageReader::with_format(Cursor::new(bytes), ImageFormat::Jpeg)
            .into_decoder()
            .unwrap();
        let orientation = decoder.orientation().unwrap();
        assert_eq!(orientation, image::metadata::Orientation::Rotate90);
        let mut img = DynamicImage::from_decoder(decoder).unwrap();
        img.apply_orientation(orientation);
        let rgb = img.to_rgb8();
        assert_eq!((rgb.width(), rgb.height()), (80, 120));
        let near = |p: [u8; 3], q: [u8; 3]| p.iter().zip(q).all(|(a, b)| a.abs_diff(b) < 40);
        assert!(near(rgb.get_pixel(5, 5).0, UPRIGHT_MARK));
        for (x, y) in [(75, 5), (5, 115), (75, 115)] {
            assert!(near(rgb.get_pixel(x, y).0, UPRIGHT_REST), "({x}, {y})");
        }
    }

    #[test]
    fn the_refused_formats_are_well_formed() {
        let f = make_all();
        let bmp = &f["image.bmp"];
        assert_eq!(
            u32::from_le_bytes(bmp[2..6].try_into().unwrap()) as usize,
            bmp.len()
        );
        let tiff = &f["image.tiff"];
        assert!(tiff.starts_with(b"II*\0"));
        assert_eq!(tiff.len(), 8 + 2 + 10 * 12 + 4 + 6 + 160 * 120 * 3);
        let ico = &f["icon.ico"];
        assert!(ico.starts_with(&[0, 0, 1, 0, 1, 0]));
        assert_eq!(&ico[22..26], b"\x89PNG");
        let bomb = &f["bomb.png"];
        assert_eq!(&bomb[16..20], &100_000u32.to_be_bytes());
        assert_eq!(&bomb[29..33], &crc32(&bomb[12..29]).to_be_bytes());
        assert!(f["empty.jpg"].is_empty());
    }
}
