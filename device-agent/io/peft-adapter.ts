// Saves and loads LoRA adapters in Hugging Face PEFT's on-disk format (adapter_model.safetensors +
// adapter_config.json), the pair `PeftModel.from_pretrained(base, dir)` loads, in memory and without
// fs. Not LoRA math and not the trainer's parameter table: modules come in as plain A/B arrays.
// Follows peft `utils/save_and_load.py` (tensor names `base_model.model.<module>.lora_A.weight`,
// adapter name dropped, `{"format": "pt"}` metadata) and `tuners/lora/config.py` (LoraConfig fields).
// The config carries only fields LoraConfig already had in peft 0.13, keys sorted, indent 2: peft
// releases before its forward-compatible config change (PR #2038) raise "unexpected keyword argument"
// on later fields such as exclude_modules or lora_bias.

import { parseSafetensors, serializeSafetensors, toFloat32, type SafetensorsInput } from './safetensors.js';

export interface LoraModule {
  /** HF module path, e.g. 'transformer.h.0.attn.c_attn'. */
  module: string;
  /** lora_A.weight: (r, inFeatures), row-major. */
  A: Float32Array;
  /** lora_B.weight: (outFeatures, r), row-major. */
  B: Float32Array;
  inFeatures: number;
  outFeatures: number;
}

export interface PeftLoraConfig {
  r: number;
  alpha: number;
  dropout: number;
  /** Module name suffixes, as in PEFT: 'c_attn' matches 'transformer.h.0.attn.c_attn'. */
  targetModules: string[];
  baseModelName?: string;
  /** True for GPT-2, whose Conv1D stores weights as (in, out). */
  fanInFanOut: boolean;
  taskType?: 'CAUSAL_LM';
  /** Rank-stabilized scaling alpha / sqrt(r) instead of alpha / r; default false. */
  useRslora?: boolean;
}

export interface PeftAdapter {
  config: PeftLoraConfig;
  modules: LoraModule[];
}

export interface PeftAdapterFiles {
  'adapter_model.safetensors': Uint8Array;
  'adapter_config.json': string;
}

const PREFIX = 'base_model.model.';

/** PEFT's exact-or-suffix rule for a list of target_modules. */
function matchesTarget(module: string, targets: string[]): boolean {
  return targets.some((t) => module === t || module.endsWith(`.${t}`));
}

function naturalCompare(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

/** Builds the two files of a PEFT LoRA adapter. `dtype` 'F16' halves the size (default 'F32'). */
export function savePeftAdapter(
  modules: LoraModule[],
  config: PeftLoraConfig,
  options: { dtype?: 'F32' | 'F16' } = {},
): PeftAdapterFiles {
  const { r } = config;
  if (!Number.isInteger(r) || r < 1) throw new Error(`savePeftAdapter: r is ${r}; it must be a positive integer`);
  if (config.targetModules.length === 0) throw new Error('savePeftAdapter: targetModules is empty; list the module names LoRA was applied to (e.g. ["c_attn"])');
  const dtype = options.dtype ?? 'F32';
  const seen = new Set<string>();
  const tensors: SafetensorsInput[] = [];
  for (const m of modules) {
    const what = `savePeftAdapter: module "${m.module}"`;
    if (seen.has(m.module)) throw new Error(`${what} is listed twice; pass each module once`);
    seen.add(m.module);
    if (!matchesTarget(m.module, config.targetModules)) {
      throw new Error(`${what} is not matched by targetModules ${JSON.stringify(config.targetModules)}, so PEFT would ignore its weights; add its last name component to targetModules`);
    }
    if (m.A.length !== r * m.inFeatures) {
      throw new Error(`${what}: A has ${m.A.length} values but (r, in) = (${r}, ${m.inFeatures}) needs ${r * m.inFeatures}; check r and inFeatures`);
    }
    if (m.B.length !== m.outFeatures * r) {
      throw new Error(`${what}: B has ${m.B.length} values but (out, r) = (${m.outFeatures}, ${r}) needs ${m.outFeatures * r}; check r and outFeatures`);
    }
    tensors.push({ name: `${PREFIX}${m.module}.lora_A.weight`, dtype, shape: [r, m.inFeatures], data: m.A });
    tensors.push({ name: `${PREFIX}${m.module}.lora_B.weight`, dtype, shape: [m.outFeatures, r], data: m.B });
  }

  const peftConfig: Record<string, unknown> = {
    alpha_pattern: {},
    auto_mapping: null,
    base_model_name_or_path: config.baseModelName ?? null,
    bias: 'none',
    fan_in_fan_out: config.fanInFanOut,
    inference_mode: true,
    init_lora_weights: true,
    layer_replication: null,
    layers_pattern: null,
    layers_to_transform: null,
    loftq_config: {},
    lora_alpha: config.alpha,
    lora_dropout: config.dropout,
    megatron_config: null,
    megatron_core: 'megatron.core',
    modules_to_save: null,
    peft_type: 'LORA',
    r,
    rank_pattern: {},
    revision: null,
    target_modules: [...config.targetModules].sort(),
    task_type: config.taskType ?? 'CAUSAL_LM',
    use_dora: false,
    use_rslora: config.useRslora ?? false,
  };
  return {
    'adapter_model.safetensors': serializeSafetensors(tensors, { format: 'pt' }),
    'adapter_config.json': JSON.stringify(peftConfig, null, 2) + '\n',
  };
}

/** Parses a PEFT LoRA adapter. `source` (a directory name or URL) prefixes every error message. */
export function loadPeftAdapter(files: { safetensors: Uint8Array; configJson: string }, source: string): PeftAdapter {
  const configFile = `${source}/adapter_config.json`;
  const weightsFile = `${source}/adapter_model.safetensors`;
  const config = parseConfig(files.configJson, configFile);

  const parsed = parseSafetensors(files.safetensors, weightsFile);
  const pairs = new Map<string, { A?: { name: string; shape: number[]; data: Float32Array }; B?: { name: string; shape: number[]; data: Float32Array } }>();
  for (const [name, tensor] of parsed.tensors) {
    const bare = name.startsWith(PREFIX) ? name.slice(PREFIX.length) : name;
    // `<module>.lora_A.weight` as saved, or `<module>.lora_A.<adapter>.weight` as in a live model.
    const m = /^(.+)\.lora_([AB])(?:\.[^.]+)?\.weight$/.exec(bare);
    if (m === null) {
      throw new Error(`${weightsFile}: tensor "${name}" is not a LoRA A/B weight; FleetTune loads plain LoRA adapters only (no DoRA magnitudes, embeddings or modules_to_save) — retrain without those options`);
    }
    const [, module, which] = m;
    if (tensor.shape.length !== 2) {
      throw new Error(`${weightsFile}: tensor "${name}" has shape ${JSON.stringify(tensor.shape)}; LoRA weights are 2-D — the file is not a linear-layer LoRA adapter`);
    }
    const pair = pairs.get(module) ?? {};
    const slot = which as 'A' | 'B';
    if (pair[slot] !== undefined) {
      throw new Error(`${weightsFile}: tensor "${name}" duplicates lora_${slot} of module "${module}" (also "${pair[slot].name}"); keep one adapter per file`);
    }
    pair[slot] = { name, shape: tensor.shape, data: toFloat32(tensor) };
    pairs.set(module, pair);
  }

  const modules: LoraModule[] = [];
  for (const [module, { A, B }] of pairs) {
    if (A === undefined || B === undefined) {
      const have = (A ?? B)!.name;
      throw new Error(`${weightsFile}: module "${module}" has "${have}" but no lora_${A === undefined ? 'A' : 'B'} weight; the file is incomplete — save the adapter again`);
    }
    const [rA, inFeatures] = A.shape;
    const [outFeatures, rB] = B.shape;
    if (rA !== config.r) {
      throw new Error(`${weightsFile}: tensor "${A.name}" has shape ${JSON.stringify(A.shape)} but ${configFile} says r = ${config.r}; the two files do not belong together`);
    }
    if (rB !== config.r) {
      throw new Error(`${weightsFile}: tensor "${B.name}" has shape ${JSON.stringify(B.shape)} but ${configFile} says r = ${config.r}; the two files do not belong together`);
    }
    if (!matchesTarget(module, config.targetModules)) {
      throw new Error(`${weightsFile}: module "${module}" is not matched by target_modules ${JSON.stringify(config.targetModules)} in ${configFile}; PEFT would ignore it — fix target_modules`);
    }
    modules.push({ module, A: A.data, B: B.data, inFeatures, outFeatures });
  }
  modules.sort((a, b) => naturalCompare(a.module, b.module));
  return { config, modules };
}

function parseConfig(json: string, file: string): PeftLoraConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (err) {
    throw new Error(`${file}: not valid JSON (${(err as Error).message}); fix or re-save the adapter`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error(`${file}: must be a JSON object`);
  const c = raw as Record<string, unknown>;
  const bad = (field: string, want: string): never => {
    throw new Error(`${file}: "${field}" is ${c[field] === undefined ? 'missing' : JSON.stringify(c[field])}; it must be ${want}`);
  };
  if (c.peft_type !== 'LORA') bad('peft_type', '"LORA" (FleetTune loads LoRA adapters only)');
  if (!Number.isInteger(c.r) || (c.r as number) < 1) bad('r', 'a positive integer');
  if (typeof c.lora_alpha !== 'number' || !Number.isFinite(c.lora_alpha)) bad('lora_alpha', 'a number');
  if (!Array.isArray(c.target_modules) || c.target_modules.length === 0 || !c.target_modules.every((t) => typeof t === 'string')) {
    bad('target_modules', 'a non-empty list of module names (a regex string is not supported; list the names)');
  }
  if (c.lora_dropout !== undefined && (typeof c.lora_dropout !== 'number' || c.lora_dropout < 0 || c.lora_dropout >= 1)) bad('lora_dropout', 'a number in [0, 1)');
  if (c.fan_in_fan_out !== undefined && typeof c.fan_in_fan_out !== 'boolean') bad('fan_in_fan_out', 'true or false');
  if (c.bias !== undefined && c.bias !== 'none') bad('bias', '"none" (trained biases are not supported)');
  if (c.use_dora === true) bad('use_dora', 'false (DoRA adapters are not supported)');
  if (c.use_rslora !== undefined && typeof c.use_rslora !== 'boolean') bad('use_rslora', 'true or false');
  for (const field of ['rank_pattern', 'alpha_pattern']) {
    const v = c[field];
    if (v !== undefined && v !== null && (typeof v !== 'object' || Object.keys(v).length > 0)) bad(field, 'empty (per-module ranks and alphas are not supported)');
  }
  if (Array.isArray(c.modules_to_save) && c.modules_to_save.length > 0) bad('modules_to_save', 'null (fully trained extra modules are not supported)');
  if (c.task_type !== undefined && c.task_type !== null && c.task_type !== 'CAUSAL_LM') bad('task_type', '"CAUSAL_LM" or null');
  if (c.base_model_name_or_path !== undefined && c.base_model_name_or_path !== null && typeof c.base_model_name_or_path !== 'string') {
    bad('base_model_name_or_path', 'a string or null');
  }

  const config: PeftLoraConfig = {
    r: c.r as number,
    alpha: c.lora_alpha as number,
    dropout: (c.lora_dropout as number | undefined) ?? 0,
    targetModules: c.target_modules as string[],
    fanInFanOut: (c.fan_in_fan_out as boolean | undefined) ?? false,
  };
  if (typeof c.base_model_name_or_path === 'string') config.baseModelName = c.base_model_name_or_path;
  if (c.task_type === 'CAUSAL_LM') config.taskType = 'CAUSAL_LM';
  if (c.use_rslora === true) config.useRslora = true;
  return config;
}
