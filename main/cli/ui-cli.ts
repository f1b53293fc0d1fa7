// `npm run ui`: the headless controller with the desktop UI in a browser. Opens the results
// database, starts the controller service (this computer as a device, the suite queue) and an
// HTTP + WebSocket server on 127.0.0.1 that serves the built renderer and the API, then prints the
// URL with its random token. For device labs without a display, machines without the Electron
// binary, and the end-to-end tests. Ctrl-C cancels running suites and closes the database.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { ControllerService } from '../api/controller-service';
import type { DeviceProvider } from '../api/device-fleet';
import { defaultControllerPaths } from '../api/controller-paths';
import { HttpApiServer } from '../api/http-api-server';
import { createHandlers } from '../ipc/handlers';
import { ResultsStore } from '../store/results-store';
import { repoRoot } from '../transports/local-transport';

const usage = `usage: npm run ui -- [--port N] [--db FILE] [--out DIR] [--suites DIR]

  --port    port on 127.0.0.1 (default: a free one)
  --db      results database (default: ~/.local/share/fleettune/results.db, shared with npm run suite)
  --out     folder for suite outputs and exports (default: ~/.local/share/fleettune/runs)
  --suites  your own suites folder (default: ~/.local/share/fleettune/suites); built-in: benchmarks/suites`;

export interface UiHandle {
  url: string;
  server: HttpApiServer;
  controller: ControllerService;
  close(): Promise<void>;
}

export interface UiOptions {
  port?: number;
  db?: string;
  out?: string;
  suites?: string;
  rendererDir?: string;
  token?: string;
  /** Device discovery; default: this computer. */
  providers?: DeviceProvider[];
}

export async function startUi(opts: UiOptions = {}): Promise<UiHandle> {
  const paths = defaultControllerPaths();
  const store = ResultsStore.open(opts.db ?? paths.db);
  const controller = await ControllerService.start({
    store, outRoot: path.resolve(opts.out ?? paths.outRoot), cacheDir: paths.cacheDir, agentDir: paths.agentDir, providers: opts.providers,
    suiteFolders: { builtin: paths.builtinSuites, user: path.resolve(opts.suites ?? paths.userSuites) },
  });
  const version = (JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;
  const handlers = createHandlers({
    appVersion: () => version,
    agent: () => `browser mode: controller on Node ${process.versions.node} (${process.platform} ${process.arch})`,
    controller,
  });
  const server = await HttpApiServer.start({ handlers, controller, rendererDir: opts.rendererDir ?? paths.rendererDir, port: opts.port, token: opts.token });
  return {
    url: server.url, server, controller,
    async close() {
      await server.close();
      await controller.close();
      store.close();
    },
  };
}

async function main(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: { port: { type: 'string' }, db: { type: 'string' }, out: { type: 'string' }, suites: { type: 'string' }, help: { type: 'boolean', default: false } } }));
  } catch (e) {
    console.error(`${(e as Error).message}\n\n${usage}`);
    return 2;
  }
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port < 65536)) {
    console.error(`--port must be a port number, got ${values.port}`);
    return 2;
  }
  const ui = await startUi({ port, db: values.db, out: values.out, suites: values.suites });
  console.log(`FleetTune UI (browser mode) on this computer only:\n\n  ${ui.url}\n\nOpen it in a browser; the token in the URL is this session's key. Ctrl-C stops the controller.`);
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = () => {
      if (stopping) process.exit(130);
      stopping = true;
      console.error('\nstopping: cancelling running suites and closing the results database (Ctrl-C again to quit at once)…');
      void ui.close().then(resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).then((code) => process.exit(code), (e: unknown) => {
    console.error(`error: ${(e as Error).message}`);
    process.exit(1);
  });
}
