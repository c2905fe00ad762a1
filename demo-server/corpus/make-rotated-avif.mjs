// Makes demo-server/corpus/rotated.avif, a corpus file no encoder among the
// project's dependencies writes: a 120×80 picture whose top-right quarter
// is red and the rest blue, encoded by libavif's avifenc (Debian's
// libavif-bin) with `irot` 1, a quarter turn anticlockwise for viewing:
// upright it is 80×120 with its top-left quarter red, as the EXIF-rotated
// JPEG of the corpus is. Run once from the repository root:
//   node demo-server/corpus/make-rotated-avif.mjs
import { writeFileSync, mkdtempSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { deflateSync, crc32 } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [W, H] = [120, 80];
const rows = [];
for (let y = 0; y < H; y++) {
  const row = [0]; // filter: none
  for (let x = 0; x < W; x++) row.push(...(x >= W / 2 && y < H / 2 ? [230, 20, 20] : [20, 60, 220]));
  rows.push(...row);
}
const chunk = (type, data) => {
  const body = Buffer.concat([Buffer.from(type), data]);
  const out = Buffer.alloc(8 + data.length + 4);
  out.writeUInt32BE(data.length, 0);
  body.copy(out, 4);
  out.writeUInt32BE(crc32(body), 8 + data.length);
  return out;
};
const ihdr = Buffer.alloc(13);
ihdr.writeUInt32BE(W, 0);
ihdr.writeUInt32BE(H, 4);
ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
const png = Buffer.concat([
  Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.from(rows))), chunk('IEND', Buffer.alloc(0)),
]);
const dir = mkdtempSync(join(tmpdir(), 'avif-'));
writeFileSync(join(dir, 'in.png'), png);
execFileSync('avifenc', ['-s', '6', '--min', '10', '--max', '20', '--irot', '1', join(dir, 'in.png'), 'demo-server/corpus/rotated.avif'], { stdio: 'inherit' });
