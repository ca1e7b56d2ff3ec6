/**
 * The emulator's blob containers on disk: what code uploads go to. Each container is a folder of
 * the data folder (its name checked against the service's container rule first), with the blobs'
 * bytes under names hashed from the blob names (any blob name, `../x` included, maps to one flat
 * file name) and an index (`index.json`, rewritten atomically) of names, sizes and etags.
 * Uncommitted blocks wait beside them until a block list commits them, in the order it names.
 */
import { createHash, randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { pipeline } from 'stream/promises';
import { inside } from './names';
import { PRIVATE_DIR, PRIVATE_FILE } from './store';

/** The service's container rule: 3-63 of a-z, 0-9 and -, starting and ending with a letter or digit, no `--`. */
const CONTAINER_NAME = /^[a-z0-9](?:[a-z0-9]|-(?!-)){1,61}[a-z0-9]$/;

export const MAX_BLOB_BYTES = 1024 * 1024 * 1024;
export const MAX_BLOCKS = 50_000;

export interface BlobRecord {
  name: string;
  size: number;
  etag: string;
  created: string;
  lastModified: string;
  contentType: string;
  /** The bytes' file under data/. */
  file: string;
}

interface ContainerIndex {
  blobs: Record<string, BlobRecord>;
}

export function isContainerName(name: string): boolean {
  return CONTAINER_NAME.test(name);
}

/** The service's blob name rule: 1 to 1024 characters, not ending with a dot or slash, no control characters. */
export function blobNameProblem(name: string): string | undefined {
  if (!name) return 'is empty';
  if (name.length > 1024) return 'is longer than 1024 characters';
  if (/[.\\/]$/.test(name)) return 'ends with a dot or a slash';
  // eslint-disable-next-line no-control-regex -- control characters are what this check refuses
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'contains control characters';
  return undefined;
}

const hashName = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
const newEtag = () => `"0x8D${randomBytes(7).toString('hex').toUpperCase()}"`;

export class BlobStore {
  private readonly root: string;
  private readonly indexes = new Map<string, ContainerIndex>();

  constructor(private readonly dataDir: string) {
    this.root = inside(dataDir, 'blobs');
    fs.mkdirSync(this.root, { recursive: true, mode: PRIVATE_DIR });
  }

  private dir(container: string, ...parts: string[]): string {
    if (!isContainerName(container)) throw new Error(`not a container name: ${container}`);
    return inside(this.root, container, ...parts);
  }

  exists(container: string): boolean {
    return isContainerName(container) && fs.existsSync(this.dir(container, 'index.json'));
  }

  createContainer(container: string): void {
    for (const sub of ['data', 'blocks']) fs.mkdirSync(this.dir(container, sub), { recursive: true, mode: PRIVATE_DIR });
    if (!fs.existsSync(this.dir(container, 'index.json'))) this.save(container, { blobs: {} });
  }

  private index(container: string): ContainerIndex {
    let index = this.indexes.get(container);
    if (!index) {
      index = JSON.parse(fs.readFileSync(this.dir(container, 'index.json'), 'utf8')) as ContainerIndex;
      this.indexes.set(container, index);
    }
    return index;
  }

  private save(container: string, index: ContainerIndex): void {
    const file = this.dir(container, 'index.json');
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(index), { mode: PRIVATE_FILE });
    fs.renameSync(tmp, file);
    this.indexes.set(container, index);
  }

  get(container: string, name: string): BlobRecord | undefined {
    return this.index(container).blobs[name];
  }

  dataPath(container: string, record: BlobRecord): string {
    return this.dir(container, 'data', record.file);
  }

  /** Blobs in name order, from after `marker`, under `prefix`. */
  list(container: string, prefix: string, marker: string | undefined, max: number): { blobs: BlobRecord[]; next?: string } {
    const names = Object.keys(this.index(container).blobs)
      .filter((name) => name.startsWith(prefix) && (marker === undefined || name > marker))
      .sort();
    const page = names.slice(0, max).map((name) => this.index(container).blobs[name]);
    return { blobs: page, ...(names.length > max ? { next: page[page.length - 1].name } : {}) };
  }

  /** Writes `body` (at most `limit` bytes) to a temporary file of the container; the caller commits or removes it. */
  async receive(container: string, body: NodeJS.ReadableStream, limit: number): Promise<{ tmp: string; size: number; md5: Buffer }> {
    const tmp = this.dir(container, 'blocks', `upload-${randomBytes(8).toString('hex')}.tmp`);
    let size = 0;
    const md5 = createHash('md5');
    const counter = async function* (source: AsyncIterable<Buffer>) {
      for await (const chunk of source) {
        size += chunk.length;
        if (size > limit) throw Object.assign(new Error(`more than ${limit} bytes`), { tooLarge: true });
        md5.update(chunk);
        yield chunk;
      }
    };
    try {
      await pipeline(body as AsyncIterable<Buffer> & NodeJS.ReadableStream, counter, fs.createWriteStream(tmp, { mode: PRIVATE_FILE, flags: 'wx' }));
    } catch (error) {
      fs.rmSync(tmp, { force: true });
      throw error;
    }
    return { tmp, size, md5: md5.digest() };
  }

  /** Makes a received file the blob `name` (Put Blob). */
  commitFile(container: string, name: string, tmp: string, size: number, contentType: string, now: Date): BlobRecord {
    const file = `${hashName(name)}.blob`;
    fs.renameSync(tmp, this.dir(container, 'data', file));
    return this.record(container, name, file, size, contentType, now);
  }

  private record(container: string, name: string, file: string, size: number, contentType: string, now: Date): BlobRecord {
    const index = this.index(container);
    const stamp = now.toUTCString();
    const record: BlobRecord = { name, size, etag: newEtag(), created: index.blobs[name]?.created ?? stamp, lastModified: stamp, contentType, file };
    this.save(container, { blobs: { ...index.blobs, [name]: record } });
    return record;
  }

  private blockPath(container: string, name: string, blockId: string): string {
    return this.dir(container, 'blocks', `${hashName(name)}-${hashName(blockId)}.block`);
  }

  /** Keeps a received file as an uncommitted block of `name` (Put Block). */
  stageBlock(container: string, name: string, blockId: string, tmp: string): void {
    fs.renameSync(tmp, this.blockPath(container, name, blockId));
  }

  /**
   * Commits the blocks `ids` of `name` in that order (Put Block List): their bytes become the blob.
   * A block not staged (and not in the blob already) is an error naming it.
   */
  async commitBlocks(container: string, name: string, ids: string[], contentType: string, now: Date): Promise<BlobRecord | { missing: string }> {
    for (const id of ids) if (!fs.existsSync(this.blockPath(container, name, id))) return { missing: id };
    const file = `${hashName(name)}.blob`;
    const tmp = this.dir(container, 'blocks', `commit-${randomBytes(8).toString('hex')}.tmp`);
    let size = 0;
    const out = fs.createWriteStream(tmp, { mode: PRIVATE_FILE, flags: 'wx' });
    try {
      for (const id of ids) {
        const block = this.blockPath(container, name, id);
        size += fs.statSync(block).size;
        if (size > MAX_BLOB_BYTES) throw Object.assign(new Error(`more than ${MAX_BLOB_BYTES} bytes`), { tooLarge: true });
        await pipeline(fs.createReadStream(block), out, { end: false });
      }
      await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
    } catch (error) {
      out.destroy();
      fs.rmSync(tmp, { force: true });
      throw error;
    }
    fs.renameSync(tmp, this.dir(container, 'data', file));
    for (const id of ids) fs.rmSync(this.blockPath(container, name, id), { force: true });
    return this.record(container, name, file, size, contentType, now);
  }

  /** Copies every blob under `prefix` to `dest/<name without prefix>`: a code upload becomes a run's folder. */
  async copyTo(container: string, prefix: string, dest: string): Promise<number> {
    let count = 0;
    for (const record of Object.values(this.index(container).blobs)) {
      if (!record.name.startsWith(prefix)) continue;
      const relative = record.name.slice(prefix.length).replace(/^\/+/, '');
      const parts = relative.split('/');
      // A blob name is the uploader's: one that would climb out of the folder is not copied.
      if (!relative || parts.some((part) => part === '' || part === '.' || part === '..')) continue;
      const target = path.resolve(dest, ...parts);
      if (!target.startsWith(dest + path.sep)) continue;
      fs.mkdirSync(path.dirname(target), { recursive: true, mode: PRIVATE_DIR });
      await pipeline(fs.createReadStream(this.dataPath(container, record)), fs.createWriteStream(target, { mode: PRIVATE_FILE, flags: 'wx' }));
      count++;
    }
    return count;
  }
}
