// Bridges the parameter table's LoRA rows and PEFT adapter files (adapter_model.safetensors +
// adapter_config.json), so Hugging Face PEFT loads what the trainer saves and the trainer resumes
// from (or evaluates) a PEFT adapter. Module paths go through the model's HF name map.
import type { LoraHost } from '../nn/lora.js';
import { loadPeftAdapter, savePeftAdapter, type PeftAdapterFiles } from './peft-adapter.js';

export function exportLoraAdapter(host: LoraHost, nameToHf: (name: string) => string, baseModelName = 'gpt2'): PeftAdapterFiles {
  const lora = host.lora;
  if (!lora) throw new Error('exportLoraAdapter: the model has no LoRA adapters (full fine-tuning saves model.safetensors instead)');
  const modules = lora.modules.map((m) => {
    const A = host.params.tensor(`${m}.lora_A`);
    const B = host.params.tensor(`${m}.lora_B`);
    return { module: nameToHf(m), A: A.data, B: B.data, inFeatures: A.shape[1], outFeatures: B.shape[0] };
  });
  return savePeftAdapter(modules, {
    r: lora.config.r, alpha: lora.config.alpha, dropout: lora.config.dropout, targetModules: [...lora.config.targets],
    baseModelName, fanInFanOut: true, taskType: 'CAUSAL_LM',
  });
}

/** Copy a PEFT adapter's A and B into the table's LoRA rows; rank, alpha and modules must agree. */
export function importLoraAdapter(host: LoraHost, files: { safetensors: Uint8Array; configJson: string }, source: string, nameToHf: (name: string) => string): void {
  const lora = host.lora;
  if (!lora) throw new Error(`${source}: cannot load a LoRA adapter into a model without LoRA; start LoRA training (omit --full_ft) first`);
  const adapter = loadPeftAdapter(files, source);
  if (adapter.config.r !== lora.config.r || adapter.config.alpha !== lora.config.alpha) {
    throw new Error(`${source}: adapter has r=${adapter.config.r}, alpha=${adapter.config.alpha} but the run uses r=${lora.config.r}, alpha=${lora.config.alpha}; pass matching --rank/--alpha`);
  }
  const byModule = new Map(adapter.modules.map((m) => [m.module, m]));
  for (const m of lora.modules) {
    const found = byModule.get(nameToHf(m)) ?? byModule.get(m);
    if (!found) throw new Error(`${source}: adapter has no weights for module "${nameToHf(m)}"; it was trained with other --lora_targets`);
    const A = host.params.tensor(`${m}.lora_A`);
    const B = host.params.tensor(`${m}.lora_B`);
    if (found.A.length !== A.size || found.B.length !== B.size) throw new Error(`${source}: module "${found.module}" has a different shape than this model's; is it for another model size?`);
    A.data.set(found.A);
    B.data.set(found.B);
  }
}
