// The browser adapter: the same contract over the controller's HTTP + WebSocket API (npm run ui).
// Calls are POST /api/invoke/<channel> with the session token as a Bearer header; pushed events
// come over one shared WebSocket (/api/events?token=...) that reconnects with back-off. The token
// is read once from the page URL (?token=...), kept in sessionStorage for reloads and removed from
// the address bar. Not the server (main/api/http-api-server.ts).
import type { Channel, EventChannel, IpcEvents, IpcResponse } from '../../main/ipc/contract';
import type { ApiClient } from './api-client';

const TOKEN_KEY = 'fleettune.token';

/** The session token from ?token= (then hidden from the address bar) or from this tab's storage. */
export function takeToken(win: Window): string | null {
  const url = new URL(win.location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl) {
    win.sessionStorage.setItem(TOKEN_KEY, fromUrl);
    url.searchParams.delete('token');
    win.history.replaceState(null, '', url.pathname + url.search + url.hash);
    return fromUrl;
  }
  return win.sessionStorage.getItem(TOKEN_KEY);
}

export interface HttpApiOptions {
  origin: string;
  token: string;
  fetch?: typeof fetch;
  WebSocket?: typeof WebSocket;
}

export function createHttpApi(opts: HttpApiOptions): ApiClient {
  const doFetch = opts.fetch ?? fetch.bind(globalThis);
  const Ws = opts.WebSocket ?? WebSocket;
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  let socket: WebSocket | null = null;
  let retryMs = 500;

  const connect = () => {
    const ws = new Ws(`${opts.origin.replace(/^http/, 'ws')}/api/events?token=${encodeURIComponent(opts.token)}`);
    socket = ws;
    ws.onopen = () => (retryMs = 500);
    ws.onmessage = (m) => {
      const { event, payload } = JSON.parse(String(m.data)) as { event: string; payload: unknown };
      for (const l of listeners.get(event) ?? []) l(payload);
    };
    ws.onclose = () => {
      socket = null;
      // Reconnect while anyone listens; the controller may be restarting.
      if ([...listeners.values()].some((s) => s.size)) setTimeout(connect, (retryMs = Math.min(retryMs * 2, 10_000)));
    };
  };

  return {
    mode: 'browser',
    async invoke<C extends Channel>(channel: C, ...payload: unknown[]): Promise<IpcResponse<C>> {
      let res: Response;
      try {
        res = await doFetch(`${opts.origin}/api/invoke/${channel}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${opts.token}` },
          body: JSON.stringify({ payload: payload[0] }),
        });
      } catch {
        throw new Error('the controller does not answer: is `npm run ui` still running?');
      }
      const body = (await res.json().catch(() => ({ ok: false, error: `HTTP ${res.status}` }))) as { ok: boolean; result?: IpcResponse<C>; error?: string };
      if (!body.ok) throw new Error(body.error ?? `HTTP ${res.status}`);
      return body.result as IpcResponse<C>;
    },
    subscribe<E extends EventChannel>(event: E, listener: (payload: IpcEvents[E]) => void): () => void {
      const set = listeners.get(event) ?? new Set();
      listeners.set(event, set);
      set.add(listener as (payload: unknown) => void);
      if (!socket) connect();
      return () => {
        set.delete(listener as (payload: unknown) => void);
        if ([...listeners.values()].some((s) => s.size) || !socket) return;
        const last = socket;
        socket = null;
        last.onclose = null; // no reconnect: nobody listens
        last.close();
      };
    },
  };
}
