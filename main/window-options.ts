// The main window's options and the guards every web contents gets: webPreferences with the
// renderer locked down, where the renderer is loaded from, which URLs count as the app's own, and
// the navigation / window-open / <webview> denials. Imports only Electron *types*, so tests check the
// security settings without an Electron binary. Not the app lifecycle (index.ts).
// Follows Electron's security checklist (https://www.electronjs.org/docs/latest/tutorial/security).

import { pathToFileURL } from 'node:url';
import type { BrowserWindow, BrowserWindowConstructorOptions, WebContents, WebPreferences } from 'electron';

/** Where the renderer comes from: the Vite dev server (development) or the built index.html. */
export type RendererSource = { kind: 'dev'; url: string } | { kind: 'file'; file: string };

/** The renderer's webPreferences. Every flag is spelled out, even where it is Electron's default. */
export function buildWebPreferences(preloadPath: string): WebPreferences {
  return {
    preload: preloadPath,
    contextIsolation: true, // the preload's world and the page's world do not share objects
    sandbox: true, // the renderer has no Node; the preload gets only a small polyfilled require
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true, // same-origin policy on
    allowRunningInsecureContent: false,
    webviewTag: false,
    experimentalFeatures: false,
    navigateOnDragDrop: false, // a file dropped on the window must not replace the app
    safeDialogs: true,
  };
}

export function buildWindowOptions(preloadPath: string): BrowserWindowConstructorOptions {
  return {
    width: 1280,
    height: 800,
    minWidth: 800,
    minHeight: 600,
    title: 'FleetTune',
    show: false, // shown on 'ready-to-show', so the window does not flash white
    webPreferences: buildWebPreferences(preloadPath),
  };
}

/**
 * The dev server URL only when the app is not packaged and the URL is a loopback http(s) URL;
 * otherwise the built file. A packaged app ignores ELECTRON_RENDERER_URL, so nobody can point it at
 * another page through the environment.
 */
export function resolveRendererSource(opts: {
  devUrl: string | undefined;
  isPackaged: boolean;
  rendererFile: string;
}): RendererSource {
  if (!opts.isPackaged && opts.devUrl) {
    const url = new URL(opts.devUrl);
    const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
    if (!loopback || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      throw new Error(
        `ELECTRON_RENDERER_URL must be an http(s) URL on localhost/127.0.0.1, got ${opts.devUrl}; ` +
          'unset it to load the built renderer.',
      );
    }
    return { kind: 'dev', url: url.href };
  }
  return { kind: 'file', file: opts.rendererFile };
}

/**
 * Whether `url` is the app's own page: same origin as the dev server, or exactly the built
 * index.html (query and hash ignored). file:// URLs all share the opaque origin "null", so the file
 * case compares the path, not the origin.
 */
export function isAppUrl(url: string, source: RendererSource): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (source.kind === 'dev') return parsed.origin === new URL(source.url).origin;
  if (parsed.protocol !== 'file:') return false;
  parsed.search = '';
  parsed.hash = '';
  return parsed.href === pathToFileURL(source.file).href;
}

/**
 * Navigation is denied, except within the dev server's origin (Vite's full reloads). The built app
 * is a single page and never navigates; in-page hash changes do not reach this guard.
 */
export function isNavigationAllowed(url: string, source: RendererSource): boolean {
  return source.kind === 'dev' && isAppUrl(url, source);
}

/** Installs the navigation, window-open and <webview> denials on one web contents. */
export function hardenWebContents(contents: WebContents, source: RendererSource): void {
  contents.on('will-navigate', (event) => {
    if (!isNavigationAllowed(event.url, source)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
}

export function loadRenderer(win: BrowserWindow, source: RendererSource): Promise<void> {
  return source.kind === 'dev' ? win.loadURL(source.url) : win.loadFile(source.file);
}
