/**
 * Writes zip archives byte by byte (stored entries), including what zip libraries refuse to make:
 * `../` names, absolute paths, symbolic links. For testing what an unzipper lets through.
 */
import * as zlib from 'zlib';

export interface RawEntry {
  name: string;
  data?: string | Buffer;
  /** A symbolic link to `data`. */
  symlink?: boolean;
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n);
  return b;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
}

export function makeZip(entries: RawEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name, 'utf8');
    const data = Buffer.isBuffer(entry.data) ? entry.data : Buffer.from(entry.data ?? '', 'utf8');
    const crc = zlib.crc32(data);
    const common = Buffer.concat([u16(20), u16(0x800), u16(0), u16(0), u16(0x21), u32(crc), u32(data.length), u32(data.length), u16(name.length), u16(0)]);
    const local = Buffer.concat([u32(0x04034b50), common, name, data]);
    const mode = entry.symlink ? 0o120777 : 0o100644;
    const central = Buffer.concat([u32(0x02014b50), u16(0x031e), common, u16(0), u16(0), u16(0), u32(mode * 0x10000), u32(offset), name]);
    locals.push(local);
    centrals.push(central);
    offset += local.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.concat([u32(0x06054b50), u16(0), u16(0), u16(entries.length), u16(entries.length), u32(directory.length), u32(offset), u16(0)]);
  return Buffer.concat([...locals, directory, end]);
}
