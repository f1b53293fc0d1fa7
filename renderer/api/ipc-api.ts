// The desktop adapter: the preload's `window.fleettune` (invoke + subscribe over Electron IPC),
// passed through as it is. Thin on purpose: validation and sender checks live in the main process.
// Its mode 'desktop' tells the pages that PDF export exists and files are on this computer.
// Not the browser adapter (http-api.ts).
import type { FleetTuneApi } from '../../main/ipc/contract';
import type { ApiClient } from './api-client';

export function createIpcApi(bridge: FleetTuneApi): ApiClient {
  return {
    mode: 'desktop',
    invoke: (channel, ...payload) => bridge.invoke(channel, ...payload),
    subscribe: (event, listener) => bridge.subscribe(event, listener),
  };
}
