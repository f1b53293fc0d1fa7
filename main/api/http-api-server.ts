// Browser mode: an HTTP server on 127.0.0.1 that serves the built renderer (out/renderer) and the
// same API as the Electron IPC: POST /api/invoke/<channel> runs the channel's handler (same zod
// payload schemas), GET /api/events upgrades to a WebSocket that carries the pushed events. Every
// API call must carry the random token printed in the start URL (Authorization: Bearer, or
// ?token= for the WebSocket); the Host and Origin must be this server's (no DNS rebinding, no
// other site). Static files need no token: they hold no data. Not the handlers (main/ipc/).
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { sendJson } from '../hub/http-responses';
import { channels, type Channel } from '../ipc/contract';
import { callHandler, forwardEvents, type ControllerApi, type Handlers } from '../ipc/handlers';
import { staticFile } from './ui-static';

export interface HttpApiOptions {
  handlers: Handlers;
  controller: Pick<ControllerApi, 'on'>;
  /** The built renderer (electron-vite build output). */
  rendererDir: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default: 32 random bytes, hex. */
  token?: string;
  /** Largest request body (an imported run log), bytes; default 210 MB. */
  maxBodyBytes?: number;
}

const channelSet = new Set<string>(channels);

export class HttpApiServer {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  private stopEvents: (() => void) | null = null;

  private constructor(private readonly server: Server, readonly token: string, readonly port: number) {}

  static async start(opts: HttpApiOptions): Promise<HttpApiServer> {
    const token = opts.token ?? randomBytes(32).toString('hex');
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
    });
    const port = (server.address() as { port: number }).port;
    const api = new HttpApiServer(server, token, port);
    server.on('request', (req, res) => void api.route(req, res, opts).catch((e: unknown) => sendJson(res, 500, { ok: false, error: (e as Error).message })));
    server.on('upgrade', (req, socket, head) => api.upgrade(req, socket as Socket, head));
    api.stopEvents = forwardEvents(opts.controller, (event, payload) => {
      const msg = JSON.stringify({ event, payload });
      for (const ws of api.wss.clients) if (ws.readyState === ws.OPEN) ws.send(msg);
    });
    return api;
  }

  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The URL to open: the UI with the token. */
  get url(): string {
    return `${this.origin}/?token=${this.token}`;
  }

  async close(): Promise<void> {
    this.stopEvents?.();
    for (const ws of this.wss.clients) ws.terminate();
    this.wss.close();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private tokenOk(given: string | null | undefined): boolean {
    if (!given) return false;
    const a = Buffer.from(given);
    const b = Buffer.from(this.token);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  /** Host must name this server (blocks DNS rebinding); Origin, when sent, must be this server's. */
  private sameSite(req: IncomingMessage): boolean {
    if (req.headers.host !== `127.0.0.1:${this.port}`) return false;
    const origin = req.headers.origin;
    return origin === undefined || origin === this.origin;
  }

  private async route(req: IncomingMessage, res: ServerResponse, opts: HttpApiOptions): Promise<void> {
    const url = new URL(req.url ?? '/', this.origin);
    if (!url.pathname.startsWith('/api/')) return staticFile(req, res, opts.rendererDir, url.pathname, this.port);
    if (!this.sameSite(req)) return sendJson(res, 403, { ok: false, error: 'requests must come from the FleetTune page on this server' });
    const auth = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!this.tokenOk(auth)) return sendJson(res, 401, { ok: false, error: 'missing or wrong token: open the URL that `npm run ui` printed (it ends in ?token=...)' });
    const m = /^\/api\/invoke\/([a-z]+:[a-z-]+)$/.exec(url.pathname);
    if (!m || !channelSet.has(m[1])) return sendJson(res, 404, { ok: false, error: `no API channel ${JSON.stringify(url.pathname)}` });
    if (req.method !== 'POST') return sendJson(res, 405, { ok: false, error: 'use POST' });
    if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) return sendJson(res, 415, { ok: false, error: 'send the payload as application/json' });
    let body: unknown;
    try {
      const text = await readBody(req, opts.maxBodyBytes ?? 210 * 1024 * 1024);
      body = text ? (JSON.parse(text) as { payload?: unknown }).payload : undefined;
    } catch (e) {
      return sendJson(res, 400, { ok: false, error: `unreadable request: ${(e as Error).message}` });
    }
    const channel = m[1] as Channel;
    try {
      const result = await callHandler(channel, opts.handlers[channel], body);
      sendJson(res, 200, { ok: true, result });
    } catch (e) {
      sendJson(res, 400, { ok: false, error: (e as Error).message });
    }
  }

  private upgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    const url = new URL(req.url ?? '/', this.origin);
    // Browsers cannot set headers on a WebSocket: the token rides in the query; Origin is always sent.
    if (url.pathname !== '/api/events' || !this.sameSite(req) || req.headers.origin !== this.origin || !this.tokenOk(url.searchParams.get('token'))) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      ws.on('message', () => ws.close(1003, 'this socket only sends')); // the API is POST; events flow one way
      ws.send(JSON.stringify({ event: 'hello', payload: { channels } }));
    });
  }
}

function readBody(req: IncomingMessage, max: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) {
        reject(new Error(`the request is larger than ${Math.round(max / 1024 / 1024)} MB`));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
