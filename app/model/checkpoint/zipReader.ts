// Minimal zip reader for PyTorch checkpoints: central directory only, entries read straight from
// file offsets (torch stores them uncompressed), zip64 aware so multi-GB checkpoints stream.
import type { FileHandle } from 'node:fs/promises';

export interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflate. */
  method: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

export class CheckpointFormatError extends Error {
  constructor(file: string, problem: string) {
    super(`${file}: ${problem}`);
    this.name = 'CheckpointFormatError';
  }
}

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
  const buf = await readAt(fh, pos, len);
  if (buf.length !== len) throw new CheckpointFormatError(file, `file ends inside ${what} (wanted ${len} bytes at offset ${pos}, file is shorter): truncated`);
  return buf;
}

const EOCD_SIG = 0x06054b50;
const EOCD64_LOCATOR_SIG = 0x07064b50;
const EOCD64_SIG = 0x06064b50;
const CENTRAL_SIG = 0x02014b50;
const LOCAL_SIG = 0x04034b50;

/** Reads the central directory. Throws CheckpointFormatError for non-zip or truncated files. */
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
    const loc = await readExactly(fh, file, eocdPos - 20, 20, 'the zip64 locator');
    if (loc.readUInt32LE(0) !== EOCD64_LOCATOR_SIG) throw new CheckpointFormatError(file, 'zip64 end record locator is missing: corrupt zip');
    const e64pos = Number(loc.readBigUInt64LE(8));
    const e64 = await readExactly(fh, file, e64pos, 56, 'the zip64 end record');
    if (e64.readUInt32LE(0) !== EOCD64_SIG) throw new CheckpointFormatError(file, 'zip64 end record is corrupt');
    count = Number(e64.readBigUInt64LE(32));
    cdSize = Number(e64.readBigUInt64LE(40));
    cdOffset = Number(e64.readBigUInt64LE(48));
  }
  if (cdOffset + cdSize > fileSize) throw new CheckpointFormatError(file, 'the zip central directory lies beyond the end of the file: truncated');
  const cd = await readExactly(fh, file, cdOffset, cdSize, 'the zip central directory');
  const entries: ZipEntry[] = [];
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
    const name = cd.toString('utf8', p + 46, p + 46 + nameLen);
    // zip64 extra field: the 0xffffffff fields, in order size, compressed size, offset.
    let e = p + 46 + nameLen;
    const eEnd = e + extraLen;
    while (e + 4 <= eEnd) {
      const id = cd.readUInt16LE(e);
      const len = cd.readUInt16LE(e + 2);
      if (id === 0x0001) {
        let q = e + 4;
        if (size === 0xffffffff) (size = Number(cd.readBigUInt64LE(q))), (q += 8);
        if (compressedSize === 0xffffffff) (compressedSize = Number(cd.readBigUInt64LE(q))), (q += 8);
        if (localHeaderOffset === 0xffffffff) localHeaderOffset = Number(cd.readBigUInt64LE(q));
      }
      e += 4 + len;
    }
    entries.push({ name, method, compressedSize, size, localHeaderOffset });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

/** File offset of an entry's data (after its local header); checks it is stored and inside the file. */
export async function entryDataOffset(fh: FileHandle, file: string, fileSize: number, entry: ZipEntry): Promise<number> {
  if (entry.method !== 0) throw new CheckpointFormatError(file, `zip entry '${entry.name}' is compressed (method ${entry.method}); PyTorch checkpoints store tensors uncompressed — re-save it with torch.save`);
  const lh = await readExactly(fh, file, entry.localHeaderOffset, 30, `the local header of '${entry.name}'`);
  if (lh.readUInt32LE(0) !== LOCAL_SIG) throw new CheckpointFormatError(file, `zip local header of '${entry.name}' is corrupt`);
  const start = entry.localHeaderOffset + 30 + lh.readUInt16LE(26) + lh.readUInt16LE(28);
  if (start + entry.size > fileSize) throw new CheckpointFormatError(file, `zip entry '${entry.name}' extends beyond the end of the file: truncated`);
  return start;
}
