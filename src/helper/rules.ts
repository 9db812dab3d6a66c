/**
 * The audit rules of one watched folder F, and everything the helper asks auditctl. Every rule is an argument vector
 * to /usr/sbin/auditctl (the path is data, whatever it contains); every rule added is remembered so exactly those
 * are removed, by re-issuing them with `-d`.
 *
 * Per arch (b64, and b32 on x86_64; aarch64 has no 32-bit syscall table to watch):
 *   -a always,exit -F arch=ARCH -F path=F -F perm=wa -k KEY   F itself: its deletion, its recreation, direct children;
 *                                                             survives F being deleted and recreated
 *   -a always,exit -F arch=ARCH -F dir=F  -F perm=wa -k KEY   everything below F, recursively; the kernel drops it
 *                                                             (op=remove_rule) when F is deleted: the helper re-arms
 * Checked against auditctl 3.0.9: `auditctl -l` lists them as `-a always,exit -F arch=b64 -S all -F dir=F -F perm=wa
 * -F key=KEY`, which is exactly what `-w F -p wa -k KEY` installs for a directory.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { KEY_PATTERN } from './protocol';
import { firstLine, run, type RunResult } from './system';

/** A fresh helper key: `al_` and 12 hex digits. */
export function newKey(): string {
  return `al_${randomBytes(6).toString('hex')}`;
}

/** The syscall tables to watch on this machine. */
export function archesFor(nodeArch: string = process.arch): string[] {
  // x86_64 runs 32-bit programs through a second syscall table that a b64 rule does not see.
  return nodeArch === 'x64' ? ['b64', 'b32'] : ['b64'];
}

/** One syscall rule, as the arguments after `-a` / `-d`. */
export interface SyscallRule {
  field: 'dir' | 'path';
  arch: string;
  args: string[];
}

/** The syscall rules of a watch: the folder itself (path=) first, then its contents (dir=). */
export function folderRules(folder: string, key: string, arches: string[] = archesFor()): SyscallRule[] {
  const rules: SyscallRule[] = [];
  for (const field of ['path', 'dir'] as const) {
    for (const arch of arches) {
      rules.push({ field, arch, args: ['always,exit', '-F', `arch=${arch}`, '-F', `${field}=${folder}`, '-F', 'perm=wa', '-k', key] });
    }
  }
  return rules;
}

/** What auditctl said to an add or delete. */
export type RuleOutcome = { ok: true; existed?: boolean; missing?: boolean } | { ok: false; error: string };

/** auditctl, found once by absolute path. */
export class Auditctl {
  constructor(readonly path: string) {}

  /** Adds a rule; an identical rule already in the kernel counts as added (`existed`). */
  async add(args: readonly string[]): Promise<RuleOutcome> {
    const r = await run(this.path, ['-a', ...args]);
    if (r.code === 0) return { ok: true };
    if (/Rule exists/i.test(r.stderr)) return { ok: true, existed: true };
    return { ok: false, error: explain(r) };
  }

  /** Deletes a rule; one the kernel no longer has (dropped with its folder) counts as deleted (`missing`). */
  async delete(args: readonly string[]): Promise<RuleOutcome> {
    const r = await run(this.path, ['-d', ...args]);
    if (r.code === 0) return { ok: true };
    if (/No such file or directory|No rule matches/i.test(r.stderr)) return { ok: true, missing: true };
    return { ok: false, error: explain(r) };
  }

  /** `auditctl -l`. */
  async list(): Promise<string> {
    const r = await run(this.path, ['-l']);
    if (r.code !== 0) throw new Error(`auditctl -l: ${firstLine(r)}`);
    return r.stdout;
  }

  /** `auditctl -s`, raw. */
  status(): Promise<RunResult> {
    return run(this.path, ['-s']);
  }

  /** `auditctl -b LIMIT`. */
  async setBacklog(limit: number): Promise<void> {
    const r = await run(this.path, ['-b', String(limit)]);
    if (r.code !== 0) throw new Error(`auditctl -b ${limit}: ${firstLine(r)}`);
  }

  /**
   * `auditctl -D -k KEY`: the last resort for a key's rules (io_uring ones included), used only after checking that
   * no other key starts with KEY, because auditctl matches the key as a prefix.
   */
  async deleteAllWithKey(key: string): Promise<void> {
    const r = await run(this.path, ['-D', '-k', key]);
    if (r.code !== 0) throw new Error(`auditctl -D -k ${key}: ${firstLine(r)}`);
  }
}

/** auditctl's complaint in one line, with what it means for a watch. */
function explain(r: RunResult): string {
  const text = firstLine(r);
  if (/Operation not permitted/i.test(text)) return `${text} (auditctl needs root, and the rules may be locked: auditctl -s shows enabled 2)`;
  return text;
}

/** Every key in an `auditctl -l` listing (`-F key=K` or `-k K`), in order, with repetitions. */
export function listedKeys(listing: string): string[] {
  const keys: string[] = [];
  for (const m of listing.matchAll(/(?:-F key=|-k )(\S+)/g)) keys.push(m[1]);
  return keys;
}

/** Keys in a listing that look like the helper's (`al_` and 12 hex digits). */
export function helperKeysIn(listing: string): string[] {
  return [...new Set(listedKeys(listing).filter((k) => KEY_PATTERN.test(k)))];
}

/** Whether `auditctl -D -k key` would touch only `key`'s rules (auditctl matches keys by prefix). */
export function prefixSafe(listing: string, key: string): boolean {
  return listedKeys(listing).every((k) => k === key || !k.startsWith(key));
}

/** Mount points strictly below `folder` (from /proc/self/mountinfo): rules do not follow into them. */
export function mountPointsUnder(folder: string, mountinfo?: string): string[] {
  let text = mountinfo;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/self/mountinfo', 'utf8');
    } catch {
      return [];
    }
  }
  const prefix = folder.endsWith('/') ? folder : `${folder}/`;
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const field = line.split(' ')[4];
    if (!field) continue;
    // mountinfo escapes space, tab, newline and backslash as octal.
    const mp = field.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    if (mp.startsWith(prefix)) out.push(mp);
  }
  return [...new Set(out)];
}
