// "This computer" as a device. The agent runs either in a child Node process per job (its own
// peak-RSS accounting, V8 flags such as relaxed SIMD) or in headless Chromium (chromium-agent.ts:
// the hub's browser bundle, as on a phone; WebGPU on request). Probes read /proc and /sys here.
// The Node child is `node [--experimental-wasm-relaxed-simd] out/node-agent/agent.js --hub URL --token T`:
// the agent bundled by device-agent/runtime/build-node-bundle.mjs (rebuilt here first when a source
// changed), plain JavaScript with no loader, so the pid is the agent's and its RSS is the agent's
// own (tsx as a loader cost ~40 MB at start, 10-45 MB at the peak). A TypeScript entry (tests' fake agent) runs under `--import tsx`.
// A transport built with runtime 'browser' is its own device ("local-chromium") beside "local".
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sampleChromiumRenderer } from '../probes/chromium-memory';
import { readCpuModel } from '../probes/cpu-model';
import { EnergyMeter } from '../probes/energy-meter';
import { readBattery } from '../probes/battery-status';
import { readProcStatus } from '../probes/proc-status';
import { readThermal } from '../probes/thermal-zones';
import type { AgentLaunch, BatteryReading, DeviceInfo, DeviceTransport, EnergyReading, MemorySample, RunningAgent, ThermalReading } from './device-transport';
import { BrowserAgent, chromiumVersion, launchChromiumAgent, resolveChromium } from './chromium-agent';
import { onControllerExit } from './exit-hook';
import { OutputTail } from './output-tail';
import { agentNodeEnv, agentNodeFlags, scriptArgs } from '../../device-agent/cli/node-flags.mjs';

/**
 * The repository root: two folders up from this file (main/transports/), which is also two up from
 * the bundled out/main/index.js, so the same rule holds in the built app.
 */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface LocalTransportOptions {
  /**
   * Where the agent runs when AgentLaunch.runtime does not say: a child Node process (default) or
   * headless Chromium. 'browser' also makes this transport the device "local-chromium".
   */
  runtime?: 'node' | 'browser';
  /**
   * The agent's entry script, relative to `cwd` or absolute: .ts runs under `--import tsx`, .js
   * as is. Default: the bundled agent (nodeAgentBundle), rebuilt first if a source changed. Tests
   * pass a fake agent.
   */
  agentEntry?: string;
  /** Node flags before the entry; default agentNodeFlags(): relaxed SIMD where Node needs a flag for it. */
  nodeFlags?: string[];
  /** Working folder of the child (where `tsx` and a relative entry resolve); default the repo root. */
  cwd?: string;
  /** The child's environment (default process.env), plus agentNodeEnv()'s settings (malloc, V8 young generation) for jobs that bound memory. */
  env?: NodeJS.ProcessEnv;
  /** Browser runtime: the Chromium binary (default FLEETTUNE_CHROMIUM, else /usr/lib/chromium/chromium). */
  chromiumPath?: string;
  /** Browser runtime: turn WebGPU on (`--enable-unsafe-webgpu`); default off. */
  webgpu?: boolean;
  /** Browser runtime: more Chromium flags, before the page URL. */
  chromiumArgs?: string[];
  /** Grace period between SIGTERM and SIGKILL in stop(); default 3000 ms. */
  stopGraceMs?: number;
  /** Roots of /sys and /proc, for tests against fixture trees. */
  sysfsRoot?: string;
  procRoot?: string;
}

/** The bundled Node agent, relative to the repo root (build-node-bundle.mjs builds it from device-agent/runtime/node-entry.ts). */
export const nodeAgentBundle = 'out/node-agent/agent.js';
const bundleScript = 'device-agent/runtime/build-node-bundle.mjs';

let building: Promise<string> | null = null;
/**
 * The agent bundle's path, after rebuilding it if a source changed since it was built (a no-op
 * check of file times otherwise; the build runs in a child node so the controller never loads
 * esbuild). Concurrent launches share one build. Without the build script (sources not shipped)
 * the bundle must already exist.
 */
export function ensureNodeAgentBundle(): Promise<string> {
  building ??= new Promise<string>((resolve, reject) => {
    const bundle = path.join(repoRoot, nodeAgentBundle);
    const script = path.join(repoRoot, bundleScript);
    if (!existsSync(script)) {
      if (existsSync(bundle)) resolve(bundle);
      else reject(new Error(`the local agent bundle ${bundle} is missing and ${script} is not there to build it: run \`npm run build:agent\` in a FleetTune checkout`));
      return;
    }
    const env = { ...process.env, ...(process.versions.electron ? { ELECTRON_RUN_AS_NODE: '1' } : {}) };
    execFile(process.execPath, [script, '--quiet'], { cwd: repoRoot, env }, (err, _stdout, stderr) => {
      if (err) reject(new Error(`building the local agent bundle failed (${bundleScript}; \`npm run build:agent\` shows the same): ${stderr.trim() || err.message}`));
      else resolve(bundle);
    });
  }).finally(() => {
    building = null;
  });
  return building;
}

const osNames: Record<string, string> = { linux: 'Linux', darwin: 'macOS', win32: 'Windows' };

class LocalAgent implements RunningAgent {
  readonly pid: number;
  readonly exited: Promise<{ code: number | null; signal: string | null }>;
  hasExited = false;
  private readonly tail = new OutputTail();

  constructor(
    private readonly child: ChildProcess,
    private readonly graceMs: number,
  ) {
    this.pid = child.pid!;
    child.stdout?.on('data', (b: Buffer) => this.tail.push(b));
    child.stderr?.on('data', (b: Buffer) => this.tail.push(b));
    const unregister = onControllerExit(() => child.kill('SIGKILL'));
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.hasExited = true;
        unregister();
        // 'close' follows once stdout/stderr are drained; a grandchild holding them must not block.
        const t = setTimeout(() => resolve({ code, signal }), 500);
        child.once('close', () => {
          clearTimeout(t);
          resolve({ code, signal });
        });
      });
    });
  }

  async stop(): Promise<void> {
    if (this.hasExited) return void (await this.exited);
    this.child.kill('SIGTERM');
    // An agent stuck in a WASM kernel may not get to its SIGTERM handler: escalate.
    const kill = setTimeout(() => this.child.kill('SIGKILL'), this.graceMs);
    await this.exited;
    clearTimeout(kill);
  }

  output(): string {
    return this.tail.text();
  }
}

export class LocalTransport implements DeviceTransport {
  readonly kind = 'local' as const;
  private readonly running = new Set<RunningAgent>();
  private energy: Promise<EnergyMeter> | null = null;

  constructor(private readonly opts: LocalTransportOptions = {}) {}

  /**
   * For runtime 'browser': id "local-chromium", `browser` from `chromium --version`; without a
   * usable Chromium the device is 'offline' (and `browser` absent), so a suite skips it and says why.
   */
  async info(): Promise<DeviceInfo> {
    const inBrowser = this.opts.runtime === 'browser';
    const browser = inBrowser ? await this.chromiumVersion().catch(() => undefined) : `Node.js ${process.versions.node}`;
    return {
      id: inBrowser ? 'local-chromium' : 'local',
      transport: 'local',
      name: inBrowser ? 'This computer (headless Chromium)' : `This computer (${os.hostname()})`,
      model: await readCpuModel(this.opts.procRoot),
      os: osNames[process.platform] ?? os.type(),
      osVersion: os.release(),
      browser,
      cpuCores: os.availableParallelism?.() ?? os.cpus().length,
      memoryBytes: os.totalmem(),
      state: browser === undefined ? 'offline' : this.running.size > 0 ? 'busy' : 'connected',
    };
  }

  private chromiumVersion(): Promise<string> {
    return Promise.resolve().then(() => chromiumVersion(resolveChromium(this.opts.chromiumPath)));
  }

  /** Runs the agent in `launch.runtime`, else in the transport's `runtime` option (default 'node'). */
  async launchAgent(launch: AgentLaunch): Promise<RunningAgent> {
    const agent = (launch.runtime ?? this.opts.runtime ?? 'node') === 'browser' ? await this.launchInChromium(launch) : await this.launchInNode(launch);
    this.running.add(agent);
    void agent.exited.then(() => this.running.delete(agent));
    return agent;
  }

  private launchInChromium(launch: AgentLaunch): Promise<BrowserAgent> {
    const o = this.opts;
    return launchChromiumAgent(launch, { chromiumPath: o.chromiumPath, webgpu: o.webgpu, chromiumArgs: o.chromiumArgs, env: o.env, stopGraceMs: o.stopGraceMs });
  }

  private async launchInNode(launch: AgentLaunch): Promise<LocalAgent> {
    const cwd = this.opts.cwd ?? repoRoot;
    const entry = this.opts.agentEntry ? path.resolve(cwd, this.opts.agentEntry) : await ensureNodeAgentBundle();
    const args = [...(this.opts.nodeFlags ?? agentNodeFlags()), ...scriptArgs(entry), '--hub', launch.hubUrl, '--token', launch.token];
    // Inside Electron, process.execPath is the Electron binary: ask it to behave as plain Node.
    const env = { ...agentNodeEnv(this.opts.env ?? process.env, { boundedMemory: launch.boundedMemory ?? false }), ...(process.versions.electron ? { ELECTRON_RUN_AS_NODE: '1' } : {}) };
    const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (e) => reject(new Error(`could not start the local agent (${process.execPath} ${args.join(' ')}): ${e.message}`)));
    });
    return new LocalAgent(child, this.opts.stopGraceMs ?? 3000);
  }

  /**
   * VmRSS / VmHWM / VmSwap of the agent's process: the Node child, or in Chromium the renderer that
   * hosts the agent's page and worker (probes/chromium-memory.ts). Linux only: macOS and Windows
   * have no /proc, null there.
   */
  async sampleMemory(agent: RunningAgent): Promise<MemorySample | null> {
    if (process.platform !== 'linux' || agent.pid === undefined) return null;
    // After exit the pid may already belong to another process.
    if ((agent instanceof LocalAgent || agent instanceof BrowserAgent) && agent.hasExited) return null;
    if (agent instanceof BrowserAgent) {
      const m = await sampleChromiumRenderer(agent.pid, this.opts.procRoot);
      return m && { rssBytes: m.rssBytes, hwmBytes: m.hwmBytes, swapBytes: m.swapBytes };
    }
    return readProcStatus(agent.pid, this.opts.procRoot);
  }

  readEnergy(): Promise<EnergyReading> {
    // One meter per transport: RAPL and battery counters are cumulative from the first read.
    this.energy ??= EnergyMeter.open(this.opts.sysfsRoot);
    return this.energy.then((m) => m.read());
  }

  readThermal(): Promise<ThermalReading | null> {
    return readThermal(this.opts.sysfsRoot);
  }

  readBattery(): Promise<BatteryReading | null> {
    return readBattery(this.opts.sysfsRoot);
  }
}
