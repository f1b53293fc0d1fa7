// Tests of the local transport's headless Chromium runtime (main/transports/chromium-agent.ts)
// with the real browser and the real agent bundle (built by `npm run build:agent`, served by a
// real Hub): the shared contract, the page's isolation (COOP/COEP), the renderer's memory, stop()
// leaving no process and no profile behind, a controller killed outright, WebGPU on request.
// Without Chromium these are skipped with the reason, except under CI (process.env.CI), where they fail.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { HelloMessage } from '../../../device-agent/protocol';
import type { AgentConnection } from '../../../main/hub/hub-server';
import { sampleChromiumRenderer } from '../../../main/probes/chromium-memory';
import { groupMembers, processesMentioning, readCmdline } from '../../../main/probes/process-tree';
import { agentPageUrl, BrowserAgent, chromiumCommandLine, resolveChromium } from '../../../main/transports/chromium-agent';
import type { RunningAgent } from '../../../main/transports/device-transport';
import { LocalTransport, repoRoot } from '../../../main/transports/local-transport';
import { startTestHub, type TestHub } from '../hub/hub-test-utils';
import { describeTransportContract } from './transport-contract';

const agentDir = path.join(repoRoot, 'out/agent');
let chromiumMissing: string | null = null;
try {
  resolveChromium();
} catch (e) {
  chromiumMissing = (e as Error).message;
}
if (chromiumMissing && !process.env.CI) console.warn(`skipping the headless Chromium tests: ${chromiumMissing}`);
const withChromium = chromiumMissing && !process.env.CI ? describe.skip : describe;

let built = false;
/** The real agent bundle, rebuilt when a device-agent source is newer (the build script checks). */
function ensureAgentBundle(): void {
  if (built) return;
  execFileSync('npm', ['run', 'build:agent', '--silent'], { cwd: repoRoot, stdio: 'pipe' });
  built = true;
}

/** Nothing of a stopped browser agent is left: no live process of its group or naming its profile, no profile folder. */
async function expectNothingLeft(agent: RunningAgent): Promise<void> {
  const b = agent as BrowserAgent;
  expect(b).toBeInstanceOf(BrowserAgent);
  expect(await groupMembers(b.pid)).toEqual([]);
  expect(await processesMentioning(b.profileDir)).toEqual([]);
  expect(existsSync(b.profileDir)).toBe(false);
}

withChromium('headless Chromium', () => {
  describeTransportContract('local (headless Chromium, real agent bundle)', async () => {
    ensureAgentBundle();
    return {
      transport: new LocalTransport({ runtime: 'browser' }),
      hubOptions: { agentDir },
      connectSeconds: 60,
      expectHello: { runtime: 'browser', userAgent: expect.stringMatching(/HeadlessChrome\/\d+/) },
      memoryRequired: true,
      afterStop: expectNothingLeft,
    };
  });

  describe('LocalTransport, runtime browser', () => {
    let t: TestHub | undefined;
    const agents: RunningAgent[] = [];
    beforeAll(() => ensureAgentBundle());
    afterEach(async () => {
      await Promise.all(agents.splice(0).map((a) => a.stop()));
      await t?.dispose();
      t = undefined;
    });

    async function launch(transport: LocalTransport, runtime?: 'node' | 'browser') {
      t ??= await startTestHub({ agentDir });
      const token = t.hub.issueToken({ jobId: `job-${agents.length}`, deviceId: (await transport.info()).id });
      const waiting = t.hub.waitForAgent(token, 60_000);
      const agent = await transport.launchAgent({ hubUrl: t.hub.url, token, ...(runtime ? { runtime } : {}) });
      agents.push(agent);
      const conn = await Promise.race([waiting, agent.exited.then((x) => Promise.reject(new Error(`Chromium exited (${x.code}, ${x.signal}) before the agent connected:\n${agent.output()}`)))]);
      return { agent, conn, hello: await helloOf(conn), token };
    }

    it('is its own device beside "local", with the Chromium version', async () => {
      const info = await new LocalTransport({ runtime: 'browser' }).info();
      expect(info).toMatchObject({ id: 'local-chromium', transport: 'local', name: 'This computer (headless Chromium)', state: 'connected', browser: expect.stringMatching(/^Chromium \d+\.\d+/) });
      expect((await new LocalTransport().info()).id).toBe('local');
    });

    it('runs the real agent page: hello from the worker, a cross-origin isolated page, the renderer measured, all gone after stop()', async () => {
      const transport = new LocalTransport({ runtime: 'browser' });
      const { agent, conn, hello } = await launch(transport);
      const b = agent as BrowserAgent;
      expect(b).toBeInstanceOf(BrowserAgent);
      expect(hello).toMatchObject({ runtime: 'browser', userAgent: expect.stringMatching(/HeadlessChrome\//), backends: [expect.objectContaining({ name: 'cpu-wasm' })] });
      // pid is the browser itself (not a wrapper script), leading its own process group.
      const args = (await readCmdline(b.pid))!;
      expect(args[0]).toBe(resolveChromium());
      expect(args).toContain('--headless');
      expect(args).not.toContain('--enable-unsafe-webgpu');
      expect((await groupMembers(b.pid)).length).toBeGreaterThan(3);
      expect((await transport.info()).state).toBe('busy');

      // The hub's COOP/COEP headers make the page cross-origin isolated (SharedArrayBuffer, WASM threads).
      expect(await b.evaluateInPage('({ isolated: crossOriginIsolated, sab: typeof SharedArrayBuffer, visible: document.visibilityState })')).toEqual({ isolated: true, sab: 'function', visible: 'visible' });

      // Memory of the renderer that hosts the page and its worker, not of the browser process.
      const m = (await transport.sampleMemory(agent))!;
      const r = (await sampleChromiumRenderer(b.pid))!;
      expect(r.pids).toHaveLength(1);
      expect(r.pids[0]).not.toBe(b.pid);
      expect(await readCmdline(r.pids[0]!)).toContain('--type=renderer');
      expect(m.rssBytes).toBeGreaterThan(20 * 2 ** 20);
      expect(m.hwmBytes).toBeGreaterThanOrEqual(m.rssBytes);
      console.log(`headless Chromium agent renderer (hello only): VmRSS ${(m.rssBytes / 2 ** 20).toFixed(1)} MiB, VmHWM ${(m.hwmBytes / 2 ** 20).toFixed(1)} MiB`);

      const closed = new Promise((res) => conn.onClose(res));
      await agent.stop();
      await closed;
      await expectNothingLeft(agent);
      expect(await transport.sampleMemory(agent)).toBeNull();
      expect((await transport.info()).state).toBe('connected');
      expect(agent.output()).toMatch(/\S/); // Chromium's own stderr
    });

    it('AgentLaunch.runtime overrides the transport option, both ways', async () => {
      const viaLaunch = await launch(new LocalTransport(), 'browser');
      expect(viaLaunch.agent).toBeInstanceOf(BrowserAgent);
      expect(viaLaunch.hello.runtime).toBe('browser');
      const inNode = await launch(new LocalTransport({ runtime: 'browser', agentEntry: 'tests/fixtures/fake-agent/fake-node-agent.ts' }), 'node');
      expect(inNode.agent).not.toBeInstanceOf(BrowserAgent);
      expect(inNode.hello.userAgent).toMatch(/^fake-agent/);
    });

    it('kills a browser that does not end on SIGTERM after the grace period', async () => {
      const { agent } = await launch(new LocalTransport({ runtime: 'browser', stopGraceMs: 500 }));
      process.kill(agent.pid!, 'SIGSTOP'); // a stopped process keeps its SIGTERM pending
      const t0 = Date.now();
      await agent.stop();
      expect(Date.now() - t0).toBeGreaterThanOrEqual(450);
      expect(await agent.exited).toEqual({ code: null, signal: 'SIGKILL' });
      await expectNothingLeft(agent);
    });

    it('ends when the controller is killed outright (the DevTools pipe closes)', async () => {
      t ??= await startTestHub({ agentDir });
      const token = t.hub.issueToken({ jobId: 'orphan', deviceId: 'local-chromium' });
      const waiting = t.hub.waitForAgent(token, 60_000);
      const controller = spawn(process.execPath, ['--import', 'tsx', 'tests/fixtures/chromium-orphan/launch-and-wait.ts', t.hub.url, token], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] });
      const line = await new Promise<string>((res, rej) => {
        controller.stdout!.once('data', (d: Buffer) => res(d.toString()));
        controller.once('exit', (code) => rej(new Error(`the stand-in controller exited (${code})`)));
      });
      const { pid, profileDir } = JSON.parse(line) as { pid: number; profileDir: string };
      try {
        await waiting;
        controller.kill('SIGKILL');
        const end = Date.now() + 15_000;
        while ((await groupMembers(pid)).length > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
        expect(await groupMembers(pid)).toEqual([]);
      } finally {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          // gone, as it should be
        }
        await rm(profileDir, { recursive: true, force: true }); // nothing ran to remove it
      }
    });

    it('turns WebGPU on when asked (SwiftShader where there is no GPU)', async () => {
      const { agent } = await launch(new LocalTransport({ runtime: 'browser', webgpu: true }));
      const args = (await readCmdline(agent.pid!))!;
      expect(args).toContain('--enable-unsafe-webgpu');
      expect(args).not.toContain('--disable-gpu');
      expect(await (agent as BrowserAgent).evaluateInPage('navigator.gpu.requestAdapter().then((a) => a !== null)')).toBe(true);
    });
  });
});

describe('headless Chromium configuration (no browser needed)', () => {
  it('says how to get Chromium when there is none', async () => {
    expect(() => resolveChromium('/nonexistent/chromium')).toThrow(/not found at \/nonexistent\/chromium \(the chromiumPath option\): install Debian's chromium \(apt-get install -y chromium\) or set FLEETTUNE_CHROMIUM/);
    expect(() => resolveChromium(undefined, { FLEETTUNE_CHROMIUM: '/nope' })).toThrow(/at \/nope \(FLEETTUNE_CHROMIUM\)/);
    expect(() => resolveChromium(undefined, { FLEETTUNE_CHROMIUM: repoRoot })).toThrow(/not found/); // a folder is not a browser
    const transport = new LocalTransport({ runtime: 'browser', chromiumPath: '/nonexistent/chromium' });
    await expect(transport.launchAgent({ hubUrl: 'http://127.0.0.1:9', token: 'x' })).rejects.toThrow(/FLEETTUNE_CHROMIUM/);
    expect(await transport.info()).toMatchObject({ id: 'local-chromium', state: 'offline', browser: undefined });
  });

  it('builds a minimal command line; the URL carries the token, flags go before it', () => {
    const args = chromiumCommandLine({ chromiumArgs: ['--js-flags=--expose-gc'] }, '/tmp/p', 'http://127.0.0.1:5/agent/?token=a%2Bb');
    expect(args).toEqual(['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--no-default-browser-check', '--remote-debugging-pipe', '--user-data-dir=/tmp/p', '--js-flags=--expose-gc', 'http://127.0.0.1:5/agent/?token=a%2Bb']);
    expect(chromiumCommandLine({ webgpu: true }, '/tmp/p', 'u')).toContain('--enable-unsafe-webgpu');
    expect(agentPageUrl('http://127.0.0.1:5/', 'a+b/c')).toBe('http://127.0.0.1:5/agent/?token=a%2Bb%2Fc');
  });
});

function helloOf(conn: AgentConnection): Promise<HelloMessage> {
  return new Promise((resolve, reject) => {
    conn.onMessage((m) => m.type === 'hello' && resolve(m));
    conn.onProtocolError(reject);
    conn.onClose((c) => reject(new Error(`the agent closed the connection before hello (${c.code} ${c.reason})`)));
  });
}
