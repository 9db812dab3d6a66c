/**
 * uid → user and gid → group names from this machine's /etc/passwd and /etc/group, for hovers and the interpreted
 * view of logs without an ENRICHED part. A log may come from another machine, so callers say where a name came from.
 */
import { promises as fsp } from 'node:fs';
import type { IdNames } from './explain';

/** Parses passwd/group text (`name:x:ID:…` per line) into id → name; the first entry of an id wins. */
export function parseIdFile(text: string): Map<number, string> {
  const out = new Map<number, string>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const parts = line.split(':');
    if (parts.length < 3 || !/^\d+$/.test(parts[2]) || parts[0] === '') continue;
    const id = Number(parts[2]);
    if (!out.has(id)) out.set(id, parts[0]);
  }
  return out;
}

let cached: { at: number; names: Promise<IdNames> } | null = null;

/** This machine's users and groups (re-read at most once a minute); empty maps when the files cannot be read. */
export function localIdNames(passwd = '/etc/passwd', group = '/etc/group'): Promise<IdNames> {
  if (cached && Date.now() - cached.at < 60_000) return cached.names;
  const read = (f: string): Promise<Map<number, string>> => fsp.readFile(f, 'utf8').then(parseIdFile, () => new Map());
  const names = Promise.all([read(passwd), read(group)]).then(([users, groups]) => ({ users, groups }));
  cached = { at: Date.now(), names };
  return names;
}
