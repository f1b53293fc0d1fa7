// Node read-ahead for the file-system shard store: a worker thread reads (and, for fp16 shards,
// decodes) a shard file while the main thread computes. Compute is synchronous, so neither an async
// fs callback nor a worker's 'message' event could run before the step ended; instead the worker
// transfers the values over a MessageChannel and bumps a counter in shared memory, and the main
// thread takes them with receiveMessageOnPort (synchronous), waiting on the counter (Atomics.wait)
// only if the read is not done yet. The values are a transferred ArrayBuffer owned by the main
// thread (freed by its GC like any evicted shard), not shared memory the worker would keep alive.
// Not a general I/O pool: one thread, reads in the order they were asked for.

/** A read in flight; wait() blocks until it is done and returns the values. */
export interface PendingRead {
  ready(): boolean;
  /**
   * The values, or null if the worker failed or did not answer in time (the caller then reads
   * synchronously, which reports what is wrong with the file).
   */
  wait(): Float32Array | null;
}

// Plain JS (an eval'd worker does not go through the TypeScript loader or the bundler).
// fp16 -> fp32 through a 65536-entry table built with the same bit arithmetic as io/float16.ts
// (tests compare all 65536 patterns).
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const fs = require('node:fs');
const { port, counter } = workerData;
const done = new Int32Array(counter);
let table = null;
let scratch = new Uint8Array(0);
function halfTable() {
  const t = new Uint32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = (h & 0x8000) << 16;
    const exp = (h >>> 10) & 0x1f;
    let mant = h & 0x3ff;
    if (exp === 0x1f) t[h] = (sign | 0x7f800000 | (mant << 13)) >>> 0;
    else if (exp !== 0) t[h] = (sign | ((exp + 112) << 23) | (mant << 13)) >>> 0;
    else if (mant === 0) t[h] = sign >>> 0;
    else {
      let e = 113;
      while ((mant & 0x400) === 0) { mant <<= 1; e--; }
      t[h] = (sign | (e << 23) | ((mant & 0x3ff) << 13)) >>> 0;
    }
  }
  return t;
}
function readAll(file, out) {
  const fd = fs.openSync(file, 'r');
  try {
    for (let off = 0; off < out.length; ) {
      const n = fs.readSync(fd, out, off, out.length - off, off);
      if (n === 0) throw new Error('short shard file');
      off += n;
    }
  } finally {
    fs.closeSync(fd);
  }
}
port.on('message', ({ id, file, count, fp16 }) => {
  let buffer = null;
  try {
    buffer = new ArrayBuffer(count * 4);
    if (fp16) {
      if (scratch.length < count * 2) scratch = new Uint8Array(count * 2);
      const raw = scratch.subarray(0, count * 2);
      readAll(file, raw);
      if (!table) table = halfTable();
      const half = new Uint16Array(raw.buffer, 0, count);
      const out = new Uint32Array(buffer);
      for (let i = 0; i < count; i++) out[i] = table[half[i]];
    } else readAll(file, new Uint8Array(buffer));
    port.postMessage({ id, buffer }, [buffer]);
  } catch {
    port.postMessage({ id, buffer: null });
  }
  Atomics.add(done, 0, 1);
  Atomics.notify(done, 0);
});
`;

/** A read from the page cache or flash takes milliseconds; this only guards against a dead worker. */
const WAIT_LIMIT_MS = 60_000;

type Port = import('node:worker_threads').MessagePort;
type Receive = typeof import('node:worker_threads').receiveMessageOnPort;
type WorkerLike = { terminate(): Promise<number>; unref(): void };

/** One worker thread that reads shard files ahead (Node only; browsers have no equivalent here). */
export class ReadAheadWorker {
  private nextId = 0;
  /** Results taken off the port before they were asked for (reads finish in order, use may not). */
  private readonly arrived = new Map<number, ArrayBuffer | null>();
  private readonly done: Int32Array;

  private constructor(private readonly worker: WorkerLike, private readonly port: Port, counter: SharedArrayBuffer, private readonly receive: Receive) {
    this.done = new Int32Array(counter);
  }

  static async start(): Promise<ReadAheadWorker> {
    const { Worker, MessageChannel, receiveMessageOnPort } = await import('node:worker_threads');
    const { port1, port2 } = new MessageChannel();
    const counter = new SharedArrayBuffer(4);
    const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { port: port2, counter }, transferList: [port2] });
    w.unref(); // a store that was never closed must not keep the process alive
    port1.unref();
    return new ReadAheadWorker(w, port1, counter, receiveMessageOnPort);
  }

  /** Move every result already posted from the port into `arrived`. */
  private drain(): void {
    for (let m = this.receive(this.port); m; m = this.receive(this.port)) {
      const { id, buffer } = m.message as { id: number; buffer: ArrayBuffer | null };
      this.arrived.set(id, buffer);
    }
  }

  private take(id: number, count: number): Float32Array | null {
    const deadline = Date.now() + WAIT_LIMIT_MS;
    for (;;) {
      this.drain();
      if (this.arrived.has(id)) break;
      const seen = Atomics.load(this.done, 0);
      this.drain(); // a result posted between the two checks bumped the counter already: do not sleep on it
      if (this.arrived.has(id)) break;
      const left = deadline - Date.now();
      if (left <= 0) return null;
      Atomics.wait(this.done, 0, seen, left);
    }
    const buffer = this.arrived.get(id)!;
    this.arrived.delete(id);
    return buffer ? new Float32Array(buffer, 0, count) : null;
  }

  /** Start reading `count` values of `file` (fp16 or fp32 on disk). */
  read(file: string, count: number, fp16: boolean): PendingRead {
    const id = this.nextId++;
    this.port.postMessage({ id, file, count, fp16 });
    let result: Float32Array | null | undefined;
    return {
      ready: () => {
        this.drain();
        return result !== undefined || this.arrived.has(id);
      },
      wait: () => (result === undefined ? (result = this.take(id, count)) : result),
    };
  }

  close(): void {
    this.port.close();
    void this.worker.terminate();
  }
}
