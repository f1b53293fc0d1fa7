// Tests of the hub's agent WebSocket (main/hub/hub-server.ts, agent-connection.ts): per-job tokens
// (missing / unknown / revoked refused with 401 and logged, one connection per token), messages
// validated both ways, bad frames and another protocol version ending the connection with a clear
// reason, events kept until listened to, waitForAgent's timeout message, and shutdown.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { PROTOCOL_VERSION, ProtocolError, type AgentMessage, type JobInput } from '../../../device-agent/protocol';
import type { AgentConnection } from '../../../main/hub/hub-server';
import { closedWith, connectAgent, nextFrames, startTestHub, type TestHub } from './hub-test-utils';

const hello = { type: 'hello', protocol: PROTOCOL_VERSION, agentVersion: '0.1.0', runtime: 'node', userAgent: 'test', backends: [{ name: 'cpu-wasm', limits: { threads: 1 } }] };
const job: JobInput = {
  type: 'job',
  protocol: PROTOCOL_VERSION,
  jobId: 'job-1',
  model: { kind: 'random', name: 'tiny', config: { n_layer: 1 }, initSeed: 1 },
  tokenizer: { vocab: '/files/a', merges: '/files/b' },
  data: { train: '/files/c', format: 'lines' },
  train: { mode: 'lora', steps: 2, batchSize: 1, seqLen: 8, gradAccum: 1, lr: 1e-3, warmupSteps: 0, schedule: 'constant', minLrRatio: 0, clipGradNorm: 1, weightDecay: 0, seed: 1, evalInterval: 0, evalBatches: 1 },
};

let t: TestHub;
beforeEach(async () => {
  t = await startTestHub();
});
afterEach(async () => {
  await t.dispose();
});

/** Connect with a fresh token and return both ends. */
async function pair(): Promise<{ token: string; ws: WebSocket; conn: AgentConnection }> {
  const token = t.hub.issueToken({ jobId: 'job-1', deviceId: 'pixel-8' });
  const waiting = t.hub.waitForAgent(token, 5000);
  const r = await connectAgent(t.hub.url, `?token=${token}`);
  if (!r.ok) throw new Error(`refused: ${r.status} ${r.body}`);
  return { token, ws: r.ws, conn: await waiting };
}

function messages(conn: AgentConnection): AgentMessage[] {
  const got: AgentMessage[] = [];
  conn.onMessage((m) => got.push(m));
  return got;
}

const until = async (cond: () => boolean, ms = 3000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('tokens', () => {
  it('accepts the right token and binds the connection to its job and device', async () => {
    const { token, conn } = await pair();
    expect(conn).toMatchObject({ jobId: 'job-1', deviceId: 'pixel-8', token, remoteAddress: '127.0.0.1' });
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    expect(t.hub.connection(token)).toBe(conn);
    expect(t.logs).toContain('agent connected: job job-1 on pixel-8 from 127.0.0.1');
  });

  it('issues a fresh token per job', () => {
    const a = t.hub.issueToken({ jobId: 'a', deviceId: 'd' });
    const b = t.hub.issueToken({ jobId: 'a', deviceId: 'd' });
    expect(a).not.toBe(b);
  });

  it.each([
    ['missing', '', 'missing token'],
    ['unknown', `?token=${'ab'.repeat(32)}`, 'unknown token'],
  ])('refuses a %s token with 401 and logs it', async (_what, query, reason) => {
    const r = await connectAgent(t.hub.url, query);
    expect(r).toMatchObject({ ok: false, status: 401 });
    expect(t.logs).toContain(`refused agent connection from 127.0.0.1: ${reason}`);
  });

  it('refuses a revoked token, closes its live connection and fails its waiters', async () => {
    const { token, ws } = await pair();
    const closed = closedWith(ws);
    t.hub.revokeToken(token);
    expect(await closed).toMatchObject({ code: 1000, reason: 'token revoked: the job is over' });
    const r = await connectAgent(t.hub.url, `?token=${token}`);
    expect(r).toMatchObject({ ok: false, status: 401 });
    expect(t.logs).toContain('refused agent connection from 127.0.0.1: revoked token');

    const other = t.hub.issueToken({ jobId: 'job-2', deviceId: 'pixel-8' });
    const waiting = t.hub.waitForAgent(other, 5000);
    t.hub.revokeToken(other);
    await expect(waiting).rejects.toThrow(/revoked before its agent connected/);
  });

  it('refuses a second connection with the same token while the first is open, allows it after', async () => {
    const { token, ws } = await pair();
    const second = await connectAgent(t.hub.url, `?token=${token}`);
    expect(second).toMatchObject({ ok: false, status: 409 });
    expect(t.logs.some((l) => /^refused agent connection from 127\.0\.0\.1: job job-1 on pixel-8 already has a connected agent$/.test(l))).toBe(true);
    const closed = closedWith(ws);
    ws.close();
    await closed;
    await until(() => t.hub.connection(token) === undefined);
    const third = await connectAgent(t.hub.url, `?token=${token}`);
    expect(third.ok).toBe(true);
    if (third.ok) third.ws.close();
  });

  it('404s upgrades on other paths', async () => {
    const token = t.hub.issueToken({ jobId: 'j', deviceId: 'd' });
    expect(await connectAgent(t.hub.url, `?token=${token}`, '/agent')).toMatchObject({ ok: false, status: 404 });
  });
});

describe('messages', () => {
  it('delivers validated agent messages and sends validated controller messages (defaults filled)', async () => {
    const { ws, conn } = await pair();
    const got = messages(conn);
    ws.send(JSON.stringify(hello));
    ws.send(JSON.stringify({ type: 'step', jobId: 'job-1', step: 1, loss: 4.2, lr: 1e-3, tokens: 8, ms: 5, gradNorm: 1 }));
    await until(() => got.length === 2);
    expect(got[0]).toEqual(hello);
    expect(got[1]).toMatchObject({ type: 'step', sleepMs: 0 });
    expect(conn.hello).toEqual(hello);

    const frame = nextFrames(ws);
    conn.send(job);
    expect((await frame)[0]).toMatchObject({ ...job, memoryIntervalMs: 1000 });
  });

  it('refuses to send an invalid controller message', async () => {
    const { ws, conn } = await pair();
    let received = 0;
    ws.on('message', () => received++);
    expect(() => conn.send({ ...job, train: { ...job.train, steps: -1 } })).toThrow(ProtocolError);
    expect(() => conn.send({ ...job, train: { ...job.train, steps: -1 } })).toThrow(/refusing to send an invalid job message to the agent on pixel-8: train\.steps/);
    expect(() => conn.send({ type: 'launch' } as never)).toThrow(ProtocolError);
    conn.send({ type: 'telemetry', temperatureC: 40 });
    await nextFrames(ws);
    expect(received).toBe(1);
  });

  it('keeps events that arrive before anyone listens, and delivers them in order', async () => {
    const { ws, conn } = await pair();
    ws.send(JSON.stringify(hello));
    ws.send(JSON.stringify({ type: 'started', jobId: 'job-1', trainableParams: 1, totalParams: 2, trainWindows: 3, backend: 'cpu-wasm' }));
    ws.close(1000, 'bye');
    await new Promise((r) => setTimeout(r, 200));
    const order: string[] = [];
    conn.onMessage((m) => order.push(m.type));
    conn.onClose((c) => order.push(`close ${c.code} ${c.reason}`));
    await until(() => order.length === 3);
    expect(order).toEqual(['hello', 'started', 'close 1000 bye']);
  });

  it('says when sending on a closed connection', async () => {
    const { ws, conn } = await pair();
    const closedAtHub = new Promise((r) => conn.onClose(r));
    ws.close(1000, 'done');
    await closedAtHub;
    expect(() => conn.send({ type: 'telemetry' })).toThrow(/cannot send telemetry to the agent on pixel-8: the connection is closed \(done\)/);
  });
});

describe('protocol errors', () => {
  async function expectProtocolError(frame: string | Buffer, pattern: RegExp): Promise<void> {
    const { ws, conn } = await pair();
    const errors: ProtocolError[] = [];
    conn.onProtocolError((e) => errors.push(e));
    const got = messages(conn);
    const closed = closedWith(ws);
    if (typeof frame === 'string' && frame !== 'no-hello') ws.send(JSON.stringify(hello));
    ws.send(frame === 'no-hello' ? JSON.stringify({ type: 'done', jobId: 'job-1', steps: 1, finalLoss: 1, tokens: 1, ms: 1, cancelled: false }) : frame);
    const c = await closed;
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(ProtocolError);
    expect(errors[0]!.message).toMatch(pattern);
    expect(c.code).toBe(1008);
    expect(c.reason.slice(0, 40)).toBe(errors[0]!.message.slice(0, 40));
    expect(got.filter((m) => m.type !== 'hello')).toEqual([]);
    await until(() => conn.closeInfo !== null);
    expect(conn.closeInfo).toMatchObject({ code: 1008, byController: true, reason: errors[0]!.message });
  }

  it('a frame that is not JSON', () => expectProtocolError('{not json', /the agent on pixel-8 sent a frame that is not JSON/));
  it('a message that fails the schema', () =>
    expectProtocolError(JSON.stringify({ type: 'step', jobId: 'job-1', step: 0, loss: 'x' }), /the agent on pixel-8 sent an invalid message: .*step/));
  it('an unknown message type', () => expectProtocolError(JSON.stringify({ type: 'selfie' }), /sent an invalid message/));
  it('a binary frame', () => expectProtocolError(Buffer.from([1, 2, 3]), /binary frame; the protocol uses JSON text frames/));
  it('a message before hello', () => expectProtocolError('no-hello', /sent "done" before hello/));

  it('a hello with another protocol version, with a clear reason on both ends', async () => {
    const { ws, conn } = await pair();
    const errors: Error[] = [];
    conn.onProtocolError((e) => errors.push(e));
    const closed = closedWith(ws);
    ws.send(JSON.stringify({ ...hello, protocol: PROTOCOL_VERSION + 1 }));
    const c = await closed;
    expect(errors[0]?.message).toBe(
      `the agent on pixel-8 speaks protocol version ${PROTOCOL_VERSION + 1}, this side speaks ${PROTOCOL_VERSION}; update the agent and the controller to the same FleetTune version`,
    );
    expect(c.code).toBe(1008);
    expect(c.reason).toMatch(new RegExp(`^the agent on pixel-8 speaks protocol version ${PROTOCOL_VERSION + 1}, this side speaks ${PROTOCOL_VERSION}`));
    expect(Buffer.byteLength(c.reason)).toBeLessThanOrEqual(123);
    expect(conn.hello).toBeNull();
  });
});

describe('waitForAgent', () => {
  it('rejects with a clear message when the agent does not connect in time', async () => {
    const token = t.hub.issueToken({ jobId: 'j', deviceId: 'pixel-8' });
    await expect(t.hub.waitForAgent(token, 200)).rejects.toThrow(
      `the agent on pixel-8 did not connect within 0.2 s; check that the device can reach ${t.hub.url} (for adb: the reverse tunnel) and look at the agent's output`,
    );
  });

  it('resolves at once for an agent that is already connected, rejects unknown tokens', async () => {
    const { token, conn } = await pair();
    expect(await t.hub.waitForAgent(token, 10)).toBe(conn);
    await expect(t.hub.waitForAgent('nope', 10)).rejects.toThrow(/unknown token/);
  });

  it('onAgent sees every accepted connection', async () => {
    const seen: string[] = [];
    t.hub.onAgent((c) => seen.push(c.deviceId));
    await pair();
    expect(seen).toEqual(['pixel-8']);
  });
});

describe('shutdown and liveness', () => {
  it('close() ends agent connections with 1001 and fails waiters', async () => {
    const { ws } = await pair();
    const closed = closedWith(ws);
    const waiting = t.hub.waitForAgent(t.hub.issueToken({ jobId: 'j', deviceId: 'iphone' }), 5000).catch((e: Error) => e);
    await t.hub.close();
    expect(await closed).toMatchObject({ code: 1001, reason: 'the hub is shutting down' });
    expect(String(await waiting)).toMatch(/hub closed while waiting for the agent on iphone/);
  });

  /** A hub pinging every 100 ms and an agent socket that never answers pings (autoPong off). */
  async function silentAgent(deviceId: string) {
    const quick = await startTestHub({ pingIntervalMs: 100 });
    const token = quick.hub.issueToken({ jobId: 'job-1', deviceId });
    const waiting = quick.hub.waitForAgent(token, 5000);
    const ws = new WebSocket(`${quick.hub.url.replace('http', 'ws')}/agent-ws?token=${token}`, { autoPong: false });
    await new Promise((r) => ws.once('open', r));
    return { quick, ws, conn: await waiting };
  }

  it('ends a connection whose device stops answering pings', async () => {
    // the client behaves like a phone that dropped off the network
    const { quick, ws, conn } = await silentAgent('gone');
    try {
      const closed = new Promise<{ reason: string }>((r) => conn.onClose(r));
      // before any step it may be busy loading a model: 4 pings go unanswered first
      expect((await closed).reason).toMatch(/no answer to pings for 0.4 s: the device went away/);
      ws.terminate();
    } finally {
      await quick.dispose();
    }
  });

  it('keeps an agent that is silent while it computes a step as long as the longest it reported, not longer', async () => {
    const { quick, ws, conn } = await silentAgent('slow-phone');
    try {
      let closedAt = 0;
      const closed = new Promise<{ reason: string }>((r) => conn.onClose((i) => ((closedAt = Date.now()), r(i))));
      ws.send(JSON.stringify(hello));
      // a step of 500 ms: twice that, plus one interval, of silence is allowed (11 pings)
      ws.send(JSON.stringify({ type: 'step', jobId: 'job-1', step: 1, loss: 4.2, lr: 1e-3, tokens: 8, ms: 500, gradNorm: 1 }));
      const silentFrom = Date.now();
      await new Promise((r) => setTimeout(r, 700)); // longer than the 0.4 s a silent agent gets before its first step
      expect(conn.closeInfo).toBeNull();
      expect((await closed).reason).toMatch(/no answer to pings for 1.1 s: the device went away/);
      expect(closedAt - silentFrom).toBeGreaterThanOrEqual(1000);
      ws.terminate();
    } finally {
      await quick.dispose();
    }
  });
});
