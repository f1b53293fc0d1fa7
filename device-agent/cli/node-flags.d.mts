// Types of node-flags.mjs (plain JavaScript so that run-node.mjs can use it before any loader).
export function agentNodeFlags(nodeVersion?: string): string[];
export function scriptArgs(script: string): string[];
export const AGENT_MMAP_THRESHOLD: number;
export const AGENT_SEMI_SPACE_MB: number;
export function agentNodeEnv(env: NodeJS.ProcessEnv, opts: { boundedMemory: boolean }): NodeJS.ProcessEnv;
