// The collector's service worker: keeps the app shell (the files of one
// build) so the page opens offline, and nothing else.
//
// - Precache: the files of this build, listed by scripts/sw-precache.mjs (a
//   Trunk post_build hook) on the BUILD line below, each with its SRI hash so
//   a half-deployed site cannot mix two builds. Never edit that line by hand.
// - Cache name `collector-shell-<version>`, version = hash of the names and
//   contents; on activate the older `collector-shell-*` caches are deleted,
//   and no other cache: the originals (`collector-originals-v1`) are the
//   app's own business.
// - Serves: a navigation to the scope (or index.html) → the cached
//   index.html, and the build's own files from the cache (a HEAD request
//   too: the performance panel reads the code sizes so). Everything else
//   (image bytes, provider and API requests, any other origin) is not
//   answered here: it goes to the network as if there were no worker.
// - Adds `Cross-Origin-Opener-Policy: same-origin` and
//   `Cross-Origin-Embedder-Policy: credentialless` to what it serves, so the
//   page is cross-origin isolated on hosts that cannot send headers.
// - A new build waits until the page says `skip-waiting` (the "Reload to
//   update" button).
'use strict';

const BUILD = { version: 'unbuilt', files: [] };

const PREFIX = 'collector-shell-';
const CACHE = PREFIX + BUILD.version;
const scope = new URL(self.registration.scope);
const INDEX = new URL('index.html', scope).href;
const SHELL = new Set(BUILD.files.map((f) => new URL(f.path, scope).href));

self.addEventListener('install', (event) => {
  event.waitUntil(precache());
});

async function precache() {
  if (BUILD.files.length === 0) throw new Error('sw.js was not filled in by the build (scripts/sw-precache.mjs)');
  const cache = await caches.open(CACHE);
  await Promise.all(BUILD.files.map(async (f) => {
    const url = new URL(f.path, scope).href;
    // `reload`: past the HTTP cache; `integrity`: exactly this build's bytes.
    const response = await fetch(new Request(url, { cache: 'reload', integrity: f.integrity }));
    if (!response.ok) throw new Error(`${url} answered ${response.status}`);
    await cache.put(url, response);
  }));
}

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith(PREFIX) && name !== CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

self.addEventListener('message', (event) => {
  if (event.data && event.data.type === 'skip-waiting') self.skipWaiting();
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET' && request.method !== 'HEAD') return;
  const url = new URL(request.url);
  if (url.origin !== scope.origin) return;
  const path = url.origin + url.pathname;
  let key;
  if (request.mode === 'navigate') {
    if (path !== scope.href && path !== INDEX) return;
    key = INDEX;
  } else if (SHELL.has(path)) {
    key = path;
  } else {
    return;
  }
  event.respondWith(fromShell(key, request));
});

async function fromShell(key, request) {
  const cache = await caches.open(CACHE);
  const response = (await cache.match(key)) ?? (await fetch(request));
  return isolated(response, request.method === 'HEAD');
}

// A copy of `response` with the cross-origin isolation headers (a new
// Response also drops a `redirected` flag a navigation would refuse).
function isolated(response, headOnly) {
  if (response.type === 'opaqueredirect' || response.status === 0) return response;
  const headers = new Headers(response.headers);
  headers.set('Cross-Origin-Opener-Policy', 'same-origin');
  headers.set('Cross-Origin-Embedder-Policy', 'credentialless');
  return new Response(headOnly ? null : response.body, { status: response.status, statusText: response.statusText, headers });
}
