// Receives one artifact (a trained LoRA adapter, a checkpoint) that an agent PUTs to
// /artifacts/<token>/<name>: streamed to a temporary file while hashed and counted, renamed into
// artifactDir/<jobId>/<name> only when complete, answered with {sha256, bytes, path}.
// Not a general upload server: the hub checks the token before calling this.
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { sendJson, sendText } from './http-responses';

/** A file or folder name made of [A-Za-z0-9._-] only; null when nothing usable is left. */
export function safeName(raw: string): string | null {
  const name = raw.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 200);
  // "", ".", ".." and dotfiles would escape the job folder or hide in it.
  return name === '' || name.startsWith('.') ? null : name;
}

class TooLarge extends Error {}

export interface ArtifactTarget {
  artifactDir: string;
  jobId: string;
  /** The raw, percent-encoded last path segment. */
  rawName: string;
  maxBytes: number;
}

export async function receiveArtifact(req: IncomingMessage, res: ServerResponse, t: ArtifactTarget): Promise<void> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(t.rawName);
  } catch {
    return sendText(res, 400, 'malformed percent-encoding in the artifact name');
  }
  const name = safeName(decoded);
  const jobDir = safeName(t.jobId);
  if (!name || !jobDir) return sendText(res, 400, `unusable artifact name "${decoded}": use letters, digits, ".", "_" and "-", not starting with "."`);
  const limitText = `${(t.maxBytes / 2 ** 20).toFixed(0)} MiB`;
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > t.maxBytes) {
    res.setHeader('Connection', 'close');
    return sendText(res, 413, `artifact of ${declared} bytes is over the hub's limit of ${t.maxBytes} bytes (${limitText})`);
  }
  const dir = path.join(t.artifactDir, jobDir);
  await mkdir(dir, { recursive: true });
  const final = path.join(dir, name);
  const partial = `${final}.${randomBytes(4).toString('hex')}.partial`;
  const hash = createHash('sha256');
  let bytes = 0;
  const count = new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      if (bytes > t.maxBytes) return done(new TooLarge());
      hash.update(chunk);
      done(null, chunk);
    },
  });
  // req is piped by hand rather than put in the pipeline: a failed pipeline destroys its source,
  // and destroying the request kills the socket before the 413 could be answered.
  const writing = pipeline(count, createWriteStream(partial));
  req.on('close', () => {
    if (!req.complete) count.destroy(new Error('the upload was aborted'));
  });
  req.pipe(count);
  try {
    await writing;
    await rename(partial, final);
  } catch (e) {
    await rm(partial, { force: true });
    if (e instanceof TooLarge) {
      // Stop reading the rest: answer, then drop the connection.
      req.unpipe(count);
      res.setHeader('Connection', 'close');
      res.once('finish', () => req.socket.destroy());
      return sendText(res, 413, `artifact is over the hub's limit of ${t.maxBytes} bytes (${limitText}); upload stopped`);
    }
    if (res.destroyed || req.socket.destroyed) return; // the agent went away mid-upload
    req.unpipe(count);
    res.setHeader('Connection', 'close');
    res.once('finish', () => req.socket.destroy());
    return sendText(res, 500, `could not store the artifact ${name}: ${(e as Error).message}`);
  }
  sendJson(res, 201, { sha256: hash.digest('hex'), bytes, path: final });
}
