/**
 * The local-file ByteSource: one fs handle for the life of a viewer document, read by offset. Root-only logs are
 * opened through the privileged helper instead (PrivilegedAccess.openFile), when the extension has one.
 */
import { promises as fsp } from 'node:fs';
import type { ByteSource, PrivilegedAccess } from '../helper/privileged';

/** A file read through one handle; `identity()` tells whether the path still names the same file (rotation). */
export class LocalByteSource implements ByteSource {
  private constructor(
    readonly path: string,
    private readonly fh: fsp.FileHandle,
    private readonly ino: number,
    private readonly dev: number,
  ) {}

  /** Opens `path` for reading; rejects with the fs error (EACCES, ENOENT, EISDIR…). */
  static async open(path: string): Promise<LocalByteSource> {
    const fh = await fsp.open(path, 'r');
    try {
      const st = await fh.stat();
      if (st.isDirectory()) throw Object.assign(new Error(`${path} is a directory`), { code: 'EISDIR' });
      return new LocalByteSource(path, fh, st.ino, st.dev);
    } catch (err) {
      await fh.close();
      throw err;
    }
  }

  async size(): Promise<number> {
    return (await this.fh.stat()).size;
  }

  async read(offset: number, length: number): Promise<Buffer> {
    const buf = Buffer.allocUnsafe(Math.max(0, length));
    let got = 0;
    while (got < length) {
      const { bytesRead } = await this.fh.read(buf, got, length - got, offset + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return got === length ? buf : buf.subarray(0, got);
  }

  /** Whether the path now names another file than the one open (the log was rotated or replaced). */
  async replaced(): Promise<boolean> {
    try {
      const st = await fsp.stat(this.path);
      return st.ino !== this.ino || st.dev !== this.dev;
    } catch {
      // Gone for now (mid-rotation): not replaced yet.
      return false;
    }
  }

  close(): Promise<void> {
    return this.fh.close();
  }
}

/** Why a log could not be opened, for the viewer to show. */
export class OpenError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

/**
 * Opens a log: directly, or through the privileged helper when the file is not readable by the user (EACCES) and
 * the helper is available. Rejects with an OpenError whose message says what to do.
 */
export async function openLog(path: string, privileged: PrivilegedAccess | undefined): Promise<ByteSource> {
  try {
    return await LocalByteSource.open(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if ((code === 'EACCES' || code === 'EPERM') && privileged) return privileged.openFile(path);
    throw new OpenError((err as Error).message, code);
  }
}
