// Runs a script under the agent's Node flags and environment (node-flags.mjs): `node
// device-agent/cli/run-node.mjs <script.ts|script.js> [args...]` becomes `node
// [--experimental-wasm-relaxed-simd] [--import tsx] <script> [args...]`, with MALLOC_MMAP_THRESHOLD_ set when
// the arguments turn sharding on (--shard_enable). npm scripts cannot pass a flag only on some Node versions, so `npm run
// train` goes through this. The child inherits stdio; its exit code (or signal) becomes ours, and
// SIGINT / SIGTERM / SIGHUP sent to this process are passed on to it.
import { spawn } from 'node:child_process';
import { agentNodeEnv, agentNodeFlags, scriptArgs } from './node-flags.mjs';

const [script, ...rest] = process.argv.slice(2);
if (!script) {
  console.error('usage: node device-agent/cli/run-node.mjs <script.ts|script.js> [args...]');
  process.exit(2);
}
const child = spawn(process.execPath, [...agentNodeFlags(), ...scriptArgs(script), ...rest], { stdio: 'inherit', env: agentNodeEnv(process.env, { boundedMemory: rest.some((a) => /^--shard_enable(=(1|true))?$/.test(a)) }) });
const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'];
for (const s of signals) process.on(s, () => child.kill(s));
child.once('error', (e) => {
  console.error(`run-node: could not start ${process.execPath}: ${e.message}`);
  process.exit(1);
});
child.once('exit', (code, signal) => {
  if (signal) {
    for (const s of signals) process.removeAllListeners(s);
    process.kill(process.pid, signal);
  } else process.exit(code ?? 1);
});
