// The IPC contract between the renderer and the main process: channel names and the request and
// response type of each, the events the main process pushes, and the API the preload exposes. Types
// only, plus `channels` and `eventChannels`, the runtime lists that the preload allowlist and the
// handler registration iterate over. Not the handlers or payload validation (handlers.ts,
// payload-schemas.ts). Names are `namespace:verb`. Follows Electron Fiddle's `ipc-events.ts`.
// The browser-mode HTTP/WebSocket API (main/api/http-api-server.ts) speaks the same contract.

import type {
  CompareRequest, Comparison, DeviceView, ExportFileContent, ExportFileRequest, ExportRequest, ExportResult, ImportLogRequest, LiveBatch,
  LiveSnapshot, QueueEntry, RunFilterRequest, RunItem, RunSeries, RunSeriesRequest, SuiteEntry, SuiteRunItem, SuiteText, SuiteValidation,
} from './api-types';

/** Every channel, its request payload and its response. Add a channel here and in `channels`. */
export interface IpcContract {
  /** The app's version and the runtime it runs on. No payload. */
  'app:version': { request: undefined; response: AppVersion };
  /** Every device of the fleet with its state, battery and temperature. */
  'fleet:list': { request: undefined; response: DeviceView[] };
  /** The built-in and the user's suites. */
  'suites:list': { request: undefined; response: SuiteEntry[] };
  'suites:read': { request: { id: string }; response: SuiteText };
  /** Problems of a suite text, each with its JSON path and line, for showing at the field. */
  'suites:validate': { request: { text: string }; response: SuiteValidation };
  /** Saves a suite into the user's suite folder. */
  'suites:save': { request: { fileName: string; text: string }; response: SuiteEntry };
  /** Queues a suite (edited text or a library id) on the chosen devices; runs when they are free. */
  'queue:start': { request: { text?: string; suiteId?: string; deviceIds: string[] }; response: QueueEntry };
  'queue:cancel': { request: { queueId: string }; response: QueueEntry };
  'queue:list': { request: undefined; response: QueueEntry[] };
  /** The live state of recent runs and the last log lines, for a page opened mid-run. */
  'live:snapshot': { request: undefined; response: LiveSnapshot };
  'runs:list-suite-runs': { request: undefined; response: SuiteRunItem[] };
  'runs:list': { request: RunFilterRequest | undefined; response: RunItem[] };
  /** One run's chart-ready series (downsampled, loss smoothed). */
  'runs:series': { request: RunSeriesRequest; response: RunSeries };
  /** Imports a JSONL run log (e.g. a PyTorch reference run) as a reference run. */
  'runs:import': { request: ImportLogRequest; response: RunItem };
  'compare:build': { request: CompareRequest; response: Comparison };
  /** Writes the comparison as HTML / CSV / JSON (and PDF in the desktop app). */
  'reports:export': { request: ExportRequest; response: ExportResult };
  /** One file of an export, for downloading it in the browser UI. */
  'reports:file': { request: ExportFileRequest; response: ExportFileContent };
}

/** What the main process pushes to the renderer, by event channel. */
export interface IpcEvents {
  /** The fleet after a hot-plug or state change. */
  'fleet:changed': DeviceView[];
  /** The queue after any change. */
  'queue:changed': QueueEntry[];
  /** Live run state and log lines, batched to ~8 Hz. */
  'live:batch': LiveBatch;
}

export interface AppVersion {
  /** The app version from package.json (`app.getVersion()`). */
  version: string;
  /** The runtime, like a user agent: Electron, Chromium and Node versions, platform and arch. */
  agent: string;
}

/** The runtime list of channels, in contract order. */
export const channels = [
  'app:version', 'fleet:list', 'suites:list', 'suites:read', 'suites:validate', 'suites:save', 'queue:start', 'queue:cancel',
  'queue:list', 'live:snapshot', 'runs:list-suite-runs', 'runs:list', 'runs:series', 'runs:import', 'compare:build',
  'reports:export', 'reports:file',
] as const satisfies readonly (keyof IpcContract)[];

/** The runtime list of pushed events. */
export const eventChannels = ['fleet:changed', 'queue:changed', 'live:batch'] as const satisfies readonly (keyof IpcEvents)[];

export type Channel = (typeof channels)[number];
export type IpcRequest<C extends Channel> = IpcContract[C]['request'];
export type IpcResponse<C extends Channel> = IpcContract[C]['response'];

// Compile-time check that `channels` lists every contract key: this fails to compile when a key of
// IpcContract is missing from the array.
type AssertNever<T extends never> = T;
export type UnlistedChannels = AssertNever<Exclude<keyof IpcContract, Channel>>;
export type EventChannel = (typeof eventChannels)[number];
export type UnlistedEvents = AssertNever<Exclude<keyof IpcEvents, EventChannel>>;

/** Arguments after the channel name: none for channels whose request is `undefined`. */
export type InvokeArgs<C extends Channel> = IpcRequest<C> extends undefined ? [] | [undefined] : [IpcRequest<C>];

/**
 * What the preload exposes as `window.fleettune` (and what the browser adapter implements over
 * HTTP + WebSocket). Nothing else crosses the bridge.
 */
export interface FleetTuneApi {
  invoke<C extends Channel>(channel: C, ...payload: InvokeArgs<C>): Promise<IpcResponse<C>>;
  /** Calls `listener` with each pushed payload of `event`; returns the unsubscribe function. */
  subscribe<E extends EventChannel>(event: E, listener: (payload: IpcEvents[E]) => void): () => void;
}
