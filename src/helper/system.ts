/**
 * Running system programs from the helper (as root): absolute paths from the system directories, argument vectors,
 * a fixed minimal environment, bounded time and output. Plain Node, no `vscode`.
 */
import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import * as path from 'node:path';
import { resolveExecutable, SYSTEM_DIRS } from './auditdStatus';

/** What a program did. `code` is null when it was killed (timeout) or could not start (`error` says why). */
export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  error?: string;
}

/** The environment privileged programs get: nothing inherited, English messages (they are matched). */
export const SYSTEM_ENV: NodeJS.ProcessEnv = { PATH: SYSTEM_DIRS.join(':'), LC_ALL: 'C', LANG: 'C' };

/** Runs `file` with an argument vector (never a shell) and collects its output. Never rejects. */
export function run(file: string, args: readonly string[], opts: { timeoutMs?: number; input?: string } = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = execFile(
      file,
      args,
      { env: SYSTEM_ENV, cwd: '/', timeout: opts.timeoutMs ?? 15_000, maxBuffer: 32 << 20, encoding: 'utf8' },
      (err, stdout, stderr) => {
        const e = err as (NodeJS.ErrnoException & { code?: number | string; killed?: boolean }) | null;
        if (e && typeof e.code === 'string') {
          resolve({ code: null, stdout: stdout ?? '', stderr: stderr ?? '', error: `${file}: ${e.message}` });
          return;
        }
        if (e?.killed) {
          resolve({ code: null, stdout, stderr, error: `${file} did not finish in time` });
          return;
        }
        resolve({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, stdout, stderr });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    else child.stdin?.end();
  });
}

/** Whether a file and every directory above it belong to root and are writable by no one else. */
export function ownedByRootOnly(file: string): boolean {
  let p = path.resolve(file);
  for (;;) {
    try {
      const st = statSync(p);
      if (st.uid !== 0 || (st.mode & 0o022) !== 0) return false;
    } catch {
      return false;
    }
    const up = path.dirname(p);
    if (up === p) return true;
    p = up;
  }
}

/**
 * A system program the helper runs as root: from the system directories only, and only if root alone can change it.
 * Undefined when there is none.
 */
export function systemProgram(name: string): string | undefined {
  const found = resolveExecutable(name);
  return found && ownedByRootOnly(found) ? found : undefined;
}

/** The first line of a program's complaint, for a message. */
export function firstLine(r: RunResult): string {
  const text = (r.error ?? (r.stderr.trim() || r.stdout.trim())).split('\n')[0] ?? '';
  return text || `exit code ${r.code}`;
}
