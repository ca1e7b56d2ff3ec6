/**
 * Shared access signatures of the emulator's blob endpoint, signed and checked as the storage
 * service does: an HMAC-SHA256 with a key only the emulator knows, over the permissions, the
 * validity window, the container and the version. A changed parameter breaks the signature; an
 * expired one is refused even when the signature holds. The key lives in the data folder (0600),
 * so links stay valid across a restart and never across data folders.
 */
import { createHmac, randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { sameSecret } from './http-util';
import { PRIVATE_FILE } from './store';

/** The account name in the endpoint's path: `http://127.0.0.1:<port>/<account>/<container>/<blob>` (IP-style, as Azurite). */
export const BLOB_ACCOUNT = 'emulatorstore';
export const SAS_VERSION = '2025-05-05';

/** Read, add, create, write, delete, list: the letters of a container SAS, in the service's order. */
export type SasPermission = 'r' | 'a' | 'c' | 'w' | 'd' | 'l';

export class BlobSigner {
  private readonly key: Buffer;

  constructor(dataDir: string) {
    const file = path.join(dataDir, 'blob-key');
    try {
      this.key = Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64');
    } catch {
      this.key = randomBytes(32);
      fs.writeFileSync(file, this.key.toString('base64'), { mode: PRIVATE_FILE, flag: 'w' });
    }
  }

  private sign(fields: { sp: string; st: string; se: string; container: string; sv: string; sr: string }): string {
    const text = [fields.sp, fields.st, fields.se, `/blob/${BLOB_ACCOUNT}/${fields.container}`, fields.sv, fields.sr].join('\n');
    return createHmac('sha256', this.key).update(text, 'utf8').digest('base64');
  }

  /** The query string (without `?`) of a container SAS valid from `start` to `expiry`. */
  containerSas(container: string, permissions: string, start: Date, expiry: Date): string {
    const fields = { sp: permissions, st: iso(start), se: iso(expiry), container, sv: SAS_VERSION, sr: 'c' };
    const query = new URLSearchParams({ sv: fields.sv, sr: fields.sr, st: fields.st, se: fields.se, sp: fields.sp, sig: this.sign(fields) });
    return query.toString();
  }

  /**
   * Why the SAS of `url` does not allow `permission` on `container` at `now`, or undefined when it
   * does. The reasons are the storage service's AuthenticationErrorDetail texts.
   */
  refusal(url: URL, container: string, permission: SasPermission, now: Date): { code: string; detail: string } | undefined {
    const q = url.searchParams;
    const [sv, sr, st, se, sp, sig] = ['sv', 'sr', 'st', 'se', 'sp', 'sig'].map((name) => q.get(name) ?? '');
    if (!sig || !se || !sp || !sr || !sv) {
      return { code: 'AuthenticationFailed', detail: 'Server failed to authenticate the request. A shared access signature (sv, sr, se, sp, sig) is required.' };
    }
    if (!sameSecret(sig, this.sign({ sp, st, se, container, sv, sr })) || sr !== 'c') {
      return { code: 'AuthenticationFailed', detail: 'Signature did not match. String to sign used was not the one signed.' };
    }
    const expiry = Date.parse(se);
    if (!Number.isFinite(expiry) || now.getTime() >= expiry) {
      return { code: 'AuthenticationFailed', detail: `Signed expiry time [${httpDate(expiry)}] must be after signed start time and current time [${now.toUTCString()}]` };
    }
    if (st && now.getTime() < Date.parse(st)) {
      return { code: 'AuthenticationFailed', detail: `Signed start time [${httpDate(Date.parse(st))}] is after the current time [${now.toUTCString()}]` };
    }
    if (!sp.includes(permission)) return { code: 'AuthorizationPermissionMismatch', detail: 'This request is not authorized to perform this operation using this permission.' };
    return undefined;
  }
}

function iso(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

function httpDate(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toUTCString() : 'not a date';
}
