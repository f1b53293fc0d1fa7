// Tests of main/probes/process-tree.ts and chromium-memory.ts against fixture /proc trees:
// tests/fixtures/proc-tree/chromium-agent/ (recorded from a real headless Chromium running the
// agent page: the renderer with a "DedicatedWorker" thread is the agent's) and synthetic/
// (hand-written edge cases: other process groups, orphans, zombies, extension / WebUI renderers).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { hostsDedicatedWorker, isPageRenderer, sampleChromiumRenderer } from '../../../main/probes/chromium-memory';
import { descendantsOf, groupMembers, listProcesses, parseStat, processesMentioning, readCmdline, readProcessTree, threadNames } from '../../../main/probes/process-tree';

const fixtures = fileURLToPath(new URL('../../fixtures/proc-tree/', import.meta.url));
const recorded = path.join(fixtures, 'chromium-agent');
const synthetic = path.join(fixtures, 'synthetic');
const kB = 1024;

describe('parseStat', () => {
  it('reads pid, comm, state, ppid and process group', () => {
    expect(parseStat('2218 (chromium) S 2139 2129 2129 0 -1 4194368 8485')).toEqual({ pid: 2218, comm: 'chromium', state: 'S', ppid: 2139, pgid: 2129 });
  });

  it('takes the fields after the last ")" (a comm may hold spaces and parentheses)', () => {
    expect(parseStat('200 (a (weird) name) R 1 200 200 0')).toEqual({ pid: 200, comm: 'a (weird) name', state: 'R', ppid: 1, pgid: 200 });
    expect(parseStat('7 (x) ) Z 3 4 4')).toMatchObject({ comm: 'x) ', state: 'Z', ppid: 3, pgid: 4 });
  });

  it('refuses text that is not a stat line', () => {
    expect(parseStat('')).toBeNull();
    expect(parseStat('12 chromium S 1 1')).toBeNull();
    expect(parseStat('12 (chromium)')).toBeNull();
  });
});

describe('process table and tree', () => {
  it('lists the numeric folders, skipping a process without a stat file (gone while reading)', async () => {
    const pids = (await listProcesses(synthetic)).map((e) => e.pid).sort((a, b) => a - b);
    expect(pids).toEqual([1, 100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 200]);
  });

  it('walks the ppid chain within the root process group', async () => {
    const tree = (await readProcessTree(100, synthetic))!;
    expect(tree.root).toMatchObject({ pid: 100, pgid: 100 });
    // 107 left the group (setsid), 108 was reparented to init: neither is part of the tree.
    expect(tree.descendants.map((e) => e.pid)).toEqual([101, 102, 103, 104, 105, 106, 109]);
    const all = await listProcesses(synthetic);
    expect(descendantsOf(all, 100).map((e) => e.pid).sort((a, b) => a - b)).toEqual([101, 102, 103, 104, 105, 106, 107, 109]);
    expect(await readProcessTree(999, synthetic)).toBeNull();
  });

  it('finds the recorded Chromium tree: zygotes, GPU, utilities and three renderers', async () => {
    const tree = (await readProcessTree(2129, recorded))!;
    expect(tree.descendants.map((e) => e.pid).sort((a, b) => a - b)).toEqual([2138, 2139, 2171, 2174, 2180, 2215, 2218, 2248]);
  });

  it('lists the live members of a group (zombies are already dead)', async () => {
    expect((await groupMembers(100, synthetic)).map((e) => e.pid).sort((a, b) => a - b)).toEqual([100, 101, 102, 103, 104, 105, 108, 109]);
    expect(await groupMembers(4242, synthetic)).toEqual([]);
  });

  it('splits command lines on NUL and on spaces (Chromium rewrites its children argv)', async () => {
    expect(await readCmdline(100, synthetic)).toEqual(['/usr/lib/chromium/chromium', '--headless', '--no-sandbox', '--user-data-dir=/tmp/fleettune-chromium-x', 'http://127.0.0.1:1/agent/?token=t']);
    expect(await readCmdline(101, synthetic)).toEqual(['/usr/lib/chromium/chromium', '--type=zygote', '--no-sandbox']);
    expect(await readCmdline(106, synthetic)).toEqual([]);
    expect(await readCmdline(999, synthetic)).toBeNull();
    expect((await readCmdline(2218, recorded))!).toContain('--type=renderer');
  });

  it('reads thread names and finds processes by their command line', async () => {
    expect(await threadNames(102, synthetic)).toEqual(['chromium', 'Compositor']);
    expect(await threadNames(999, synthetic)).toEqual([]);
    expect(await threadNames(2218, recorded)).toContain('DedicatedWorker');
    expect((await processesMentioning('fleettune-chromium-x', synthetic)).map((e) => e.pid)).toEqual([100]);
  });
});

describe('the agent renderer of headless Chromium', () => {
  it('tells page renderers from extension and WebUI renderers', () => {
    expect(isPageRenderer(['chromium', '--type=renderer', '--lang=en-US'])).toBe(true);
    expect(isPageRenderer(['chromium', '--type=renderer', '--extension-process'])).toBe(false);
    expect(isPageRenderer(['chromium', '--type=renderer', '--top-chrome-webui'])).toBe(false);
    expect(isPageRenderer(['chromium', '--type=gpu-process'])).toBe(false);
    expect(hostsDedicatedWorker(['chromium', 'DedicatedWorker', 'Compositor'])).toBe(true);
    expect(hostsDedicatedWorker(['chromium', 'Compositor'])).toBe(false);
  });

  it('picks the renderer running the dedicated worker, not the larger WebUI one nor the spare', async () => {
    // Recorded: 2215 (--top-chrome-webui, HWM 157796 kB), 2218 (the agent page + worker), 2248 (spare).
    expect(await sampleChromiumRenderer(2129, recorded)).toEqual({ rssBytes: 135168 * kB, hwmBytes: 138196 * kB, swapBytes: 0, pids: [2218] });
  });

  it('without a worker thread, takes the maximum of each field over the page renderers of the group', async () => {
    // 102 and 103 count; 104 (extension), 105 (WebUI), 106 (zombie), 107 (other group), 108 (orphan) do not.
    expect(await sampleChromiumRenderer(100, synthetic)).toEqual({ rssBytes: 150000 * kB, hwmBytes: 200000 * kB, swapBytes: 2048 * kB, pids: [102, 103] });
  });

  it('is null when the browser is gone or has no renderer', async () => {
    expect(await sampleChromiumRenderer(999, synthetic)).toBeNull();
    expect(await sampleChromiumRenderer(1, synthetic)).toBeNull();
    expect(await sampleChromiumRenderer(106, synthetic)).toBeNull();
  });
});
