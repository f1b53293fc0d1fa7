// Agents still running when the controller process exits (normally, or through an uncaught error)
// are ended with it, not left training: each launch registers a synchronous cleanup here and
// removes it once its agent has exited. Only 'exit' is hooked; signal handling is the CLI's / app's.
const cleanups = new Set<() => void>();
let installed = false;

/** Run `fn` (synchronous: nothing asynchronous runs in an 'exit' handler) if the controller exits. Returns the unregister function. */
export function onControllerExit(fn: () => void): () => void {
  cleanups.add(fn);
  if (!installed) {
    installed = true;
    process.once('exit', () => {
      for (const f of cleanups) {
        try {
          f();
        } catch {
          // best effort: the process is going away
        }
      }
    });
  }
  return () => cleanups.delete(fn);
}
