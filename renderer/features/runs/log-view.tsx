// A log panel: time, level and text per line, newest at the bottom, kept scrolled to the end
// while new lines arrive. Errors are marked so they stand out. Shows the last 300 lines; the
// live feed keeps more (live-page.tsx).
import { useEffect, useRef } from 'react';
import type { LogLine } from '../../../main/ipc/api-types';

export function LogView({ lines, testId }: { lines: LogLine[]; testId?: string }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (box.current) box.current.scrollTop = box.current.scrollHeight;
  }, [lines.length]);
  if (!lines.length) return <p className="muted small">No log lines yet.</p>;
  return (
    <div className="log" ref={box} data-testid={testId}>
      {lines.slice(-300).map((l, i) => (
        <div key={i} className={`log-line${l.level === 'error' ? ' log-error' : ''}`}>
          <span className="log-time">{new Date(l.at).toLocaleTimeString()}</span> {l.text}
        </div>
      ))}
    </div>
  );
}
