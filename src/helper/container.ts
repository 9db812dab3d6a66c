/**
 * Which container a process ran in. The kernel records no container id in audit records, but /proc/PID/cgroup names
 * it (a 64-hex fragment in the cgroup path) while the process lives, so the helper reads it the moment a record
 * arrives, and falls back to the parent (a short-lived `rm` is often gone, its shell is not).
 */
import { readFileSync } from 'node:fs';

export interface ContainerInfo {
  /** The 64-hex container id, `host`, or `unknown` (the process and its parent had exited). */
  container: string;
  runtime?: string;
}

/** Runtime hints in cgroup paths, most specific first. */
const RUNTIMES: [RegExp, string][] = [
  [/\/kubepods[./]/, 'kubernetes'],
  [/libpod-|\/libpod\//, 'podman'],
  [/cri-containerd-|\/containerd\//, 'containerd'],
  [/crio-/, 'cri-o'],
  [/docker[-/]/, 'docker'],
];

/** Reads a cgroup file's text into container info; `host` when no container id is in it. */
export function containerFromCgroup(text: string): ContainerInfo {
  for (const line of text.split('\n')) {
    // `hierarchy-ID:controllers:path`; the path may itself contain colons.
    const p = line.split(':').slice(2).join(':');
    if (!p) continue;
    const id = /(?:^|[/\-_.])([0-9a-f]{64})(?:\.scope)?(?:$|[/.])/.exec(p);
    if (id) {
      const runtime = RUNTIMES.find(([re]) => re.test(p))?.[1];
      return runtime ? { container: id[1], runtime } : { container: id[1] };
    }
    const lxc = /^\/lxc(?:\.payload)?[./]([^/]+)/.exec(p);
    if (lxc) return { container: lxc[1], runtime: 'lxc' };
  }
  return { container: 'host' };
}

/** Container info for a live process, or undefined when it has exited (or /proc cannot tell). */
export function containerOf(pid: number, procRoot = '/proc'): ContainerInfo | undefined {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    return containerFromCgroup(readFileSync(`${procRoot}/${pid}/cgroup`, 'utf8'));
  } catch {
    return undefined;
  }
}

const SYSCALL_PREFIXES = [Buffer.from('type=SYSCALL '), Buffer.from('type=URINGOP ')];

/**
 * Remembers the container of each process that appears in a record of ours, read as soon as the record is read
 * (before the event is assembled and analysed, which may be a few hundred milliseconds later).
 */
export class ContainerCache {
  private readonly byPid = new Map<number, { info: ContainerInfo; at: number }>();

  constructor(
    private readonly procRoot = '/proc',
    /** How long an entry stands for its pid (pids are reused, but not within seconds on a normal system). */
    private readonly ttlMs = 10_000,
  ) {}

  /** Scans a freshly read chunk for SYSCALL/URINGOP records that carry one of `needles`, and reads their /proc now. */
  scan(buf: Buffer, length: number, needles: readonly Buffer[]): void {
    const now = Date.now();
    const view = buf.subarray(0, length);
    const done = new Set<number>();
    for (const needle of needles) {
      for (let hit = view.indexOf(needle); hit >= 0; hit = view.indexOf(needle, hit + 1)) {
        const ls = view.lastIndexOf(10, hit) + 1;
        if (done.has(ls)) continue;
        done.add(ls);
        // Most of our records are SYSCALLs; skip anything else cheaply.
        if (!SYSCALL_PREFIXES.some((p) => view.compare(p, 0, p.length, ls, ls + p.length) === 0)) continue;
        const nl = view.indexOf(10, hit);
        const text = view.toString('latin1', ls, nl < 0 ? length : nl);
        const pid = Number(/ pid=(\d+)/.exec(text)?.[1]);
        const ppid = Number(/ ppid=(\d+)/.exec(text)?.[1]);
        this.note(pid, ppid, now);
      }
    }
  }

  /** Reads pid's container now (or its parent's when it has already exited) unless known recently. */
  note(pid: number, ppid: number, now = Date.now()): void {
    if (!Number.isInteger(pid) || pid <= 0) return;
    const known = this.byPid.get(pid);
    if (known && now - known.at < this.ttlMs) return;
    const info = containerOf(pid, this.procRoot) ?? containerOf(ppid, this.procRoot) ?? { container: 'unknown' };
    this.byPid.set(pid, { info, at: now });
    if (this.byPid.size > 4096) {
      for (const [p, v] of this.byPid) if (now - v.at >= this.ttlMs) this.byPid.delete(p);
    }
  }

  /** What was read for a pid; `unknown` when it never was (the record was not seen in time). */
  lookup(pid: number | null): ContainerInfo {
    return (pid !== null ? this.byPid.get(pid)?.info : undefined) ?? { container: 'unknown' };
  }
}
