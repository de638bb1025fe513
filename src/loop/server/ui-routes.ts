// The web UI's files under /ui/: the production build of web/ (web/dist), served as they are.
// Vite's hashed files under assets/ are cached for a year; index.html is revalidated every time (ETag)
// and answers every /ui/ path that names no file, so the UI's own routes (/ui/captures/7) survive a
// reload. Paths are resolved segment by segment and must stay inside the build directory. Without a build,
// /ui/ answers a 404 page that says how to make one.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Router } from './router.js';

/** Where `npm run build` puts the UI, from src/loop/server and dist/loop/server alike. */
export function defaultUiRoot(): string {
  return fileURLToPath(new URL('../../../web/dist/', import.meta.url));
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** Routes deeper than this under /ui/ are not the UI's (the router matches whole segment lists). */
const MAX_DEPTH = 8;
const HTML_POLICY = "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; frame-ancestors 'none'";
/** The page below is static and holds nothing captured: its inline style is allowed, nothing else is loaded. */
const NOT_BUILT_POLICY = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'";
const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Loop web UI not built</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; line-height: 1.5">
<h1>The Loop web UI is not built</h1>
<p>This loop server serves the UI from <code>web/dist</code>, which does not exist yet.
Build it in the Squash &amp; Loop checkout with</p>
<pre>npm run build        # the CLIs and the UI
npm run build -w web # the UI alone</pre>
<p>then reload this page. The API under <a href="/v1/captures">/v1/</a> works without it.</p>
</body></html>
`;

export function registerUiRoutes(router: Router, options: { root: string }): void {
  const root = path.resolve(options.root);
  const handler = (req: IncomingMessage, res: ServerResponse, _p: Record<string, string>, url: URL): Promise<void> => serveUi(root, req, res, url);
  // The server's root is where a browser pointed at the loop server lands: the UI.
  router.on('GET', '/', (_req, res, _p, url) => {
    res.writeHead(302, { location: `/ui/${url.search}` }).end();
  });
  let pattern = '/ui';
  router.on('GET', pattern, handler);
  for (let depth = 1; depth <= MAX_DEPTH; depth++) router.on('GET', (pattern += `/:p${depth}`), handler);
}

async function serveUi(root: string, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  if (url.pathname === '/ui') {
    res.writeHead(308, { location: `/ui/${url.search}` }).end();
    return;
  }
  const segments = fileSegments(url.pathname);
  if (!segments) return notFound(req, res, 'no such file');
  const index = path.join(root, 'index.html');
  if (segments.length > 0) {
    const file = path.join(root, ...segments);
    if (file.startsWith(root + path.sep) && (await isFile(file))) return sendFile(req, res, file, segments[0] === 'assets');
    // A missing asset is a 404 (not the HTML page, which a script tag would choke on); any other path is
    // one of the UI's own routes.
    if (segments[0] === 'assets' || path.extname(segments.at(-1)!) !== '') return notFound(req, res, 'no such file');
  }
  if (!(await isFile(index))) {
    res.writeHead(404, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'content-security-policy': NOT_BUILT_POLICY });
    res.end(req.method === 'HEAD' ? undefined : NOT_BUILT_PAGE);
    return;
  }
  return sendFile(req, res, index, false);
}

/** The decoded segments after /ui/, or undefined when one could step outside the directory. */
export function fileSegments(pathname: string): string[] | undefined {
  const out: string[] = [];
  for (const raw of pathname.split('/').slice(2)) {
    if (raw === '') continue;
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return undefined;
    }
    if (segment === '.' || segment === '..' || /[/\\\0]/.test(segment) || segment.startsWith('.')) return undefined;
    out.push(segment);
  }
  return out;
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

async function sendFile(req: IncomingMessage, res: ServerResponse, file: string, immutable: boolean): Promise<void> {
  const info = await stat(file);
  const type = CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
  const etag = `W/"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
  const headers: Record<string, string | number> = {
    'content-type': type,
    'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    etag,
    'x-content-type-options': 'nosniff',
  };
  if (type.startsWith('text/html')) headers['content-security-policy'] = HTML_POLICY;
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, headers).end();
    return;
  }
  headers['content-length'] = info.size;
  res.writeHead(200, headers);
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  await new Promise<void>((resolve, reject) => {
    const stream = createReadStream(file);
    stream.on('error', reject);
    res.on('close', () => {
      stream.destroy();
      resolve();
    });
    stream.pipe(res);
  });
}

function notFound(req: IncomingMessage, res: ServerResponse, message: string): void {
  res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
  res.end(req.method === 'HEAD' ? undefined : `${message}\n`);
}
