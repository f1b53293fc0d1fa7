// Types of build-node-bundle.mjs (a plain script so that `npm run build:agent` runs it with node).
export const repoRoot: string;
export const agentBundle: { outDir: string; entries: Record<string, string> };
export function buildNodeBundles(opts: { outDir: string; entries: Record<string, string>; force?: boolean; log?: (line: string) => void }): Promise<{ built: boolean; reason: string; files: Record<string, string> }>;
