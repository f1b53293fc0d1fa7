// The fleet as the UI sees it: device providers feed a hot-plug stream (added / removed / changed)
// into DeviceFleet, which keeps one DeviceTransport per device id and describes every device with
// its state, battery and temperature. Only LocalDeviceProvider ("this computer") exists; the adb
// (adbkit trackDevices) and Appium providers implement the same DeviceProvider interface later.
// Not a transport (main/transports/) and not the runner's device selection.
import type { DeviceView, BackendView } from '../ipc/api-types';
import { transportCapabilities, type DeviceTransport } from '../transports/device-transport';
import { LocalTransport, type LocalTransportOptions } from '../transports/local-transport';

export type DeviceChange =
  | { type: 'added'; transport: DeviceTransport }
  | { type: 'removed'; id: string }
  /** The device's state (authorized, online...) changed; the fleet re-reads its info. */
  | { type: 'changed'; id: string };

/** Discovers devices and reports them as they come and go. */
export interface DeviceProvider {
  readonly name: string;
  /** Starts discovery; devices already present are reported as 'added'. */
  start(emit: (change: DeviceChange) => void): Promise<void>;
  stop(): Promise<void>;
}

/** "This computer": always there, one device with id "local". */
export class LocalDeviceProvider implements DeviceProvider {
  readonly name = 'local';
  constructor(private readonly opts: LocalTransportOptions = {}) {}
  async start(emit: (change: DeviceChange) => void): Promise<void> {
    emit({ type: 'added', transport: new LocalTransport(this.opts) });
  }
  async stop(): Promise<void> {}
}

/** What the fleet asks the rest of the controller when it describes a device. */
export interface DeviceContext {
  /** The queue's activity on the device, or null when idle. */
  activity(id: string): string | null;
  /** Backends from the device's latest agent hello, or null. */
  backends(id: string): BackendView[] | null;
}

const PROBE_TIMEOUT_MS = 2000;

function withTimeout<T>(p: Promise<T> | undefined, fallback: T): Promise<T> {
  if (!p) return Promise.resolve(fallback);
  return Promise.race([p.catch(() => fallback), new Promise<T>((r) => setTimeout(() => r(fallback), PROBE_TIMEOUT_MS).unref())]);
}

export class DeviceFleet {
  private readonly byId = new Map<string, DeviceTransport>();
  private readonly listeners = new Set<() => void>();
  private pending: Promise<void> = Promise.resolve();

  constructor(private readonly providers: DeviceProvider[]) {}

  async start(): Promise<void> {
    for (const p of this.providers) await p.start((change) => this.apply(change));
    await this.pending;
  }

  async stop(): Promise<void> {
    for (const p of this.providers) await p.stop();
  }

  transports(): DeviceTransport[] {
    return [...this.byId.values()];
  }

  get(id: string): DeviceTransport | undefined {
    return this.byId.get(id);
  }

  /** Called after every hot-plug change; returns the unsubscribe function. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  notify(): void {
    for (const l of this.listeners) l();
  }

  async describe(ctx: DeviceContext): Promise<DeviceView[]> {
    return Promise.all(this.transports().map(async (t) => {
      const [info, battery, thermal] = await Promise.all([t.info(), withTimeout(t.readBattery?.(), null), withTimeout(t.readThermal?.(), null)]);
      const activity = ctx.activity(info.id);
      return {
        id: info.id, transport: info.transport, name: info.name, model: info.model, os: info.os, osVersion: info.osVersion,
        browser: info.browser ?? null, cpuCores: info.cpuCores ?? null, memoryBytes: info.memoryBytes ?? null,
        state: activity && info.state === 'connected' ? 'busy' : info.state,
        activity,
        backends: ctx.backends(info.id),
        battery: battery ? { pct: battery.pct, charging: battery.charging } : null,
        temperatureC: thermal?.temperatureC ?? battery?.temperatureC ?? null,
        capabilities: transportCapabilities(t),
      } satisfies DeviceView;
    }));
  }

  private apply(change: DeviceChange): void {
    // Changes are applied in order, each after the previous one's info() has answered.
    this.pending = this.pending.then(async () => {
      if (change.type === 'added') {
        const info = await change.transport.info();
        this.byId.set(info.id, change.transport);
      } else if (change.type === 'removed') {
        this.byId.delete(change.id);
      }
      this.notify();
    }).catch(() => {});
  }
}
