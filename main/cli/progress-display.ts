// The suite CLI's live progress: one line per device (run, step, loss, tokens/s, ETA, peak RSS),
// redrawn in place on a terminal and printed as plain lines (at most every 2 s per device, plus
// every status change) when output is a file or a CI log.
import type { RunEvent } from '../runner/runner-types.js';

interface DeviceLine {
  text: string;
  lastPrinted: number;
}

export class ProgressDisplay {
  private readonly lines = new Map<string, DeviceLine>();
  private drawn = 0;
  private readonly tty: boolean;

  constructor(private readonly out: NodeJS.WriteStream = process.stdout) {
    this.tty = Boolean(out.isTTY);
  }

  log(line: string): void {
    this.clear();
    this.out.write(`${line}\n`);
    this.redraw();
  }

  event(ev: RunEvent): void {
    const now = Date.now();
    const prev = this.lines.get(ev.deviceId);
    let text: string;
    let important = true;
    if (ev.type === 'step') {
      const tokS = ev.ms > 0 ? Math.round((ev.tokens / ev.step) / (ev.ms / 1000)) : 0;
      const eta = Math.max(0, Math.round(((ev.totalSteps - ev.step) * ev.ms) / 1000));
      text = `${ev.deviceId.padEnd(10)} step ${String(ev.step).padStart(4)}/${ev.totalSteps}  loss ${ev.loss.toFixed(4)}  ${tokS} tok/s  ETA ${eta}s${ev.rssMb > 0 ? `  peak RSS ${ev.rssMb.toFixed(0)} MB` : ''}  [${ev.runId}]`;
      important = ev.step === ev.totalSteps;
    } else if (ev.type === 'status') text = `${ev.deviceId.padEnd(10)} ${ev.status}${ev.detail ? `: ${ev.detail}` : ''}  [${ev.runId}]`;
    else text = `${ev.deviceId.padEnd(10)} ${ev.status}${ev.error ? `: ${ev.error.split('\n')[0]}` : ''}  [${ev.runId}]`;
    const line = { text, lastPrinted: prev?.lastPrinted ?? 0 };
    this.lines.set(ev.deviceId, line);
    if (this.tty) {
      if (ev.type === 'finished') this.log(text);
      else this.redraw();
    } else if (important || now - line.lastPrinted >= 2000) {
      line.lastPrinted = now;
      this.out.write(`${text}\n`);
    }
  }

  private clear(): void {
    if (!this.tty || this.drawn === 0) return;
    this.out.write(`\x1b[${this.drawn}A\x1b[0J`);
    this.drawn = 0;
  }

  private redraw(): void {
    if (!this.tty) return;
    this.clear();
    const cols = this.out.columns ?? 120;
    for (const l of this.lines.values()) this.out.write(`${l.text.slice(0, cols - 1)}\n`);
    this.drawn = this.lines.size;
  }
}
