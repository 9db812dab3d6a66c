/**
 * The "Audit Lens helper" terminal: where sudo asks for the password and the helper prints its status.
 * node-pty where it loads; VS Code's own terminal (`createTerminal({ shellPath, shellArgs })`, which runs in VS Code's
 * pty host, built for the host's glibc) where it does not: node-pty's binary here needs glibc 2.34, so it fails on
 * RHEL 8 or Ubuntu 20.04 Remote-SSH hosts. Both run the same argument vector; events never travel through either.
 */
import * as vscode from 'vscode';
import { Settings } from '../constants';
import { errorText, log } from '../log';
import { loadNodePty, PtySession } from './ptySession';

export const HELPER_TERMINAL_NAME = 'Audit Lens helper';

export type TerminalMode = 'pty' | 'vscode';

/** A started helper terminal. */
export interface HelperTerminal {
  terminal: vscode.Terminal;
  mode: TerminalMode;
  /** Resolves when the program in it has exited (or the terminal was closed). */
  exited: Promise<number | undefined>;
  dispose(): void;
}

/** Which terminal to use: the setting, `AUDIT_LENS_NO_PTY=1` (tests), and whether node-pty loads here. */
export function terminalMode(): { mode: TerminalMode; why: string } {
  const setting = vscode.workspace.getConfiguration(Settings.Section).get<string>(Settings.HelperTerminal) ?? 'auto';
  if (process.env.AUDIT_LENS_NO_PTY === '1') return { mode: 'vscode', why: 'AUDIT_LENS_NO_PTY=1' };
  if (setting === 'vscode') return { mode: 'vscode', why: `${Settings.Section}.${Settings.HelperTerminal} is "vscode"` };
  try {
    loadNodePty();
    return { mode: 'pty', why: 'node-pty loads' };
  } catch (err) {
    if (setting === 'pty') throw new Error(`node-pty does not load on this host (${errorText(err)}); set ${Settings.Section}.${Settings.HelperTerminal} to "auto"`);
    return { mode: 'vscode', why: `node-pty does not load here (${errorText(err)})` };
  }
}

/** Opens the helper terminal running `argv`, and shows it (the password is typed there). */
export function startHelperTerminal(argv: string[]): HelperTerminal {
  const { mode, why } = terminalMode();
  log.info(`helper terminal: ${mode} (${why})`);
  const iconPath = new vscode.ThemeIcon('shield');
  if (mode === 'pty') {
    const pty = new PtySession({ argv, keepOpen: true });
    const exited = new Promise<number | undefined>((resolve) => pty.onExit((e) => resolve(e.exitCode)));
    const terminal = vscode.window.createTerminal({ name: HELPER_TERMINAL_NAME, pty, iconPath });
    // A helper that stopped cleanly leaves nothing to read; a failure (wrong password, no auditd) stays on screen.
    void exited.then((code) => {
      if (code === 0) setTimeout(() => terminal.dispose(), 1500);
    });
    terminal.show(false);
    return { terminal, mode, exited, dispose: () => terminal.dispose() };
  }
  const terminal = vscode.window.createTerminal({ name: HELPER_TERMINAL_NAME, shellPath: argv[0], shellArgs: argv.slice(1), iconPath, isTransient: true });
  const exited = new Promise<number | undefined>((resolve) => {
    const sub = vscode.window.onDidCloseTerminal((t) => {
      if (t !== terminal) return;
      sub.dispose();
      resolve(t.exitStatus?.code);
    });
  });
  terminal.show(false);
  return { terminal, mode, exited, dispose: () => terminal.dispose() };
}
