/**
 * Reading `auditctl -s` and saying what to do about it. Plain Node (no `vscode`): unit-testable,
 * and the CLI or the helper can reuse it.
 */
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';

/**
 * The system directories privileged programs are taken from. Never the user's PATH: under sudo that would bypass
 * `secure_path` (a user-writable PATH directory would win), and the helper runs these programs as root.
 * /usr/local is left out too: it is a place for things installed by hand, sometimes group-writable.
 */
export const SYSTEM_DIRS = ['/usr/sbin', '/sbin', '/usr/bin', '/bin'];

function isExecutableFile(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/**
 * Finds an executable: a path with a slash is taken as is (an explicit choice, e.g. a machine setting), a bare name
 * is looked up in `dirs` (the system directories) only, never in PATH.
 */
export function resolveExecutable(nameOrPath: string, dirs: readonly string[] = SYSTEM_DIRS): string | undefined {
  if (nameOrPath.includes('/')) return isExecutableFile(nameOrPath) ? path.resolve(nameOrPath) : undefined;
  for (const dir of dirs) {
    const candidate = path.join(dir, nameOrPath);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

/** `auditctl -s` output as key → value (`enabled 1`, `pid 4058`, `backlog_limit 64`, …). */
export function parseAuditctlStatus(output: string): Map<string, string> {
  const status = new Map<string, string>();
  for (const line of output.split(/\r?\n/)) {
    const m = /^([a-z_]+) (.+?)\s*$/.exec(line.trim());
    if (m) status.set(m[1], m[2]);
  }
  return status;
}

export type Severity = 'ok' | 'warning' | 'error';

/** One piece of advice about auditd's state. */
export interface Advice {
  severity: Severity;
  text: string;
}

/**
 * The command name of process `pid` (`auditd`, `auditbeat`, …), `null` when no such process runs (none, or a
 * zombie), `undefined`
 * when this /proc cannot tell (mounted with hidepid, or not Linux).
 */
export function processName(pid: number, procRoot = '/proc'): string | null | undefined {
  try {
    const dir = path.join(procRoot, String(pid));
    const name = readFileSync(path.join(dir, 'comm'), 'utf8').trim();
    // A killed process not yet reaped (state Z or X) keeps its /proc entry but receives nothing.
    const stat = readFileSync(path.join(dir, 'stat'), 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state === 'Z' || state === 'X' ? null : name;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // With hidepid, other users' processes (init too) are invisible: absence proves nothing there.
    if ((code === 'ENOENT' || code === 'ESRCH') && existsSync(path.join(procRoot, '1', 'comm'))) return null;
    return undefined;
  }
}

/**
 * What the status means for Audit Lens, most important first; empty output or a failure is explained too.
 * `auditctl -s` prints the pid the kernel last registered as its audit daemon. The kernel notices the daemon is
 * gone only when it next fails to send it a record, so a killed auditd can stay listed for a long time:
 * `nameOf` (the /proc lookup by default) tells a live auditd from a stale pid or another collector.
 */
export function adviseOnStatus(output: string, exitCode: number, nameOf: (pid: number) => string | null | undefined = processName): Advice[] {
  const status = parseAuditctlStatus(output);
  const advice: Advice[] = [];
  if (exitCode !== 0 || !status.has('enabled')) {
    if (/Operation not permitted|must be root|permission denied/i.test(output)) {
      advice.push({ severity: 'error', text: 'auditctl needs root: run VS Code as root or allow your user to run auditctl with sudo.' });
    } else if (/incorrect password|a password is required|no tty present/i.test(output)) {
      advice.push({ severity: 'error', text: 'sudo did not accept the password: run the command again and type your password in this terminal.' });
    } else {
      advice.push({ severity: 'error', text: `auditctl failed (exit code ${exitCode}); its output is above.` });
    }
    return advice;
  }
  const enabled = status.get('enabled');
  const pid = status.get('pid');
  const startIt = 'start it with `auditd` (as root) or `systemctl start auditd`. Without it nothing is written to /var/log/audit/audit.log.';
  const daemon = pid && pid !== '0' ? nameOf(Number(pid)) : undefined;
  if (pid === '0') {
    advice.push({ severity: 'error', text: `auditd is not running: ${startIt}` });
  } else if (daemon === null) {
    advice.push({
      severity: 'error',
      text: `auditd is not running: pid ${pid}, which the kernel still names, has ended (the kernel notices only when it next has a record to send); ${startIt}`,
    });
  } else if (daemon && daemon !== 'auditd') {
    advice.push({
      severity: 'warning',
      text: `The kernel sends audit records to pid ${pid} (${daemon}), not to auditd: /var/log/audit/audit.log is written only by auditd, so Audit Lens sees what that program writes, if anything.`,
    });
  }
  if (enabled === '0') {
    advice.push({ severity: 'error', text: 'Auditing is disabled in the kernel: enable it with `auditctl -e 1`.' });
  } else if (enabled === '2') {
    advice.push({ severity: 'warning', text: 'The audit configuration is locked (enabled 2): rules cannot change until reboot.' });
  }
  const lost = Number(status.get('lost') ?? '0');
  if (lost > 0) {
    advice.push({
      severity: 'warning',
      text: `The kernel dropped ${lost} audit records (lost ${lost}, backlog_limit ${status.get('backlog_limit') ?? '?'}): raise the backlog with \`auditctl -b 8192\`.`,
    });
  }
  if (advice.every((a) => a.severity !== 'error')) {
    if (daemon === undefined || daemon === 'auditd') {
      advice.unshift({ severity: 'ok', text: `auditd is running (pid ${pid ?? '?'}) and auditing is enabled.` });
    }
  }
  return advice;
}

/** The advice as terminal text, coloured by severity. */
export function adviceToTerminal(advice: Advice[]): string {
  const color: Record<Severity, string> = { ok: '32', warning: '33', error: '31' };
  return advice.map((a) => `\x1b[${color[a.severity]}m${a.text}\x1b[0m\n`).join('');
}
