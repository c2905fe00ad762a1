//! Makes the pixels of one library image and encodes them as a real file.
//!
//! The pictures are meant to look (and compress) like photographs rather than
//! test cards: a sky and a ground gradient meeting at a horizon, a vignette,
//! three octaves of smooth value noise (clouds, hills, foliage), a few soft
//! shapes, and a fine grain. The smooth part is worked out on a coarse grid
//! and interpolated; everything is per-row and per-column arithmetic with
//! precomputed tables, so a 4000 × 3000 picture renders in about a tenth of
//! a second, and everything follows from one seed.

use std::borrow::Cow;

use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::codecs::webp::WebPEncoder;
use image::{ExtendedColorType, ImageEncoder};

use crate::library::Format;
use crate::rng::Rng;

/// JPEG quality of the library's JPEG files, as a typical camera export.
pub const JPEG_QUALITY: u8 = 85;

/// Renders and encodes one picture. The same arguments give the same bytes.
pub fn encode(seed: u64, width: u32, height: u32, format: Format) -> Vec<u8> {
    let rgb = render(seed, width, height);
    encode_rgb(&rgb, width, height, format)
}

/// Encodes packed RGB8 pixels in the given format.
pub fn encode_rgb(rgb: &[u8], width: u32, height: u32, format: Format) -> Vec<u8> {
    let mut out = Vec::with_capacity(rgb.len() / 6 + 1024);
    let result = match format {
        Format::Jpeg => {
            let encoder = jpeg_encoder::Encoder::new(&mut out, JPEG_QUALITY);
            encoder
                .encode(
                    rgb,
                    width as u16,
                    height as u16,
                    jpeg_encoder::ColorType::Rgb,
                )
                .map_err(|e| e.to_string())
        }
        Format::Png => {
            PngEncoder::new_with_quality(&mut out, CompressionType::Fast, FilterType::Adaptive)
                .write_image(rgb, width, height, ExtendedColorType::Rgb8)
                .map_err(|e| e.to_string())
        }
        Format::WebP => WebPEncoder::new_lossless(&mut out)
            .write_image(rgb, width, height, ExtendedColorType::Rgb8)
            .map_err(|e| e.to_string()),
        Format::Gif => encode_gif(&mut out, rgb, width, height).map_err(|e| e.to_string()),
    };
    // The encoders only fail on impossible sizes or I/O errors, and a Vec
    // cannot fail to grow; sizes are checked when the library is made.
    result.unwrap_or_else(|e| panic!("encoding a {width}x{height} {format:?} image failed: {e}"));
    out
}

/// Levels per channel of the GIF palette (6 × 7 × 6 = 252 colours).
const GIF_LEVELS: [u32; 3] = [6, 7, 6];

/// 4 × 4 Bayer matrix for ordered dithering.
const BAYER: [u32; 16] = [0, 8, 2, 10, 12, 4, 14, 6, 3, 11, 1, 9, 15, 7, 13, 5];

/// Encodes a GIF with a fixed colour-cube palette and ordered dithering: much
/// faster than a learned palette, and it looks like a GIF of a photo should.
fn encode_gif(
    out: &mut Vec<u8>,
    rgb: &[u8],
    width: u32,
    height: u32,
) -> Result<(), gif::EncodingError> {
    let [lr, lg, lb] = GIF_LEVELS;
    let mut palette = Vec::with_capacity(256 * 3);
    for r in 0..lr {
        for g in 0..lg {
            for b in 0..lb {
                palette.push((r * 255 / (lr - 1)) as u8);
                palette.push((g * 255 / (lg - 1)) as u8);
                palette.push((b * 255 / (lb - 1)) as u8);
            }
        }
    }
    // table[channel][bayer][value] = the channel's level, already scaled by
    // its stride in the palette index.
    let strides = [lg * lb, lb, 1];
    let mut table = vec![0u8; 3 * 16 * 256];
    for c in 0..3 {
        for (k, b) in BAYER.iter().enumerate() {
            for v in 0..256u32 {
                let levels = GIF_LEVELS[c] - 1;
                // Threshold in (0, 1), then the level, rounded with dither.
                let t = (*b as f32 + 0.5) / 16.0;
                let level = ((v as f32 * levels as f32 / 255.0) + t - 0.5).round();
                let level = level.clamp(0.0, levels as f32) as u32;
                table[(c * 16 + k) * 256 + v as usize] = (level * strides[c]) as u8;
            }
        }
    }
    let w = width as usize;
    let mut indices = Vec::with_capacity(w * height as usize);
    for (y, row) in rgb.chunks_exact(w * 3).enumerate() {
        for (x, p) in row.chunks_exact(3).enumerate() {
            let k = (y & 3) * 4 + (x & 3);
            let r = table[k * 256 + p[0] as usize];
            let g = table[(16 + k) * 256 + p[1] as usize];
            let b = table[(32 + k) * 256 + p[2] as usize];
            indices.push(r + g + b);
        }
    }
    let mut encoder = gif::Encoder::new(out, width as u16, height as u16, &palette)?;
    let frame = gif::Frame {
        width: width as u16,
        height: height as u16,
        buffer: Cow::Owned(indices),
        ..gif::Frame::default()
    };
    encoder.write_frame(&frame)
}

/// A colour from hue (turns), saturation and value, as 0..255 floats.
fn hsv(h: f64, s: f64, v: f64) -> [f32; 3] {
    let h = h.rem_euclid(1.0) * 6.0;
    let i = h.floor();
    let f = h - i;
    let p = v * (1.0 - s);
    let q = v * (1.0 - s * f);
    let t = v * (1.0 - s * (1.0 - f));
    let (r, g, b) = match i as u32 {
        0 => (v, t, p),
        1 => (q, v, p),
        2 => (p, v, t),
        3 => (p, q, v),
        4 => (t, p, v),
        _ => (v, p, q),
    };
    [(r * 255.0) as f32, (g * 255.0) as f32, (b * 255.0) as f32]
}

fn lerp3(a: [f32; 3], b: [f32; 3], t: f32) -> [f32; 3] {
    [
        a[0] + (b[0] - a[0]) * t,
        a[1] + (b[1] - a[1]) * t,
        a[2] + (b[2] - a[2]) * t,
    ]
}

/// One octave of smooth value noise: a grid of random values, interpolated
/// with a smoothstep. Columns are precomputed; rows are interpolated once.
struct Octave {
    grid_w: usize,
    values: Vec<f32>,
    cell: f32,
    amplitude: f32,
    /// Per pixel column: grid column and smoothed fraction.
    cols: Vec<(u32, f32)>,
    /// The current row, interpolated vertically.
    row: Vec<f32>,
}

impl Octave {
    fn new(rng: &mut Rng, width: u32, height: u32, cell: f32, amplitude: f32) -> Self {
        let cell = cell.max(2.0);
        let grid_w = (width as f32 / cell) as usize + 2;
        let grid_h = (height as f32 / cell) as usize + 2;
        let values = (0..grid_w * grid_h)
            .map(|_| (rng.unit() * 2.0 - 1.0) as f32)
            .collect();
        let cols = (0..width)
            .map(|x| {
                let gx = x as f32 / cell;
                let i = gx.floor();
                let f = gx - i;
                (i as u32, f * f * (3.0 - 2.0 * f))
            })
            .collect();
        Octave {
            grid_w,
            values,
            cell,
            amplitude,
            cols,
            row: vec![0.0; grid_w],
        }
    }

    fn prepare_row(&mut self, y: u32) {
        let gy = y as f32 / self.cell;
        let j = gy.floor() as usize;
        let f = gy - j as f32;
        let f = f * f * (3.0 - 2.0 * f);
        let top = &self.values[j * self.grid_w..(j + 1) * self.grid_w];
        let bottom = &self.values[(j + 1) * self.grid_w..(j + 2) * self.grid_w];
        for ((r, a), b) in self.row.iter_mut().zip(top).zip(bottom) {
            *r = (a + (b - a) * f) * self.amplitude;
        }
    }

    #[inline]
    fn at(&self, x: usize) -> f32 {
        let (i, f) = self.cols[x];
        let a = self.row[i as usize];
        let b = self.row[i as usize + 1];
        a + (b - a) * f
    }
}

/// A soft-edged ellipse of colour.
struct Shape {
    cx: f32,
    cy: f32,
    rx: f32,
    ry: f32,
    color: [f32; 3],
    opacity: f32,
    /// 1 / width of the soft edge, in units of the squared radius.
    sharpness: f32,
}

/// Side, in pixels, of the cells over which the smooth part of a picture
/// (gradients, large noise, shapes, vignette) is interpolated: it is worked
/// out on a grid a sixteenth the size, and only the fine texture and grain
/// per pixel. This makes rendering about three times faster, and nothing
/// smooth changes visibly over four pixels.
const STEP: usize = 4;

/// Renders packed RGB8 pixels of a photo-like picture.
pub fn render(seed: u64, width: u32, height: u32) -> Vec<u8> {
    let (w, h) = (width as usize, height as usize);
    let long = width.max(height) as f32;
    let mut rng = Rng::new(seed);

    let sky_hue = rng.range_f(0.45, 0.7);
    let ground_hue = rng.range_f(-0.1, 0.4);
    let sky_top = hsv(sky_hue, rng.range_f(0.3, 0.8), rng.range_f(0.35, 0.8));
    let sky_bottom = hsv(sky_hue + 0.05, rng.range_f(0.1, 0.4), rng.range_f(0.7, 1.0));
    let ground_top = hsv(ground_hue, rng.range_f(0.3, 0.8), rng.range_f(0.3, 0.8));
    let ground_bottom = hsv(
        ground_hue + 0.03,
        rng.range_f(0.4, 0.9),
        rng.range_f(0.1, 0.5),
    );
    let horizon = (height as f64 * rng.range_f(0.3, 0.75)) as f32;
    let vignette = rng.range_f(0.15, 0.45) as f32;

    // The smooth grid: point (i, j) is pixel (i * STEP, j * STEP), and one
    // more point past each edge so every pixel lies between two.
    let (gw, gh) = ((w - 1) / STEP + 2, (h - 1) / STEP + 2);
    let step = STEP as f32;
    let mut coarse = Octave::new(&mut rng, gw as u32, gh as u32, long / 5.0 / step, 30.0);
    let mut tint = Octave::new(&mut rng, gw as u32, gh as u32, long / 3.0 / step, 18.0);
    let mut medium = Octave::new(&mut rng, gw as u32, gh as u32, long / 30.0 / step, 14.0);
    let fine_cell = rng.range_f(3.0, 9.0) as f32;
    let fine_amp = rng.range_f(8.0, 16.0) as f32;
    let mut fine = Octave::new(&mut rng, width, height, fine_cell, fine_amp);
    let grain = rng.range_f(4.0, 8.0) as f32;

    let shapes: Vec<Shape> = (0..rng.range_u(3, 8))
        .map(|_| {
            let r = long * rng.range_f(0.04, 0.3) as f32;
            Shape {
                cx: width as f32 * rng.unit() as f32,
                cy: height as f32 * rng.range_f(0.1, 1.0) as f32,
                rx: r * rng.range_f(0.6, 1.6) as f32,
                ry: r * rng.range_f(0.6, 1.6) as f32,
                color: hsv(rng.unit(), rng.range_f(0.2, 0.9), rng.range_f(0.2, 1.0)),
                opacity: rng.range_f(0.35, 0.9) as f32,
                sharpness: 1.0 / rng.range_f(0.15, 1.0) as f32,
            }
        })
        .collect();

    let col_vignette: Vec<f32> = (0..gw)
        .map(|i| {
            let d = ((i * STEP) as f32 + 0.5) / width as f32 * 2.0 - 1.0;
            1.0 - vignette * d * d
        })
        .collect();

    // One row of the smooth grid, at pixel row `y`.
    let mut smooth_row = |j: usize, row: &mut [[f32; 3]]| {
        let y = (j * STEP) as f32;
        let base = if y < horizon {
            lerp3(sky_top, sky_bottom, y / horizon.max(1.0))
        } else {
            lerp3(
                ground_top,
                ground_bottom,
                ((y - horizon) / (height as f32 - horizon).max(1.0)).min(1.0),
            )
        };
        coarse.prepare_row(j as u32);
        tint.prepare_row(j as u32);
        medium.prepare_row(j as u32);
        for (i, px) in row.iter_mut().enumerate() {
            let light = coarse.at(i) + medium.at(i);
            let t = tint.at(i);
            *px = [base[0] + light + t, base[1] + light, base[2] + light - t];
        }
        let yf = y + 0.5;
        for s in &shapes {
            let ny = (yf - s.cy) / s.ry;
            if ny.abs() >= 1.0 {
                continue;
            }
            let ny2 = ny * ny;
            let inv_rx = 1.0 / s.rx;
            for (i, px) in row.iter_mut().enumerate() {
                let nx = ((i * STEP) as f32 + 0.5 - s.cx) * inv_rx;
                let a = ((1.0 - nx * nx - ny2) * s.sharpness).clamp(0.0, 1.0) * s.opacity;
                if a > 0.0 {
                    *px = lerp3(*px, s.color, a);
                }
            }
        }
        let dy = (y + 0.5) / height as f32 * 2.0 - 1.0;
        let row_vignette = 1.0 - vignette * dy * dy;
        for (px, cv) in row.iter_mut().zip(&col_vignette) {
            let v = row_vignette * cv;
            *px = [px[0] * v, px[1] * v, px[2] * v];
        }
    };

    let mut out = vec![0u8; w * h * 3];
    let mut above = vec![[0f32; 3]; gw];
    let mut below = vec![[0f32; 3]; gw];
    let mut between = vec![[0f32; 3]; gw];
    smooth_row(0, &mut above);
    smooth_row(1, &mut below);
    let mut j = 0;
    let mut noise_state = (seed as u32) | 1;
    for y in 0..h {
        if y / STEP != j {
            j = y / STEP;
            std::mem::swap(&mut above, &mut below);
            smooth_row(j + 1, &mut below);
        }
        let f = (y % STEP) as f32 / step;
        for ((m, a), b) in between.iter_mut().zip(&above).zip(&below) {
            *m = lerp3(*a, *b, f);
        }
        fine.prepare_row(y as u32);

        let out_row = &mut out[y * w * 3..(y + 1) * w * 3];
        for (x, o) in out_row.chunks_exact_mut(3).enumerate() {
            let i = x / STEP;
            let px = lerp3(between[i], between[i + 1], (x % STEP) as f32 / step);
            // xorshift32 grain, shared by the three channels (like sensor noise).
            noise_state ^= noise_state << 13;
            noise_state ^= noise_state >> 17;
            noise_state ^= noise_state << 5;
            let n = ((noise_state >> 24) as f32 / 255.0 - 0.5) * 2.0 * grain + fine.at(x);
            o[0] = (px[0] + n).clamp(0.0, 255.0) as u8;
            o[1] = (px[1] + n).clamp(0.0, 255.0) as u8;
            o[2] = (px[2] + n).clamp(0.0, 255.0) as u8;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[test]
    fn the_same_seed_renders_the_same_pixels() {
        assert_eq!(render(5, 120, 80), render(5, 120, 80));
        assert_ne!(render(5, 120, 80), render(6, 120, 80));
    }

    #[test]
    fn tiny_and_thin_pictures_render_without_panicking() {
        for (w, h) in [(1, 1), (1, 7), (9, 1), (2, 3)] {
            assert_eq!(render(1, w, h).len(), (w * h * 3) as usize);
        }
    }

    #[test]
    fn pictures_are_neither_flat_nor_pure_noise() {
        let px = render(11, 200, 150);
        let lum: Vec<f32> = px
            .chunks_exact(3)
            .map(|p| (p[0] as f32 + p[1] as f32 + p[2] as f32) / 3.0)
            .collect();
        let mean = lum.iter().sum::<f32>() / lum.len() as f32;
        let var = lum.iter().map(|l| (l - mean).powi(2)).sum::<f32>() / lum.len() as f32;
        assert!(var > 50.0, "the picture is almost flat (variance {var})");
        // Neighbours are close: most of the variation is smooth.
        let diff = lum.windows(2).map(|w| (w[0] - w[1]).powi(2)).sum::<f32>() / lum.len() as f32;
        assert!(diff < var / 4.0, "neighbouring pixels differ like noise");
    }

    /// Prints how long rendering and encoding take (run with --ignored --nocapture).
    #[test]
    #[ignore]
    fn timing_of_large_pictures() {
        for (w, h) in [(4000, 3000), (2000, 1500), (1024, 768)] {
            let t = Instant::now();
            let rgb = render(42, w, h);
            let render_ms = t.elapsed().as_millis();
            for format in [Format::Jpeg, Format::Png, Format::WebP, Format::Gif] {
                let t = Instant::now();
                let bytes = encode_rgb(&rgb, w, h, format);
                println!(
                    "{w}x{h} render {render_ms} ms, {format:?} encode {} ms, {} KB",
                    t.elapsed().as_millis(),
                    bytes.len() / 1024
                );
            }
        }
        let sizes: Vec<usize> = (0..8)
            .map(|seed| encode(seed, 1024, 768, Format::Jpeg).len() / 1024)
            .collect();
        println!("1024x768 JPEG sizes over seeds, KB: {sizes:?}");
    }
}
