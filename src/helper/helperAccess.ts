/**
 * PrivilegedAccess (src/helper/privileged.ts) served by the helper session: root-only audit logs read in byte ranges
 * and analysed as root, items streamed back. The session (and its password prompt) starts on first use.
 */
import type { AnalysisResult, EventFilter } from '../core/analyzer';
import type { StreamItem } from '../core/types';
import type { HelperChannel } from './channel';
import type { ByteSource, PrivilegedAccess } from './privileged';
import { MAX_READ } from './protocol';

/** One file opened by the helper. */
class HelperByteSource implements ByteSource {
  private closed = false;

  constructor(
    private readonly channel: HelperChannel,
    private readonly handle: number,
    readonly path: string,
    private readonly onClose: () => void,
  ) {}

  async size(): Promise<number> {
    return (await this.channel.request('size', { handle: this.handle })).size;
  }

  async read(offset: number, length: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    let got = 0;
    while (got < length) {
      const want = Math.min(MAX_READ, length - got);
      const { data } = await this.channel.request('read', { handle: this.handle, offset: offset + got, length: want });
      const buf = Buffer.from(data, 'base64');
      parts.push(buf);
      got += buf.length;
      if (buf.length < want) break;
    }
    return parts.length === 1 ? parts[0] : Buffer.concat(parts, got);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.onClose();
    if (this.channel.connected) await this.channel.request('close', { handle: this.handle }).catch(() => undefined);
  }
}

/** The helper's services for the viewer and the tree. `session` starts the helper when needed. */
export class HelperAccess implements PrivilegedAccess {
  /** Open files and running analyses: while any is in use, the session is kept. */
  busy = 0;

  constructor(private readonly session: () => Promise<HelperChannel>) {}

  async openFile(path: string): Promise<ByteSource> {
    const channel = await this.session();
    const { handle } = await channel.request('open', { path });
    this.busy++;
    return new HelperByteSource(channel, handle, path, () => this.busy--);
  }

  async analyze(inputs: string[], filter: EventFilter, onItem: (item: StreamItem) => void, signal?: AbortSignal): Promise<AnalysisResult> {
    const channel = await this.session();
    this.busy++;
    try {
      const result = await channel.request('analyze', { inputs, filter }, { onItems: (items) => items.forEach(onItem), signal });
      return { ...result, events: [] };
    } finally {
      this.busy--;
    }
  }
}
