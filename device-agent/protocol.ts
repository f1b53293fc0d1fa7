// The agent protocol: every message between the controller and a device agent, as zod schemas,
// validated on both ends. One versioned file; main/ imports it, the agent bundles it. Bump
// PROTOCOL_VERSION on any incompatible change: each side refuses a peer with another version.
// Transport: JSON text frames over a WebSocket to the hub (`/agent-ws?token=...`); hello first.
import { z } from 'zod';
import { powerSpec } from './power/power-spec.js';

export const PROTOCOL_VERSION = 2;

const loraSpec = z.object({
  r: z.number().int().positive(),
  alpha: z.number().positive(),
  dropout: z.number().min(0).lt(1),
  targets: z.array(z.enum(['attn.c_attn', 'attn.c_proj', 'mlp.c_fc', 'mlp.c_proj'])).min(1),
});

/** Where the agent gets a model: Hugging Face files served by the hub, or seeded random weights. */
export const modelSource = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('files'),
    name: z.string(),
    /** URLs (usually hub /files/<sha256>) of config.json and model.safetensors. */
    config: z.string(),
    weights: z.string(),
  }),
  z.object({
    kind: z.literal('random'),
    name: z.string(),
    /** Hugging Face-style GPT-2 config.json object. */
    config: z.record(z.string(), z.unknown()),
    initSeed: z.number().int(),
  }),
]);

export const tokenizerSource = z.union([
  z.object({ vocab: z.string(), merges: z.string() }),
  z.object({ tokenizerJson: z.string() }),
]);

/** Parameter sharding (frozen weights on storage under a resident budget) and recomputation. */
export const shardingSpec = z.object({
  enabled: z.boolean(),
  budgetMb: z.number().positive(),
  fp16: z.boolean().default(true),
  /** Where shards go: the device's file system (Node), OPFS (browsers) or memory (tests). Default: the runtime's own. */
  store: z.enum(['fs', 'opfs', 'memory']).optional(),
  /** Folder for the fs store (default: the OS temp folder). */
  dir: z.string().optional(),
});

export const trainSpec = z.object({
  mode: z.enum(['lora', 'full']),
  steps: z.number().int().positive(),
  batchSize: z.number().int().positive(),
  seqLen: z.number().int().positive(),
  gradAccum: z.number().int().positive(),
  lr: z.number().positive(),
  warmupSteps: z.number().int().nonnegative(),
  schedule: z.enum(['cosine', 'linear', 'constant']),
  minLrRatio: z.number().min(0).max(1),
  clipGradNorm: z.number().nonnegative(),
  weightDecay: z.number().nonnegative(),
  seed: z.number().int(),
  evalInterval: z.number().int().nonnegative(),
  evalBatches: z.number().int().positive(),
  lora: loraSpec.optional(),
  sharding: shardingSpec.optional(),
  /** Recompute each block's activations in backward (on by default when sharding is on). */
  recompute: z.boolean().optional(),
  /** Compute threads (the agent's default: its cores; more than the agent has are capped). */
  threads: z.number().int().positive().optional(),
});

export const jobMessage = z.object({
  type: z.literal('job'),
  protocol: z.number().int(),
  jobId: z.string(),
  model: modelSource,
  tokenizer: tokenizerSource,
  data: z.object({ train: z.string(), valid: z.string().optional(), format: z.enum(['lines', 'jsonl']) }),
  train: trainSpec,
  /** The energy-aware power monitor's policy (device-agent/power); absent: off. */
  power: powerSpec.optional(),
  /** Upload the trained adapter (LoRA) to this URL with HTTP PUT, then send an artifact message. */
  artifactUrl: z.string().optional(),
  /**
   * Before training, upload what a PyTorch reference run needs to replay this job exactly:
   * batches.bin (the token batches), lora_init/adapter_model.safetensors (LoRA) and, for random
   * weights, model_init.safetensors. Needs artifactUrl.
   */
  exportInputs: z.boolean().default(false),
  /** Milliseconds between memory messages. */
  memoryIntervalMs: z.number().int().positive().default(1000),
});

export const cancelMessage = z.object({ type: z.literal('cancel'), jobId: z.string(), reason: z.string() });

export const telemetryMessage = z.object({
  type: z.literal('telemetry'),
  /** Readings the controller measured on the device; they feed the power monitor. */
  batteryPct: z.number().min(0).max(100).optional(),
  charging: z.boolean().optional(),
  temperatureC: z.number().optional(),
});

export const controllerMessage = z.discriminatedUnion('type', [jobMessage, cancelMessage, telemetryMessage]);

export const backendInfo = z.object({ name: z.string(), limits: z.record(z.string(), z.union([z.number(), z.string(), z.boolean()])) });

export const helloMessage = z.object({
  type: z.literal('hello'),
  protocol: z.number().int(),
  agentVersion: z.string(),
  runtime: z.enum(['node', 'browser']),
  userAgent: z.string(),
  backends: z.array(backendInfo),
});

const job = { jobId: z.string() };

export const agentMessage = z.discriminatedUnion('type', [
  helloMessage,
  z.object({ type: z.literal('started'), ...job, trainableParams: z.number().int(), totalParams: z.number().int(), trainWindows: z.number().int(), backend: z.string(),
    /** Compute threads the job really runs on (after the job's `threads`). */
    threads: z.number().int().positive().optional() }),
  z.object({ type: z.literal('step'), ...job, step: z.number().int().positive(), loss: z.number(), lr: z.number(), tokens: z.number().int(), ms: z.number(), gradNorm: z.number(), sleepMs: z.number().default(0) }),
  z.object({ type: z.literal('eval'), ...job, step: z.number().int(), split: z.string(), loss: z.number(), ppl: z.number() }),
  z.object({
    type: z.literal('memory'), ...job,
    /** Bytes of tensors the agent knows about: parameters, gradients, optimizer state, this step's activations. */
    trackedBytes: z.number().int().nonnegative(),
    peakTrackedBytes: z.number().int().nonnegative(),
    shardResidentBytes: z.number().int().nonnegative().optional(),
    offloadReads: z.number().int().nonnegative().optional(),
    offloadWrites: z.number().int().nonnegative().optional(),
  }),
  z.object({ type: z.literal('power'), ...job, state: z.string(), reading: z.record(z.string(), z.number()), sleepMs: z.number(), reason: z.string().default('') }),
  z.object({ type: z.literal('artifact'), ...job, kind: z.enum(['adapter', 'model', 'input']), name: z.string(), bytes: z.number().int(), sha256: z.string() }),
  z.object({ type: z.literal('done'), ...job, steps: z.number().int(), finalLoss: z.number().nullable(), tokens: z.number().int(), ms: z.number(), cancelled: z.boolean() }),
  z.object({ type: z.literal('error'), jobId: z.string().optional(), code: z.string(), message: z.string(), recoverable: z.boolean() }),
]);

export type JobMessage = z.infer<typeof jobMessage>;
export type JobInput = z.input<typeof jobMessage>;
export type TrainSpec = z.infer<typeof trainSpec>;
export type ShardingSpec = z.infer<typeof shardingSpec>;
export type ControllerMessage = z.infer<typeof controllerMessage>;
export type AgentMessage = z.infer<typeof agentMessage>;
export type HelloMessage = z.infer<typeof helloMessage>;

export class ProtocolError extends Error {}

/** Parse and validate one frame; a bad frame is a ProtocolError that says what was wrong. */
export function parseMessage<T>(schema: z.ZodType<T>, text: string, from: string): T {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ProtocolError(`${from} sent a frame that is not JSON`);
  }
  if (json && typeof json === 'object' && 'protocol' in json && (json as { protocol: unknown }).protocol !== PROTOCOL_VERSION) {
    throw new ProtocolError(`${from} speaks protocol version ${String((json as { protocol: unknown }).protocol)}, this side speaks ${PROTOCOL_VERSION}; update the agent and the controller to the same FleetTune version`);
  }
  const r = schema.safeParse(json);
  if (!r.success) throw new ProtocolError(`${from} sent an invalid message: ${r.error.issues.map((i) => `${i.path.join('.') || '(message)'}: ${i.message}`).join('; ')}`);
  return r.data;
}
