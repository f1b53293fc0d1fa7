// Pure helpers for editing a suite as JSON text through form fields: read the value at a JSON
// path, write one (returning the re-formatted text), and pick the validation issues that belong to
// a field. Not validation itself (the controller's suites:validate does that).
import type { SuiteIssue } from '../../../main/ipc/api-types';

export type Path = readonly (string | number)[];

export function parseOrNull(text: string): Record<string, unknown> | null {
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

export function getAt(obj: unknown, path: Path): unknown {
  let v = obj;
  for (const k of path) v = v && typeof v === 'object' ? (v as Record<string | number, unknown>)[k] : undefined;
  return v;
}

/** The text with `value` at `path` (undefined removes the key), formatted with two-space indents. */
export function setAt(text: string, path: Path, value: unknown): string {
  const root = parseOrNull(text);
  if (!root || !path.length) return text;
  let node: Record<string | number, unknown> = root;
  for (const k of path.slice(0, -1)) {
    if (!node[k] || typeof node[k] !== 'object') node[k] = {};
    node = node[k] as Record<string | number, unknown>;
  }
  const last = path[path.length - 1];
  if (value === undefined) delete node[last];
  else node[last] = value;
  return `${JSON.stringify(root, null, 2)}\n`;
}

/** Issues at `path` or below it (a field shows the errors of its own value). */
export function issuesAt(issues: readonly SuiteIssue[], path: Path): SuiteIssue[] {
  return issues.filter((i) => path.length <= i.path.length && path.every((k, n) => i.path[n] === k));
}
