// What the browser tests need around the page: the built site (rebuilt when a source is newer), a tiny
// static server on 127.0.0.1 (WebGPU needs a secure context; localhost is one), Debian's chromium driven
// by playwright-core (no browser download) with or without WebGPU on SwiftShader, and the CLI in-process.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const SITE = path.join(ROOT, 'dist-web');
/** Screenshots and downloaded models are kept here (git-ignored). */
export const ARTIFACTS = path.join(ROOT, 'test-artifacts', 'browser');
export const CHROMIUM = '/usr/bin/chromium';

/**
 * Flags every launch gets: headless, no sandbox (containers), nothing that reaches out to Google, and page
 * compositing on the CPU. Without the last one Chromium composites every frame with SwiftShader's GL in
 * the GPU process, the process WebGPU runs in: with the live charts redrawing at 10 Hz, a training epoch
 * then waits behind compositing (measured: 15 epochs/s and 1.2 s per boundary refresh, against 200
 * epochs/s and 65 ms with it). A real GPU composites in a fraction of a millisecond.
 */
const BASE_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-gpu-compositing',
];
/** WebGPU on SwiftShader, Chromium's CPU implementation of Vulkan. */
const WEBGPU_FLAGS = ['--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-webgpu-adapter=swiftshader'];
/** No WebGPU adapter at all: navigator.gpu stays, requestAdapter() gives null. */
const NO_WEBGPU_FLAGS = ['--disable-webgpu'];

/** Newest modification time of the files under `dir` whose names match `pattern`. */
function newest(dir: string, pattern: RegExp): number {
  let t = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) t = Math.max(t, newest(p, pattern));
    else if (pattern.test(entry.name)) t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}

/** Builds dist-web/ with `vite build` unless it is newer than every source of the page. */
export function ensureSiteBuilt(): { built: boolean; ms: number } {
  const started = performance.now();
  const index = path.join(SITE, 'index.html');
  const sources = Math.max(
    newest(path.join(ROOT, 'src'), /\.(ts|css|json)$/),
    newest(path.join(ROOT, 'shaders'), /\.wgsl$/),
    ...['index.html', 'vite.config.ts', 'package.json'].map((f) => statSync(path.join(ROOT, f)).mtimeMs),
  );
  if (existsSync(index) && statSync(index).mtimeMs > sources) return { built: false, ms: 0 };
  execFileSync(process.execPath, [path.join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'error'], { cwd: ROOT, stdio: 'pipe' });
  return { built: true, ms: performance.now() - started };
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.wgsl': 'text/plain; charset=utf-8',
};

export interface StaticServer {
  url: string;
  close(): Promise<void>;
}

/**
 * Serves `root` read-only on 127.0.0.1 at a free port, under `prefix` (a sub-path, as on a project page of
 * a static host: the site must use relative URLs to work there).
 */
export async function serveStatic(root: string, prefix = '/'): Promise<StaticServer> {
  const server = http.createServer((request, response) => {
    const pathname = decodeURIComponent(new URL(request.url ?? '/', 'http://127.0.0.1').pathname);
    const inside = pathname.startsWith(prefix) ? `/${pathname.slice(prefix.length)}` : null;
    const file = inside === null ? '' : path.join(root, inside.endsWith('/') ? `${inside}index.html` : inside);
    if (inside === null || !file.startsWith(root) || !existsSync(file) || !statSync(file).isFile()) {
      response.writeHead(404).end('not found');
      return;
    }
    response.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    response.end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${prefix}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** Console errors and uncaught exceptions of the page, for failure messages. */
  errors: string[];
  close(): Promise<void>;
}

/** Chromium with a fresh profile, with WebGPU on SwiftShader or without WebGPU. */
export async function launch(webgpu: boolean): Promise<Browser> {
  const profile = mkdtempSync(path.join(tmpdir(), 'wgtrain-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1440, height: 1000 },
    acceptDownloads: true,
    args: [...(webgpu ? WEBGPU_FLAGS : NO_WEBGPU_FLAGS), ...BASE_FLAGS],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(`${e.name}: ${e.message}`));
  return {
    context,
    page,
    errors,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** window.__wgtrain.state() of the page, typed as the test reads it. */
export function appState<T>(page: Page): Promise<T> {
  return page.evaluate(() => window.__wgtrain!.state()) as Promise<T>;
}

/** Waits until the page's training status is one of `statuses`; its state then. */
export async function waitForStatus<T>(page: Page, statuses: string[], timeout: number): Promise<T> {
  await page.waitForFunction((wanted) => wanted.includes(String(window.__wgtrain?.state().status)), statuses, { timeout, polling: 50 });
  return appState<T>(page);
}

/** Opens the app at `url` and waits for its first model to be built. */
export async function openApp<T>(page: Page, url: string): Promise<T> {
  await page.goto(url);
  await page.waitForFunction(() => window.__wgtrain !== undefined);
  await page.evaluate(() => window.__wgtrain!.ready);
  return waitForStatus<T>(page, ['ready', 'error'], 60_000);
}

/** Sets an input's value and fires `change`, as a user editing the field does. */
export async function setField(page: Page, selector: string, value: string): Promise<void> {
  await page.fill(selector, value);
  await page.dispatchEvent(selector, 'change');
}

/**
 * For the tests of one describe block: a browser (with or without WebGPU) with the app at `url()` open,
 * launched before them and closed after. Read `.browser` inside the tests.
 */
export function appInBrowser(webgpu: boolean, url: () => string): { readonly browser: Browser } {
  const holder = {} as { browser: Browser };
  beforeAll(async () => {
    holder.browser = await launch(webgpu);
    await openApp(holder.browser.page, url());
  }, 60_000);
  afterAll(async () => holder.browser?.close());
  return holder;
}

export { cli } from '../cli/capture.ts';
