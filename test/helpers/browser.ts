/**
 * Headless Chromium for the dashboard's tests: Debian's `chromium` (installed by .ci/run; npm
 * cannot download browsers here) driven by playwright-core. Every page records its console errors,
 * page errors and any request that is not to the emulator (which is refused, never sent).
 */
import * as fs from 'fs';
import * as path from 'path';
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core';

/** CHROMIUM_PATH, else `chromium` on the PATH (where Debian's package puts it). */
export function chromiumPath(): string {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, 'chromium');
    if (dir && fs.existsSync(candidate)) return candidate;
  }
  throw new Error('No chromium on the PATH: apt-get update && apt-get install -y chromium (.ci/run does), or set CHROMIUM_PATH');
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath() });
}

export interface WatchedPage {
  page: Page;
  /** Console messages of type error, and uncaught page errors. */
  errors: string[];
  /** Requests to anywhere but the emulator: refused, and listed here. */
  outside: string[];
  /** Every request the page made (method and URL). */
  requests: Array<{ method: string; url: string; range?: string }>;
  close(): Promise<void>;
}

export async function openPage(browser: Browser, origin: string, options: BrowserContextOptions = {}): Promise<WatchedPage> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true, ...options });
  const page = await context.newPage();
  const errors: string[] = [];
  const outside: string[] = [];
  const requests: WatchedPage['requests'] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(`page error: ${error.message}`));
  await context.route('**/*', async (route) => {
    const request = route.request();
    requests.push({ method: request.method(), url: request.url(), range: request.headers().range });
    if (new URL(request.url()).origin !== origin) {
      outside.push(request.url());
      return route.abort('blockedbyclient');
    }
    return route.continue();
  });
  return { page, errors, outside, requests, close: () => context.close() };
}
