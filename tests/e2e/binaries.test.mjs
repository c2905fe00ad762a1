// The page binary carries no image decoder: decoding belongs to the worker.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';

const dist = new URL('../../dist/', import.meta.url).pathname;

test('the decoders are in the worker wasm and not in the page wasm', () => {
  const files = readdirSync(dist);
  const pageWasm = files.find((f) => f.startsWith('app') && f.endsWith('_bg.wasm'));
  assert.ok(pageWasm, `a page wasm in dist/ (${files.join(', ')})`);
  assert.ok(files.includes('worker_bg.wasm'), 'the worker wasm is in dist/');
  const page = readFileSync(dist + pageWasm).toString('latin1');
  const worker = readFileSync(dist + 'worker_bg.wasm').toString('latin1');
  for (const marker of ['zune_jpeg', 'make_thumbnail', 'image::codecs']) {
    assert.ok(worker.includes(marker), `the worker has ${marker}`);
    assert.ok(!page.includes(marker), `the page has no ${marker}`);
  }
});
