// Peak RSS of an agent that runs in headless Chromium on this computer: the agent's page and its
// module worker live in one renderer process, not in the browser process the controller started.
// Walks the browser's process tree (process-tree.ts), keeps the renderers that can host the page,
// prefers the one(s) running a dedicated worker thread, and reads their /proc/<pid>/status.
// Linux only (like proc-status.ts); Android's Chrome renderers are found differently (adb, later).
import type { MemorySample } from '../transports/device-transport';
import { readProcStatus } from './proc-status';
import { readCmdline, readProcessTree, threadNames } from './process-tree';

/**
 * A renderer that may host the agent's page: `--type=renderer`, but not an extension's process
 * and not Chromium's own WebUI (`--top-chrome-webui`: headless Chromium preloads its omnibox popup
 * in one, measured at ~155 MB, larger than a hello-only agent page).
 */
export function isPageRenderer(args: string[]): boolean {
  return args.includes('--type=renderer') && !args.includes('--extension-process') && !args.includes('--top-chrome-webui');
}

/** Chromium names a dedicated worker's thread "DedicatedWorker thread" (comm keeps 15 characters). */
export function hostsDedicatedWorker(threads: string[]): boolean {
  return threads.some((t) => t.startsWith('DedicatedWorker'));
}

export interface RendererSample extends MemorySample {
  /** The renderers the sample was taken from. */
  pids: number[];
}

/**
 * The memory of the renderer that runs the agent, under the browser process `browserPid`; null
 * when the browser is gone or no renderer is (yet) readable.
 *
 * Candidates are the page renderers in the browser's tree (and process group); those running a
 * dedicated worker are the agent's (the page starts its worker at once), else all candidates count
 * (page still loading, or the worker ended). Among several, each field is the *maximum*, not the
 * sum: the agent's page and worker are one process, and the others are a spare renderer that
 * Chromium keeps ready for the next navigation or another page, whose memory the agent never
 * uses; summing would also add peaks reached at different times. The agent's renderer, once it
 * holds a model, is by far the largest, so the maximum is its own figure.
 */
export async function sampleChromiumRenderer(browserPid: number, procRoot = '/proc'): Promise<RendererSample | null> {
  const tree = await readProcessTree(browserPid, procRoot);
  if (!tree || tree.root.state === 'Z') return null;
  const renderers: number[] = [];
  const withWorker: number[] = [];
  for (const p of tree.descendants) {
    if (p.state === 'Z') continue;
    const args = await readCmdline(p.pid, procRoot);
    if (!args || !isPageRenderer(args)) continue;
    renderers.push(p.pid);
    if (hostsDedicatedWorker(await threadNames(p.pid, procRoot))) withWorker.push(p.pid);
  }
  const chosen = withWorker.length > 0 ? withWorker : renderers;
  let best: RendererSample | null = null;
  for (const pid of chosen) {
    const m = await readProcStatus(pid, procRoot);
    if (!m) continue;
    best = best
      ? { rssBytes: Math.max(best.rssBytes, m.rssBytes), hwmBytes: Math.max(best.hwmBytes, m.hwmBytes), swapBytes: Math.max(best.swapBytes, m.swapBytes), pids: [...best.pids, pid] }
      : { ...m, pids: [pid] };
  }
  return best;
}
