// PDF export in the desktop app: loads a written report.html into a hidden, sandboxed window with
// JavaScript off (the report needs none) and prints it with webContents.printToPDF. Takes the
// BrowserWindow class as a parameter, so it is tested with a fake and imports only Electron types.
// Not the report itself (main/reports/report-html.ts).
import type { BrowserWindow, BrowserWindowConstructorOptions } from 'electron';

type WindowClass = new (options: BrowserWindowConstructorOptions) => Pick<BrowserWindow, 'loadFile' | 'webContents' | 'destroy'>;

export function pdfPrinter(Window: WindowClass): (htmlFile: string) => Promise<Buffer> {
  return async (htmlFile) => {
    const win = new Window({
      show: false,
      webPreferences: { sandbox: true, contextIsolation: true, nodeIntegration: false, javascript: false, webSecurity: true },
    });
    try {
      await win.loadFile(htmlFile);
      return await win.webContents.printToPDF({ printBackground: true, landscape: true, pageSize: 'A4' });
    } finally {
      win.destroy();
    }
  };
}
