// Serves the browser agent bundle (agentDir) at /agent/*: correct content types (.wasm as
// application/wasm, so streaming compilation works), index.html for folders, ETag revalidation.
// Refuses anything that resolves outside agentDir, by path (`..`, encoded `%2f`, backslashes)
// or by symlink. Not a general static server: no listings, no dotfiles.
import { realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { cache, contentTypeFor, fileBody, sendEntity, sendText } from './http-responses';

function inside(root: string, p: string): boolean {
  return p === root || p.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

/** GET / HEAD /agent/<rel>; `rel` is the raw (still percent-encoded) path after /agent/. */
export async function serveAgentFile(req: IncomingMessage, res: ServerResponse, agentDir: string | undefined, rel: string): Promise<void> {
  if (!agentDir) return sendText(res, 404, 'this hub serves no agent bundle (start it with agentDir)');
  let decoded: string;
  try {
    decoded = decodeURIComponent(rel);
  } catch {
    return sendText(res, 400, 'malformed percent-encoding in the path');
  }
  if (decoded.includes('\0')) return sendText(res, 400, 'NUL byte in the path');
  const root = path.resolve(agentDir);
  const target = path.resolve(root, `.${path.sep}${decoded}`);
  const refuse = () => sendText(res, 403, 'refused: the path leads outside the agent folder');
  if (!inside(root, target)) return refuse();
  if (decoded.split(/[\\/]/).some((seg) => seg.startsWith('.') && seg !== '.')) return sendText(res, 404, `no such agent file: /agent/${rel}`);
  let file: string;
  try {
    file = await realpath(target);
    if ((await stat(file)).isDirectory()) file = await realpath(path.join(file, 'index.html'));
  } catch {
    return sendText(res, 404, `no such agent file: /agent/${rel}`);
  }
  // A symlink inside the bundle must not lead out of it either.
  if (!inside(await realpath(root), file)) return refuse();
  const st = await stat(file);
  return sendEntity(req, res, {
    size: st.size,
    contentType: contentTypeFor(file),
    // The bundle changes between builds under the same names: revalidate every time (cheap, local).
    etag: `W/"${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}"`,
    cacheControl: cache.revalidate,
    body: fileBody(file),
  });
}
