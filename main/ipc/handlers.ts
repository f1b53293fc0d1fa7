// The main-process side of the IPC contract: one handler per channel (a mapped object over the
// contract, so a channel without a handler fails to compile), each with its zod payload schema
// (payload-schemas.ts) and a call into the controller service; the registration that checks the
// sender and the payload before any handler runs; and the forwarding of pushed events to the app's
// windows. The browser-mode HTTP server calls the same handlers. Not the channel list (contract.ts).
// Follows Electron's security checklist ("validate the sender of all IPC messages") and Fiddle.

import type { IpcMain, IpcMainInvokeEvent } from 'electron';
import { z } from 'zod';
import type { ControllerService } from '../api/controller-service';
import { isAppUrl, type RendererSource } from '../window-options';
import { channels, eventChannels, type Channel, type EventChannel, type IpcEvents, type IpcRequest, type IpcResponse } from './contract';
import { payloadSchemas } from './payload-schemas';

export interface Handler<C extends Channel> {
  /** Validates the untrusted payload from the renderer. */
  payload: z.ZodType<IpcRequest<C>>;
  handle(payload: IpcRequest<C>): IpcResponse<C> | Promise<IpcResponse<C>>;
}

/** One handler per contract channel; a missing or extra channel is a compile error. */
export type Handlers = { [C in Channel]: Handler<C> };

/** The controller methods the handlers call (ControllerService has them; tests may fake them). */
export type ControllerApi = Pick<ControllerService,
  'listDevices' | 'listSuites' | 'readSuite' | 'validateSuite' | 'saveSuite' | 'startSuite' | 'cancel' | 'queue' | 'liveSnapshot'
  | 'listSuiteRuns' | 'listRuns' | 'runSeries' | 'importLog' | 'compare' | 'exportComparison' | 'readExportFile' | 'on'>;

/** What the handlers read from the outside world; passed in so tests need no Electron. */
export interface HandlerDeps {
  appVersion(): string;
  agent(): string;
  controller: ControllerApi;
}

export function createHandlers(deps: HandlerDeps): Handlers {
  const c = deps.controller;
  const h = <C extends Channel>(channel: C, handle: Handler<C>['handle']): Handler<C> => ({ payload: payloadSchemas[channel], handle });
  return {
    'app:version': h('app:version', () => ({ version: deps.appVersion(), agent: deps.agent() })),
    'fleet:list': h('fleet:list', () => c.listDevices()),
    'suites:list': h('suites:list', () => c.listSuites()),
    'suites:read': h('suites:read', (p) => c.readSuite(p.id)),
    'suites:validate': h('suites:validate', (p) => c.validateSuite(p.text)),
    'suites:save': h('suites:save', (p) => c.saveSuite(p.fileName, p.text)),
    'queue:start': h('queue:start', (p) => c.startSuite(p)),
    'queue:cancel': h('queue:cancel', (p) => c.cancel(p.queueId)),
    'queue:list': h('queue:list', () => c.queue()),
    'live:snapshot': h('live:snapshot', () => c.liveSnapshot()),
    'runs:list-suite-runs': h('runs:list-suite-runs', () => c.listSuiteRuns()),
    'runs:list': h('runs:list', (p) => c.listRuns(p ?? {})),
    'runs:series': h('runs:series', (p) => c.runSeries(p)),
    'runs:import': h('runs:import', (p) => c.importLog(p)),
    'compare:build': h('compare:build', (p) => c.compare(p)),
    'reports:export': h('reports:export', (p) => c.exportComparison(p)),
    'reports:file': h('reports:file', (p) => c.readExportFile(p)),
  };
}

/**
 * Validates an untrusted payload and runs the channel's handler: shared by the IPC registration and
 * the browser-mode HTTP server. Errors name the channel; a handler's own error message is kept
 * (it says what to do next) but never its stack.
 */
export async function callHandler<C extends Channel>(channel: C, handler: Handler<C>, payload: unknown): Promise<IpcResponse<C>> {
  const parsed = handler.payload.safeParse(payload);
  if (!parsed.success) {
    throw new Error(`${channel}: invalid payload (${z.prettifyError(parsed.error)}); see main/ipc/contract.ts`);
  }
  try {
    return await handler.handle(parsed.data);
  } catch (e) {
    throw new Error(`${channel}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** Sends every controller event to the app's windows (Electron: webContents.send). Returns the unsubscribe. */
export function forwardEvents(controller: Pick<ControllerApi, 'on'>, send: <E extends EventChannel>(event: E, payload: IpcEvents[E]) => void): () => void {
  const offs = eventChannels.map((event) => controller.on(event, (payload) => send(event, payload as IpcEvents[typeof event])));
  return () => offs.forEach((off) => off());
}

/** The parts of an invoke event the sender check reads (IpcMainInvokeEvent has them). */
export interface SenderInfo {
  sender: { id: number };
  senderFrame: { url: string } | null;
}

/**
 * A sender is trusted when it is one of the app's own windows (by webContents id) and the frame
 * that sent the message shows the app's own page. A frame that is gone (null) is not trusted.
 */
export function isTrustedSender(
  event: SenderInfo,
  app: { source: RendererSource; isAppWebContents(id: number): boolean },
): boolean {
  const frame = event.senderFrame;
  if (!frame) return false;
  return app.isAppWebContents(event.sender.id) && isAppUrl(frame.url, app.source);
}

/** Registers every contract channel on ipcMain; each call passes the sender check, then the schema. */
export function registerIpcHandlers(
  ipcMain: Pick<IpcMain, 'handle'>,
  handlers: Handlers,
  isTrusted: (event: IpcMainInvokeEvent) => boolean,
): void {
  for (const channel of channels) registerOne(ipcMain, channel, handlers[channel], isTrusted);
}

function registerOne<C extends Channel>(
  ipcMain: Pick<IpcMain, 'handle'>,
  channel: C,
  handler: Handler<C>,
  isTrusted: (event: IpcMainInvokeEvent) => boolean,
): void {
  ipcMain.handle(channel, async (event, payload: unknown) => {
    if (!isTrusted(event)) {
      // The message text reaches the caller; keep it free of anything the sender should not learn.
      throw new Error(`${channel}: rejected, the sender is not the FleetTune window`);
    }
    return callHandler(channel, handler, payload);
  });
}
