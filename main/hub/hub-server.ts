// The hub: one HTTP server (node:http) that devices reach, with
//   /files/<sha256>            content-addressed model, tokenizer and data files (file-store.ts)
//   /agent/*                   the browser agent bundle (agent-files.ts)
//   /artifacts/<token>/<name>  PUT uploads of trained adapters (artifact-upload.ts)
//   /agent-ws?token=...        the agent protocol WebSocket (`ws`, upgrade handled here)
// Each job gets its own random token; the WebSocket and the upload accept only live tokens. Every
// request and upgrade must carry an IP-literal or localhost Host header (host-check.ts).
// Not the job logic: the runner issues tokens, waits for the agent and talks to it.
import { randomBytes } from 'node:crypto';
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { AgentConnection } from './agent-connection';
import { serveAgentFile } from './agent-files';
import { receiveArtifact, safeName } from './artifact-upload';
import { FileStore, type HubFile } from './file-store';
import { cache, sendText, setBaseHeaders } from './http-responses';
import { hostAllowed, hostRefusal } from './host-check';

export { AgentConnection, type CloseInfo, type ControllerMessageInput } from './agent-connection';
export type { HubFile } from './file-store';

export interface HubOptions {
  /** Interface to bind; default 127.0.0.1 (devices come in through adb reverse or a tunnel). */
  host?: string;
  /** 0 (default) = a free port. */
  port?: number;
  /** Folder served at /agent/ (the built browser agent). */
  agentDir?: string;
  /** Uploaded artifacts land in artifactDir/<jobId>/<name>. */
  artifactDir: string;
  log?: (line: string) => void;
  /** Largest accepted artifact upload; default 2 GiB. */
  maxArtifactBytes?: number;
  /**
   * WebSocket ping period for detecting vanished devices; default 15 s, 0 = off. A device is dropped
   * after several unanswered pings in a row, more for agents that reported long steps (agent-connection.ts).
   */
  pingIntervalMs?: number;
  /** Host names (besides IP addresses and localhost) that requests may name in their Host header. */
  allowedHosts?: string[];
}

interface TokenEntry {
  jobId: string;
  deviceId: string;
  /** True from the accepted upgrade request until the WebSocket is open. */
  connecting: boolean;
  connection?: AgentConnection;
  waiters: Set<{ resolve: (c: AgentConnection) => void; reject: (e: Error) => void }>;
}

export class Hub {
  private readonly tokens = new Map<string, TokenEntry>();
  private readonly revoked = new Set<string>();
  private readonly agentListeners = new Set<(c: AgentConnection) => void>();
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 4 * 2 ** 20 });
  private readonly files: FileStore;
  private readonly log: (line: string) => void;

  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly opts: HubOptions,
  ) {
    this.files = new FileStore(url);
    this.log = opts.log ?? (() => {});
  }

  static async start(opts: HubOptions): Promise<Hub> {
    const server = createServer();
    const host = opts.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const { port } = server.address() as AddressInfo;
    const hub = new Hub(server, `http://${host.includes(':') ? `[${host}]` : host}:${port}`, opts);
    server.on('request', (req, res) => void hub.onRequest(req, res));
    server.on('upgrade', (req, socket, head) => hub.onUpgrade(req, socket, head));
    hub.log(`hub listening on ${hub.url}`);
    return hub;
  }

  /** Serve a file (path on disk, or bytes) at /files/<sha256>. */
  addFile(source: string | Uint8Array, name?: string): Promise<HubFile> {
    return this.files.add(source, name);
  }

  /** A fresh token for one job on one device: 32 random bytes, hex. */
  issueToken(job: { jobId: string; deviceId: string }): string {
    const token = randomBytes(32).toString('hex');
    this.tokens.set(token, { ...job, connecting: false, waiters: new Set() });
    return token;
  }

  /** End a token: its connection (if any) is closed, waiters fail, uploads with it are refused. */
  revokeToken(token: string): void {
    const entry = this.tokens.get(token);
    if (!entry) return;
    this.tokens.delete(token);
    this.revoked.add(token);
    entry.connection?.close('token revoked: the job is over');
    for (const w of entry.waiters) w.reject(new Error(`the token for job ${entry.jobId} on ${entry.deviceId} was revoked before its agent connected`));
  }

  /** The job message's artifactUrl: the agent PUTs each artifact to `<this>/<name>`. */
  artifactBaseUrl(token: string, base = this.url): string {
    return `${base}/artifacts/${token}`;
  }

  /** Where an artifact `name` uploaded for `jobId` lands on this computer. */
  artifactPath(jobId: string, name: string): string {
    const dir = safeName(jobId);
    const file = safeName(name);
    if (!dir || !file) throw new Error(`unusable artifact name "${name}" or job id "${jobId}"`);
    return path.join(this.opts.artifactDir, dir, file);
  }

  /** The open connection of a token, if its agent is connected. */
  connection(token: string): AgentConnection | undefined {
    return this.tokens.get(token)?.connection;
  }

  /** Called for every accepted agent connection. Returns an unsubscribe function. */
  onAgent(cb: (c: AgentConnection) => void): () => void {
    this.agentListeners.add(cb);
    return () => this.agentListeners.delete(cb);
  }

  /** Resolves with the agent's connection once it has connected with this token. */
  waitForAgent(token: string, timeoutMs: number): Promise<AgentConnection> {
    const entry = this.tokens.get(token);
    if (!entry) return Promise.reject(new Error(`cannot wait for an agent: ${this.revoked.has(token) ? 'the token was revoked' : 'unknown token'}`));
    if (entry.connection) return Promise.resolve(entry.connection);
    return new Promise((resolve, reject) => {
      const waiter = {
        resolve: (c: AgentConnection) => settle(() => resolve(c)),
        reject: (e: Error) => settle(() => reject(e)),
      };
      const timer = setTimeout(() => {
        waiter.reject(
          new Error(
            `the agent on ${entry.deviceId} did not connect within ${(timeoutMs / 1000).toFixed(timeoutMs % 1000 ? 1 : 0)} s; ` +
              `check that the device can reach ${this.url} (for adb: the reverse tunnel) and look at the agent's output`,
          ),
        );
      }, timeoutMs);
      const settle = (fn: () => void) => {
        clearTimeout(timer);
        entry.waiters.delete(waiter);
        fn();
      };
      entry.waiters.add(waiter);
    });
  }

  /** Close every agent connection and stop listening. */
  async close(): Promise<void> {
    for (const [token, entry] of this.tokens) {
      entry.connection?.close('the hub is shutting down', 1001);
      for (const w of entry.waiters) w.reject(new Error(`the hub closed while waiting for the agent on ${entry.deviceId}`));
      this.tokens.delete(token);
    }
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    // Give agents a moment for the close handshake, then cut what is left.
    await new Promise((r) => setTimeout(r, this.wss.clients.size > 0 ? 200 : 0));
    for (const ws of this.wss.clients) ws.terminate();
    this.wss.close();
    this.server.closeAllConnections();
    await closed;
  }

  private hostOk(req: IncomingMessage): boolean {
    return hostAllowed(req.headers.host, (this.opts.allowedHosts ?? []).map((h) => h.toLowerCase()));
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // The raw path, not a normalized URL: `/agent/../x` must reach the traversal check, not vanish.
    const rawPath = (req.url ?? '/').split('?')[0]!;
    const method = req.method ?? 'GET';
    if (!this.hostOk(req)) {
      this.log(`refused ${method} ${rawPath} from ${req.socket.remoteAddress}: Host "${req.headers.host ?? ''}"`);
      return sendText(res, 403, hostRefusal(req.headers.host));
    }
    try {
      if (rawPath.startsWith('/files/') || rawPath === '/agent' || rawPath.startsWith('/agent/')) {
        if (method !== 'GET' && method !== 'HEAD') {
          res.setHeader('Allow', 'GET, HEAD');
          return sendText(res, 405, `${method} is not allowed here; use GET`);
        }
        if (rawPath.startsWith('/files/')) return await this.files.serve(req, res, rawPath.slice('/files/'.length));
        if (rawPath === '/agent') {
          // Relative URLs in the bundle's index.html resolve against /agent/, not /.
          setBaseHeaders(res, cache.none);
          res.writeHead(301, { Location: '/agent/', 'Content-Length': 0 });
          res.end();
          return;
        }
        return await serveAgentFile(req, res, this.opts.agentDir, rawPath.slice('/agent/'.length));
      }
      const upload = /^\/artifacts\/([^/]+)\/([^/]+)$/.exec(rawPath);
      if (upload) {
        if (method !== 'PUT') {
          res.setHeader('Allow', 'PUT');
          return sendText(res, 405, `${method} is not allowed here; agents upload artifacts with PUT`);
        }
        const entry = this.tokens.get(upload[1]!);
        if (!entry) {
          this.log(`refused artifact upload from ${req.socket.remoteAddress}: ${this.revoked.has(upload[1]!) ? 'revoked' : 'unknown'} token`);
          res.setHeader('Connection', 'close');
          return sendText(res, 401, 'artifact upload refused: unknown or revoked token');
        }
        const maxBytes = this.opts.maxArtifactBytes ?? 2 * 2 ** 30;
        await receiveArtifact(req, res, { artifactDir: this.opts.artifactDir, jobId: entry.jobId, rawName: upload[2]!, maxBytes });
        if (res.statusCode === 201) this.log(`artifact ${upload[2]} received for job ${entry.jobId} on ${entry.deviceId}`);
        return;
      }
      sendText(res, 404, `not found: ${rawPath} (the hub serves /files/<sha256>, /agent/ and /artifacts/)`);
    } catch (e) {
      this.log(`error answering ${method} ${rawPath}: ${(e as Error).message}`);
      if (!res.headersSent) sendText(res, 500, `hub error: ${(e as Error).message}`);
      else res.destroy();
    }
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://hub');
    const from = req.socket.remoteAddress ?? 'unknown address';
    const refuse = (status: number, reason: string) => {
      this.log(`refused agent connection from ${from}: ${reason}`);
      const body = `agent connection refused: ${reason}\n`;
      socket.once('finish', () => socket.destroy());
      socket.end(
        `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
    };
    if (!this.hostOk(req)) return refuse(403, hostRefusal(req.headers.host));
    if (url.pathname !== '/agent-ws') return refuse(404, `no WebSocket at ${url.pathname}; agents connect to /agent-ws?token=...`);
    const token = url.searchParams.get('token');
    if (!token) return refuse(401, 'missing token');
    const entry = this.tokens.get(token);
    if (!entry) return refuse(401, this.revoked.has(token) ? 'revoked token' : 'unknown token');
    if (entry.connection || entry.connecting) return refuse(409, `job ${entry.jobId} on ${entry.deviceId} already has a connected agent`);
    entry.connecting = true;
    // ws answers a malformed handshake itself and never calls back: free the token when the socket goes.
    socket.once('close', () => (entry.connecting = false));
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      entry.connecting = false;
      if (this.tokens.get(token) !== entry) return ws.close(1008, 'token revoked');
      const conn = new AgentConnection(ws, { jobId: entry.jobId, deviceId: entry.deviceId, token, remoteAddress: from }, {
        pingIntervalMs: this.opts.pingIntervalMs ?? 15_000,
        log: this.log,
        // Not conn.onClose: a listener would start delivering events before the caller listens.
        closed: () => {
          if (entry.connection === conn) entry.connection = undefined;
        },
      });
      entry.connection = conn;
      this.log(`agent connected: job ${entry.jobId} on ${entry.deviceId} from ${from}`);
      for (const cb of this.agentListeners) cb(conn);
      for (const w of entry.waiters) w.resolve(conn);
    });
  }
}
