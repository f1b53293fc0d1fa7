// Tests of main/transports/local-transport.ts ("this computer"): the shared transport contract,
// then the local specifics against a real Hub on 127.0.0.1 with the fake agent
// (tests/fixtures/fake-agent/): the child's command line and captured output, memory samples of
// the child (not of the test process), SIGTERM then SIGKILL after 3 s, probes on fixture trees;
// and the real agent as launched by default (the bundle under plain node, with its kernels).
// The headless Chromium runtime has its own spec (local-chromium.spec.ts).
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { AgentMessage } from '../../../device-agent/protocol';
import { agentNodeEnv, agentNodeFlags } from '../../../device-agent/cli/node-flags.mjs';
import { LocalTransport, nodeAgentBundle, repoRoot } from '../../../main/transports/local-transport';
import { startTestHub, type TestHub } from '../hub/hub-test-utils';
import { materializeSysfs } from '../probes/sysfs-fixture';
import { describeTransportContract } from './transport-contract';

const fakeAgent = 'tests/fixtures/fake-agent/fake-node-agent.ts';
const nodeMajor = Number(process.versions.node.split('.')[0]);

describeTransportContract('local (fake agent)', async () => ({
  transport: new LocalTransport({ agentEntry: fakeAgent }),
  launch: { runtime: 'node' },
}));

describe('LocalTransport', () => {
  let t: TestHub | undefined;
  afterEach(async () => {
    await t?.dispose();
    t = undefined;
  });

  it('describes this computer', async () => {
    const info = await new LocalTransport().info();
    expect(info).toMatchObject({ id: 'local', transport: 'local', state: 'connected', browser: `Node.js ${process.versions.node}` });
    expect(info.name).toMatch(/^This computer \(.+\)$/);
    expect(info.cpuCores).toBeGreaterThan(0);
  });

  it('runs the agent in a child Node process that talks to the hub; stop() ends it with SIGTERM', async () => {
    t = await startTestHub();
    const transport = new LocalTransport({ agentEntry: fakeAgent });
    const token = t.hub.issueToken({ jobId: 'job-9', deviceId: 'local' });
    const waiting = t.hub.waitForAgent(token, 30_000);
    const agent = await transport.launchAgent({ hubUrl: t.hub.url, token });
    expect(agent.pid).toBeGreaterThan(0);
    expect(agent.pid).not.toBe(process.pid);
    expect((await transport.info()).state).toBe('busy');
    const conn = await waiting;
    const got: AgentMessage[] = [];
    conn.onMessage((m) => {
      got.push(m);
      if (m.type === 'hello') conn.send({ type: 'cancel', jobId: 'job-9', reason: 'test' });
    });
    await until(() => got.some((m) => m.type === 'done'));
    expect(got.map((m) => m.type)).toEqual(['hello', 'done']);
    expect(got[0]).toMatchObject({ type: 'hello', userAgent: expect.stringMatching(/^fake-agent/) });

    // The child's own accounting: it holds 64 MiB the test process does not.
    const m = (await transport.sampleMemory(agent))!;
    expect(m.rssBytes).toBeGreaterThan(64 * 2 ** 20);
    expect(m.hwmBytes).toBeGreaterThanOrEqual(m.rssBytes);

    const out = agent.output();
    expect(out).toContain(`fake-agent argv: --hub ${t.hub.url} --token ${token}`);
    expect(out).toMatch(/fake-agent execArgv: .*--import tsx/);
    if (nodeMajor < 22) expect(out).toContain('--experimental-wasm-relaxed-simd');
    expect(out).toContain('fake-agent: got cancel');

    await agent.stop();
    expect(await agent.exited).toEqual({ code: null, signal: 'SIGTERM' });
    expect(await transport.sampleMemory(agent)).toBeNull();
    expect((await transport.info()).state).toBe('connected');
  });

  it('kills an agent that ignores SIGTERM after 3 s', async () => {
    t = await startTestHub();
    const transport = new LocalTransport({ agentEntry: fakeAgent, env: { ...process.env, FAKE_AGENT_MODE: 'ignore-sigterm' } });
    const token = t.hub.issueToken({ jobId: 'job-10', deviceId: 'local' });
    const waiting = t.hub.waitForAgent(token, 30_000);
    const agent = await transport.launchAgent({ hubUrl: t.hub.url, token });
    await waiting; // its SIGTERM handler is installed once it runs
    const t0 = Date.now();
    await agent.stop();
    const took = Date.now() - t0;
    expect(await agent.exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect(took).toBeGreaterThanOrEqual(2900);
    expect(took).toBeLessThan(6000);
    expect(agent.output()).toContain('fake-agent: ignoring SIGTERM');
  });

  it('reports an agent that exits before connecting, with its output', async () => {
    const transport = new LocalTransport({ agentEntry: fakeAgent, env: { ...process.env, FAKE_AGENT_MODE: 'exit-early' } });
    const agent = await transport.launchAgent({ hubUrl: 'http://127.0.0.1:9', token: 'x' });
    expect(await agent.exited).toEqual({ code: 3, signal: null });
    expect(agent.output()).toContain('fake-agent: exiting before connecting, as asked');
    await agent.stop(); // after exit: a no-op
  });

  it('finds the repo root', () => {
    expect(repoRoot).toBe(path.resolve(fileURLToPath(new URL('../../../', import.meta.url))));
  });

  it('launches the bundled agent by default: plain node, no loader, the agent environment, relaxed-SIMD kernels and their worker threads found next to the bundle', async () => {
    t = await startTestHub();
    const transport = new LocalTransport();
    const token = t.hub.issueToken({ jobId: 'job-11', deviceId: 'local' });
    const waiting = t.hub.waitForAgent(token, 60_000);
    const agent = await transport.launchAgent({ hubUrl: t.hub.url, token, boundedMemory: true });
    const conn = await waiting;
    const got: AgentMessage[] = [];
    conn.onMessage((m) => got.push(m));
    await until(() => got.length > 0, 30_000);
    // the pid is the agent's own process, running the bundle with nothing in between
    const argv = readFileSync(`/proc/${agent.pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    expect(argv.slice(1, argv.indexOf('--hub'))).toEqual([...agentNodeFlags(), path.join(repoRoot, nodeAgentBundle)]);
    const environ = readFileSync(`/proc/${agent.pid}/environ`, 'utf8').split('\0');
    // a sharded job's agent gets the malloc setting that returns freed buffers at once (unless FLEETTUNE_MMAP_THRESHOLD=glibc)
    const threshold = agentNodeEnv(process.env, { boundedMemory: true }).MALLOC_MMAP_THRESHOLD_;
    expect(environ.filter((e) => e.startsWith('MALLOC_MMAP_THRESHOLD_='))).toEqual(threshold === undefined ? [] : [`MALLOC_MMAP_THRESHOLD_=${threshold}`]);
    expect(environ.find((e) => e.startsWith('NODE_OPTIONS='))).toMatch(/--max-semi-space-size=\d+/); // and a small young generation
    expect(existsSync(path.join(repoRoot, 'out/node-agent/build/kernels-relaxed-shared.wasm'))).toBe(true);
    const hello = got[0];
    if (hello.type !== 'hello') throw new Error(`expected hello, got ${hello.type}`);
    // wasm-kernels.ts found ./build/ next to the bundle: the relaxed build, and (more than one core) the shared build + worker
    expect(hello.backends[0]).toMatchObject({ name: 'cpu-wasm', limits: { variant: 'relaxed-simd', threads: availableParallelism() } });
    expect(hello.backends[0].limits.notes).toBeUndefined();
    await agent.stop();
    expect(await agent.exited).toEqual({ code: null, signal: 'SIGTERM' });
  });

  it('leaves glibc malloc at its default for a job that does not bound memory', async () => {
    t = await startTestHub();
    const transport = new LocalTransport({ env: { ...process.env, FLEETTUNE_MMAP_THRESHOLD: undefined, MALLOC_MMAP_THRESHOLD_: undefined } });
    const token = t.hub.issueToken({ jobId: 'job-12', deviceId: 'local' });
    const waiting = t.hub.waitForAgent(token, 60_000);
    const agent = await transport.launchAgent({ hubUrl: t.hub.url, token });
    await waiting;
    const environ = readFileSync(`/proc/${agent.pid}/environ`, 'utf8').split('\0');
    expect(environ.filter((e) => e.startsWith('MALLOC_MMAP_THRESHOLD_='))).toEqual([]);
    expect(environ.find((e) => e.startsWith('NODE_OPTIONS=')) ?? '').not.toMatch(/--max-semi-space-size/);
    await agent.stop();
  });

  it('reads energy, temperature and battery through its sysfs root', async () => {
    const tree = await materializeSysfs('laptop-intel');
    try {
      const transport = new LocalTransport({ sysfsRoot: tree.root });
      expect(await transport.readEnergy()).toEqual({ joules: 0, source: 'rapl:package-0' });
      await tree.set('class/powercap/intel-rapl:0/energy_uj', 48213377015 + 2_500_000);
      expect((await transport.readEnergy()).joules).toBeCloseTo(2.5, 9);
      expect(await transport.readThermal()).toEqual({ temperatureC: 62, source: 'thermal_zone4 (x86_pkg_temp)' });
      expect(await transport.readBattery()).toEqual({ pct: 87, charging: false });
    } finally {
      await tree.cleanup();
    }
  });

  it('says energy is not measured on this kind of machine (no RAPL, no battery)', async () => {
    const e = await new LocalTransport({ sysfsRoot: '/nonexistent-sysfs' }).readEnergy();
    expect(e).toMatchObject({ joules: null, source: 'none', note: expect.stringMatching(/energy not measured/) });
  });
});

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
