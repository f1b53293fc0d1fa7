// Random-access byte sources for reading big files piece by piece (a safetensors model tensor by
// tensor, so a sharded model never holds the whole file): bytes already in memory, a Node file
// (node:fs imported lazily, so browser bundles never load it) and a browser Blob / File (a
// download kept on disk by the browser, or an OPFS file). Not a cache and not a stream parser.

export interface ByteSource {
  /** Total bytes. */
  readonly size: number;
  /** Exactly `length` bytes from `offset`; a read past the end is an error. */
  read(offset: number, length: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** Throws unless [offset, offset + length) lies inside a source of `size` bytes. */
export function checkRange(size: number, offset: number, length: number, source: string): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > size) {
    throw new Error(`${source}: read of ${length} bytes at ${offset} is outside the ${size}-byte file; the file is truncated or changed while reading — download it again`);
  }
}

/** Bytes in memory (no copy: reads are views). */
export function bytesSource(bytes: Uint8Array, source = 'bytes'): ByteSource {
  return {
    size: bytes.length,
    read: async (offset, length) => {
      checkRange(bytes.length, offset, length, source);
      return bytes.subarray(offset, offset + length);
    },
    close: async () => {},
  };
}

/** A file on disk (Node). Its size is taken at open; close() it when done. */
export async function fileSource(file: string): Promise<ByteSource> {
  const { open } = await import('node:fs/promises');
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(file, 'r');
  } catch (e) {
    throw new Error(`${file}: cannot open the file (${(e as Error).message}); check the path`);
  }
  const size = (await handle.stat()).size;
  return {
    size,
    read: async (offset, length) => {
      checkRange(size, offset, length, file);
      const out = new Uint8Array(length);
      for (let got = 0; got < length; ) {
        const { bytesRead } = await handle.read(out, got, length - got, offset + got);
        if (bytesRead === 0) throw new Error(`${file}: the file ended at ${offset + got} bytes while reading up to ${offset + length}; it was truncated while reading — download it again`);
        got += bytesRead;
      }
      return out;
    },
    close: () => handle.close(),
  };
}

/** A Blob or File (browsers, and Node's Blob). */
export function blobSource(blob: Blob, source = 'blob'): ByteSource {
  return {
    size: blob.size,
    read: async (offset, length) => {
      checkRange(blob.size, offset, length, source);
      const out = new Uint8Array(await blob.slice(offset, offset + length).arrayBuffer());
      if (out.length !== length) throw new Error(`${source}: got ${out.length} of ${length} bytes at ${offset}; the file changed while reading`);
      return out;
    },
    close: async () => {},
  };
}
