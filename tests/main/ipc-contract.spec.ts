// Tests of the IPC contract (main/ipc/contract.ts), its handlers and sender check
// (main/ipc/handlers.ts) and the preload allowlist (main/preload.ts). `electron` is mocked: the
// preload's contextBridge and ipcRenderer record what they are given, ipcMain is a fake.

import { pathToFileURL } from 'node:url';
import type { IpcMainInvokeEvent } from 'electron';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { channels, type Channel } from '../../main/ipc/contract';
import {
  createHandlers,
  isTrustedSender,
  registerIpcHandlers,
  type Handlers,
  type SenderInfo,
} from '../../main/ipc/handlers';
import type { RendererSource } from '../../main/window-options';

const electron = vi.hoisted(() => ({
  contextBridge: { exposeInMainWorld: vi.fn() },
  ipcRenderer: { invoke: vi.fn(async (channel: string) => `reply from ${channel}`) },
}));
vi.mock('electron', () => electron);

const deps = { appVersion: () => '0.1.0', agent: () => 'Electron 41.7.1 (test)' };
const rendererFile = '/opt/fleettune/out/renderer/index.html';
const fileSource: RendererSource = { kind: 'file', file: rendererFile };
const devSource: RendererSource = { kind: 'dev', url: 'http://127.0.0.1:5173/' };
const APP_WC = 7;

describe('contract', () => {
  it('names channels namespace:verb, each once', () => {
    expect(new Set(channels).size).toBe(channels.length);
    for (const channel of channels) expect(channel).toMatch(/^[a-z]+:[a-z][a-z-]*$/);
  });

  it('has a handler for every channel and nothing else', () => {
    expect(Object.keys(createHandlers(deps)).sort()).toEqual([...channels].sort());
  });

  it('fails to compile when a handler is missing', () => {
    // @ts-expect-error -- 'app:version' has no handler
    const incomplete: Handlers = {};
    expect(incomplete).toEqual({});
  });
});

describe('preload', () => {
  beforeEach(() => electron.ipcRenderer.invoke.mockClear());

  async function exposedApi() {
    const { allowedChannels } = await import('../../main/preload');
    const calls = electron.contextBridge.exposeInMainWorld.mock.calls;
    expect(calls).toHaveLength(1);
    const [name, api] = calls[0] as [string, Record<string, unknown>];
    return { name, api, allowedChannels };
  }

  it('allowlists exactly the contract channels', async () => {
    const { allowedChannels } = await exposedApi();
    expect([...allowedChannels].sort()).toEqual([...channels].sort());
  });

  it('exposes only window.fleettune.invoke, never ipcRenderer', async () => {
    const { name, api } = await exposedApi();
    expect(name).toBe('fleettune');
    expect(Object.keys(api)).toEqual(['invoke']);
    expect(Object.values(api)).not.toContain(electron.ipcRenderer);
  });

  it('forwards every contract channel with its payload', async () => {
    const { api } = await exposedApi();
    const invoke = api.invoke as (channel: string, payload?: unknown) => Promise<unknown>;
    for (const channel of channels) {
      await expect(invoke(channel)).resolves.toBe(`reply from ${channel}`);
      expect(electron.ipcRenderer.invoke).toHaveBeenLastCalledWith(channel, undefined);
    }
  });

  it('rejects a channel outside the contract without touching ipcRenderer', async () => {
    const { api } = await exposedApi();
    const invoke = api.invoke as (channel: unknown, payload?: unknown) => Promise<unknown>;
    await expect(invoke('shell:exec', 'rm -rf /')).rejects.toThrow(/unknown channel/);
    await expect(invoke({ toString: () => 'app:version' })).rejects.toThrow(/unknown channel/);
    expect(electron.ipcRenderer.invoke).not.toHaveBeenCalled();
  });
});

/** Registers the handlers on a fake ipcMain and returns the registered listeners by channel. */
function registered(source: RendererSource) {
  const listeners = new Map<string, (event: IpcMainInvokeEvent, payload?: unknown) => Promise<unknown>>();
  const ipcMain = {
    handle: (channel: string, listener: (event: IpcMainInvokeEvent, payload?: unknown) => Promise<unknown>) => {
      listeners.set(channel, listener);
    },
  };
  registerIpcHandlers(ipcMain, createHandlers(deps), (event) =>
    isTrustedSender(event, { source, isAppWebContents: (id) => id === APP_WC }),
  );
  return listeners;
}

const event = (senderId: number, frameUrl: string | null) =>
  ({ sender: { id: senderId }, senderFrame: frameUrl === null ? null : { url: frameUrl } }) as SenderInfo as IpcMainInvokeEvent;

describe('handlers', () => {
  const ownFile = pathToFileURL(rendererFile).href;

  it('registers exactly the contract channels', () => {
    expect([...registered(fileSource).keys()].sort()).toEqual([...channels].sort());
  });

  it('answers app:version to the app window', async () => {
    const call = registered(fileSource).get('app:version' satisfies Channel)!;
    await expect(call(event(APP_WC, ownFile))).resolves.toEqual({ version: '0.1.0', agent: 'Electron 41.7.1 (test)' });
    const devCall = registered(devSource).get('app:version')!;
    await expect(devCall(event(APP_WC, 'http://127.0.0.1:5173/'))).resolves.toMatchObject({ version: '0.1.0' });
  });

  it('rejects a foreign web contents, a foreign frame and a destroyed frame', async () => {
    const call = registered(fileSource).get('app:version')!;
    await expect(call(event(APP_WC + 1, ownFile))).rejects.toThrow(/not the FleetTune window/);
    await expect(call(event(APP_WC, 'https://example.com/'))).rejects.toThrow(/not the FleetTune window/);
    await expect(call(event(APP_WC, 'file:///tmp/evil.html'))).rejects.toThrow(/not the FleetTune window/);
    await expect(call(event(APP_WC, null))).rejects.toThrow(/not the FleetTune window/);
    const devCall = registered(devSource).get('app:version')!;
    await expect(devCall(event(APP_WC, 'http://127.0.0.1:5174/'))).rejects.toThrow(/not the FleetTune window/);
  });

  it('rejects a payload the contract does not allow', async () => {
    const call = registered(fileSource).get('app:version')!;
    await expect(call(event(APP_WC, ownFile), { unexpected: true })).rejects.toThrow(/invalid payload/);
  });
});
