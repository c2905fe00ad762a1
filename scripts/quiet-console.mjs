// Trunk hook (after csp.mjs, before sw-precache.mjs): what Trunk writes that
// makes the browser warn on every load, rewritten so the console stays
// clean:
// - the worker loader starts the wasm with `wasm_bindgen("./worker_bg.wasm")`,
//   a form wasm-bindgen 0.2.130 still takes but warns about ("using
//   deprecated parameters for the initialization function"): the object
//   form says the same;
// - the page's wasm preload link carries an `integrity` that Chromium
//   ignores for `as="fetch"` preloads, and says so: it goes (the module
//   preload and the scripts keep theirs).
//
// Usage: TRUNK_STAGING_DIR=dist node scripts/quiet-console.mjs   (Trunk sets it)
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.env.TRUNK_STAGING_DIR;
if (!dir) {
  console.error('quiet-console: TRUNK_STAGING_DIR is not set (Trunk sets it for its hooks).');
  process.exit(2);
}
const fail = (what) => {
  console.error(`quiet-console: ${what}; did Trunk change what it writes?`);
  process.exit(1);
};

const loader = join(dir, 'worker_loader.js');
const started = readFileSync(loader, 'utf8')
  .replace(/wasm_bindgen\(\s*("[^"]+")\s*\)/, 'wasm_bindgen({ module_or_path: $1 })');
if (!started.includes('module_or_path')) fail(`${loader} does not start the worker as expected`);
writeFileSync(loader, started);

const page = join(dir, 'index.html');
const html = readFileSync(page, 'utf8')
  .replace(/(<link rel="preload"[^>]*?)\s+integrity="[^"]*"([^>]*as="fetch")/, '$1$2');
if (/<link rel="preload"[^>]*integrity=[^>]*as="fetch"/.test(html)) fail(`${page}'s wasm preload kept its integrity`);
writeFileSync(page, html);
