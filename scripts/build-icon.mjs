// Draws build/icon.png (512x512 RGBA): a padlock on a rounded blue square. Run once and
// commit the result; electron-builder derives the .icns/.ico from it.
// Usage: node scripts/build-icon.mjs
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { deflateSync } from "node:zlib";

const SIZE = 512;

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

/** @param {Buffer} buf */
function crc32(buf) {
  let c = 0xffffffff;
  for (const byte of buf) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** @param {string} type @param {Buffer} data */
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** Coverage in [0,1] of a rounded rectangle at (x,y), with a 1-px soft edge. */
function roundedRect(x, y, left, top, right, bottom, radius) {
  const cx = Math.min(Math.max(x, left + radius), right - radius);
  const cy = Math.min(Math.max(y, top + radius), bottom - radius);
  const d = Math.hypot(x - cx, y - cy) - radius;
  return Math.min(1, Math.max(0, 0.5 - d));
}

/** Coverage of a ring (the shackle's upper half) centred at (cx,cy). */
function arc(x, y, cx, cy, outer, inner) {
  if (y > cy) return 0;
  const r = Math.hypot(x - cx, y - cy);
  return Math.min(1, Math.max(0, 0.5 - (r - outer))) * Math.min(1, Math.max(0, 0.5 + (r - inner)));
}

export function drawIcon() {
  const raw = Buffer.alloc((SIZE * 4 + 1) * SIZE);
  const background = [43, 108, 176];
  for (let y = 0; y < SIZE; y++) {
    const row = y * (SIZE * 4 + 1);
    raw[row] = 0; // filter: none
    for (let x = 0; x < SIZE; x++) {
      const px = x + 0.5;
      const py = y + 0.5;
      const tile = roundedRect(px, py, 16, 16, 496, 496, 96);
      const body = roundedRect(px, py, 136, 236, 376, 420, 28);
      const shackle =
        arc(px, py, 256, 236, 100, 64) +
        roundedRect(px, py, 156, 230, 192, 260, 2) +
        roundedRect(px, py, 320, 230, 356, 260, 2);
      const keyhole = Math.max(roundedRect(px, py, 240, 300, 272, 332, 16), roundedRect(px, py, 248, 316, 264, 372, 4));
      const white = Math.min(1, Math.max(body - keyhole, 0) + Math.min(1, shackle));
      const o = row + 1 + x * 4;
      for (let i = 0; i < 3; i++) raw[o + i] = Math.round(background[i] * (1 - white) + 255 * white);
      raw[o + 3] = Math.round(255 * tile);
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(SIZE, 0);
  header.writeUInt32BE(SIZE, 4);
  header[8] = 8; // bit depth
  header[9] = 6; // RGBA
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(raw, { level: 9 })),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

const out = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "build", "icon.png");
await writeFile(out, drawIcon());
console.log(`wrote ${path.relative(process.cwd(), out)}`);
