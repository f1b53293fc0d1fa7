// The contract every DeviceTransport passes (local now; adb and appium reuse it): info() fields,
// launching the agent against a real Hub on 127.0.0.1, the agent connecting and saying hello,
// memory samples of its process, the optional probes' shapes, and stop() ending it.
// Usage: describeTransportContract('local', async () => ({ transport, launch: { runtime: 'node' } })).
// Browser runtimes pass hubOptions.agentDir (the real bundle) and check their leftovers in afterStop.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION, type HelloMessage } from '../../../device-agent/protocol';
import type { AgentConnection, HubOptions } from '../../../main/hub/hub-server';
import { transportCapabilities, type AgentLaunch, type DeviceTransport, type RunningAgent } from '../../../main/transports/device-transport';
import { startTestHub, type TestHub } from '../hub/hub-test-utils';

export interface ContractSetup {
  transport: DeviceTransport;
  /** Overrides for launchAgent (runtime; hubUrl when the device reaches the hub elsewhere). */
  launch?: Partial<AgentLaunch> & { hubUrlFor?: (hubUrl: string) => string };
  /** Seconds the agent may take to connect (phones and browsers are slower). */
  connectSeconds?: number;
  /** Options of the test hub (agentDir: the browser bundle it serves at /agent/). */
  hubOptions?: Partial<HubOptions>;
  /** Fields the agent's hello must have (e.g. runtime 'browser'). */
  expectHello?: Partial<HelloMessage>;
  /** The transport must return a memory sample here (not null). */
  memoryRequired?: boolean;
  /** Transport-specific checks once stop() has returned (nothing of the agent left behind). */
  afterStop?: (agent: RunningAgent) => Promise<void>;
  cleanup?: () => Promise<void>;
}

const nonEmpty = expect.stringMatching(/\S/);

export function describeTransportContract(name: string, setup: () => Promise<ContractSetup>): void {
  describe(`DeviceTransport contract: ${name}`, () => {
    let s: ContractSetup;
    let t: TestHub;
    beforeAll(async () => {
      s = await setup();
      t = await startTestHub(s.hubOptions);
    });
    afterAll(async () => {
      await t?.dispose();
      await s?.cleanup?.();
    });

    it('describes the device', async () => {
      const info = await s.transport.info();
      expect(info).toMatchObject({ id: nonEmpty, transport: s.transport.kind, name: nonEmpty, model: nonEmpty, os: nonEmpty, osVersion: nonEmpty });
      expect(['connected', 'unauthorized', 'offline', 'busy']).toContain(info.state);
      if (info.cpuCores !== undefined) expect(info.cpuCores).toBeGreaterThan(0);
      if (info.memoryBytes !== undefined) expect(info.memoryBytes).toBeGreaterThan(0);
    });

    it('launches the agent, which connects and says hello; samples its memory; stops it', async () => {
      const token = t.hub.issueToken({ jobId: 'contract-job', deviceId: (await s.transport.info()).id });
      const { hubUrlFor, ...launch } = s.launch ?? {};
      const agent: RunningAgent = await s.transport.launchAgent({ hubUrl: hubUrlFor ? hubUrlFor(t.hub.url) : t.hub.url, token, ...launch });
      try {
        const conn = await Promise.race([
          t.hub.waitForAgent(token, (s.connectSeconds ?? 30) * 1000),
          agent.exited.then((x) => {
            throw new Error(`the agent exited (code ${x.code}, signal ${x.signal}) before connecting:\n${agent.output()}`);
          }),
        ]);
        const hello = await helloOf(conn);
        expect(hello.protocol).toBe(PROTOCOL_VERSION);
        if (s.expectHello) expect(hello).toMatchObject(s.expectHello);

        if (s.transport.sampleMemory) {
          const m = await s.transport.sampleMemory(agent);
          if (s.memoryRequired) expect(m).not.toBeNull();
          // null is allowed only where the platform has no per-process accounting.
          if (m !== null) {
            expect(m.rssBytes).toBeGreaterThan(0);
            expect(m.hwmBytes).toBeGreaterThanOrEqual(m.rssBytes);
            expect(m.swapBytes).toBeGreaterThanOrEqual(0);
          }
        }

        const closed = new Promise((r) => conn.onClose(r));
        await agent.stop();
        const exit = await agent.exited;
        expect(exit.code !== null || exit.signal !== null).toBe(true);
        await closed;
        await agent.stop(); // twice is fine
        expect(typeof agent.output()).toBe('string');
        await s.afterStop?.(agent);
      } finally {
        await agent.stop();
      }
    });

    it('answers its optional probes in the documented shapes', async () => {
      const caps = transportCapabilities(s.transport);
      if (caps.includes('energy')) {
        const e = await s.transport.readEnergy!();
        expect(e.source).toEqual(nonEmpty);
        if (e.joules === null) expect(e.note).toEqual(nonEmpty);
        else expect(Number.isFinite(e.joules) && e.joules >= 0).toBe(true);
      }
      if (caps.includes('thermal')) {
        const th = await s.transport.readThermal!();
        if (th) expect(Number.isFinite(th.temperatureC)).toBe(true);
      }
      if (caps.includes('battery')) {
        const b = await s.transport.readBattery!();
        if (b) {
          expect(b.pct).toBeGreaterThanOrEqual(0);
          expect(b.pct).toBeLessThanOrEqual(100);
          expect(typeof b.charging).toBe('boolean');
        }
      }
    });
  });
}

function helloOf(conn: AgentConnection): Promise<HelloMessage> {
  return new Promise((resolve, reject) => {
    conn.onMessage((m) => m.type === 'hello' && resolve(m));
    conn.onProtocolError(reject);
    conn.onClose((c) => reject(new Error(`the agent closed the connection before hello (${c.code} ${c.reason})`)));
  });
}
