// Fills in the service worker's precache list: a Trunk post_build hook
// (Trunk.toml) that runs over the staging folder once index.html is written.
//
// Lists every file Trunk put there (index.html, the hashed page JS, wasm and
// CSS, the worker's files, the manifest and icons), except sw.js itself, each
// with its SRI hash (sha384), and a version: a hash of the names AND the
// contents, since the worker's files and index.html keep their names from one
// build to the next. Writes both on sw.js's `const BUILD = ...;` line; running
// it again over the same folder gives the same line (idempotent).
//
// Usage: TRUNK_STAGING_DIR=dist node scripts/sw-precache.mjs   (Trunk sets it)
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

const dir = process.env.TRUNK_STAGING_DIR;
if (!dir) {
  console.error('sw-precache: TRUNK_STAGING_DIR is not set (Trunk sets it for its hooks).');
  process.exit(2);
}
const swPath = join(dir, 'sw.js');

function walk(folder) {
  return readdirSync(folder, { withFileTypes: true }).flatMap((e) => {
    if (e.name.startsWith('.')) return [];
    const full = join(folder, e.name);
    return e.isDirectory() ? walk(full) : [full];
  });
}

const files = walk(dir)
  .map((full) => relative(dir, full).split(sep).join('/'))
  .filter((path) => path !== 'sw.js')
  .sort()
  .map((path) => {
    const bytes = readFileSync(join(dir, path));
    return { path, integrity: `sha384-${createHash('sha384').update(bytes).digest('base64')}` };
  });
if (!files.some((f) => f.path === 'index.html')) {
  console.error(`sw-precache: ${dir} has no index.html; is this Trunk's staging folder?`);
  process.exit(1);
}
const version = createHash('sha256')
  .update(files.map((f) => `${f.path} ${f.integrity}`).join('\n'))
  .digest('hex')
  .slice(0, 16);

let sw;
try {
  sw = readFileSync(swPath, 'utf8');
} catch (e) {
  console.error(`sw-precache: ${swPath} cannot be read (${e.code}); index.html must copy pwa/sw.js.`);
  process.exit(1);
}
const line = /^const BUILD = .*;$/m;
if (!line.test(sw)) {
  console.error(`sw-precache: ${swPath} has no "const BUILD = ...;" line to fill in.`);
  process.exit(1);
}
writeFileSync(swPath, sw.replace(line, () => `const BUILD = ${JSON.stringify({ version, files })};`));
console.log(`sw-precache: ${files.length} files, version ${version}`);
