// The last N bytes of a child process's stdout + stderr, interleaved as they arrive: kept for
// error reports ("the agent exited before connecting: <its output>"). Not a log file: the
// runner's JSONL run log is the record; this is what a failure message quotes.

export class OutputTail {
  private chunks: Buffer[] = [];
  private size = 0;

  constructor(private readonly limitBytes = 64 * 1024) {}

  push(chunk: Buffer | string): void {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    this.chunks.push(b);
    this.size += b.length;
    while (this.size - (this.chunks[0]?.length ?? 0) >= this.limitBytes) this.size -= this.chunks.shift()!.length;
  }

  /** The kept text; the first line may start mid-line (or mid-character) when output was dropped. */
  text(): string {
    const all = Buffer.concat(this.chunks);
    return all.subarray(Math.max(0, all.length - this.limitBytes)).toString('utf8');
  }
}
