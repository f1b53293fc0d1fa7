// The local transport's browser runtime: the agent runs in headless Chromium on this computer, in
// the bundle the hub serves at `${hubUrl}/agent/?token=T` (the page starts a module worker that
// connects back to the hub's WebSocket, exactly as in a phone's browser). One Chromium per job, in
// its own process group and a fresh temporary profile; stop() ends the whole group and removes the
// profile. `--remote-debugging-pipe` makes Chromium exit when the controller dies in any way.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, rmSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { promisify } from 'node:util';
import { groupMembers, processesMentioning } from '../probes/process-tree';
import { CdpPipe } from './cdp-pipe';
import type { AgentLaunch, RunningAgent } from './device-transport';
import { onControllerExit } from './exit-hook';
import { OutputTail } from './output-tail';

/** Debian's real binary (/usr/bin/chromium is a wrapper script: its pid would not be the browser's). */
export const defaultChromiumPath = '/usr/lib/chromium/chromium';

export interface ChromiumLaunchOptions {
  /** The browser binary; default FLEETTUNE_CHROMIUM, else /usr/lib/chromium/chromium (Linux). */
  chromiumPath?: string;
  /** Turn WebGPU on (`--enable-unsafe-webgpu`, GPU not disabled); default off. */
  webgpu?: boolean;
  /** More flags, before the page URL (e.g. `--js-flags=...`). */
  chromiumArgs?: string[];
  env?: NodeJS.ProcessEnv;
  /** Grace period between SIGTERM and SIGKILL to the browser's process group; default 3000 ms. */
  stopGraceMs?: number;
}

/** The Chromium binary to run, or an error that says how to get one. */
export function resolveChromium(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.FLEETTUNE_CHROMIUM || undefined;
  const candidate = explicit ?? fromEnv ?? (process.platform === 'linux' ? defaultChromiumPath : undefined);
  if (candidate) {
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // reported below
    }
  }
  const where = candidate ? ` at ${candidate} (${explicit ? 'the chromiumPath option' : fromEnv ? 'FLEETTUNE_CHROMIUM' : 'the default'})` : '';
  throw new Error(`headless Chromium not found${where}: install Debian's chromium (apt-get install -y chromium) or set FLEETTUNE_CHROMIUM to the browser binary`);
}

const versions = new Map<string, Promise<string>>();

/** `chromium --version` ("Chromium 156.0.8078.108"), asked once per binary. */
export function chromiumVersion(bin: string): Promise<string> {
  let v = versions.get(bin);
  if (!v) {
    v = promisify(execFile)(bin, ['--version'], { timeout: 30_000 }).then(({ stdout }) => stdout.trim().split('\n')[0]!.trim());
    v.catch(() => versions.delete(bin)); // a failure is not cached: the next info() asks again
    versions.set(bin, v);
  }
  return v;
}

/** The agent page for a job: the hub's bundle with the job token in the query. */
export function agentPageUrl(hubUrl: string, token: string): string {
  return `${hubUrl.replace(/\/+$/, '')}/agent/?token=${encodeURIComponent(token)}`;
}

/** Chromium's command line for one agent page. */
export function chromiumCommandLine(o: Pick<ChromiumLaunchOptions, 'webgpu' | 'chromiumArgs'>, profileDir: string, url: string): string[] {
  return [
    // The new headless mode (the only one Chromium >= 132 has under this name): the full browser
    // without a display. It keeps running as long as its page is open (no --dump-dom / --screenshot).
    '--headless',
    // The sandbox refuses to start as root (containers, CI) and needs user namespaces otherwise;
    // the page loads only the hub's own bundle.
    '--no-sandbox',
    // WebGPU needs the GPU process (SwiftShader on a machine without a GPU); else no GPU at all.
    ...(o.webgpu ? ['--enable-unsafe-webgpu'] : ['--disable-gpu']),
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--no-default-browser-check',
    // DevTools on fds 3/4 instead of a port: nothing listens, and Chromium exits when the pipe
    // closes, i.e. when the controller exits even by SIGKILL (the group is detached from the
    // controller's, so a terminal's Ctrl-C would not reach it otherwise).
    '--remote-debugging-pipe',
    `--user-data-dir=${profileDir}`,
    ...(o.chromiumArgs ?? []),
    url,
  ];
}

/** Signal a process (pid > 0) or a whole process group (-pgid); gone already is fine (ESRCH). */
function signal(target: number, sig: NodeJS.Signals): void {
  try {
    process.kill(target, sig);
  } catch {
    // ESRCH: already gone
  }
}

const killGroup = (pgid: number, sig: NodeJS.Signals) => signal(-pgid, sig);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * After the browser exited: end what is left of its process group and the helpers that left the
 * group (crashpad handlers, found by the profile folder in their command line), then remove the
 * profile. Nothing there is worth a grace period once the browser itself is gone.
 */
async function endLeftovers(pgid: number, profileDir: string): Promise<void> {
  for (const deadline = Date.now() + 5000; Date.now() < deadline; ) {
    const left = [...(await groupMembers(pgid)), ...(await processesMentioning(profileDir))];
    if (left.length === 0) break;
    killGroup(pgid, 'SIGKILL');
    for (const p of left) signal(p.pid, 'SIGKILL');
    await sleep(50);
  }
  await rm(profileDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
}

/** An agent running in headless Chromium; `pid` is the browser process (the leader of its group). */
export class BrowserAgent implements RunningAgent {
  readonly pid: number;
  /** Settles once the browser has exited, the rest of its processes are gone and the profile is removed. */
  readonly exited: Promise<{ code: number | null; signal: string | null }>;
  hasExited = false;
  private readonly tail = new OutputTail();
  private readonly cdp: CdpPipe;
  /** The browser process itself has exited (before the leftovers and the profile are dealt with). */
  private readonly browserExit: Promise<unknown>;

  constructor(
    child: ChildProcess,
    /** The temporary --user-data-dir (and XDG_CONFIG_HOME) of this browser. */
    readonly profileDir: string,
    /** The agent page's URL (with the token). */
    readonly pageUrl: string,
    private readonly graceMs: number,
  ) {
    this.pid = child.pid!;
    child.stdout?.on('data', (b: Buffer) => this.tail.push(b));
    child.stderr?.on('data', (b: Buffer) => this.tail.push(b));
    this.cdp = new CdpPipe(child.stdio[3] as Writable, child.stdio[4] as Readable);
    const unregister = onControllerExit(() => {
      killGroup(this.pid, 'SIGKILL');
      // Processes just killed may still be finishing a write: retry while the folder refills.
      rmSync(profileDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 20 });
    });
    const browserExit = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
      child.once('exit', (code, signal) => {
        this.hasExited = true;
        resolve({ code, signal });
      });
    });
    this.browserExit = browserExit;
    // 'close': stdout / stderr drained (the last lines of a crash); the leftovers held them open.
    const drained = new Promise((resolve) => child.once('close', resolve));
    this.exited = browserExit.then(async (x) => {
      await endLeftovers(this.pid, profileDir).catch((e: Error) => this.tail.push(`\n[fleettune] cleanup after Chromium: ${e.message}\n`));
      unregister();
      await Promise.race([drained, sleep(500)]);
      return x;
    });
  }

  async stop(): Promise<void> {
    if (!this.hasExited) {
      killGroup(this.pid, 'SIGTERM');
      const kill = setTimeout(() => killGroup(this.pid, 'SIGKILL'), this.graceMs);
      await this.browserExit;
      clearTimeout(kill);
    }
    await this.exited;
  }

  /** Chromium's stderr and stdout (its own log noise included). */
  output(): string {
    return this.tail.text();
  }

  /** Evaluate a JavaScript expression in the agent's page (DevTools over the pipe); for diagnostics and tests. */
  evaluateInPage(expression: string): Promise<unknown> {
    return this.cdp.evaluateInPage(this.pageUrl.slice(0, this.pageUrl.indexOf('/agent/') + '/agent/'.length), expression);
  }
}

/** Start headless Chromium on the agent page of `launch`. */
export async function launchChromiumAgent(launch: AgentLaunch, o: ChromiumLaunchOptions = {}): Promise<BrowserAgent> {
  const bin = resolveChromium(o.chromiumPath);
  const profileDir = await mkdtemp(path.join(os.tmpdir(), 'fleettune-chromium-'));
  const url = agentPageUrl(launch.hubUrl, launch.token);
  const args = chromiumCommandLine(o, profileDir, url);
  // Chromium's crashpad handlers keep their database under XDG_CONFIG_HOME (~/.config/chromium),
  // not under --user-data-dir: pointed at the profile, every file of the launch is in one folder
  // that stop() removes, and the handlers (outside the process group) name it on their command line.
  const env = { ...(o.env ?? process.env), XDG_CONFIG_HOME: profileDir };
  // detached: a new session and process group led by the browser, so stop() reaches every process.
  const child = spawn(bin, args, { detached: true, env, stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe'] });
  try {
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (e) => reject(new Error(`could not start headless Chromium (${bin}): ${e.message}`)));
    });
  } catch (e) {
    await rm(profileDir, { recursive: true, force: true });
    throw e;
  }
  return new BrowserAgent(child, profileDir, url, o.stopGraceMs ?? 3000);
}
