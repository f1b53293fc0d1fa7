// node-flags.mjs: which Node flags and environment the agent, the CLI and the benchmark children
// get (the effect of each is measured by the benchmarks, see benchmarks/README.md).
import { describe, expect, it } from 'vitest';
import { AGENT_MMAP_THRESHOLD, AGENT_SEMI_SPACE_MB, agentNodeEnv, agentNodeFlags, scriptArgs } from '../../../device-agent/cli/node-flags.mjs';

describe('node-flags', () => {
  it('adds the relaxed-SIMD flag only where Node needs it', () => {
    expect(agentNodeFlags('20.20.2')).toEqual(['--experimental-wasm-relaxed-simd']);
    expect(agentNodeFlags('v21.7.0')).toEqual(['--experimental-wasm-relaxed-simd']);
    expect(agentNodeFlags('22.0.0')).toEqual([]);
    expect(() => agentNodeFlags('latest')).toThrow(/not a Node version/);
  });

  it('runs TypeScript under the tsx loader and JavaScript as is', () => {
    expect(scriptArgs('a/b.ts')).toEqual(['--import', 'tsx', 'a/b.ts']);
    expect(scriptArgs('out/node-agent/agent.js')).toEqual(['out/node-agent/agent.js']);
  });

  it('sets the malloc mmap threshold for processes that bound memory, unless the environment already chose one', () => {
    const bounded = { boundedMemory: true }, unbounded = { boundedMemory: false };
    expect(agentNodeEnv({ PATH: '/bin' }, bounded)).toEqual({ PATH: '/bin', MALLOC_MMAP_THRESHOLD_: String(AGENT_MMAP_THRESHOLD), NODE_OPTIONS: `--max-semi-space-size=${AGENT_SEMI_SPACE_MB}` });
    expect(agentNodeEnv({ PATH: '/bin' }, unbounded)).toEqual({ PATH: '/bin' }); // glibc's default: fewer page faults
    expect(agentNodeEnv({ MALLOC_MMAP_THRESHOLD_: '131072' }, bounded).MALLOC_MMAP_THRESHOLD_).toBe('131072');
    expect(agentNodeEnv({ MALLOC_MMAP_THRESHOLD_: '131072' }, unbounded).MALLOC_MMAP_THRESHOLD_).toBe('131072');
    expect(agentNodeEnv({ FLEETTUNE_MMAP_THRESHOLD: '2097152' }, bounded).MALLOC_MMAP_THRESHOLD_).toBe('2097152');
    expect(agentNodeEnv({ FLEETTUNE_MMAP_THRESHOLD: '2097152' }, unbounded).MALLOC_MMAP_THRESHOLD_).toBe('2097152');
    expect(agentNodeEnv({ FLEETTUNE_MMAP_THRESHOLD: 'glibc' }, bounded)).not.toHaveProperty('MALLOC_MMAP_THRESHOLD_');
    expect(() => agentNodeEnv({ FLEETTUNE_MMAP_THRESHOLD: '4M' }, unbounded)).toThrow(/FLEETTUNE_MMAP_THRESHOLD must be a byte count or "glibc", got "4M"/);
    expect(() => agentNodeEnv({}, {} as { boundedMemory: boolean })).toThrow(/say whether the process bounds its memory/);
  });

  it('caps V8\'s young generation for processes that bound memory, keeping other NODE_OPTIONS and a cap already chosen', () => {
    expect(agentNodeEnv({ NODE_OPTIONS: '--trace-warnings' }, { boundedMemory: true }).NODE_OPTIONS).toBe(`--trace-warnings --max-semi-space-size=${AGENT_SEMI_SPACE_MB}`);
    expect(agentNodeEnv({ NODE_OPTIONS: '--max-semi-space-size=8' }, { boundedMemory: true }).NODE_OPTIONS).toBe('--max-semi-space-size=8');
    expect(agentNodeEnv({ NODE_OPTIONS: '--trace-warnings' }, { boundedMemory: false }).NODE_OPTIONS).toBe('--trace-warnings');
    expect(agentNodeEnv({ FLEETTUNE_MMAP_THRESHOLD: 'glibc' }, { boundedMemory: true }).NODE_OPTIONS).toBe(`--max-semi-space-size=${AGENT_SEMI_SPACE_MB}`);
  });
});
