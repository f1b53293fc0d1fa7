// The preload script: exposes `window.fleettune`, a narrow API of two functions: `invoke(channel,
// payload)`, restricted to the channels of the IPC contract, and `subscribe(event, listener)`,
// restricted to its pushed events (the listener gets the payload only, never the IPC event).
// ipcRenderer itself is never exposed. Runs sandboxed, so it is bundled into one CommonJS file
// (out/preload/index.cjs) that requires nothing but `electron`. Payloads are validated in main.
// Follows appium-inspector's preload and Electron's contextBridge docs.

import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { channels, eventChannels, type FleetTuneApi } from './ipc/contract';

/** The channels the renderer may invoke: exactly the contract's. */
export const allowedChannels: ReadonlySet<string> = new Set<string>(channels);
/** The events the renderer may subscribe to: exactly the contract's. */
export const allowedEvents: ReadonlySet<string> = new Set<string>(eventChannels);

export function createFleetTuneApi(ipc: Pick<typeof ipcRenderer, 'invoke' | 'on' | 'removeListener'>): FleetTuneApi {
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
    subscribe(event, listener) {
      if (typeof event !== 'string' || !allowedEvents.has(event)) {
        throw new Error(`fleettune.subscribe: unknown event ${JSON.stringify(event)}; known: ${eventChannels.join(', ')}`);
      }
      if (typeof listener !== 'function') throw new Error('fleettune.subscribe: the listener must be a function');
      const forward = (_event: IpcRendererEvent, payload: unknown) => listener(payload as Parameters<typeof listener>[0]);
      ipc.on(event, forward);
      return () => {
        ipc.removeListener(event, forward);
      };
    },
  };
}

contextBridge.exposeInMainWorld('fleettune', createFleetTuneApi(ipcRenderer));
