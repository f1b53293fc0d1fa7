// PDF export in the desktop app (main/print-pdf.ts) with a fake BrowserWindow: the report loads
// in a hidden, sandboxed window with JavaScript off, is printed to PDF, and the window is always
// destroyed, also when loading fails.
import { describe, expect, it, vi } from 'vitest';
import type { BrowserWindowConstructorOptions } from 'electron';
import { pdfPrinter } from '../../main/print-pdf';

function fakeWindow(fail = false) {
  const made: { options: BrowserWindowConstructorOptions; loaded: string[]; destroyed: boolean }[] = [];
  class Win {
    rec: (typeof made)[number];
    webContents = { printToPDF: vi.fn(async () => Buffer.from('%PDF-1.7')) };
    constructor(options: BrowserWindowConstructorOptions) {
      this.rec = { options, loaded: [], destroyed: false };
      made.push(this.rec);
    }
    async loadFile(f: string) {
      if (fail) throw new Error('ERR_FILE_NOT_FOUND');
      this.rec.loaded.push(f);
    }
    destroy() {
      this.rec.destroyed = true;
    }
  }
  return { Win: Win as unknown as Parameters<typeof pdfPrinter>[0], made };
}

describe('pdfPrinter', () => {
  it('prints the report from a hidden sandboxed window without JavaScript', async () => {
    const { Win, made } = fakeWindow();
    const pdf = await pdfPrinter(Win)('/tmp/x/report.html');
    expect(pdf.toString()).toBe('%PDF-1.7');
    expect(made[0].loaded).toEqual(['/tmp/x/report.html']);
    expect(made[0].options).toMatchObject({ show: false, webPreferences: { sandbox: true, contextIsolation: true, nodeIntegration: false, javascript: false } });
    expect(made[0].destroyed).toBe(true);
  });

  it('destroys the window when the report cannot be loaded', async () => {
    const { Win, made } = fakeWindow(true);
    await expect(pdfPrinter(Win)('/missing.html')).rejects.toThrow(/ERR_FILE_NOT_FOUND/);
    expect(made[0].destroyed).toBe(true);
  });
});
