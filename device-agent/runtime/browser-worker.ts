// Browser entry of the device agent, run as a module Web Worker (so training never blocks the
// page): connects to the hub that served it (same origin, token from the page URL), runs one job on
// the cpu-wasm backend and posts status lines to the page. Bundled by build-agent-bundle.mjs.
import { cpuWasmLimits, initCpuWasmBackend } from '../backends/cpu-wasm/index.js';
import { runAgent, type SocketLike } from './agent-runtime.js';
import { hubHttp } from './hub-http.js';
import { MemoryShardStore, OpfsShardStore } from '../memory/shard-store.js';

declare const self: { postMessage(msg: unknown): void; addEventListener(t: 'message', cb: (ev: { data: { token: string; hub: string } }) => void): void; navigator: { userAgent: string; hardwareConcurrency?: number } };


self.addEventListener('message', (ev) => {
  const { token, hub } = ev.data;
  const log = (line: string) => self.postMessage({ type: 'log', line });
  void (async () => {
    await initCpuWasmBackend(new URL('./kernels.wasm', import.meta.url));
    const socket = new WebSocket(`${hub.replace(/^http/, 'ws')}/agent-ws?token=${encodeURIComponent(token)}`) as unknown as SocketLike;
    const code = await runAgent(socket, {
      runtime: 'browser',
      userAgent: self.navigator.userAgent,
      backends: [{ name: 'cpu-wasm', limits: cpuWasmLimits(self.navigator.hardwareConcurrency ?? 1) }],
      log,
      io: {
        ...hubHttp,
        yieldToEvents: () => new Promise((r) => setTimeout(r, 0)),
        openShardStore: async (spec, keys) => {
          if (spec.store === 'memory') return new MemoryShardStore();
          if (spec.store === 'fs') throw new Error('a browser agent has no file system; use store "opfs"');
          return OpfsShardStore.open(keys);
        },
      },
    });
    self.postMessage({ type: 'exit', code });
  })().catch((e: Error) => {
    log(`fatal: ${e.message}`);
    self.postMessage({ type: 'exit', code: 1 });
  });
});
