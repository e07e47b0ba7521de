// Minimal zip reader for PyTorch checkpoints: central directory only, entries read straight from
// file offsets (torch stores them uncompressed), zip64 aware so multi-GB checkpoints stream.
// Every offset and length is checked against the file before it is used, and a name that appears
// twice refuses the archive: Python's zipfile would read the last copy and torch's own reader may
// read another, so which tensors a user gets would depend on the tool.
import type { FileHandle } from 'node:fs/promises';
import { CheckpointFormatError, clip } from './checkpointError.js';

export interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflate. */
  method: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

/** A central directory larger than this is not a checkpoint's (vit_h's is about 60 KB). */
export const MAX_CENTRAL_DIRECTORY_BYTES = 64 * 1024 * 1024;

async function readAt(fh: FileHandle, pos: number, len: number): Promise<Buffer> {
  const buf = Buffer.alloc(len);
  let got = 0;
  while (got < len) {
    const { bytesRead } = await fh.read(buf, got, len - got, pos + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return got === len ? buf : buf.subarray(0, got);
}

export async function readExactly(fh: FileHandle, file: string, pos: number, len: number, what: string): Promise<Buffer> {
  if (!Number.isSafeInteger(pos) || !Number.isSafeInteger(len) || pos < 0 || len < 0) throw new CheckpointFormatError(file, `${what} lies at an impossible position (offset ${pos}, ${len} bytes): corrupt`);
  const buf = await readAt(fh, pos, len);
  if (buf.length !== len) throw new CheckpointFormatError(file, `file ends inside ${what} (wanted ${len} bytes at offset ${pos}, file is shorter): truncated`);
  return buf;
}

const EOCD_SIG = 0x06054b50;
const EOCD64_LOCATOR_SIG = 0x07064b50;
const EOCD64_SIG = 0x06064b50;
const CENTRAL_SIG = 0x02014b50;
const LOCAL_SIG = 0x04034b50;

/** A little-endian u64 as a number; values past 2^53 become Infinity, which every range check refuses. */
function u64(buf: Buffer, at: number): number {
  const v = buf.readBigUInt64LE(at);
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? Infinity : Number(v);
}

/** Reads the central directory. Throws CheckpointFormatError for non-zip, truncated or ambiguous files. */
export async function readZipDirectory(fh: FileHandle, file: string, fileSize: number): Promise<ZipEntry[]> {
  const tailLen = Math.min(fileSize, 65557);
  const tail = await readAt(fh, fileSize - tailLen, tailLen);
  let eocd = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === EOCD_SIG) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new CheckpointFormatError(file, 'no zip end-of-central-directory record: the file is truncated or is not a PyTorch (zip) checkpoint');
  let count = tail.readUInt16LE(eocd + 10);
  let cdSize = tail.readUInt32LE(eocd + 12);
  let cdOffset = tail.readUInt32LE(eocd + 16);
  const eocdPos = fileSize - tailLen + eocd;
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    if (eocdPos < 20) throw new CheckpointFormatError(file, 'zip64 end record locator is missing: corrupt zip');
    const loc = await readExactly(fh, file, eocdPos - 20, 20, 'the zip64 locator');
    if (loc.readUInt32LE(0) !== EOCD64_LOCATOR_SIG) throw new CheckpointFormatError(file, 'zip64 end record locator is missing: corrupt zip');
    const e64pos = u64(loc, 8);
    if (e64pos + 56 > fileSize) throw new CheckpointFormatError(file, `zip64 end record offset ${e64pos} lies beyond the end of the file: truncated or corrupt`);
    const e64 = await readExactly(fh, file, e64pos, 56, 'the zip64 end record');
    if (e64.readUInt32LE(0) !== EOCD64_SIG) throw new CheckpointFormatError(file, 'zip64 end record is corrupt');
    count = u64(e64, 32);
    cdSize = u64(e64, 40);
    cdOffset = u64(e64, 48);
  }
  if (cdOffset + cdSize > fileSize) throw new CheckpointFormatError(file, 'the zip central directory lies beyond the end of the file: truncated');
  if (cdSize > MAX_CENTRAL_DIRECTORY_BYTES) throw new CheckpointFormatError(file, `the zip central directory declares ${cdSize} bytes (limit ${MAX_CENTRAL_DIRECTORY_BYTES}): not a PyTorch checkpoint`);
  const cd = await readExactly(fh, file, cdOffset, cdSize, 'the zip central directory');
  const entries: ZipEntry[] = [];
  const seen = new Set<string>();
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 46 > cd.length || cd.readUInt32LE(p) !== CENTRAL_SIG) throw new CheckpointFormatError(file, `zip central directory entry ${i} is corrupt`);
    const method = cd.readUInt16LE(p + 10);
    let compressedSize = cd.readUInt32LE(p + 20);
    let size = cd.readUInt32LE(p + 24);
    const nameLen = cd.readUInt16LE(p + 28);
    const extraLen = cd.readUInt16LE(p + 30);
    const commentLen = cd.readUInt16LE(p + 32);
    let localHeaderOffset = cd.readUInt32LE(p + 42);
    const next = p + 46 + nameLen + extraLen + commentLen;
    if (next > cd.length) throw new CheckpointFormatError(file, `zip central directory entry ${i} runs past the directory's end (name ${nameLen}, extra ${extraLen}, comment ${commentLen} bytes): corrupt`);
    const name = cd.toString('utf8', p + 46, p + 46 + nameLen);
    // Extra fields: only zip64 (0x0001) matters, its 8-byte fields present for each 0xffffffff value
    // in the order size, compressed size, offset. Fields may fill all 65535 bytes.
    let e = p + 46 + nameLen;
    const eEnd = e + extraLen;
    while (e + 4 <= eEnd) {
      const id = cd.readUInt16LE(e);
      const len = cd.readUInt16LE(e + 2);
      const fieldEnd = e + 4 + len;
      if (fieldEnd > eEnd) throw new CheckpointFormatError(file, `zip entry '${clip(name)}' has an extra field of ${len} bytes running past its ${extraLen}-byte extra area: corrupt`);
      if (id === 0x0001) {
        let q = e + 4;
        const take = (): number => {
          if (q + 8 > fieldEnd) throw new CheckpointFormatError(file, `zip entry '${clip(name)}' has a zip64 field too short for its sizes: corrupt`);
          q += 8;
          return u64(cd, q - 8);
        };
        if (size === 0xffffffff) size = take();
        if (compressedSize === 0xffffffff) compressedSize = take();
        if (localHeaderOffset === 0xffffffff) localHeaderOffset = take();
      }
      e = fieldEnd;
    }
    if (seen.has(name)) throw new CheckpointFormatError(file, `zip entry '${clip(name)}' appears twice: ambiguous (Python's zipfile reads the last copy, other readers the first), so the archive is refused`);
    seen.add(name);
    entries.push({ name, method, compressedSize, size, localHeaderOffset });
    p = next;
  }
  return entries;
}

/** File offset of an entry's data (after its local header); checks it is stored and inside the file. */
export async function entryDataOffset(fh: FileHandle, file: string, fileSize: number, entry: ZipEntry): Promise<number> {
  if (entry.method !== 0) throw new CheckpointFormatError(file, `zip entry '${entry.name}' is compressed (method ${entry.method}); PyTorch checkpoints store tensors uncompressed — re-save it with torch.save`);
  if (entry.compressedSize !== entry.size) throw new CheckpointFormatError(file, `zip entry '${entry.name}' is stored but its sizes disagree (${entry.compressedSize} vs ${entry.size}): corrupt`);
  if (entry.localHeaderOffset + 30 > fileSize) throw new CheckpointFormatError(file, `zip entry '${entry.name}' starts beyond the end of the file: truncated`);
  const lh = await readExactly(fh, file, entry.localHeaderOffset, 30, `the local header of '${entry.name}'`);
  if (lh.readUInt32LE(0) !== LOCAL_SIG) throw new CheckpointFormatError(file, `zip local header of '${entry.name}' is corrupt`);
  const start = entry.localHeaderOffset + 30 + lh.readUInt16LE(26) + lh.readUInt16LE(28);
  if (start + entry.size > fileSize) throw new CheckpointFormatError(file, `zip entry '${entry.name}' extends beyond the end of the file: truncated`);
  return start;
}
