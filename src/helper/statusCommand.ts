/**
 * "Audit Lens: Show auditd Status": `auditctl -s` in a terminal (through sudo when not root), with advice below it.
 */
import * as vscode from 'vscode';
import { Commands, Settings } from '../constants';
import { log } from '../log';
import { adviceToTerminal, adviseOnStatus, resolveExecutable } from './auditdStatus';
import { PtySession } from './ptySession';

const TERMINAL_NAME = 'auditd Status';

/** A terminal that prints a message and closes on the next key: for when there is nothing to run. */
function messageTerminal(text: string): vscode.Pseudoterminal {
  const write = new vscode.EventEmitter<string>();
  const close = new vscode.EventEmitter<void>();
  return {
    onDidWrite: write.event,
    onDidClose: close.event,
    open: () => write.fire(`${text}\n\x1b[2m[Press any key to close this terminal.]\x1b[0m\n`.replace(/\r?\n/g, '\r\n')),
    handleInput: () => close.fire(),
    close: () => {
      write.dispose();
      close.dispose();
    },
  };
}

/** Builds the argument vector, or says why it cannot. */
function statusArgv(): { argv: string[] } | { problem: string } {
  const configured = vscode.workspace.getConfiguration(Settings.Section).get<string>(Settings.AuditctlPath)?.trim() || 'auditctl';
  const auditctl = resolveExecutable(configured);
  if (!auditctl) {
    return {
      problem:
        `auditctl was not found (looked for "${configured}").\n` +
        'Install auditd: `apt-get install auditd` (Debian, Ubuntu) or `dnf install audit` (Fedora, RHEL),\n' +
        'then start it with `auditd` or `systemctl start auditd`.\n' +
        `Or set ${Settings.Section}.${Settings.AuditctlPath} to auditctl's full path.`,
    };
  }
  // auditctl talks netlink and needs CAP_AUDIT_CONTROL; a real pty lets sudo ask for the password right here.
  if (process.getuid?.() === 0) return { argv: [auditctl, '-s'] };
  const sudo = resolveExecutable('sudo');
  if (!sudo) return { problem: `auditctl needs root and sudo was not found: run \`${auditctl} -s\` as root.` };
  return { argv: [sudo, auditctl, '-s'] };
}

/** Registers "Show auditd Status". */
export function register(_context: vscode.ExtensionContext): vscode.Disposable {
  let last: vscode.Terminal | undefined;
  const run = (): void => {
    // One status terminal at a time: re-running replaces the old one instead of piling them up.
    last?.dispose();
    const plan = statusArgv();
    let pty: vscode.Pseudoterminal;
    if ('problem' in plan) {
      log.warn(plan.problem.replace(/\n/g, ' '));
      pty = messageTerminal(`\x1b[31m${plan.problem}\x1b[0m`);
    } else {
      pty = new PtySession({ argv: plan.argv, afterExit: (exit, output) => `\n${adviceToTerminal(adviseOnStatus(output, exit.exitCode))}` });
    }
    last = vscode.window.createTerminal({ name: TERMINAL_NAME, pty, iconPath: new vscode.ThemeIcon('shield') });
    last.show();
  };
  return vscode.Disposable.from(
    vscode.commands.registerCommand(Commands.AuditdStatus, run),
    vscode.window.onDidCloseTerminal((t) => {
      if (t === last) last = undefined;
    }),
    new vscode.Disposable(() => last?.dispose()),
  );
}
