import { deflateSync } from "node:zlib";

/**
 * Builds a valid PNG (8-bit RGBA, no interlace) in memory, so the upload test needs no fixture
 * file. Each pixel's colour comes from `colour(x, y)` as [r, g, b, a].
 */
export function createPng(
  width: number,
  height: number,
  colour: (x: number, y: number) => [number, number, number, number],
): Buffer {
  // Every scanline starts with its filter type; 0 = none.
  const raw = Buffer.alloc((width * 4 + 1) * height);
  for (let y = 0; y < height; y++) {
    const rowStart = y * (width * 4 + 1);
    for (let x = 0; x < width; x++) raw.set(colour(x, y), rowStart + 1 + x * 4);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 6, 0, 0, 0], 8); // bit depth 8, colour type 6 (RGBA), compression, filter, interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(raw)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length, 0);
  const typeAndData = Buffer.concat([Buffer.from(type, "latin1"), data]);
  const checksum = Buffer.alloc(4);
  checksum.writeUInt32BE(crc32(typeAndData), 0);
  return Buffer.concat([length, typeAndData, checksum]);
}

/**
 * CRC-32 (the PNG / zlib polynomial 0xEDB88320), bit by bit: zlib.crc32 exists only from
 * Node 20.15 and the repository supports 20.11.
 */
function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}
