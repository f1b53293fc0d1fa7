// Node read-ahead for the file-system shard store: a worker thread reads a shard file while the
// main thread computes. Compute is synchronous, so neither an async fs callback nor a worker's
// 'message' event could run before the step ended; instead the worker transfers the bytes over a
// MessageChannel and bumps a counter in shared memory, and the main thread takes them with
// receiveMessageOnPort (synchronous), waiting on the counter (Atomics.wait) only if the read is not
// done yet. The sharder's reads go into a slot of its arena, a SharedArrayBuffer the worker writes
// into in place (readInto); read() instead lends the worker an ArrayBuffer the main thread allocates
// (moved, not copied, both ways), freed by the main thread's GC. The worker only reads: fp16
// decoding stays on the main thread, because on a machine whose cores all run matmul threads a
// worker doing CPU work slows every matmul down more than it saves (measured: README).
// Not a general I/O pool: one thread, reads in the order they were asked for.

/** A read in flight; wait() blocks until it is done and returns the bytes. */
export interface PendingRead {
  ready(): boolean;
  /**
   * The bytes, or null if the worker failed or did not answer in time (the caller then reads
   * synchronously, which reports what is wrong with the file).
   */
  wait(): Uint8Array | null;
}

// Plain JS (an eval'd worker does not go through the TypeScript loader or the bundler).
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const fs = require('node:fs');
const { port, counter } = workerData;
const done = new Int32Array(counter);
port.on('message', ({ id, file, buffer, offset, length: size }) => {
  const shared = offset !== undefined; // a slot of the main thread's shard arena: written in place, nothing moves
  try {
    const out = shared ? new Uint8Array(buffer, offset, size) : new Uint8Array(buffer);
    const length = out.length;
    const fd = fs.openSync(file, 'r');
    try {
      for (let off = 0; off < length; ) {
        const n = fs.readSync(fd, out, off, length - off, off);
        if (n === 0) throw new Error('short shard file');
        off += n;
      }
    } finally {
      fs.closeSync(fd);
    }
    port.postMessage({ id, ok: true, buffer: shared ? null : buffer }, shared ? [] : [buffer]);
  } catch {
    port.postMessage({ id, ok: false, buffer: shared ? null : buffer }, shared ? [] : [buffer]);
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
  private readonly arrived = new Map<number, { ok: boolean; buffer: ArrayBuffer | null }>();
  private readonly done: Int32Array;

  private constructor(private readonly worker: WorkerLike, private readonly port: Port, counter: SharedArrayBuffer, private readonly receive: Receive) {
    this.done = new Int32Array(counter);
  }

  static async start(): Promise<ReadAheadWorker> {
    const { Worker, MessageChannel, receiveMessageOnPort } = await import('node:worker_threads');
    const { port1, port2 } = new MessageChannel();
    const counter = new SharedArrayBuffer(4);
    // it only reads files into buffers it is lent: a small V8 heap is enough
    const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { port: port2, counter }, transferList: [port2], resourceLimits: { maxYoungGenerationSizeMb: 1, maxOldGenerationSizeMb: 32 } });
    w.unref(); // a store that was never closed must not keep the process alive
    port1.unref();
    return new ReadAheadWorker(w, port1, counter, receiveMessageOnPort);
  }

  /** Move every result already posted from the port into `arrived`. */
  private drain(): void {
    for (let m = this.receive(this.port); m; m = this.receive(this.port)) {
      const { id, ok, buffer } = m.message as { id: number; ok: boolean; buffer: ArrayBuffer | null };
      this.arrived.set(id, { ok, buffer });
    }
  }

  /** Waits for read `id`; whether it succeeded, and the buffer it moved back (null for a read in place). */
  private take(id: number): { ok: boolean; buffer: ArrayBuffer | null } | null {
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
    const result = this.arrived.get(id)!;
    this.arrived.delete(id);
    return result;
  }

  private pending(id: number, bytes: (r: { ok: boolean; buffer: ArrayBuffer | null }) => Uint8Array | null): PendingRead {
    let result: Uint8Array | null | undefined;
    return {
      ready: () => {
        this.drain();
        return result !== undefined || this.arrived.has(id);
      },
      wait: () => {
        if (result === undefined) {
          const r = this.take(id);
          result = r && r.ok ? bytes(r) : null;
        }
        return result;
      },
    };
  }

  /**
   * Start reading the first `length` bytes of `file`. The buffer is allocated here and lent to the
   * worker (transferred both ways, never copied): allocated in the worker, large buffers came from
   * its own malloc arena, which kept ~100-200 MB of freed memory as RSS in a GPT-2-small run.
   */
  read(file: string, length: number): PendingRead {
    const id = this.nextId++;
    const buffer = new ArrayBuffer(length);
    this.port.postMessage({ id, file, buffer }, [buffer]);
    return this.pending(id, (r) => new Uint8Array(r.buffer!));
  }

  /**
   * Start reading the first `dst.length` bytes of `file` into `dst`, a view of a SharedArrayBuffer
   * (a slot of the shard arena): the worker writes in place, so nothing is allocated. The caller
   * must not touch `dst` until wait() returned.
   */
  readInto(file: string, dst: Uint8Array): PendingRead {
    if (!(dst.buffer instanceof SharedArrayBuffer)) throw new Error('read-ahead into a buffer needs a view of a SharedArrayBuffer (the worker writes into it)');
    const id = this.nextId++;
    this.port.postMessage({ id, file, buffer: dst.buffer, offset: dst.byteOffset, length: dst.length });
    return this.pending(id, () => dst);
  }

  close(): void {
    this.port.close();
    void this.worker.terminate();
  }
}
