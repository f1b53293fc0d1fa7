// Tests of the IPC contract (main/ipc/contract.ts), its handlers, payload schemas and sender check
// (main/ipc/handlers.ts, payload-schemas.ts), event forwarding, and the preload allowlist
// (main/preload.ts): every channel has a handler, a schema and a preload entry; every event a
// preload subscription. `electron` is mocked: contextBridge and ipcRenderer record what they are
// given, ipcMain is a fake; the controller is a fake that records which method each channel calls.

import { pathToFileURL } from 'node:url';
import type { IpcMainInvokeEvent } from 'electron';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { channels, eventChannels, type Channel, type IpcRequest } from '../../main/ipc/contract';
import {
  callHandler,
  createHandlers,
  forwardEvents,
  isTrustedSender,
  registerIpcHandlers,
  type ControllerApi,
  type Handlers,
  type SenderInfo,
} from '../../main/ipc/handlers';
import { payloadSchemas } from '../../main/ipc/payload-schemas';
import type { RendererSource } from '../../main/window-options';

const electron = vi.hoisted(() => ({
  contextBridge: { exposeInMainWorld: vi.fn() },
  ipcRenderer: { invoke: vi.fn(async (channel: string) => `reply from ${channel}`), on: vi.fn(), removeListener: vi.fn() },
}));
vi.mock('electron', () => electron);

/** A controller whose every method returns which method was called with what. */
function fakeController() {
  const listeners = new Map<string, (p: unknown) => void>();
  const methods = ['listDevices', 'listSuites', 'readSuite', 'validateSuite', 'saveSuite', 'startSuite', 'cancel', 'queue', 'liveSnapshot',
    'listSuiteRuns', 'listRuns', 'runSeries', 'importLog', 'compare', 'exportComparison', 'readExportFile'] as const;
  const c = Object.fromEntries(methods.map((m) => [m, vi.fn((...args: unknown[]) => ({ method: m, args }))])) as unknown as ControllerApi;
  c.on = ((event: string, l: (p: unknown) => void) => {
    listeners.set(event, l);
    return () => listeners.delete(event);
  }) as ControllerApi['on'];
  return { c, listeners };
}

const deps = { appVersion: () => '0.1.0', agent: () => 'Electron 41.7.1 (test)', controller: fakeController().c };

/** A valid payload for every channel and the controller method it must reach. */
const examples: { [C in Channel]: [IpcRequest<C>, string | null] } = {
  'app:version': [undefined, null],
  'fleet:list': [undefined, 'listDevices'],
  'suites:list': [undefined, 'listSuites'],
  'suites:read': [{ id: 'builtin/smoke.json' }, 'readSuite'],
  'suites:validate': [{ text: '{}' }, 'validateSuite'],
  'suites:save': [{ fileName: 'mine.json', text: '{}' }, 'saveSuite'],
  'queue:start': [{ suiteId: 'builtin/smoke.json', deviceIds: ['local'] }, 'startSuite'],
  'queue:cancel': [{ queueId: 'q1' }, 'cancel'],
  'queue:list': [undefined, 'queue'],
  'live:snapshot': [undefined, 'liveSnapshot'],
  'runs:list-suite-runs': [undefined, 'listSuiteRuns'],
  'runs:list': [{ kind: 'reference' }, 'listRuns'],
  'runs:series': [{ runId: 'r1', smoothing: 0.6 }, 'runSeries'],
  'runs:import': [{ fileName: 'torch.jsonl', text: '{"type":"run","impl":"pytorch"}' }, 'importLog'],
  'compare:build': [{ runIds: ['r1', 'r2'], align: 'step', smoothing: 0.6, referenceRunId: 'r2', bands: false }, 'compare'],
  'reports:export': [{ runIds: ['r1'], formats: ['html', 'csv'] }, 'exportComparison'],
  'reports:file': [{ exportId: 'x', name: 'report.html' }, 'readExportFile'],
};
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

  it('has a payload schema and a valid example for every channel', () => {
    expect(Object.keys(payloadSchemas).sort()).toEqual([...channels].sort());
    expect(Object.keys(examples).sort()).toEqual([...channels].sort());
  });

  it('names events namespace:verb, each once', () => {
    expect(new Set(eventChannels).size).toBe(eventChannels.length);
    for (const event of eventChannels) expect(event).toMatch(/^[a-z]+:[a-z][a-z-]*$/);
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

  it('exposes only window.fleettune.invoke and .subscribe, never ipcRenderer', async () => {
    const { name, api } = await exposedApi();
    expect(name).toBe('fleettune');
    expect(Object.keys(api).sort()).toEqual(['invoke', 'subscribe']);
    expect(Object.values(api)).not.toContain(electron.ipcRenderer);
  });

  it('subscribes to every contract event, passing the payload only, and unsubscribes', async () => {
    const { api } = await exposedApi();
    const subscribe = api.subscribe as (event: string, l: (p: unknown) => void) => () => void;
    for (const event of eventChannels) {
      electron.ipcRenderer.on.mockClear();
      const got: unknown[] = [];
      const off = subscribe(event, (p) => got.push(p));
      const [onEvent, forward] = electron.ipcRenderer.on.mock.calls[0] as unknown as [string, (e: unknown, p: unknown) => void];
      expect(onEvent).toBe(event);
      forward({ sender: 'the IPC event must not reach the page' }, { n: 1 });
      expect(got).toEqual([{ n: 1 }]);
      off();
      expect(electron.ipcRenderer.removeListener).toHaveBeenLastCalledWith(event, forward);
    }
  });

  it('refuses to subscribe to an event outside the contract', async () => {
    const { api } = await exposedApi();
    const subscribe = api.subscribe as (event: unknown, l: unknown) => () => void;
    electron.ipcRenderer.on.mockClear();
    expect(() => subscribe('app:version', () => {})).toThrow(/unknown event/);
    expect(() => subscribe('live:batch', 'not a function')).toThrow(/function/);
    expect(electron.ipcRenderer.on).not.toHaveBeenCalled();
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

  it('routes every channel to its controller method with the validated payload', async () => {
    const listeners = registered(fileSource);
    for (const channel of channels) {
      const [payload, method] = examples[channel];
      const reply = await listeners.get(channel)!(event(APP_WC, ownFile), payload);
      if (method) expect(reply).toMatchObject({ method });
    }
  });

  it('rejects malformed payloads on every channel that takes one', async () => {
    const listeners = registered(fileSource);
    for (const channel of channels) {
      await expect(listeners.get(channel)!(event(APP_WC, ownFile), { surely: 'not this' }), channel).rejects.toThrow(/invalid payload/);
    }
    const call = listeners.get('compare:build')!;
    await expect(call(event(APP_WC, ownFile), { ...examples['compare:build'][0], smoothing: 1 })).rejects.toThrow(/invalid payload/);
    await expect(call(event(APP_WC, ownFile), { ...examples['compare:build'][0], runIds: 'r1' })).rejects.toThrow(/invalid payload/);
  });

  it('names the channel in a handler error', async () => {
    const handlers = createHandlers(deps);
    const failing = { ...handlers['suites:read'], handle: () => { throw new Error('no suite "x"'); } };
    await expect(callHandler('suites:read', failing, { id: 'x' })).rejects.toThrow('suites:read: no suite "x"');
  });
});

describe('events', () => {
  it('forwards every contract event from the controller, and stops', () => {
    const { c, listeners } = fakeController();
    const sent: [string, unknown][] = [];
    const off = forwardEvents(c, (e, p) => sent.push([e, p]));
    expect([...listeners.keys()].sort()).toEqual([...eventChannels].sort());
    listeners.get('live:batch')!({ at: 't', runs: [], logs: [] });
    expect(sent).toEqual([['live:batch', { at: 't', runs: [], logs: [] }]]);
    off();
    expect(listeners.size).toBe(0);
  });
});
