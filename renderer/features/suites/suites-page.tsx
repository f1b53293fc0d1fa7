// The Suites page: pick a built-in or saved suite (or edit it), see validation errors at the
// field and at the line of the JSON, choose devices, start (into the queue), save a copy, and
// watch / cancel the queue. Validation runs in the controller (suites:validate) as you type.
import { useEffect, useMemo, useState } from 'react';
import type { DeviceView, QueueEntry, SuiteValidation } from '../../../main/ipc/api-types';
import { ErrorNote, StatusBadge } from '../../components/ui-bits';
import { errorText, useApi, useEvent, useInvoke } from '../../hooks/use-api';
import { QueueTable } from './queue-table';
import { SuiteForm } from './suite-form';
import { parseOrNull } from './suite-json';
import { SuiteText } from './suite-text';

export function SuitesPage() {
  const api = useApi();
  const suites = useInvoke('suites:list');
  const fleet = useInvoke('fleet:list');
  const queued = useInvoke('queue:list');
  const [queue, setQueue] = useState<QueueEntry[] | null>(null);
  const [devices, setDevices] = useState<DeviceView[] | null>(null);
  useEvent('queue:changed', setQueue);
  useEvent('fleet:changed', setDevices);
  const [suiteId, setSuiteId] = useState<string | null>(null);
  const [text, setText] = useState('');
  const [validation, setValidation] = useState<SuiteValidation | null>(null);
  const [chosen, setChosen] = useState<string[]>([]);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [saveName, setSaveName] = useState('');

  // pick the first suite once the list is there
  useEffect(() => {
    if (!suiteId && suites.data?.length) setSuiteId(suites.data[0].id);
  }, [suites.data, suiteId]);
  useEffect(() => {
    if (!api || !suiteId) return;
    api.invoke('suites:read', { id: suiteId }).then((s) => setText(s.text), (e: unknown) => setMessage({ ok: false, text: errorText(e) }));
  }, [api, suiteId]);
  useEffect(() => {
    if (!api || !text) return;
    const t = setTimeout(() => void api.invoke('suites:validate', { text }).then(setValidation, (e: unknown) => setMessage({ ok: false, text: errorText(e) })), 250);
    return () => clearTimeout(t);
  }, [api, text]);

  const deviceList = devices ?? fleet.data ?? [];
  const usable = deviceList.filter((d) => d.state === 'connected' || d.state === 'busy');
  // default device choice: what the suite asks for, among the usable ones
  useEffect(() => {
    if (!validation?.ok || chosen.length) return;
    const wanted = validation.devices.includes('*') ? usable.map((d) => d.id) : validation.devices.filter((id) => usable.some((d) => d.id === id));
    if (wanted.length) setChosen(wanted);
  }, [validation, usable, chosen.length]);
  const suite = useMemo(() => parseOrNull(text), [text]);
  const issues = validation?.issues ?? [];
  const canStart = !!validation?.ok && chosen.length > 0;

  const start = async () => {
    if (!api) return;
    setMessage(null);
    try {
      const e = await api.invoke('queue:start', { text, deviceIds: chosen });
      setMessage({ ok: true, text: `“${e.suiteName}” ${e.status === 'running' ? 'started' : 'queued'} on ${e.deviceIds.join(', ')}.` });
    } catch (e) {
      setMessage({ ok: false, text: errorText(e) });
    }
  };
  const save = async () => {
    if (!api) return;
    try {
      const entry = await api.invoke('suites:save', { fileName: saveName || `${validation?.name ?? 'suite'}.json`, text });
      suites.reload();
      setSuiteId(entry.id);
      setMessage({ ok: true, text: `Saved as ${entry.file}` });
    } catch (e) {
      setMessage({ ok: false, text: errorText(e) });
    }
  };
  const cancel = (id: string) => api?.invoke('queue:cancel', { queueId: id }).catch((e: unknown) => setMessage({ ok: false, text: errorText(e) }));

  return (
    <div className="page" data-testid="suites-page">
      <header className="page-head"><h2>Suites</h2></header>
      <ErrorNote what="Could not list the suites" error={suites.error} />
      <div className="suites-layout">
        <nav className="suite-list" aria-label="Suites">
          {(suites.data ?? []).map((s) => (
            <button type="button" key={s.id} className={`suite-item${s.id === suiteId ? ' selected' : ''}`} onClick={() => { setSuiteId(s.id); setChosen([]); }} title={s.file} data-testid={`suite-${s.id}`}>
              <span className="suite-name">{s.name}</span>
              <span className="muted small">{s.source === 'builtin' ? 'built-in' : 'yours'}{s.error ? ' · has errors' : ''}</span>
            </button>
          ))}
        </nav>
        <section className="suite-editor">
          <div className="validation-line" data-testid="validation">
            {validation ? (validation.ok
              ? <span className="ok-text">✓ valid · {validation.jobs} job{validation.jobs === 1 ? '' : 's'} per device</span>
              : <span className="error-text">✗ {validation.issues.length} problem{validation.issues.length === 1 ? '' : 's'}: fix the marked fields</span>)
              : <span className="muted">checking…</span>}
          </div>
          <div className="editor-columns">
            <SuiteForm suite={suite} text={text} issues={issues} onText={setText} />
            <SuiteText text={text} issues={issues} onText={setText} />
          </div>
          <fieldset className="device-picker">
            <legend>Run on</legend>
            {deviceList.length === 0 && <span className="muted">No devices: connect a phone with USB debugging enabled, or run on this computer.</span>}
            {deviceList.map((d) => (
              <label key={d.id} className="device-choice">
                <input type="checkbox" disabled={!usable.includes(d)} checked={chosen.includes(d.id)}
                  onChange={(e) => setChosen((c) => (e.target.checked ? [...c, d.id] : c.filter((x) => x !== d.id)))} />
                {d.name} <StatusBadge status={d.state} />
              </label>
            ))}
          </fieldset>
          <div className="actions">
            <button type="button" className="primary" disabled={!canStart} onClick={() => void start()} data-testid="start-suite">Start</button>
            <input type="text" aria-label="File name to save as" placeholder={`${validation?.name ?? 'suite'}.json`} value={saveName} onChange={(e) => setSaveName(e.target.value)} />
            <button type="button" onClick={() => void save()} disabled={!suite}>Save to my suites</button>
            {!canStart && validation?.ok && <span className="muted small">choose at least one device</span>}
          </div>
          {message && <p className={message.ok ? 'ok-text' : 'error-text'} role="status" data-testid="suite-message">{message.text}{message.ok && message.text.includes('started') && <> <a href="#/live">Watch it live →</a></>}</p>}
        </section>
      </div>
      <h3>Queue</h3>
      <ErrorNote what="Could not read the queue" error={queued.error} />
      <QueueTable entries={queue ?? queued.data ?? []} onCancel={(id) => void cancel(id)} />
    </div>
  );
}
