import * as vscode from 'vscode';
import { OutputChannelName } from './constants';

/**
 * The extension's one log: a LogOutputChannel ("Audit Lens"), so users pick the level in the Output view
 * and every line is timestamped. Created first in `activate`, before any feature can fail.
 */
let channel: vscode.LogOutputChannel | undefined;

/** Creates the channel (once) and returns a disposable that closes it. */
export function initLog(): vscode.Disposable {
  channel ??= vscode.window.createOutputChannel(OutputChannelName, { log: true });
  return new vscode.Disposable(() => {
    channel?.dispose();
    channel = undefined;
  });
}

/** Formats an unknown thrown value for a log line. */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Logging functions; they are no-ops before `initLog` (e.g. in tests that load a module alone). */
export const log = {
  trace: (msg: string, ...args: unknown[]): void => channel?.trace(msg, ...args),
  debug: (msg: string, ...args: unknown[]): void => channel?.debug(msg, ...args),
  info: (msg: string, ...args: unknown[]): void => channel?.info(msg, ...args),
  warn: (msg: string, ...args: unknown[]): void => channel?.warn(msg, ...args),
  error: (msg: string | Error, ...args: unknown[]): void => channel?.error(msg, ...args),
  /** Reveals the channel in the Output panel. */
  show: (preserveFocus = true): void => channel?.show(preserveFocus),
};
