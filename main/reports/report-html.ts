// reportHtml: the self-contained HTML report of a ReportData: header, the run-conditions table,
// loss curves (each device run over its PyTorch reference, with the per-step difference), peak
// memory bars grouped by sharding, throughput, energy and temperature. Inline CSS and inline SVG
// only (a CSP meta forbids any fetch), so the file opens offline and can be mailed or printed.
// Missing measurements read "not measured"; nothing is estimated here. Not the PDF export (Electron).
import type { ReportData, ReportRun } from './report-data';
import { conditionsTable } from './report-conditions';
import { escapeHtml as esc } from './escape-html';
import { fmtNum, fmtTime } from './report-format';
import { palette, referenceColor } from './svg-axis';
import { svgBarChart, type Bar, type BarGroup } from './svg-bar-chart';
import { svgLineChart, type LineSeries } from './svg-line-chart';

const referenceDashes = ['7 4', '2 3', '10 3 2 3'];

export function reportHtml(data: ReportData): string {
  const devices = data.runs.filter((r) => r.kind === 'device');
  const refs = data.runs.filter((r) => r.kind === 'reference');
  const colors = new Map<string, string>();
  devices.forEach((r, i) => colors.set(r.id, palette[i % palette.length]));
  refs.forEach((r) => colors.set(r.id, referenceColor));
  const colorOf = (r: ReportRun) => colors.get(r.id) ?? referenceColor;
  const dashOf = (r: ReportRun) => (r.kind === 'reference' ? referenceDashes[refs.indexOf(r) % referenceDashes.length] : undefined);
  const line = (r: ReportRun, points = r.series.loss, name = r.label): LineSeries => ({ name, points, color: colorOf(r), dash: dashOf(r) });

  const sections = [
    section('conditions', 'Run conditions and results', conditionsTable(data, colorOf)),
    section('loss', 'Training loss', lossSection(data, line)),
    section('memory', 'Memory', memorySection(data, colorOf, line)),
    section('throughput', 'Throughput', throughputSection(data, colorOf)),
    section('energy', 'Energy and temperature', energySection(data, colorOf, line)),
    evalSection(data),
  ].filter(Boolean);

  const sr = data.suiteRun;
  const meta = [
    `Generated ${esc(fmtTime(data.generatedAt))}`,
    sr ? `suite run <code>${esc(sr.id)}</code> (${esc(sr.status)}), started ${esc(fmtTime(sr.startedAt))}${sr.finishedAt ? `, finished ${esc(fmtTime(sr.finishedAt))}` : ''}` : null,
    `${devices.length} device run${devices.length === 1 ? '' : 's'}, ${refs.length} reference run${refs.length === 1 ? '' : 's'}`,
  ].filter(Boolean).join(' · ');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${esc(`FleetTune report — ${data.title}`)}</title>
<style>${css}</style>
</head>
<body>
<header><h1>FleetTune report — ${esc(data.title)}</h1><p class="meta">${meta}</p>
<nav>${['conditions', 'loss', 'memory', 'throughput', 'energy'].map((id) => `<a href="#${id}">${id}</a>`).join(' ')}</nav></header>
${sections.join('\n')}
<footer>${definitions}</footer>
</body>
</html>
`;
}

function section(id: string, title: string, body: string): string {
  return `<section id="${id}"><h2>${esc(title)}</h2>\n${body}\n</section>`;
}

function lossSection(data: ReportData, line: (r: ReportRun, points?: ReportRun['series']['loss'], name?: string) => LineSeries): string {
  const out: string[] = [];
  if (data.runs.length > 1) {
    // references first, so the device curves are drawn over them
    const order = [...data.runs.filter((r) => r.kind === 'reference'), ...data.runs.filter((r) => r.kind !== 'reference')];
    out.push(figure('All runs', svgLineChart({ title: 'Training loss, all runs', xLabel: 'optimizer step', yLabel: 'loss (mean token cross-entropy, nats)', width: 1100, height: 300, series: order.map((r) => line(r)) })));
  }
  if (data.pairs.length > 1) {
    const diffs = data.pairs.map((p) => {
      const r = data.runs.find((x) => x.id === p.deviceRunId)!;
      return line(r, p.diff, r.label);
    });
    out.push(figure('Loss difference to the PyTorch reference, all paired runs', svgLineChart({ title: 'Loss difference to the reference, all paired runs', xLabel: 'optimizer step', yLabel: 'Δ loss, device − reference (nats)', width: 1100, height: 220, zeroLine: true, series: diffs })));
  }
  const paired = new Set(data.pairs.map((p) => p.referenceRunId));
  const cards = data.runs.filter((r) => r.kind === 'device' || !paired.has(r.id)).map((r) => {
    const pair = data.pairs.find((p) => p.deviceRunId === r.id);
    const ref = pair ? data.runs.find((x) => x.id === pair.referenceRunId) : undefined;
    const parts = [svgLineChart({ title: `Loss: ${r.label}`, xLabel: 'optimizer step', yLabel: 'loss (nats)', series: ref ? [line(ref), line(r)] : [line(r)] })];
    if (pair && ref) {
      parts.push(svgLineChart({ title: `Loss difference: ${r.label} minus ${ref.label}`, xLabel: 'optimizer step', yLabel: 'Δ loss (nats)', height: 120, zeroLine: true,
        series: [{ name: `${r.label} − ${ref.label}`, points: pair.diff, color: line(r).color }] }));
      parts.push(`<p class="note">Paired by ${esc(pair.by)} over ${pair.commonSteps} common steps: max |Δ| ${esc(fmtNum(pair.maxAbsDiff, 3))}, mean |Δ| ${esc(fmtNum(pair.meanAbsDiff, 3))}, Δ at step ${esc(pair.finalStep ?? '—')} ${esc(fmtNum(pair.finalDiff, 3))}.</p>`);
    } else if (r.kind === 'device') {
      parts.push('<p class="note">No PyTorch reference paired: import one (ResultsStore.importReferenceLog) with the same job key, or the same model and mode.</p>');
    }
    if (r.counts.nonFiniteLosses) parts.push(`<p class="note warn">${r.counts.nonFiniteLosses} step(s) had a non-finite loss and are not drawn.</p>`);
    return `<div class="card">${figure(r.label, parts.join('\n'))}</div>`;
  });
  out.push(`<div class="cards">${cards.join('\n')}</div>`);
  return out.join('\n');
}

function groupBars(runs: readonly ReportRun[], bar: (r: ReportRun) => Bar): BarGroup[] {
  const groups = new Map<string, Bar[]>();
  for (const r of runs) groups.set(r.group, [...(groups.get(r.group) ?? []), bar(r)]);
  const order = (g: string) => (g === 'baseline' ? 0 : g.startsWith('sharded') ? 1 : 2);
  return [...groups.entries()]
    .sort(([a], [b]) => order(a) - order(b) || a.localeCompare(b, 'en', { numeric: true }))
    .map(([label, bars]) => ({ label, bars }));
}

const MiB = 1024 * 1024;
const mib = (v: number) => `${fmtNum(v, 4)} MiB`;

function memorySection(data: ReportData, colorOf: (r: ReportRun) => string, line: (r: ReportRun, points?: ReportRun['series']['loss'], name?: string) => LineSeries): string {
  const out = [
    '<p class="note">Peak RSS is the device’s own accounting of the process that runs the agent (VmHWM, or the maximum RSS sample); swap is shown beside it where measured. Bars are grouped by sharding configuration.</p>',
    figure('Peak RSS', svgBarChart({ title: 'Peak RSS by run', xLabel: 'peak RSS (MiB)', format: mib, groups: groupBars(data.runs, (r) => ({
      label: r.label, color: colorOf(r),
      value: r.summary.peakRssBytes == null ? null : r.summary.peakRssBytes / MiB,
      note: r.summary.peakSwapBytes ? `+ ${fmtNum(r.summary.peakSwapBytes / MiB, 3)} MiB swap` : null,
    })) })),
  ];
  const devices = data.runs.filter((r) => r.kind === 'device');
  if (devices.length) {
    out.push(figure('Peak tracked tensor memory (agent accounting)', svgBarChart({ title: 'Peak tracked tensor bytes by run', xLabel: 'peak tracked tensors (MiB)', format: mib,
      groups: groupBars(devices, (r) => ({ label: r.label, color: colorOf(r), value: r.summary.peakTrackedBytes == null ? null : r.summary.peakTrackedBytes / MiB })) })));
  }
  const withRss = data.runs.filter((r) => r.series.rssMiB.length);
  if (withRss.length) {
    out.push(figure('RSS over time', svgLineChart({ title: 'RSS over time', xLabel: 'time since run start (s)', yLabel: 'RSS (MiB)', width: 1100, height: 260, includeZero: true,
      series: withRss.map((r) => line(r, r.series.rssMiB)) })));
  }
  return out.join('\n');
}

function throughputSection(data: ReportData, colorOf: (r: ReportRun) => string): string {
  const warm = [...new Set(data.runs.map((r) => r.summary.warmupSteps).filter((w) => w != null))].join(' / ');
  return [
    `<p class="note">Over timed steps after ${esc(warm || 'the')} warm-up step(s). Step time whiskers span p10–p90.</p>`,
    figure('Tokens per second (median)', svgBarChart({ title: 'Median tokens per second by run', xLabel: 'throughput (tokens/s, median)', format: (v) => `${fmtNum(v, 4)} tok/s`,
      groups: groupBars(data.runs, (r) => ({ label: r.label, color: colorOf(r), value: r.summary.tokensPerSecMedian ?? null })) })),
    figure('Step time', svgBarChart({ title: 'Median step time by run', xLabel: 'step time (ms, median; whiskers p10–p90)', format: (v) => `${fmtNum(v, 4)} ms`,
      groups: groupBars(data.runs, (r) => ({
        label: r.label, color: colorOf(r), value: r.summary.stepMsMedian ?? null,
        range: r.summary.stepMsP10 != null && r.summary.stepMsP90 != null ? [r.summary.stepMsP10, r.summary.stepMsP90] : null,
      })) })),
  ].join('\n');
}

function energySection(data: ReportData, colorOf: (r: ReportRun) => string, line: (r: ReportRun, points?: ReportRun['series']['loss'], name?: string) => LineSeries): string {
  const out = [
    '<p class="note">Energy is integrated from the device’s current × voltage (or charge counter) samples; “not measured” means the run has no such samples (e.g. iOS, a desktop without RAPL, a PyTorch log). A run that was charging is marked: its battery-side energy is not the device’s consumption.</p>',
    figure('Energy', svgBarChart({ title: 'Energy per run', xLabel: 'energy (J)', format: (v) => `${fmtNum(v, 4)} J`,
      groups: groupBars(data.runs, (r) => ({ label: r.label, color: colorOf(r), value: r.summary.energyJ ?? null, note: r.summary.chargingDuringRun ? 'charging' : null })) })),
    figure('Maximum temperature', svgBarChart({ title: 'Maximum device temperature per run', xLabel: 'maximum temperature (°C)', format: (v) => `${fmtNum(v, 3)} °C`,
      groups: groupBars(data.runs, (r) => ({
        label: r.label, color: colorOf(r), value: r.summary.maxTemperatureC ?? null,
        note: r.summary.startTemperatureC != null ? `start ${fmtNum(r.summary.startTemperatureC, 3)} °C` : null,
      })) })),
  ];
  const withT = data.runs.filter((r) => r.series.temperatureC.length);
  if (withT.length) {
    out.push(figure('Temperature over time', svgLineChart({ title: 'Device temperature over time', xLabel: 'time since run start (s)', yLabel: 'temperature (°C)', width: 1100, height: 240,
      series: withT.map((r) => line(r, r.series.temperatureC)) })));
  }
  return out.join('\n');
}

function evalSection(data: ReportData): string {
  const rows = data.runs.flatMap((r) => {
    const last = new Map<string, ReportRun['evals'][number]>();
    for (const e of r.evals) last.set(e.split, e);
    return [...last.values()].map((e) => `<tr><td>${esc(r.label)}</td><td>${esc(e.split)}</td><td>${e.step}</td><td>${esc(fmtNum(e.loss, 5, '—'))}</td><td>${esc(fmtNum(e.ppl, 5, '—'))}</td></tr>`);
  });
  if (!rows.length) return '';
  return section('evals', 'Evaluation (last per split)', `<table class="plain"><thead><tr><th>Run</th><th>Split</th><th>Step</th><th>Loss (nats)</th><th>Perplexity</th></tr></thead><tbody>${rows.join('')}</tbody></table>`);
}

function figure(caption: string, body: string): string {
  return `<figure><figcaption>${esc(caption)}</figcaption>${body}</figure>`;
}

const definitions = `<h2>Definitions</h2><ul>
<li><b>Loss</b>: mean token cross-entropy (nats) of the optimizer step’s micro-batches; Δ loss is device minus reference at the same step.</li>
<li><b>Throughput</b>: tokens/s per step over timed steps after warm-up, median; step time median and p10–p90.</li>
<li><b>Peak RSS</b>: the device’s accounting of the agent’s process (VmHWM, plus swap on Android); tracked tensor bytes are the agent’s own count, shown beside it, never instead.</li>
<li><b>Energy</b>: joules integrated from current × voltage samples (or the charge counter); sampling source and charging state are stored with each run.</li>
</ul>`;

const css = `
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; color: #222; background: #fafafa; margin: 0; padding: 24px 32px 48px; max-width: 1240px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 32px 0 10px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
.meta { color: #555; margin: 0 0 6px; } nav a { margin-right: 12px; color: #2c5d8f; text-transform: capitalize; }
code { font: 12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: #eee; padding: 1px 4px; border-radius: 3px; }
figure { margin: 12px 0 20px; } figcaption { font-weight: 600; margin-bottom: 4px; }
svg.chart { max-width: 100%; height: auto; background: #fff; border: 1px solid #e5e5e5; border-radius: 4px; display: block; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(560px, 1fr)); gap: 16px; }
.card { background: #fff; border: 1px solid #e5e5e5; border-radius: 6px; padding: 8px 12px; } .card svg.chart { border: none; margin-bottom: 6px; }
.note { color: #555; font-size: 13px; margin: 4px 0 8px; } .warn { color: #a4471a; }
.scroll { overflow-x: auto; background: #fff; border: 1px solid #e5e5e5; border-radius: 6px; }
table.conditions { border-collapse: collapse; font-size: 13px; min-width: 100%; }
table.conditions td { min-width: 120px; }
table.conditions th, table.conditions td { padding: 4px 10px; border-bottom: 1px solid #eee; text-align: left; vertical-align: top; }
table.conditions thead th { background: #f3f5f8; position: sticky; top: 0; min-width: 120px; }
table.conditions tbody th { color: #444; font-weight: 600; white-space: nowrap; background: #fcfcfc; }
table.conditions tr.sub th { background: #eef1f5; color: #2c3e50; text-transform: uppercase; font-size: 11px; letter-spacing: .05em; }
td.na { color: #999; } td.nm { color: #888; font-style: italic; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; vertical-align: middle; }
pre { font: 11px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; max-height: 300px; overflow: auto; margin: 4px 0; }
table.plain { border-collapse: collapse; background: #fff; } table.plain th, table.plain td { border: 1px solid #e5e5e5; padding: 4px 10px; text-align: left; }
footer { margin-top: 40px; color: #444; font-size: 13px; }
@media print { body { background: #fff; } .cards { grid-template-columns: 1fr; } }
`;
