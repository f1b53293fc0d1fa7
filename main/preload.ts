// The preload script: exposes `window.fleettune`, a narrow API whose only method is
// `invoke(channel, payload)`, restricted to the channels of the IPC contract. ipcRenderer itself is
// never exposed. Runs sandboxed, so it is bundled into one CommonJS file (out/preload/index.cjs) that
// requires nothing but `electron`. Not validation of payloads (the main process does that).
// Follows appium-inspector's preload and Electron's contextBridge docs.

import { contextBridge, ipcRenderer } from 'electron';
import { channels, type FleetTuneApi } from './ipc/contract';

/** The channels the renderer may invoke: exactly the contract's. */
export const allowedChannels: ReadonlySet<string> = new Set<string>(channels);

export function createFleetTuneApi(ipc: Pick<typeof ipcRenderer, 'invoke'>): FleetTuneApi {
  return {
    invoke(channel, ...payload) {
      if (typeof channel !== 'string' || !allowedChannels.has(channel)) {
        return Promise.reject(
          new Error(`fleettune.invoke: unknown channel ${JSON.stringify(channel)}; known: ${channels.join(', ')}`),
        );
      }
      // Only the payload crosses, never the event or a callback.
      return ipc.invoke(channel, payload[0]);
    },
  };
}

contextBridge.exposeInMainWorld('fleettune', createFleetTuneApi(ipcRenderer));
