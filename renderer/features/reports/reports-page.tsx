// Reports: export the current comparison (the runs selected on the Compare page, paired with its
// reference) as the HTML report, CSV (runs + steps) and JSON, and as PDF in the desktop app. The
// files are written by the controller; in the browser each can also be downloaded from here.
import { useState } from 'react';
import type { ExportFormat, ExportResult, ExportedFile } from '../../../main/ipc/api-types';
import { fmtSize } from '../../components/format';
import { EmptyState, ErrorNote } from '../../components/ui-bits';
import { errorText, useApi, useInvoke } from '../../hooks/use-api';
import { useSelection } from '../../hooks/use-selection';

const formats: [ExportFormat, string][] = [['html', 'HTML report'], ['csv', 'CSV (runs + steps)'], ['json', 'JSON'], ['pdf', 'PDF']];

export function ReportsPage() {
  const api = useApi();
  const { selection } = useSelection();
  const [chosen, setChosen] = useState<ExportFormat[]>(['html', 'csv', 'json']);
  const [title, setTitle] = useState('');
  const [result, setResult] = useState<ExportResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const desktop = api?.mode === 'desktop';
  const runs = useInvoke('runs:list', { limit: 10_000 });
  const label = (id: string) => runs.data?.find((r) => r.id === id)?.label ?? id;

  const run = async () => {
    if (!api) return;
    setBusy(true);
    setError(null);
    try {
      setResult(await api.invoke('reports:export', { runIds: selection.runIds, referenceRunId: selection.referenceRunId, formats: chosen, title: title || undefined }));
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  const download = async (f: ExportedFile) => {
    if (!api || !result) return;
    try {
      const file = await api.invoke('reports:file', { exportId: result.id, name: f.name });
      const bytes = Uint8Array.from(atob(file.base64), (c) => c.charCodeAt(0));
      const url = URL.createObjectURL(new Blob([bytes], { type: file.mime }));
      const a = document.createElement('a');
      a.href = url;
      a.download = file.name;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (e) {
      setError(errorText(e));
    }
  };

  return (
    <div className="page" data-testid="reports-page">
      <header className="page-head"><h2>Reports</h2></header>
      {!selection.runIds.length ? (
        <EmptyState title="Nothing to export yet.">Choose runs on the <a href="#/compare">Compare</a> page; the export is that comparison.</EmptyState>
      ) : (
        <section className="card">
          <p>
            Exporting the current comparison: <strong>{selection.runIds.length} run{selection.runIds.length === 1 ? '' : 's'}</strong>
            {selection.referenceRunId ? `, each paired with the reference “${label(selection.referenceRunId)}”` : ', device runs paired with a reference of the same job where one is selected'}.
          </p>
          <ul className="export-runs">{selection.runIds.map((id) => <li key={id}>{label(id)}</li>)}</ul>
          <div className="controls">
            <fieldset className="formats">
              <legend>Formats</legend>
              {formats.map(([f, label]) => (
                <label key={f} title={f === 'pdf' && !desktop ? 'PDF needs the desktop app; open the HTML report and print it instead' : undefined}>
                  <input type="checkbox" disabled={f === 'pdf' && !desktop} checked={chosen.includes(f) && (f !== 'pdf' || desktop)}
                    onChange={(e) => setChosen((c) => (e.target.checked ? [...c, f] : c.filter((x) => x !== f)))} />
                  {label}{f === 'pdf' && !desktop ? ' (desktop app only)' : ''}
                </label>
              ))}
            </fieldset>
            <label className="inline-control">Title <input type="text" value={title} placeholder={`Comparison of ${selection.runIds.length} runs`} onChange={(e) => setTitle(e.target.value)} /></label>
            <button type="button" className="primary" disabled={busy || !chosen.length} onClick={() => void run()} data-testid="export">{busy ? 'Exporting…' : 'Export'}</button>
          </div>
        </section>
      )}
      <ErrorNote what="Export failed" error={error} />
      {result && (
        <section className="card" data-testid="export-result">
          <h3>Exported to <span className="mono">{result.dir}</span></h3>
          <table className="table">
            <thead><tr><th>File</th><th>Size</th><th>Path</th>{!desktop && <th />}</tr></thead>
            <tbody>
              {result.files.map((f) => (
                <tr key={f.name}>
                  <td>{f.name}</td>
                  <td>{fmtSize(f.bytes)}</td>
                  <td className="mono small">{f.path}</td>
                  {!desktop && <td><button type="button" onClick={() => void download(f)}>Download</button></td>}
                </tr>
              ))}
            </tbody>
          </table>
          {result.notes.map((n) => <p key={n} className="muted">{n}</p>)}
        </section>
      )}
    </div>
  );
}
