// The suite form: the fields people change most (name, steps, batch, sequence length, learning
// rate, mode, repeats, retries, timeout, PyTorch reference), each bound to its JSON path in the
// suite text and showing the validation errors of that path right under it. Everything else is
// edited in the JSON text next to it. A value that is not a number is kept as typed, so the
// field shows the schema's own error instead of silently dropping the input.
import type { SuiteIssue } from '../../../main/ipc/api-types';
import { getAt, issuesAt, setAt, type Path } from './suite-json';

interface Field {
  path: Path;
  label: string;
  kind: 'text' | 'number' | 'bool' | 'mode';
  hint?: string;
}

export const formFields: Field[] = [
  { path: ['name'], label: 'Name', kind: 'text', hint: 'letters, digits, dot, dash, underscore' },
  { path: ['description'], label: 'Description', kind: 'text' },
  { path: ['base', 'mode'], label: 'Training mode', kind: 'mode' },
  { path: ['base', 'steps'], label: 'Steps', kind: 'number' },
  { path: ['base', 'batchSize'], label: 'Batch size', kind: 'number' },
  { path: ['base', 'seqLen'], label: 'Sequence length (tokens)', kind: 'number' },
  { path: ['base', 'gradAccum'], label: 'Gradient accumulation', kind: 'number' },
  { path: ['base', 'lr'], label: 'Learning rate', kind: 'number' },
  { path: ['repeats'], label: 'Repeats per job', kind: 'number' },
  { path: ['retries'], label: 'Retries after a failure', kind: 'number' },
  { path: ['timeouts', 'jobSeconds'], label: 'Job timeout (s)', kind: 'number' },
  { path: ['reference'], label: 'PyTorch reference run per job', kind: 'bool' },
];

const id = (p: Path) => `field-${p.join('-')}`;

export function SuiteForm({ suite, text, issues, onText }: { suite: Record<string, unknown> | null; text: string; issues: SuiteIssue[]; onText(t: string): void }) {
  if (!suite) return <p className="muted">The JSON does not parse; fix it in the text editor and the form comes back.</p>;
  return (
    <div className="suite-form">
      {formFields.map((f) => {
        const v = getAt(suite, f.path);
        const errs = issuesAt(issues, f.path);
        const set = (value: unknown) => onText(setAt(text, f.path, value));
        return (
          <div key={id(f.path)} className={`field${errs.length ? ' field-error' : ''}`} data-testid={id(f.path)}>
            <label htmlFor={id(f.path)}>{f.label}</label>
            {f.kind === 'bool' ? (
              <input id={id(f.path)} type="checkbox" checked={v === true} onChange={(e) => set(e.target.checked)} />
            ) : f.kind === 'mode' ? (
              <select id={id(f.path)} value={typeof v === 'string' ? v : ''} onChange={(e) => set(e.target.value || undefined)}>
                <option value="">default (LoRA) or from the matrix</option>
                <option value="lora">LoRA</option>
                <option value="full">full fine-tuning</option>
              </select>
            ) : (
              <input id={id(f.path)} type="text" inputMode={f.kind === 'number' ? 'decimal' : undefined} value={v === undefined ? '' : String(v)}
                placeholder={f.kind === 'number' ? 'default' : ''}
                onChange={(e) => {
                  const raw = e.target.value;
                  if (raw === '') return set(undefined);
                  const n = Number(raw);
                  set(f.kind === 'number' && raw.trim() !== '' && Number.isFinite(n) ? n : raw);
                }} />
            )}
            {f.hint && !errs.length && <span className="field-hint">{f.hint}</span>}
            {errs.map((e) => <span key={e.pathText + e.message} className="field-message" role="alert">{e.pathText === f.path.join('.') ? e.message : `${e.pathText}: ${e.message}`}</span>)}
          </div>
        );
      })}
    </div>
  );
}
