// Runs one job on one device and records everything: thermal gate, token, agent launch, hello,
// job, the message stream (steps, evals, memory, artifacts), device-side samplers (RSS/HWM every
// 250 ms, energy and temperature every second), timeout and cancel, crash detection, summary.
// One call = one attempt; retries and parallelism are the scheduler's. Writes go to the store as
// they arrive (batched every 500 ms), so a controller crash loses at most half a second.
import { PROTOCOL_VERSION, type AgentMessage, type JobInput } from '../../device-agent/protocol.js';
import type { MemorySampleInput, PowerSampleInput, StepInput } from '../store/store-types.js';
import type { DeviceInfo, DeviceTransport, RunningAgent } from '../transports/device-transport.js';
import type { RunnerHub, RunnerStore, RunEvent } from './runner-types.js';

export interface JobRunInput {
  runId: string;
  device: DeviceTransport;
  deviceInfo: DeviceInfo;
  hub: RunnerHub;
  store: RunnerStore;
  /** The job message without the fields the runner fills in (jobId, protocol, artifactUrl). */
  job: Omit<JobInput, 'type' | 'jobId' | 'protocol' | 'artifactUrl'>;
  conditions: Record<string, unknown>;
  timeouts: { jobSeconds: number; connectSeconds: number };
  maxStartTemperatureC?: number;
  signal: AbortSignal;
  emit(ev: RunEvent): void;
}

export interface JobRunOutcome {
  status: 'done' | 'failed' | 'cancelled';
  error?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function thermalGate(input: JobRunInput): Promise<void> {
  const limit = input.maxStartTemperatureC;
  if (limit === undefined || !input.device.readThermal) return;
  const deadline = Date.now() + input.timeouts.jobSeconds * 1000;
  for (;;) {
    const t = await input.device.readThermal();
    if (!t || t.temperatureC <= limit) return;
    if (Date.now() > deadline) throw new Error(`device stayed at ${t.temperatureC} C, above the suite's maxStartTemperatureC ${limit} C`);
    input.emit({ type: 'status', runId: input.runId, deviceId: input.deviceInfo.id, status: 'cooling', detail: `${t.temperatureC.toFixed(1)} C > ${limit} C` });
    await sleep(5000);
  }
}

export async function runJobOnDevice(input: JobRunInput): Promise<JobRunOutcome> {
  const { runId, device, hub, store, emit } = input;
  const deviceId = input.deviceInfo.id;
  const t0 = Date.now();
  const tMs = () => Date.now() - t0;
  let pendingSteps: StepInput[] = [];
  let pendingMemory: MemorySampleInput[] = [];
  let pendingPower: PowerSampleInput[] = [];
  let tracked = { trackedBytes: null as number | null, peakTrackedBytes: null as number | null, shardResidentBytes: null as number | null };
  let peakHwm = 0;
  let energy0: number | null = null;
  let startTemp: number | null = null;
  let charging: boolean | null = null;
  const timers: NodeJS.Timeout[] = [];
  let agent: RunningAgent | null = null;
  let token: string | null = null;

  const flush = () => {
    if (pendingSteps.length) store.addSteps(runId, pendingSteps), (pendingSteps = []);
    if (pendingMemory.length) store.addMemorySamples(runId, pendingMemory), (pendingMemory = []);
    if (pendingPower.length) store.addPowerSamples(runId, pendingPower), (pendingPower = []);
  };
  try {
    await thermalGate(input);
    const battery = device.readBattery ? await device.readBattery() : null;
    charging = battery?.charging ?? null;
    startTemp = device.readThermal ? ((await device.readThermal())?.temperatureC ?? null) : null;
    const e = device.readEnergy ? await device.readEnergy() : null;
    energy0 = e?.joules ?? null;
    const energy = e ? { source: e.source, note: e.joules === null ? (e.note ?? 'energy not measured') : null } : { source: 'none', note: 'this device has no energy probe: energy not measured' };
    const startConditions = { ...input.conditions, startTemperatureC: startTemp, startBatteryPct: battery?.pct ?? null, charging, energy, memorySampleIntervalMs: 250, powerSampleIntervalMs: 1000 };
    store.setRunConditions(runId, startConditions);
    token = hub.issueToken({ jobId: runId, deviceId });
    emit({ type: 'status', runId, deviceId, status: 'launching' });
    agent = await device.launchAgent({ hubUrl: hub.url, token, boundedMemory: input.job.train.sharding?.enabled === true });
    const exited = agent.exited.then((x) => ({ exited: x }));
    const conn = await Promise.race([hub.waitForAgent(token, input.timeouts.connectSeconds * 1000), exited]);
    if ('exited' in conn) throw new Error(`the agent exited (code ${conn.exited.code}, signal ${conn.exited.signal}) before connecting:\n${agent.output().slice(-2000)}`);

    const running = agent;
    timers.push(setInterval(() => {
      void device.sampleMemory?.(running).then((m) => {
        if (!m) return;
        peakHwm = Math.max(peakHwm, m.hwmBytes);
        pendingMemory.push({ tMs: tMs(), ...m, ...tracked });
      }).catch(() => {});
    }, 250));
    timers.push(setInterval(() => {
      void (async () => {
        const en = device.readEnergy ? await device.readEnergy() : null;
        const th = device.readThermal ? await device.readThermal() : null;
        const bat = device.readBattery ? await device.readBattery() : null;
        try {
          // what the controller measures on the device feeds the agent's power monitor
          if (bat || th) conn.send({ type: 'telemetry', batteryPct: bat?.pct, charging: bat?.charging, temperatureC: th?.temperatureC });
        } catch {
          // the agent already disconnected
        }
        pendingPower.push({ tMs: tMs(), energyJ: en?.joules != null && energy0 !== null ? en.joules - energy0 : null, temperatureC: th?.temperatureC ?? null, batteryPct: bat?.pct ?? null, charging: bat ? bat.charging : charging, source: en?.source ?? 'none' });
      })().catch(() => {});
    }, 1000));
    timers.push(setInterval(flush, 500));

    const outcome = await new Promise<JobRunOutcome>((resolve) => {
      let finished = false;
      const finish = (o: JobRunOutcome) => {
        if (finished) return;
        finished = true;
        resolve(o);
      };
      const cancel = (reason: string, status: 'failed' | 'cancelled') => {
        try {
          conn.send({ type: 'cancel', jobId: runId, reason });
        } catch {
          // already disconnected: the close / exit handlers report it
        }
        emit({ type: 'status', runId, deviceId, status: 'cancelling', detail: reason });
        timers.push(setTimeout(() => finish({ status, error: `${reason}; the agent did not stop within 10 s and was killed` }), 10_000));
        cancelledAs = { status, reason };
      };
      let cancelledAs: { status: 'failed' | 'cancelled'; reason: string } | null = null;
      timers.push(setTimeout(() => cancel(`timed out after ${input.timeouts.jobSeconds} s (suite timeouts.jobSeconds)`, 'failed'), input.timeouts.jobSeconds * 1000));
      if (input.signal.aborted) cancel('cancelled by the user', 'cancelled');
      input.signal.addEventListener('abort', () => cancel('cancelled by the user', 'cancelled'), { once: true });
      conn.onProtocolError((err) => finish({ status: 'failed', error: `protocol error: ${err.message}` }));
      conn.onClose(() => setTimeout(() => finish({ status: 'failed', error: `the agent disconnected before finishing:\n${running.output().slice(-2000)}` }), 1500));
      void running.exited.then((x) => setTimeout(() => finish({ status: 'failed', error: `the agent process died (code ${x.code}, signal ${x.signal}) before finishing:\n${running.output().slice(-2000)}` }), 1000));
      conn.onMessage((msg: AgentMessage) => {
        switch (msg.type) {
          case 'hello':
            store.patchRunConditions(runId, { agentVersion: msg.agentVersion, runtime: msg.runtime, userAgent: msg.userAgent, backendLimits: msg.backends[0]?.limits ?? null, backends: msg.backends });
            conn.send({ type: 'job', protocol: PROTOCOL_VERSION, jobId: runId, artifactUrl: hub.artifactBaseUrl(token!), ...input.job });
            emit({ type: 'status', runId, deviceId, status: 'running' });
            break;
          case 'started': {
            // the job's `threads` may change what the hello reported
            const limits = msg.threads ? { ...(store.getRun(runId)?.conditions.backendLimits ?? {}), threads: msg.threads } : null;
            store.patchRunConditions(runId, { backend: msg.backend, trainableParams: msg.trainableParams, totalParams: msg.totalParams, trainWindows: msg.trainWindows, ...(limits ? { backendLimits: limits } : {}) });
            break;
          }
          case 'step': {
            pendingSteps.push({ step: msg.step, loss: msg.loss, lr: msg.lr, tokens: msg.tokens, ms: msg.ms, gradNorm: msg.gradNorm, sleepMs: msg.sleepMs });
            emit({ type: 'step', runId, deviceId, step: msg.step, totalSteps: input.job.train.steps, loss: msg.loss, ms: msg.ms, tokens: msg.tokens, rssMb: peakHwm / 2 ** 20 });
            break;
          }
          case 'eval':
            store.addEval(runId, { step: msg.step, split: msg.split, loss: msg.loss, ppl: msg.ppl });
            break;
          case 'memory':
            tracked = { trackedBytes: msg.trackedBytes, peakTrackedBytes: msg.peakTrackedBytes, shardResidentBytes: msg.shardResidentBytes ?? null };
            break;
          case 'power':
            pendingPower.push({ tMs: tMs(), temperatureC: msg.reading.temperatureC ?? null, batteryPct: msg.reading.batteryPct ?? null, source: `agent power monitor: ${msg.reason}`, state: msg.state, sleepMs: msg.sleepMs });
            emit({ type: 'status', runId, deviceId, status: `power ${msg.state}`, detail: msg.reason });
            break;
          case 'artifact':
            store.addArtifact(runId, { kind: msg.kind, name: msg.name, path: hub.artifactPath(runId, msg.name), bytes: msg.bytes, sha256: msg.sha256 });
            break;
          case 'done':
            finish(cancelledAs ? { status: cancelledAs.status, error: cancelledAs.reason } : msg.cancelled ? { status: 'cancelled', error: 'cancelled' } : { status: 'done' });
            break;
          case 'error':
            finish({ status: 'failed', error: `${msg.code}: ${msg.message}` });
            break;
        }
      });
    });
    return outcome;
  } catch (e) {
    return { status: 'failed', error: (e as Error).message };
  } finally {
    for (const t of timers) clearInterval(t), clearTimeout(t);
    if (token) hub.revokeToken(token);
    if (agent) {
      // the last reading before the process goes: VmHWM is monotonic, so this holds the peak even
      // for jobs shorter than one sampling interval
      const m = await device.sampleMemory?.(agent).catch(() => null);
      if (m) {
        peakHwm = Math.max(peakHwm, m.hwmBytes);
        pendingMemory.push({ tMs: tMs(), ...m, ...tracked });
      }
      await agent.stop().catch(() => {});
    }
    flush();
  }
}
