// The Electron main process entry: one BrowserWindow with the locked-down options of
// window-options.ts, the guards on every web contents, the controller service (results database,
// fleet, queue) behind the IPC handlers, its events forwarded to the app's windows, and the app
// lifecycle. Not where security settings are decided (window-options.ts) or handlers live
// (ipc/handlers.ts). Built by electron-vite to out/main/index.js (ESM, package.json "type": "module").
// Follows the electron-vite React template and Electron's security checklist.

import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, ipcMain, session } from 'electron';
import { ControllerService } from './api/controller-service';
import { defaultControllerPaths } from './api/controller-paths';
import { createHandlers, forwardEvents, isTrustedSender, registerIpcHandlers } from './ipc/handlers';
import { pdfPrinter } from './print-pdf';
import { ResultsStore } from './store/results-store';
import { buildWindowOptions, hardenWebContents, loadRenderer, resolveRendererSource } from './window-options';

// Bundled layout: out/main/index.js, out/preload/index.cjs, out/renderer/index.html.
const here = dirname(fileURLToPath(import.meta.url));
const preloadPath = join(here, '../preload/index.cjs');
const source = resolveRendererSource({
  devUrl: process.env.ELECTRON_RENDERER_URL,
  isPackaged: app.isPackaged,
  rendererFile: join(here, '../renderer/index.html'),
});

/** webContents ids of the app's own windows: the only senders IPC handlers answer. */
const appWebContentsIds = new Set<number>();

// Sandbox every renderer, including any created later by a dependency; must run before 'ready'.
app.enableSandbox();
app.on('web-contents-created', (_event, contents) => hardenWebContents(contents, source));

function createMainWindow(): void {
  const win = new BrowserWindow(buildWindowOptions(preloadPath));
  const id = win.webContents.id; // read now: webContents is gone after 'closed'
  appWebContentsIds.add(id);
  win.on('closed', () => appWebContentsIds.delete(id));
  win.once('ready-to-show', () => win.show());
  loadRenderer(win, source).catch((err: unknown) => {
    console.error(`FleetTune: could not load the renderer from ${JSON.stringify(source)}:`, err);
  });
}

let controller: ControllerService | null = null;
let store: ResultsStore | null = null;

async function startController(): Promise<ControllerService> {
  const paths = defaultControllerPaths();
  store = ResultsStore.open(paths.db);
  const c = await ControllerService.start({
    store, outRoot: paths.outRoot, cacheDir: paths.cacheDir, agentDir: paths.agentDir,
    suiteFolders: { builtin: paths.builtinSuites, user: paths.userSuites },
    printToPdf: pdfPrinter(BrowserWindow),
  });
  // Pushed events go only to the app's own windows.
  forwardEvents(c, (event, payload) => {
    for (const win of BrowserWindow.getAllWindows()) if (appWebContentsIds.has(win.webContents.id)) win.webContents.send(event, payload);
  });
  return c;
}

app
  .whenReady()
  .then(async () => {
    // No page of ours needs camera, notifications, geolocation...: deny every permission request.
    session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
    const v = process.versions;
    controller = await startController();
    registerIpcHandlers(
      ipcMain,
      createHandlers({
        appVersion: () => app.getVersion(),
        agent: () => `Electron ${v.electron} (Chromium ${v.chrome}, Node ${v.node}; ${process.platform} ${process.arch})`,
        controller,
      }),
      (event) => isTrustedSender(event, { source, isAppWebContents: (wcId) => appWebContentsIds.has(wcId) }),
    );
    createMainWindow();
    app.on('activate', () => {
      if (BrowserWindow.getAllWindows().length === 0) createMainWindow();
    });
  })
  .catch((err: unknown) => {
    console.error('FleetTune: startup failed:', err);
    app.exit(1);
  });

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});

// Cancel running suites (their agents stop) and close the database before the process ends.
let closing = false;
app.on('will-quit', (event) => {
  if (closing || !controller) return;
  closing = true;
  event.preventDefault();
  void controller.close().finally(() => {
    store?.close();
    app.quit();
  });
});
