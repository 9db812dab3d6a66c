/**
 * Shares the strings and small arrays that repeat across events (the log's file name in every record reference,
 * programs, users, keys, record type lists, object roles and notes): events that cross a thread boundary arrive
 * as fresh copies, and 100 000 of them would otherwise hold each of those strings 100 000 times. In place; the
 * events keep their shape. Pure (no `vscode` import).
 */
import type { AuditEvent } from '../core/types';

export class Interner {
  private readonly strings = new Map<string, string>();
  private readonly arrays = new Map<string, string[]>();

  private s<T extends string | null | undefined>(v: T): T {
    if (typeof v !== 'string') return v;
    const hit = this.strings.get(v);
    if (hit !== undefined) return hit as T;
    this.strings.set(v, v);
    return v;
  }

  private a(v: string[] | null): string[] | null {
    if (!v) return v;
    const key = v.join('\u0000');
    const hit = this.arrays.get(key);
    if (hit) return hit;
    const shared = v.map((x) => this.s(x));
    this.arrays.set(key, shared);
    return shared;
  }

  /** Replaces repeated strings and arrays of `ev` by shared ones; returns `ev`. */
  event(ev: AuditEvent): AuditEvent {
    ev.keys = this.a(ev.keys)!;
    ev.recordTypes = this.a(ev.recordTypes)!;
    ev.syscall = this.s(ev.syscall);
    ev.arch = this.s(ev.arch);
    ev.errno = this.s(ev.errno);
    ev.node = this.s(ev.node);
    // Every record of an event is (nearly always) in the event's own file: one lookup, then a cheap comparison.
    const raw = ev.source.file;
    const file = (ev.source.file = this.s(raw));
    for (const r of ev.records) r.file = r.file === raw ? file : this.s(r.file);
    const p = ev.process;
    p.exe = this.s(p.exe);
    p.comm = this.s(p.comm);
    p.cwd = this.s(p.cwd);
    p.user = this.s(p.user);
    p.euser = this.s(p.euser);
    p.group = this.s(p.group);
    p.loginUser = this.s(p.loginUser);
    p.tty = this.s(p.tty);
    p.argv = this.a(p.argv);
    for (const o of ev.objects) {
      o.role = this.s(o.role);
      o.confidence = this.s(o.confidence);
      o.dev = this.s(o.dev);
      o.type = this.s(o.type);
      if (o.note !== undefined) o.note = this.s(o.note);
    }
    return ev;
  }

  /** Forgets everything (when the tree is cleared). */
  clear(): void {
    this.strings.clear();
    this.arrays.clear();
  }
}
