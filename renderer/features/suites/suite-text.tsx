// The suite as JSON text, with every validation problem listed under it by line and JSON path;
// clicking a problem selects its line in the text. Lines do not wrap, so a line number is a line.
// The form (suite-form.tsx) edits the same text.
import { useRef } from 'react';
import type { SuiteIssue } from '../../../main/ipc/api-types';

export function SuiteText({ text, issues, onText }: { text: string; issues: SuiteIssue[]; onText(t: string): void }) {
  const area = useRef<HTMLTextAreaElement>(null);
  const goTo = (line: number | null) => {
    const el = area.current;
    if (!el || line == null) return;
    const lines = text.split('\n');
    const start = lines.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0);
    el.focus();
    el.setSelectionRange(start, start + (lines[line - 1]?.length ?? 0));
  };
  return (
    <div className="suite-text">
      <label htmlFor="suite-json">Suite JSON</label>
      <textarea id="suite-json" ref={area} spellCheck={false} wrap="off" value={text} onChange={(e) => onText(e.target.value)} data-testid="suite-json" />
      {issues.length > 0 && (
        <ul className="issue-list" data-testid="issue-list">
          {issues.map((i) => (
            <li key={`${i.pathText}:${i.message}`}>
              <button type="button" className="link" onClick={() => goTo(i.line)}>
                {i.line != null ? `line ${i.line}` : 'file'} · <code>{i.pathText}</code>
              </button>{' '}
              {i.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
