// Writes the page's Content-Security-Policy into index.html: a Trunk
// post_build hook (Trunk.toml) that runs over the staging folder once
// index.html is written, before the service worker's file list is made.
//
// Trunk starts the app with an inline module script. Rather than allow
// inline scripts, the policy names that one script by its SHA-256, so any
// other inline script (or event handler attribute) is refused. The policy:
//   scripts from self and 'wasm-unsafe-eval' (to compile the page's wasm),
//   plus the one inline script Trunk wrote; style sheets from self, and
//   style attributes (plotters styles the span it measures chart text in);
//   images from self, blob: and
//   data:; connections to http(s) only; workers and the manifest from self;
//   no plugins (object-src 'none'); base-uri and form-action self.
// A <meta> policy cannot say frame-ancestors; a host that can send headers
// should add `frame-ancestors 'none'` (README).
//
// Usage: TRUNK_STAGING_DIR=dist node scripts/csp.mjs   (Trunk sets it)
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.env.TRUNK_STAGING_DIR;
if (!dir) {
  console.error('csp: TRUNK_STAGING_DIR is not set (Trunk sets it for its hooks).');
  process.exit(2);
}
const path = join(dir, 'index.html');
let html = readFileSync(path, 'utf8');
html = html.replace(/\s*<meta http-equiv="Content-Security-Policy"[^>]*>/, ''); // idempotent

const inline = [...html.matchAll(/<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/g)].map((m) => m[1]);
if (inline.length === 0) {
  console.error('csp: index.html has no inline script; did Trunk change how it starts the app?');
  process.exit(1);
}
const hashes = inline.map((text) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`);
const policy = [
  "default-src 'self'",
  `script-src 'self' 'wasm-unsafe-eval' ${hashes.join(' ')}`,
  "style-src 'self'",
  // plotters measures chart text in a <span> it styles with a style
  // attribute; style attributes (never style elements, never scripts) are allowed.
  "style-src-attr 'unsafe-inline'",
  "img-src 'self' blob: data:",
  "connect-src 'self' http: https:",
  "worker-src 'self'",
  "manifest-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
].join('; ');
const meta = `<meta http-equiv="Content-Security-Policy" content="${policy}" />`;
if (!/<meta charset="utf-8" \/>/.test(html)) {
  console.error('csp: index.html has no <meta charset="utf-8" /> to put the policy after.');
  process.exit(1);
}
html = html.replace('<meta charset="utf-8" />', `<meta charset="utf-8" />\n  ${meta}`);
writeFileSync(path, html);
console.log(`csp: policy written (${inline.length} inline script${inline.length === 1 ? '' : 's'} allowed by hash)`);
