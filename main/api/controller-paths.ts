// Where the controller keeps its files by default, shared by `npm run ui`, the Electron app and the
// CLI's conventions: the results database and the user's suites under $XDG_DATA_HOME/fleettune
// (~/.local/share/fleettune), suite outputs and exports under its runs/ folder, fixtures under
// $XDG_CACHE_HOME/fleettune, built-in suites in benchmarks/suites/ and the agent bundle in out/agent.
// Only paths; nothing is created here.
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '../transports/local-transport';

export interface ControllerPaths {
  db: string;
  outRoot: string;
  cacheDir: string;
  builtinSuites: string;
  userSuites: string;
  agentDir: string | undefined;
  rendererDir: string;
}

export function defaultControllerPaths(env: NodeJS.ProcessEnv = process.env): ControllerPaths {
  const dataHome = path.join(env.XDG_DATA_HOME ?? path.join(os.homedir(), '.local/share'), 'fleettune');
  const agentDir = path.join(repoRoot, 'out/agent');
  return {
    db: path.join(dataHome, 'results.db'),
    outRoot: path.join(dataHome, 'runs'),
    cacheDir: path.join(env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'fleettune'),
    builtinSuites: path.join(repoRoot, 'benchmarks/suites'),
    userSuites: path.join(dataHome, 'suites'),
    agentDir: existsSync(agentDir) ? agentDir : undefined,
    rendererDir: path.join(repoRoot, 'out/renderer'),
  };
}
