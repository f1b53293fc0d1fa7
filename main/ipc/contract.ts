// The IPC contract between the renderer and the main process: channel names and the request and
// response type of each. Types only, plus `channels`, the one runtime list of channel names that the
// preload allowlist and the handler registration both iterate over. Not the handlers (handlers.ts)
// and not payload validation (handlers.ts, with zod). Channel names are `namespace:verb`.
// Follows Electron Fiddle's `ipc-events.ts`: one file names every channel.

/** Every channel, its request payload and its response. Add a channel here and in `channels`. */
export interface IpcContract {
  /** The app's version and the runtime it runs on. No payload. */
  'app:version': { request: undefined; response: AppVersion };
}

export interface AppVersion {
  /** The app version from package.json (`app.getVersion()`). */
  version: string;
  /** The runtime, like a user agent: Electron, Chromium and Node versions, platform and arch. */
  agent: string;
}

/** The runtime list of channels, in contract order. */
export const channels = ['app:version'] as const satisfies readonly (keyof IpcContract)[];

export type Channel = (typeof channels)[number];
export type IpcRequest<C extends Channel> = IpcContract[C]['request'];
export type IpcResponse<C extends Channel> = IpcContract[C]['response'];

// Compile-time check that `channels` lists every contract key: this fails to compile when a key of
// IpcContract is missing from the array.
type AssertNever<T extends never> = T;
export type UnlistedChannels = AssertNever<Exclude<keyof IpcContract, Channel>>;

/** Arguments after the channel name: none for channels whose request is `undefined`. */
export type InvokeArgs<C extends Channel> = IpcRequest<C> extends undefined ? [] | [undefined] : [IpcRequest<C>];

/** What the preload exposes as `window.fleettune`. Nothing else crosses the bridge. */
export interface FleetTuneApi {
  invoke<C extends Channel>(channel: C, ...payload: InvokeArgs<C>): Promise<IpcResponse<C>>;
}
