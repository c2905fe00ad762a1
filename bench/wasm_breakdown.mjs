// What a wasm binary's code is made of: the bytes of each function body,
// summed by the crate its (demangled) name starts with, from the binary's
// `name` section. `make bench` runs it on cargo's release build of the page
// (before wasm-bindgen and wasm-opt, which drop the names), so the shares are
// those of the code that ships, give or take what wasm-opt removes.
//
//   node bench/wasm_breakdown.mjs FILE.wasm   prints the breakdown as JSON
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

function reader(bytes) {
  let at = 0;
  const r = {
    get at() { return at; },
    set at(v) { at = v; },
    byte: () => bytes[at++],
    u32() {
      let result = 0;
      let shift = 0;
      for (;;) {
        const b = bytes[at++];
        result += (b & 0x7f) * 2 ** shift;
        if ((b & 0x80) === 0) return result;
        shift += 7;
      }
    },
    name() {
      const len = r.u32();
      const s = Buffer.from(bytes.subarray(at, at + len)).toString('utf8');
      at += len;
      return s;
    },
    limits() {
      const flags = r.byte();
      r.u32();
      if (flags & 1) r.u32();
    },
  };
  return r;
}

/**
 * The crate a Rust symbol belongs to: the first path segment of its legacy
 * mangled name (`_ZN6leptos5mount…` → leptos; `_ZN…_$LT$alloc..vec..Vec$LT$T$GT$$u20$as…`
 * → alloc, the crate of the type an impl is for, or of the trait when the
 * type is generic or built in), or of a demangled one.
 */
export function crateOf(name) {
  // v0 mangling (the standard library is built with it): the first crate root, `Cs<hash>_<len><name>`.
  const v0 = name.startsWith('_R') && name.match(/C(?:s[0-9A-Za-z]*_)?(\d+)([A-Za-z_][A-Za-z0-9_]*)/);
  if (v0) return v0[2].slice(0, Number(v0[1]));
  const mangled = name.match(/^_ZN(\d+)(.*)$/);
  let path = name;
  if (mangled) {
    path = mangled[2].slice(0, Number(mangled[1]))
      .replace(/^_/, '').replace(/\$LT\$|\$RF\$|\$BP\$|\$u5b\$|\$u20\$|mut\$u20\$|dyn\$u20\$/g, ' ').trim();
    path = path.replace(/\.\./g, '::');
    if (!path.includes('::')) path = `${path}::`;
  }
  // `<T as trait>`: the type's crate, or the trait's when the type is
  // generic or built in (T, F, str, u8).
  for (const part of path.split(/\s+as\s+/)) {
    const m = part.replace(/^[<&*\s]+|^(dyn|impl|mut|const)\s+/g, '').match(/^([A-Za-z_][A-Za-z0-9_]*)::/);
    if (m) return m[1];
  }
  return '(no crate: runtime, glue)';
}

/** `{ total_code_bytes, data_bytes, functions, by_crate: [{crate, bytes, share}] }` */
export function breakdown(file) {
  const bytes = readFileSync(file);
  if (bytes.readUInt32LE(0) !== 0x6d736100) throw new Error(`${file} is not a wasm binary`);
  const r = reader(bytes);
  r.at = 8;
  let imported = 0;
  const bodies = [];
  const names = new Map();
  let dataBytes = 0;
  while (r.at < bytes.length) {
    const id = r.byte();
    const size = r.u32();
    const end = r.at + size;
    if (id === 2) { // imports: count the imported functions (they come first in the index space)
      for (let n = r.u32(); n > 0; n--) {
        r.name(); r.name();
        const kind = r.byte();
        if (kind === 0) { r.u32(); imported++; } else if (kind === 1) { r.byte(); r.limits(); } else if (kind === 2) r.limits();
        else if (kind === 3) { r.byte(); r.byte(); } else if (kind === 4) { r.byte(); r.u32(); }
      }
    } else if (id === 10) {
      for (let n = r.u32(); n > 0; n--) {
        const len = r.u32();
        bodies.push(len);
        r.at += len;
      }
    } else if (id === 11) {
      dataBytes += size;
    } else if (id === 0 && r.name() === 'name') {
      while (r.at < end) {
        const sub = r.byte();
        const subSize = r.u32();
        const subEnd = r.at + subSize;
        if (sub === 1) for (let n = r.u32(); n > 0; n--) names.set(r.u32(), r.name());
        r.at = subEnd;
      }
    }
    r.at = end;
  }
  if (names.size === 0) throw new Error(`${file} has no function names (a name section)`);
  const by = new Map();
  bodies.forEach((len, i) => {
    const name = names.get(imported + i) ?? '';
    // wasm-bindgen reads these at build time and removes them.
    if (name.startsWith('__wbindgen_describe')) { bodies[i] = 0; return; }
    const crate = crateOf(name);
    by.set(crate, (by.get(crate) ?? 0) + len);
  });
  const total = bodies.reduce((a, b) => a + b, 0);
  return {
    total_code_bytes: total,
    data_bytes: dataBytes,
    functions: bodies.length,
    by_crate: [...by.entries()].sort((a, b) => b[1] - a[1])
      .map(([crate, b]) => ({ crate, bytes: b, share_pct: Math.round((1000 * b) / total) / 10 })),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(breakdown(process.argv[2]), null, 2));
}
