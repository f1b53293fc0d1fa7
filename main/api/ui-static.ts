// Serves the built renderer (out/renderer) for browser mode: GET/HEAD only, files inside the folder
// only, index.html with the browser-mode Content-Security-Policy as a header (connect-src narrowed
// to this server's own origin and WebSocket), no referrer (the page URL holds the token), no
// framing. Hashed assets are cached; the page is not. Not the API (http-api-server.ts).
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { cache, contentTypeFor, sendText, setBaseHeaders } from '../hub/http-responses';

/** The page's CSP in browser mode; the meta tag in index.html also applies (both must allow). */
export function browserModeCsp(port: number): string {
  return [
    "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "font-src 'self'",
    `connect-src 'self' ws://127.0.0.1:${port}`, "object-src 'none'", "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
  ].join('; ');
}

export function staticFile(req: IncomingMessage, res: ServerResponse, dir: string, pathname: string, port: number): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') return sendText(res, 405, 'only GET and HEAD are served here; the API is under /api/');
  if (!existsSync(path.join(dir, 'index.html'))) {
    return sendText(res, 503, `the UI is not built: run \`npx electron-vite build\` (npm run ui does it first), then reload. Looked in ${dir}`);
  }
  let rel: string;
  try {
    rel = decodeURIComponent(pathname === '/' ? '/index.html' : pathname);
  } catch {
    return sendText(res, 400, 'malformed path');
  }
  const file = path.resolve(dir, `.${rel}`);
  // Browsers ask for /favicon.ico on their own; the app has none, and a 404 would read as an error.
  if (rel === '/favicon.ico' && !existsSync(file)) {
    res.writeHead(204);
    return void res.end();
  }
  if (!file.startsWith(path.resolve(dir) + path.sep) || !existsSync(file) || !statSync(file).isFile()) {
    return sendText(res, 404, `no such file: ${pathname}`);
  }
  const isPage = file.endsWith('.html');
  setBaseHeaders(res, isPage ? cache.none : rel.startsWith('/assets/') ? cache.immutable : cache.revalidate);
  res.setHeader('Referrer-Policy', 'no-referrer');
  if (isPage) {
    res.setHeader('Content-Security-Policy', browserModeCsp(port));
    res.setHeader('X-Frame-Options', 'DENY');
  }
  const body = readFileSync(file);
  res.writeHead(200, { 'Content-Type': contentTypeFor(file), 'Content-Length': body.length });
  res.end(req.method === 'HEAD' ? undefined : body);
}
