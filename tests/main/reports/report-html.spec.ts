// The HTML report: self-contained (no URL, script, link or external resource), one <svg> per
// chart, every data string escaped, "not measured" where energy is null, units on the axes. It
// writes the example suite's full report set to test-artifacts/report-example/ for people to look
// at, and a PNG of it with headless Chromium when /usr/bin/chromium exists.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildReportData } from '../../../main/reports/report-data';
import { reportHtml } from '../../../main/reports/report-html';
import { writeReports } from '../../../main/reports/write-reports';
import { ResultsStore } from '../../../main/store/results-store';
import { buildExampleStore } from './example-store';

const root = path.resolve(import.meta.dirname, '../../..');
const outDir = path.join(root, 'test-artifacts', 'report-example');

/** The SVG element whose aria-label is `label`. */
function chart(html: string, label: string): string {
  const start = html.indexOf(`aria-label="${label}"`);
  expect(start, `chart "${label}"`).toBeGreaterThan(0);
  return html.slice(html.lastIndexOf('<svg', start), html.indexOf('</svg>', start));
}

describe('HTML report', () => {
  it('writes a self-contained report set for the example suite', () => {
    const { store, suiteRunId } = buildExampleStore();
    const data = buildReportData(store, { suiteRunId }, { generatedAt: '2026-11-29T09:00:00.000Z' });
    rmSync(outDir, { recursive: true, force: true });
    const files = writeReports(data, outDir);
    expect(files).toEqual({ html: path.join(outDir, 'report.html'), json: path.join(outDir, 'report.json'), runsCsv: path.join(outDir, 'runs.csv'), stepsCsv: path.join(outDir, 'steps.csv') });
    const html = readFileSync(files.html, 'utf8');
    expect(JSON.parse(readFileSync(files.json, 'utf8'))).toMatchObject({ format: 'fleettune-report', runs: expect.any(Array) });

    // self-contained: no URL at all, no script, no external stylesheet, image or font; a CSP forbids fetches
    expect(html).not.toMatch(/https?:|\/\/[a-z]/i);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\(/i);
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"`);

    // one <svg> per chart: every figure holds a chart, every svg is closed
    const svgs = html.match(/<svg\b/g)!.length;
    expect(html.match(/<\/svg>/g)!.length).toBe(svgs);
    const devices = data.runs.filter((r) => r.kind === 'device').length;
    // loss and loss-difference overlays + (loss, diff) per device run + RSS, tracked, RSS-over-time + tokens/s, step ms
    // + energy, temperature, temperature-over-time
    expect(svgs).toBe(2 + 2 * devices + 3 + 2 + 3);
    for (const fig of html.split('<figure>').slice(1)) expect(fig.slice(0, fig.indexOf('</figure>'))).toContain('<svg');

    // energy: measured runs have bars, the rest say so
    const energy = chart(html, 'Energy per run');
    const unmeasured = data.runs.filter((r) => r.summary.energyJ == null).length;
    expect(unmeasured).toBe(3); // this computer, the iPhone, the PyTorch log
    expect(energy.match(/>not measured</g)).toHaveLength(unmeasured);
    expect(energy).toContain('(charging)');
    expect(energy).toContain('energy (J)');
    // sharding groups and units on the axes
    const rss = chart(html, 'Peak RSS by run');
    expect(rss).toMatch(/>baseline<[\s\S]*>sharded 128 MB<[\s\S]*>PyTorch reference</);
    expect(rss).toContain('peak RSS (MiB)');
    expect(html).toContain('optimizer step');
    expect(html).toContain('loss (nats)');
    expect(html).toContain('throughput (tokens/s, median)');
    expect(html).toContain('maximum temperature (°C)');
    expect(html).toContain('Paired by job_key over 600 common steps');

    if (existsSync('/usr/bin/chromium')) {
      const png = path.join(outDir, 'report.png');
      execFileSync('/usr/bin/chromium', ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', `--screenshot=${png}`, '--window-size=1280,2000', `file://${files.html}`], { stdio: 'pipe', timeout: 90_000 });
      expect(statSync(png).size).toBeGreaterThan(10_000);
    } else {
      console.log('skipping the PNG rendering of the report: /usr/bin/chromium not found');
    }
  });

  it('escapes every data string', () => {
    const store = ResultsStore.open(':memory:');
    const evil = `<script>alert("x")</script> & 'co'`;
    store.upsertDevice({ id: 'dev<1>', transport: 'adb', model: evil });
    const id = store.createRun({ kind: 'device', impl: 'fleettune', deviceId: 'dev<1>', jobKey: '<b>job</b>', conditions: { backend: '<img src=x onerror=alert(1)>' } });
    store.setRunStatus(id, 'failed', { error: 'boom </td></tr><script>' });
    store.addSteps(id, [{ step: 1, loss: 3 }, { step: 2, loss: 2.5 }]);
    const html = reportHtml(buildReportData(store, { runIds: [id] }, { title: 'a "title" <with> & tags' }));
    expect(html).not.toMatch(/<script|<img|<b>job|<\/td><\/tr><script/);
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;co&#39;');
    expect(html).toContain('FleetTune report — a &quot;title&quot; &lt;with&gt; &amp; tags');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('No PyTorch reference paired');
  });

  it('renders an empty selection and a run with no data without inventing numbers', () => {
    const store = ResultsStore.open(':memory:');
    const empty = reportHtml(buildReportData(store, { runIds: [] }));
    expect(empty).toContain('FleetTune report — 0 runs');
    expect(empty.match(/<svg\b/g)?.length).toBe(5); // the five bar charts, each with no bars
    const id = store.createRun({ kind: 'device', impl: 'fleettune', name: 'queued run' });
    const html = reportHtml(buildReportData(store, { runIds: [id] }));
    expect(html).toContain('no data recorded');
    expect(chart(html, 'Energy per run')).toContain('>not measured<');
    expect(chart(html, 'Peak RSS by run')).toContain('>not measured<');
    expect(html).not.toMatch(/NaN|Infinity|undefined/);
  });
});
