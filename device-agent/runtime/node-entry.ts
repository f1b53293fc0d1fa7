// Node entry of the device agent (the local device runs it as a child process, one per job),
// bundled by build-node-bundle.mjs into out/node-agent/agent.js and run with no loader:
// `node [--experimental-wasm-relaxed-simd] out/node-agent/agent.js --hub http://127.0.0.1:PORT --token T`
// (`node --import tsx device-agent/runtime/node-entry.ts ...` runs the source the same way, ~40 MB heavier at start).
// Connects to the hub's WebSocket, runs one job on the cpu-wasm backend, exits 0 on success.
import os from 'node:os';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { cpuWasmLimits, initCpuWasmBackend } from '../backends/cpu-wasm/index.js';
import { runAgent, type SocketLike } from './agent-runtime.js';
import { hubHttp } from './hub-http.js';
import { FsShardStore, MemoryShardStore } from '../memory/shard-store.js';
import { installNodeGcHook } from './node-gc.js';

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { hub: { type: 'string' }, token: { type: 'string' } } });
  if (!values.hub || !values.token) {
    console.error('usage: node-entry --hub http://127.0.0.1:PORT --token TOKEN');
    return 2;
  }
  await initCpuWasmBackend();
  installNodeGcHook();
  const wsUrl = `${values.hub.replace(/^http/, 'ws')}/agent-ws?token=${encodeURIComponent(values.token)}`;
  const socket = new WebSocket(wsUrl) as unknown as SocketLike;
  return runAgent(socket, {
    runtime: 'node',
    userAgent: `Node.js ${process.version} (${os.platform()} ${os.arch()}; ${os.cpus()[0]?.model ?? 'cpu'})`,
    backends: [{ name: 'cpu-wasm', limits: cpuWasmLimits(os.cpus().length) }],
    log: (line) => console.error(`[agent] ${line}`),
    io: {
      ...hubHttp,
      yieldToEvents: () => new Promise((r) => setImmediate(r)),
      openShardStore: async (spec) => {
        if (spec.store === 'memory') return new MemoryShardStore();
        if (spec.store === 'opfs') throw new Error('the Node agent has no OPFS; use store "fs"');
        return FsShardStore.open(spec.dir ?? os.tmpdir());
      },
    },
  });
}

main().then(
  (code) => process.exit(code),
  (e: Error) => {
    console.error(`[agent] fatal: ${e.stack ?? e.message}`);
    process.exit(1);
  },
);
