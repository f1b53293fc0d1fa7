// A kernel pool worker (see kernel-pool.ts): instantiates the shared-memory kernels module on the
// memory it is sent, then sleeps on the job record's GEN word and runs kernelJob for each new
// generation until STOP is set. Runs as a Node worker_threads worker and as a browser module
// Worker. Plain JavaScript on purpose: a worker script is loaded by URL, untranspiled, in Node
// (tsx, vitest) and from the agent bundle alike. The word indices match kernel-pool.ts.
const GEN = 16, STOP = 17, ERROR = 18, DONE = 1, JOB_WORDS = 48;

const isNode = typeof process === 'object' && typeof process.versions?.node === 'string';
const port = isNode ? (await import('node:worker_threads')).parentPort : self;

async function start({ module, memory, job, scratch, spinMs }) {
  let exports;
  try {
    exports = (await WebAssembly.instantiate(module, { env: { memory } })).exports;
  } catch (e) {
    port.postMessage({ type: 'error', message: `kernel worker: instantiating the kernels failed: ${e}` });
    return;
  }
  const ctl = new Int32Array(memory.buffer, job, JOB_WORDS);
  let seen = Atomics.load(ctl, GEN); // read before 'ready', so no job posted after it is missed
  port.postMessage({ type: 'ready' });
  for (;;) {
    // Kernel calls come in bursts (a forward pass is dozens of them with a little other work between):
    // poll for the next one for spinMs before sleeping, since a futex wake-up costs 50 us or more.
    const until = performance.now() + spinMs;
    for (let i = 1; Atomics.load(ctl, GEN) === seen; i++) {
      if ((i & 1023) === 0 && performance.now() > until) { Atomics.wait(ctl, GEN, seen); break; }
    }
    const gen = Atomics.load(ctl, GEN);
    if (gen === seen) continue;
    seen = gen;
    if (Atomics.load(ctl, STOP) !== 0) break;
    try {
      exports.kernelJob(job, scratch, gen);
    } catch (e) {
      // The caller is blocked waiting for DONE: flag the failure and wake it.
      Atomics.store(ctl, ERROR, 1);
      Atomics.notify(ctl, DONE);
      port.postMessage({ type: 'error', message: `kernel worker: ${e}` });
      break;
    }
  }
  if (!isNode) self.close();
}

if (isNode) port.once('message', start);
else self.addEventListener('message', (ev) => void start(ev.data), { once: true });
