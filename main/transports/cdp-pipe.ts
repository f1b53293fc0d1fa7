// A minimal Chrome DevTools Protocol client over `--remote-debugging-pipe` (Chromium reads commands
// on its fd 3 and answers on fd 4, each message JSON ended by a NUL byte). The local transport
// launches Chromium with that pipe mainly so Chromium exits when the controller dies (the pipe
// closes); this client uses it to read values from the agent's page (diagnostics, tests).
// Not a general CDP library: commands and their results only, events are ignored.
import type { Readable, Writable } from 'node:stream';

type Pending = { resolve: (r: Record<string, unknown>) => void; reject: (e: Error) => void };

export class CdpPipe {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private buffered = '';
  private closedReason: string | null = null;

  constructor(
    private readonly out: Writable,
    input: Readable,
  ) {
    input.setEncoding('utf8');
    input.on('data', (chunk: string) => this.receive(chunk));
    const close = () => this.fail('the browser closed its DevTools pipe');
    input.once('end', close);
    input.once('close', close);
    input.on('error', (e) => this.fail(`DevTools pipe: ${e.message}`));
    out.on('error', (e) => this.fail(`DevTools pipe: ${e.message}`));
  }

  /** Send one command (to a target when `sessionId` is given); resolves with its result. */
  send(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<Record<string, unknown>> {
    if (this.closedReason) return Promise.reject(new Error(this.closedReason));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.out.write(`${JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) })}\0`);
    });
  }

  /**
   * Evaluate `expression` in the first page whose URL starts with `urlPrefix` and return its value
   * (promises are awaited; the value must be JSON-serializable). Throws on a script exception.
   */
  async evaluateInPage(urlPrefix: string, expression: string): Promise<unknown> {
    const { targetInfos } = (await this.send('Target.getTargets')) as { targetInfos: { targetId: string; type: string; url: string }[] };
    const page = targetInfos.find((t) => t.type === 'page' && t.url.startsWith(urlPrefix));
    if (!page) throw new Error(`no page at ${urlPrefix} (pages: ${targetInfos.filter((t) => t.type === 'page').map((t) => t.url).join(', ') || 'none'})`);
    const { sessionId } = (await this.send('Target.attachToTarget', { targetId: page.targetId, flatten: true })) as { sessionId: string };
    try {
      const r = (await this.send('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true }, sessionId)) as {
        result: { value?: unknown };
        exceptionDetails?: { text: string; exception?: { description?: string } };
      };
      if (r.exceptionDetails) throw new Error(`the page threw: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`);
      return r.result.value;
    } finally {
      await this.send('Target.detachFromTarget', { sessionId }).catch(() => undefined);
    }
  }

  private receive(chunk: string): void {
    this.buffered += chunk;
    let end: number;
    while ((end = this.buffered.indexOf('\0')) >= 0) {
      const text = this.buffered.slice(0, end);
      this.buffered = this.buffered.slice(end + 1);
      let msg: { id?: number; result?: Record<string, unknown>; error?: { message: string } };
      try {
        msg = JSON.parse(text);
      } catch {
        continue;
      }
      const p = msg.id === undefined ? undefined : this.pending.get(msg.id);
      if (!p) continue; // an event, or an answer nobody waits for
      this.pending.delete(msg.id!);
      if (msg.error) p.reject(new Error(`DevTools: ${msg.error.message}`));
      else p.resolve(msg.result ?? {});
    }
  }

  private fail(reason: string): void {
    this.closedReason ??= reason;
    for (const p of this.pending.values()) p.reject(new Error(this.closedReason));
    this.pending.clear();
  }
}
