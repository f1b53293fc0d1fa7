// Number formatting that the reports (main/reports) and the app (renderer) both use, so a figure
// reads the same in an exported report and on screen: significant digits without exponents for
// everyday magnitudes, and "not measured" for a missing value (never 0 or NaN).

export const NOT_MEASURED = 'not measured';

export function fmtNum(v: number | null | undefined, digits = 4, missing = NOT_MEASURED): string {
  if (v == null || !Number.isFinite(v)) return missing;
  if (v === 0) return '0';
  const abs = Math.abs(v);
  if (abs >= 1e15 || abs < 1e-4) return v.toExponential(Math.max(digits - 1, 1));
  if (abs >= 10 ** digits) return Math.round(v).toLocaleString('en-US');
  return Number(v.toPrecision(digits)).toString();
}
