// One accepted agent WebSocket, bound to the job and device of the token it connected with. Every
// incoming frame is validated against the protocol (device-agent/protocol.ts) before anyone sees it;
// every outgoing message is validated before it is sent. A bad frame, a message before hello, or
// another protocol version ends the connection with the reason. Not the job logic (main/runner/).
// Events that arrive before the first listener is attached are kept and delivered, in order, to the
// listeners attached by then: attach onMessage / onClose / onProtocolError together.
import type { z } from 'zod';
import type WebSocket from 'ws';
import {
  agentMessage,
  controllerMessage,
  parseMessage,
  PROTOCOL_VERSION,
  ProtocolError,
  type AgentMessage,
  type HelloMessage,
} from '../../device-agent/protocol';

/** What callers may pass to send(): defaulted fields (memoryIntervalMs) may be left out. */
export type ControllerMessageInput = z.input<typeof controllerMessage>;

export interface CloseInfo {
  code: number;
  reason: string;
  /** True when this side (the controller) ended the connection. */
  byController: boolean;
}

type Event = { kind: 'message'; msg: AgentMessage } | { kind: 'error'; error: ProtocolError } | { kind: 'close'; info: CloseInfo };

export interface AgentConnectionMeta {
  jobId: string;
  deviceId: string;
  token: string;
  remoteAddress: string;
}

/** Unanswered pings in a row allowed before an agent's first step (60 s at the default 15 s interval). */
const STARTUP_MISSED_PINGS = 4;

/** WebSocket close reasons are limited to 123 bytes of UTF-8. */
function clip(reason: string): string {
  if (Buffer.byteLength(reason) <= 123) return reason;
  let r = reason;
  while (Buffer.byteLength(r) > 120) r = r.slice(0, -1);
  return `${r}…`; // "…" is 3 bytes
}

export class AgentConnection {
  readonly jobId: string;
  readonly deviceId: string;
  readonly token: string;
  readonly remoteAddress: string;
  /** The agent's hello, once received (always the first message). */
  hello: HelloMessage | null = null;
  /** Set once the connection has closed. */
  closeInfo: CloseInfo | null = null;
  /** The protocol error that ended the connection, if one did. */
  protocolError: ProtocolError | null = null;

  private readonly listeners = { message: new Set<(m: AgentMessage) => void>(), error: new Set<(e: ProtocolError) => void>(), close: new Set<(i: CloseInfo) => void>() };
  /** Events kept until someone listens; null once delivery is live. */
  private pending: Event[] | null = [];
  private flushScheduled = false;
  private closingReason: { reason: string; byController: boolean } | null = null;
  private readonly pingTimer: NodeJS.Timeout | undefined;
  /** Pings sent since the agent last answered (a pong or any message). */
  private unansweredPings = 0;
  /** The longest step the agent reported (ms): it answers nothing while a step computes. */
  private longestStepMs = 0;

  constructor(
    private readonly ws: WebSocket,
    meta: AgentConnectionMeta,
    opts: { pingIntervalMs: number; log: (line: string) => void; closed?: () => void },
  ) {
    ({ jobId: this.jobId, deviceId: this.deviceId, token: this.token, remoteAddress: this.remoteAddress } = meta);
    ws.on('message', (data, isBinary) => this.receive(data, isBinary));
    ws.on('close', (code, reason) => {
      clearInterval(this.pingTimer);
      const info: CloseInfo = {
        code,
        reason: this.closingReason?.reason ?? reason.toString(),
        byController: this.closingReason?.byController ?? false,
      };
      this.closeInfo = info;
      opts.closed?.();
      opts.log(`agent disconnected: job ${this.jobId} on ${this.deviceId} (${code}${info.reason ? `: ${info.reason}` : ''})`);
      this.emit({ kind: 'close', info });
    });
    ws.on('error', (e) => opts.log(`agent socket error (job ${this.jobId} on ${this.deviceId}): ${e.message}`));
    // A phone that drops off Wi-Fi leaves a half-open TCP connection: ping, and end it when the
    // device stays silent (no pong, no message) for longer than it can be busy. An agent computes a
    // training step synchronously and answers nothing meanwhile, so the allowance follows the
    // longest step it reported (missedPingLimit).
    if (opts.pingIntervalMs > 0) {
      ws.on('pong', () => this.heard());
      this.pingTimer = setInterval(() => {
        if (this.unansweredPings >= this.missedPingLimit(opts.pingIntervalMs)) {
          this.closingReason = { reason: `no answer to pings for ${(this.unansweredPings * opts.pingIntervalMs) / 1000} s: the device went away`, byController: true };
          ws.terminate();
          return;
        }
        this.unansweredPings++;
        ws.ping();
      }, opts.pingIntervalMs);
      this.pingTimer.unref();
    }
  }

  private heard(): void {
    this.unansweredPings = 0;
  }

  /**
   * How many pings in a row may go unanswered: before the first step, STARTUP_MISSED_PINGS (loading
   * and sharding a model computes for a while too); after, enough for twice the longest step so
   * far, and at least 2.
   */
  private missedPingLimit(intervalMs: number): number {
    if (this.longestStepMs === 0) return STARTUP_MISSED_PINGS;
    return Math.max(2, Math.ceil((2 * this.longestStepMs) / intervalMs) + 1);
  }

  /** Validate and send one controller message; throws a ProtocolError for an invalid one. */
  send(msg: ControllerMessageInput): void {
    const r = controllerMessage.safeParse(msg);
    if (!r.success) {
      const issues = r.error.issues.map((i) => `${i.path.join('.') || '(message)'}: ${i.message}`).join('; ');
      throw new ProtocolError(`refusing to send an invalid ${String((msg as { type?: unknown }).type)} message to the agent on ${this.deviceId}: ${issues}`);
    }
    if (r.data.type === 'job' && r.data.protocol !== PROTOCOL_VERSION) {
      throw new ProtocolError(`the job message says protocol ${r.data.protocol}; this controller speaks ${PROTOCOL_VERSION}`);
    }
    if (this.ws.readyState !== this.ws.OPEN) {
      throw new Error(`cannot send ${r.data.type} to the agent on ${this.deviceId}: the connection is closed${this.closeInfo ? ` (${this.closeInfo.reason || this.closeInfo.code})` : ''}`);
    }
    this.ws.send(JSON.stringify(r.data));
  }

  /** Close the connection (1000 = normal; 1008 = protocol violation); the reason reaches the agent. */
  close(reason: string, code = 1000): void {
    if (this.closeInfo || this.closingReason) return;
    this.closingReason = { reason, byController: true };
    this.ws.close(code, clip(reason));
    // An agent that never answers the close handshake is cut off after a grace period.
    setTimeout(() => this.ws.terminate(), 2000).unref();
  }

  onMessage(cb: (msg: AgentMessage) => void): () => void {
    return this.listen('message', cb);
  }

  onClose(cb: (info: CloseInfo) => void): () => void {
    return this.listen('close', cb);
  }

  onProtocolError(cb: (error: ProtocolError) => void): () => void {
    return this.listen('error', cb);
  }

  private receive(data: WebSocket.RawData, isBinary: boolean): void {
    if (this.protocolError || this.closingReason) return;
    const from = `the agent on ${this.deviceId}`;
    let msg: AgentMessage;
    try {
      if (isBinary) throw new ProtocolError(`${from} sent a binary frame; the protocol uses JSON text frames`);
      msg = parseMessage(agentMessage, data.toString(), from);
      if (!this.hello && msg.type !== 'hello') throw new ProtocolError(`${from} sent "${msg.type}" before hello; an agent must say hello first`);
    } catch (e) {
      const error = e instanceof ProtocolError ? e : new ProtocolError(String(e));
      this.protocolError = error;
      this.emit({ kind: 'error', error });
      this.close(error.message, 1008);
      return;
    }
    if (msg.type === 'hello') this.hello = msg;
    this.heard();
    if (msg.type === 'step') this.longestStepMs = Math.max(this.longestStepMs, msg.ms);
    this.emit({ kind: 'message', msg });
  }

  private listen<K extends Event['kind']>(kind: K, cb: (arg: never) => void): () => void {
    const set = this.listeners[kind] as Set<(arg: never) => void>;
    set.add(cb);
    if (this.pending && !this.flushScheduled) {
      // Deliver what came before anyone listened, in order, once the caller has attached the rest.
      this.flushScheduled = true;
      queueMicrotask(() => {
        const events = this.pending ?? [];
        this.pending = null;
        for (const e of events) this.dispatch(e);
      });
    } else if (!this.pending) {
      // Late listeners still learn how the connection ended.
      const late = kind === 'close' ? this.closeInfo : kind === 'error' ? this.protocolError : null;
      if (late) queueMicrotask(() => set.has(cb) && (cb as (a: unknown) => void)(late));
    }
    return () => set.delete(cb);
  }

  private emit(e: Event): void {
    if (this.pending) this.pending.push(e);
    else this.dispatch(e);
  }

  private dispatch(e: Event): void {
    const arg = e.kind === 'message' ? e.msg : e.kind === 'error' ? e.error : e.info;
    for (const cb of [...this.listeners[e.kind]] as ((a: unknown) => void)[]) cb(arg);
  }
}
