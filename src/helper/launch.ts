/**
 * The command that starts the helper as root: an argument vector, never a shell string (every path in it is data).
 * Plain Node, no `vscode`: the extension's terminals and the integration tests build it the same way.
 *
 *   root:   /usr/bin/env ELECTRON_RUN_AS_NODE=1 NODE helper.js --channel DIR
 *   sudo:   /usr/bin/sudo -p PROMPT -- /usr/bin/env ELECTRON_RUN_AS_NODE=1 NODE helper.js --channel DIR
 *   pkexec: /usr/bin/pkexec /usr/bin/env ELECTRON_RUN_AS_NODE=1 NODE helper.js --channel DIR
 *
 * NODE is the extension host's own executable (`process.execPath`): Node in code-server and Remote-SSH, Electron in
 * desktop VS Code, which runs scripts only with ELECTRON_RUN_AS_NODE=1. sudo and pkexec reset the environment, so
 * the variable travels as an argument of /usr/bin/env. sudo, pkexec and env come from the system directories only.
 */
import { resolveExecutable } from './auditdStatus';

export type Elevation = 'root' | 'sudo' | 'pkexec';

export interface HelperCommand {
  argv: string[];
  elevation: Elevation;
}

/** sudo's prompt: says who asks, so the password is typed knowingly. `%p` is the user whose password it wants. */
export const SUDO_PROMPT = '[Audit Lens] password for %p (to run the audit helper as root): ';

/** Builds the helper's command line, or says why it cannot be started. */
export function helperCommand(o: { execPath: string; script: string; channelDir: string; uid?: number; prefer?: Elevation }): HelperCommand | { problem: string } {
  const env = resolveExecutable('env');
  if (!env) return { problem: 'env was not found in /usr/bin or /bin' };
  const run = [env, 'ELECTRON_RUN_AS_NODE=1', o.execPath, o.script, '--channel', o.channelDir];
  const uid = o.uid ?? process.getuid?.() ?? -1;
  if (uid === 0) return { argv: run, elevation: 'root' };
  const sudo = resolveExecutable('sudo');
  const pkexec = resolveExecutable('pkexec');
  if (sudo && o.prefer !== 'pkexec') return { argv: [sudo, '-p', SUDO_PROMPT, '--', ...run], elevation: 'sudo' };
  if (pkexec) return { argv: [pkexec, ...run], elevation: 'pkexec' };
  return {
    problem: 'Watching deletions needs root: install sudo (and allow your user to use it) or polkit (pkexec), or run VS Code as root.',
  };
}
