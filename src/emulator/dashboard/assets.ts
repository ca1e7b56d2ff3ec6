/**
 * Serves the dashboard: the page at the emulator's root URL and its script, style and icon,
 * built into dist/dashboard by scripts/build-dashboard.js (nothing comes from elsewhere: the
 * page's Content-Security-Policy lets it load and call its own origin only). The files are read
 * once, on first use, from a fixed list: no request names a file on disk.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import type { IncomingMessage, ServerResponse } from 'http';
import * as path from 'path';
import type { EmulatorContext } from '../context';
import { HttpError } from '../http-util';
import type { PlainRoute } from '../routes';

/** dist/dashboard from both src/emulator/dashboard (tests) and dist/emulator/dashboard (the package). */
export const ASSET_DIR = path.resolve(__dirname, '../../../dist/dashboard');

/** URL path -> built file and its type. */
const ASSETS: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/dashboard/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/dashboard/app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
  '/dashboard/icon.svg': { file: 'icon.svg', type: 'image/svg+xml' },
};

/** Scripts, styles, images and calls from this origin only; never framed (a framed Cancel button could be clicked by another page). */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

interface Loaded {
  body: Buffer;
  etag: string;
}

const cache = new Map<string, Loaded>();

function load(file: string): Loaded {
  const cached = cache.get(file);
  if (cached) return cached;
  let body: Buffer;
  try {
    body = fs.readFileSync(path.join(ASSET_DIR, file));
  } catch {
    throw new HttpError(503, 'ServiceError', `The dashboard is not built (no ${file} in ${ASSET_DIR}): run npm run build`);
  }
  const loaded = { body, etag: `"${createHash('sha256').update(body).digest('hex').slice(0, 20)}"` };
  cache.set(file, loaded);
  return loaded;
}

function serve(_ctx: EmulatorContext, url: URL, req: IncomingMessage, res: ServerResponse): void {
  const asset = ASSETS[url.pathname];
  const { body, etag } = load(asset.file);
  const headers: Record<string, string | number> = {
    'content-type': asset.type,
    etag,
    // Checked on every load: a rebuilt emulator serves its new page at once.
    'cache-control': 'no-cache',
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'content-security-policy': DASHBOARD_CSP,
  };
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  res.writeHead(200, { ...headers, 'content-length': body.length });
  res.end(req.method === 'HEAD' ? undefined : body);
}

export const dashboardAssetRoutes: readonly PlainRoute[] = [{ method: 'GET', matches: (pathname) => Object.prototype.hasOwnProperty.call(ASSETS, pathname), handle: serve }];
