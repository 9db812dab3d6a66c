/**
 * What the rest of the extension may ask of the privileged helper, as types only. The watch feature implements it
 * (one helper session, one password prompt, serves every request); the viewer and the Audit Events tree receive
 * it at registration and use it only when the user's own permissions are not enough (root-only audit logs).
 */
import type { AnalysisResult, EventFilter } from '../core/analyzer';
import type { StreamItem } from '../core/types';

/** Random access to one file's bytes, wherever they are read from (the local file system, or the helper as root). */
export interface ByteSource {
  /** The file's absolute path (for titles and messages). */
  readonly path: string;
  /** The current size in bytes (a live log grows). */
  size(): Promise<number>;
  /** Up to `length` bytes at `offset`; fewer at the end of the file. */
  read(offset: number, length: number): Promise<Buffer>;
  close(): Promise<void>;
}

/** The privileged helper's services, as the extension host sees them. */
export interface PrivilegedAccess {
  /** Opens a file the user cannot read, through the helper (starting it, with its password prompt, when needed). */
  openFile(path: string): Promise<ByteSource>;
  /**
   * Runs the core analysis as root on inputs the user cannot read (files, directories of rotated logs); items
   * stream back as they are found. Resolves with the totals (its `events` array is empty: they went to `onItem`).
   */
  analyze(inputs: string[], filter: EventFilter, onItem: (item: StreamItem) => void, signal?: AbortSignal): Promise<AnalysisResult>;
}
