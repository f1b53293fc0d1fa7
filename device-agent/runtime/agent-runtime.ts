// The agent's protocol loop over one WebSocket: say hello, take one job, stream its progress, obey
// cancel, answer done or error, close. Works with Node's `ws` and the browser WebSocket alike (only
// addEventListener/send/close are used). Telemetry messages are kept for the power monitor.
import { PROTOCOL_VERSION, controllerMessage, parseMessage, type AgentMessage, type HelloMessage, type JobMessage } from '../protocol.js';
import { runJob, type JobContext } from './run-job.js';
import { PushedTelemetry } from '../power/telemetry-source.js';

export const AGENT_VERSION = '0.1.0';

export interface SocketLike {
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'message', cb: (ev: { data: unknown }) => void): void;
  addEventListener(type: 'close', cb: (ev: { code?: number; reason?: string }) => void): void;
  addEventListener(type: 'open' | 'error', cb: (ev: unknown) => void): void;
  readonly readyState: number;
}

export interface AgentEnv {
  runtime: HelloMessage['runtime'];
  userAgent: string;
  backends: HelloMessage['backends'];
  io: Omit<JobContext, 'send' | 'cancelled'>;
  log?: (line: string) => void;
}

/** Runs until the job is done (or the socket closes); resolves with the exit status for the process. */
export function runAgent(socket: SocketLike, env: AgentEnv): Promise<number> {
  const log = env.log ?? (() => {});
  const send = (msg: AgentMessage) => {
    if (socket.readyState === 1) socket.send(JSON.stringify(msg));
  };
  let cancelReason: string | null = null;
  const telemetry = new PushedTelemetry(); // the controller's device readings feed the power monitor
  let started = false;
  return new Promise((resolve) => {
    const finish = (code: number) => {
      socket.close(1000, code === 0 ? 'done' : 'failed');
      resolve(code);
    };
    socket.addEventListener('open', () => {
      send({ type: 'hello', protocol: PROTOCOL_VERSION, agentVersion: AGENT_VERSION, runtime: env.runtime, userAgent: env.userAgent, backends: env.backends });
    });
    socket.addEventListener('close', (ev) => {
      log(`hub closed the connection (${ev.code ?? ''} ${ev.reason ?? ''})`);
      cancelReason ??= 'connection to the controller closed';
      if (!started) resolve(1);
    });
    socket.addEventListener('error', () => log('connection error'));
    socket.addEventListener('message', (ev) => {
      let msg;
      try {
        msg = parseMessage(controllerMessage, String(ev.data), 'the controller');
      } catch (e) {
        send({ type: 'error', code: 'protocol', message: (e as Error).message, recoverable: false });
        return finish(1);
      }
      if (msg.type === 'telemetry') telemetry.push(msg);
      else if (msg.type === 'cancel') {
        cancelReason = msg.reason;
        log(`cancel: ${msg.reason}`);
      } else if (msg.type === 'job') {
        if (started) return send({ type: 'error', jobId: msg.jobId, code: 'busy', message: 'this agent already runs a job; start one agent per job', recoverable: true });
        started = true;
        void execute(msg);
      }
    });

    async function execute(job: JobMessage) {
      const ctx: JobContext = { ...env.io, send, cancelled: () => cancelReason, telemetry };
      try {
        await runJob(job, ctx);
        finish(0);
      } catch (e) {
        const err = e as Error;
        log(err.stack ?? err.message);
        send({ type: 'error', jobId: job.jobId, code: 'job-failed', message: err.message, recoverable: false });
        finish(1);
      }
    }
  });
}
