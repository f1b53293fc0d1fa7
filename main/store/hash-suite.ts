// hashSuite: the SHA-256 of a suite spec's canonical JSON (object keys sorted, no whitespace), so
// the same suite written with its keys in another order resumes the same suite run. Not a schema
// check: it says only whether two specs are the same JSON value.
import { createHash } from 'node:crypto';

export function hashSuite(suite: unknown): string {
  return createHash('sha256').update(canonicalJson(suite)).digest('hex');
}

export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    return v;
  }) ?? 'null';
}
