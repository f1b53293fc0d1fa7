// The one interface every way of reaching a device implements (local, adb, appium): a required
// core (describe the device, launch the agent against the hub) plus optional capabilities (memory,
// energy, thermal, battery probes). It says nothing about how a transport talks to its device.
// Shaped like STF / adbkit: the runner holds a DeviceTransport and asks, never switches on kind.
// Every transport runs the shared contract suite in tests/main/transports/transport-contract.ts.

export type TransportKind = 'local' | 'adb' | 'appium';

export interface DeviceInfo {
  /** Stable id within its transport: "local", an adb serial, an Appium UDID. */
  id: string;
  transport: TransportKind;
  /** Human name for the UI ("Pixel 8", "This computer (host)"). */
  name: string;
  /** Hardware model (phone model, or the CPU model for this computer). */
  model: string;
  /** "Android", "iOS", "Linux", "macOS", "Windows". */
  os: string;
  osVersion: string;
  /** The runtime that runs the agent there, with its version ("Chrome 131.0...", "Node.js 20.20.2"). */
  browser?: string;
  cpuCores?: number;
  memoryBytes?: number;
  state: 'connected' | 'unauthorized' | 'offline' | 'busy';
}

export interface AgentLaunch {
  /** The hub as the device reaches it (for adb this is the reverse-tunnelled localhost URL). */
  hubUrl: string;
  /** Per-job token from Hub.issueToken. */
  token: string;
  /** Node child process or browser page; each transport documents which it supports. */
  runtime?: 'node' | 'browser';
  /**
   * The job bounds its memory (sharding is on): a local Node agent then gets the malloc setting
   * that returns freed buffers to the OS at once and a small V8 young generation (agentNodeEnv).
   * Transports that cannot set them ignore it.
   */
  boundedMemory?: boolean;
}

export interface RunningAgent {
  /** Process id of the process that runs the agent, where the transport knows it. */
  pid?: number;
  /** Settles (never rejects) when the agent process has ended. */
  exited: Promise<{ code: number | null; signal: string | null }>;
  /** End the agent; resolves once it has exited. Safe to call twice or after it exited. */
  stop(): Promise<void>;
  /** The last ~64 KB of the agent's stdout + stderr, for error reports. */
  output(): string;
}

/** The device's own accounting of the agent's process, in bytes (VmRSS, VmHWM, VmSwap). */
export interface MemorySample {
  rssBytes: number;
  hwmBytes: number;
  swapBytes: number;
}

export interface EnergyReading {
  /** Cumulative joules since the transport started measuring; null when nothing is readable. */
  joules: number | null;
  /** Where the number comes from ("rapl:package-0+package-1", "battery:BAT0 energy_now", "none"). */
  source: string;
  /** Why the number is missing or coarse; shown beside the result instead of inventing one. */
  note?: string;
}

export interface ThermalReading {
  temperatureC: number;
  source: string;
}

export interface BatteryReading {
  pct: number;
  /** On external power (charging, full, or plugged in but not charging). */
  charging: boolean;
  temperatureC?: number;
}

export interface DeviceTransport {
  readonly kind: TransportKind;
  info(): Promise<DeviceInfo>;
  launchAgent(launch: AgentLaunch): Promise<RunningAgent>;
  /** null when the platform offers no per-process accounting or the agent has exited. */
  sampleMemory?(agent: RunningAgent): Promise<MemorySample | null>;
  readEnergy?(): Promise<EnergyReading>;
  readThermal?(): Promise<ThermalReading | null>;
  readBattery?(): Promise<BatteryReading | null>;
}

export type TransportCapability = 'memory' | 'energy' | 'thermal' | 'battery';

/** Which optional capabilities a transport implements (for the UI and for run conditions). */
export function transportCapabilities(t: DeviceTransport): TransportCapability[] {
  const caps: TransportCapability[] = [];
  if (t.sampleMemory) caps.push('memory');
  if (t.readEnergy) caps.push('energy');
  if (t.readThermal) caps.push('thermal');
  if (t.readBattery) caps.push('battery');
  return caps;
}
