// Number formatting shared by the report writers: fmtNum (from common/format.ts, which the app uses
// too), fmtMiB (bytes as MiB), fmtDuration and fmtTime (ISO -> readable UTC). Null and non-finite values are
// returned as `missing` so a gap reads "not measured" instead of turning into 0 or NaN.

import { fmtNum } from '../../common/format';

export { fmtNum };

export function fmtMiB(bytes: number | null | undefined, missing = 'not measured'): string {
  if (bytes == null || !Number.isFinite(bytes)) return missing;
  return `${fmtNum(bytes / (1024 * 1024), 4)} MiB`;
}

export function fmtDuration(ms: number | null | undefined, missing = '—'): string {
  if (ms == null || !Number.isFinite(ms)) return missing;
  if (ms < 60_000) return `${fmtNum(ms / 1000, 3)} s`;
  const total = Math.round(ms / 1000); // round once, so 479.6 s reads "8 min 0 s", never "7 min 60 s"
  const m = Math.floor(total / 60);
  if (m < 60) return `${m} min ${total - m * 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** An ISO time as "2026-11-29 08:00:05 UTC"; anything unparsable is returned as given. */
export function fmtTime(iso: string | null | undefined, missing = '—'): string {
  if (!iso) return missing;
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  return `${new Date(t).toISOString().replace('T', ' ').replace(/\.\d+Z$/, '').replace(/Z$/, '')} UTC`;
}
