// Number and time formatting for the UI, one place: significant digits without exponents for
// everyday magnitudes, MiB, seconds, percentages, and "not measured" for a missing measurement
// (never 0 or NaN). fmtNum comes from common/format.ts, which the reports use too, so both read alike.

import { NOT_MEASURED, fmtNum } from '../../common/format';

export { NOT_MEASURED, fmtNum };

export function fmtUnit(v: number | null | undefined, unit: string, digits = 4, missing = NOT_MEASURED): string {
  const n = fmtNum(v, digits, missing);
  return n === missing ? missing : `${n} ${unit}`;
}

export function fmtBytes(bytes: number | null | undefined, missing = NOT_MEASURED): string {
  if (bytes == null || !Number.isFinite(bytes)) return missing;
  if (bytes >= 1024 ** 3) return `${fmtNum(bytes / 1024 ** 3, 3)} GiB`;
  return `${fmtNum(bytes / 1024 ** 2, 4)} MiB`;
}

/** "12 s ago", "3 min ago", or the local date and time for older moments. */
export function fmtAgo(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '—';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const s = Math.round((now - t) / 1000);
  if (s < 60) return `${Math.max(s, 0)} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  return new Date(t).toLocaleString();
}

/** A tick label for chart axes: compact, no long decimals. */
export function fmtTick(v: number): string {
  if (!Number.isFinite(v)) return '';
  const abs = Math.abs(v);
  if (abs >= 1e6) return `${Number((v / 1e6).toPrecision(3))}M`;
  if (abs >= 1e4) return `${Number((v / 1e3).toPrecision(3))}k`;
  return String(Number(v.toPrecision(4)));
}

/** A file size: B, KiB or MiB. */
export function fmtSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${fmtNum(bytes / 1024, 3)} KiB`;
  return `${fmtNum(bytes / 1024 ** 2, 3)} MiB`;
}
