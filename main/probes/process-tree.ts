// The Linux process table from /proc: each process's parent, process group and state from
// /proc/<pid>/stat, its command line and thread names, and the walk from a root process down its
// descendants (ppid chain), kept within the root's process group. The local transport uses it to
// find the headless Chromium renderer that runs the agent; procRoot points tests at fixture trees.
import { sysfs } from './sysfs-read';

export interface ProcEntry {
  pid: number;
  ppid: number;
  /** Process group id. */
  pgid: number;
  /** R, S, D, Z (zombie: no memory, already dead), T, I, ... */
  state: string;
  /** The executable's short name (at most 15 characters). */
  comm: string;
}

/**
 * Parse /proc/<pid>/stat: "pid (comm) state ppid pgrp ...". The comm may itself hold spaces and
 * parentheses, so the fields after it start after the *last* ")".
 */
export function parseStat(text: string): ProcEntry | null {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return null;
  const pid = Number(text.slice(0, open).trim());
  const [state, ppid, pgid] = text.slice(close + 1).trim().split(/\s+/);
  if (!Number.isInteger(pid) || !state || !/^\d+$/.test(ppid ?? '') || !/^-?\d+$/.test(pgid ?? '')) return null;
  return { pid, ppid: Number(ppid), pgid: Number(pgid), state, comm: text.slice(open + 1, close) };
}

/** One process's stat entry, or null when it is gone (or the file is unreadable). */
export async function readProcEntry(pid: number, procRoot = '/proc'): Promise<ProcEntry | null> {
  const text = await sysfs.text(sysfs.join(procRoot, String(pid), 'stat'));
  return text === null ? null : parseStat(text);
}

/** Every process in procRoot (numeric folders); processes that vanish while reading are skipped. */
export async function listProcesses(procRoot = '/proc'): Promise<ProcEntry[]> {
  const pids = (await sysfs.list(procRoot)).filter((n) => /^\d+$/.test(n)).map(Number);
  const entries = await Promise.all(pids.map((pid) => readProcEntry(pid, procRoot)));
  return entries.filter((e): e is ProcEntry => e !== null);
}

/**
 * The descendants of `rootPid` in `table` (children, their children, ...), in breadth-first order,
 * without the root. With `pgid`, only processes of that group are kept and followed: a descendant
 * that moved to a group of its own (setsid) is not part of the tree the caller owns.
 */
export function descendantsOf(table: ProcEntry[], rootPid: number, opts: { pgid?: number } = {}): ProcEntry[] {
  const children = new Map<number, ProcEntry[]>();
  for (const e of table) {
    if (e.pid === rootPid) continue;
    if (opts.pgid !== undefined && e.pgid !== opts.pgid) continue;
    const list = children.get(e.ppid) ?? [];
    list.push(e);
    children.set(e.ppid, list);
  }
  const out: ProcEntry[] = [];
  const queue = [rootPid];
  const seen = new Set(queue);
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      if (seen.has(child.pid)) continue;
      seen.add(child.pid);
      out.push(child);
      queue.push(child.pid);
    }
  }
  return out;
}

/**
 * The root process and its descendants within the root's process group (root first), or null when
 * the root is gone. Processes reparented to init after their parent died are no longer found.
 */
export async function readProcessTree(rootPid: number, procRoot = '/proc'): Promise<{ root: ProcEntry; descendants: ProcEntry[] } | null> {
  const table = await listProcesses(procRoot);
  const root = table.find((e) => e.pid === rootPid);
  if (!root) return null;
  return { root, descendants: descendantsOf(table, rootPid, { pgid: root.pgid }) };
}

/** Live (not zombie) members of a process group: what is left to end after a stop. */
export async function groupMembers(pgid: number, procRoot = '/proc'): Promise<ProcEntry[]> {
  return (await listProcesses(procRoot)).filter((e) => e.pgid === pgid && e.state !== 'Z');
}

/**
 * The command line as tokens, or null when the process is gone. Split on NUL *and* on spaces:
 * Chromium rewrites its children's argv into one space-separated string (setproctitle), so flags
 * are only found that way (a path holding spaces is split too; fine for matching flags).
 */
export async function readCmdline(pid: number, procRoot = '/proc'): Promise<string[] | null> {
  const r = await sysfs.read(sysfs.join(procRoot, String(pid), 'cmdline'));
  return r.ok ? r.text.split(/[\0 ]+/).filter(Boolean) : null;
}

/** Names of the process's threads (/proc/<pid>/task/<tid>/comm), [] when it is gone. */
export async function threadNames(pid: number, procRoot = '/proc'): Promise<string[]> {
  const dir = sysfs.join(procRoot, String(pid), 'task');
  const names = await Promise.all((await sysfs.list(dir)).map((tid) => sysfs.text(sysfs.join(dir, tid, 'comm'))));
  return names.filter((n): n is string => n !== null);
}

/**
 * Live processes whose command line contains `text` (e.g. a fresh temporary folder only one launch
 * uses): finds helpers that left the process group, such as Chromium's crashpad handlers.
 */
export async function processesMentioning(text: string, procRoot = '/proc'): Promise<ProcEntry[]> {
  const live = (await listProcesses(procRoot)).filter((e) => e.state !== 'Z');
  const hits = await Promise.all(live.map(async (e) => ((await sysfs.text(sysfs.join(procRoot, String(e.pid), 'cmdline')))?.includes(text) ? e : null)));
  return hits.filter((e): e is ProcEntry => e !== null);
}
