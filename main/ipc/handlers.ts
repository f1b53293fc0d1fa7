// The main-process side of the IPC contract: one handler per channel (a mapped object over the
// contract, so a channel without a handler fails to compile), each with a zod schema for its payload,
// and the registration that checks the sender and the payload before any handler runs.
// Not the channel list (contract.ts). Follows Electron's security checklist item "validate the
// sender of all IPC messages" and Electron Fiddle's `ipc-events.ts`.

import type { IpcMain, IpcMainInvokeEvent } from 'electron';
import { z } from 'zod';
import { isAppUrl, type RendererSource } from '../window-options';
import { channels, type Channel, type IpcRequest, type IpcResponse } from './contract';

export interface Handler<C extends Channel> {
  /** Validates the untrusted payload from the renderer. */
  payload: z.ZodType<IpcRequest<C>>;
  handle(payload: IpcRequest<C>): IpcResponse<C> | Promise<IpcResponse<C>>;
}

/** One handler per contract channel; a missing or extra channel is a compile error. */
export type Handlers = { [C in Channel]: Handler<C> };

/** What the handlers read from the outside world; passed in so tests need no Electron. */
export interface HandlerDeps {
  appVersion(): string;
  agent(): string;
}

export function createHandlers(deps: HandlerDeps): Handlers {
  return {
    'app:version': {
      payload: z.undefined(),
      handle: () => ({ version: deps.appVersion(), agent: deps.agent() }),
    },
  };
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
    const parsed = handler.payload.safeParse(payload);
    if (!parsed.success) {
      throw new Error(`${channel}: invalid payload (${z.prettifyError(parsed.error)}); see main/ipc/contract.ts`);
    }
    return handler.handle(parsed.data);
  });
}
