// The one API the UI talks to, whichever host it runs in: `window.fleettune` from the Electron
// preload (ipc-api.ts), or the controller's HTTP + WebSocket API in browser mode (http-api.ts),
// chosen at start. Both implement the contract's FleetTuneApi; pages never know which one they have.
// Imports only types from main/ipc.
import type { FleetTuneApi } from '../../main/ipc/contract';
import { createHttpApi, takeToken } from './http-api';
import { createIpcApi } from './ipc-api';

export interface ApiClient extends FleetTuneApi {
  /** 'desktop' inside Electron (PDF export, files on this computer); 'browser' when served by `npm run ui`. */
  readonly mode: 'desktop' | 'browser';
}

/** The API for this page, or undefined when it has neither a preload nor a token (opened by hand). */
export function createApiClient(win: Window | undefined = typeof window === 'undefined' ? undefined : window): ApiClient | undefined {
  if (!win) return undefined;
  if (win.fleettune) return createIpcApi(win.fleettune);
  const token = takeToken(win);
  return token ? createHttpApi({ origin: win.location.origin, token }) : undefined;
}
