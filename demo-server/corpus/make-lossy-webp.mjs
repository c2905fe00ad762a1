// Makes demo-server/corpus/lossy.webp, the one corpus file the Rust side cannot
// write (the `image` crate encodes lossless WebP only): Chromium's own encoder,
// canvas.toBlob('image/webp', 0.8), on a 96×64 drawing of bands and a disc.
// Run once from the repository root: node demo-server/corpus/make-lossy-webp.mjs
import { writeFileSync } from 'node:fs';
import { chromium } from 'playwright-core';

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium', headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const page = await browser.newPage();
const b64 = await page.evaluate(async () => {
  const c = new OffscreenCanvas(96, 64);
  const g = c.getContext('2d');
  for (let x = 0; x < 96; x += 12) {
    g.fillStyle = `hsl(${x * 3.75}, 70%, 50%)`;
    g.fillRect(x, 0, 12, 64);
  }
  g.fillStyle = '#f5f0e0';
  g.beginPath();
  g.arc(48, 32, 18, 0, Math.PI * 2);
  g.fill();
  const blob = await c.convertToBlob({ type: 'image/webp', quality: 0.8 });
  const bytes = new Uint8Array(await blob.arrayBuffer());
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
});
await browser.close();
const out = Buffer.from(b64, 'base64');
// Chromium writes the extended form (VP8X with its sRGB ICC profile) around a lossy VP8 chunk.
if (!out.includes(Buffer.from('VP8 '))) throw new Error('Chromium did not write a lossy (VP8) WebP');
writeFileSync(new URL('./lossy.webp', import.meta.url), out);
console.log(`wrote lossy.webp, ${out.length} bytes`);
