// A small flag parser for the trainer CLIs: `--name value`, `--name=value` and bare switches, with
// typed values, defaults and one help line per flag. Unknown flags, missing values and bad numbers
// are errors that say which flag and what is expected. (Node's util.parseArgs has no numeric types
// or per-flag help, and the original's flag names must be kept exactly.)

export type FlagType = 'int' | 'float' | 'string' | 'switch';

export interface FlagSpec {
  type: FlagType;
  default?: number | string | boolean;
  help: string;
}

export type FlagValues = Record<string, number | string | boolean | undefined>;

export class UsageError extends Error {}

export function parseFlags(argv: string[], specs: Record<string, FlagSpec>): FlagValues {
  const out: FlagValues = {};
  for (const [name, spec] of Object.entries(specs)) out[name] = spec.type === 'switch' ? (spec.default ?? false) : spec.default;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) throw new UsageError(`unexpected argument "${arg}"; every option is a --flag`);
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const spec = specs[name];
    if (!spec) throw new UsageError(`unknown flag --${name}; run with --help to list the flags`);
    if (spec.type === 'switch') {
      if (eq >= 0) {
        const v = arg.slice(eq + 1);
        if (!['1', '0', 'true', 'false'].includes(v)) throw new UsageError(`--${name} is a switch: give it alone, or =1/=0`);
        out[name] = v === '1' || v === 'true';
      } else out[name] = true;
      continue;
    }
    let value: string;
    if (eq >= 0) value = arg.slice(eq + 1);
    else {
      if (i + 1 >= argv.length) throw new UsageError(`--${name} needs a value (${spec.help})`);
      value = argv[++i];
    }
    if (spec.type === 'string') out[name] = value;
    else {
      const n = Number(value);
      if (value.trim() === '' || !Number.isFinite(n) || (spec.type === 'int' && !Number.isInteger(n))) {
        throw new UsageError(`--${name} expects ${spec.type === 'int' ? 'an integer' : 'a number'}, got "${value}"`);
      }
      out[name] = n;
    }
  }
  return out;
}

export function usage(command: string, specs: Record<string, FlagSpec>): string {
  const lines = [`usage: ${command} [flags]`, ''];
  for (const [name, spec] of Object.entries(specs)) {
    const arg = spec.type === 'switch' ? '' : ` <${spec.type}>`;
    const def = spec.default === undefined || spec.type === 'switch' ? '' : ` (default ${JSON.stringify(spec.default)})`;
    lines.push(`  --${name}${arg}`.padEnd(32) + spec.help + def);
  }
  return lines.join('\n');
}
