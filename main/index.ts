// The Electron main process entry: one BrowserWindow with the locked-down options of
// window-options.ts, the guards on every web contents, the IPC handlers, and the app lifecycle.
// Not where security settings are decided (window-options.ts) or handlers live (ipc/handlers.ts).
// Built by electron-vite to out/main/index.js (ESM, package.json "type": "module").
// Follows the electron-vite React template and Electron's security checklist.

import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, ipcMain, session } from 'electron';
import { createHandlers, isTrustedSender, registerIpcHandlers } from './ipc/handlers';
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

app
  .whenReady()
  .then(() => {
    // No page of ours needs camera, notifications, geolocation...: deny every permission request.
    session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
    const v = process.versions;
    registerIpcHandlers(
      ipcMain,
      createHandlers({
        appVersion: () => app.getVersion(),
        agent: () => `Electron ${v.electron} (Chromium ${v.chrome}, Node ${v.node}; ${process.platform} ${process.arch})`,
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
