/**
 * io_uring coverage. io_uring operations (IORING_OP_UNLINKAT, _RENAMEAT, _MKDIRAT) bypass syscall rules; the kernel
 * filters them on list 7 (AUDIT_FILTER_URING_EXIT). auditctl 3.0.9 refuses that list (`-a io_uring,always`: "bad
 * keyword"), but the kernel takes such a rule in a plain netlink AUDIT_ADD_RULE message.
 *
 * Node cannot open a NETLINK_AUDIT socket without a native module, and the extension ships nothing compiled but
 * node-pty. Python's standard library can, so the helper sends the message through the system's python3 (root-owned,
 * from the system directories, isolated mode: no environment, no user site, no site module). Where there is no
 * python3, or the kernel predates list 7, the watch says io_uring deletions are not covered; nothing is faked.
 */
import { firstLine, run, systemProgram } from './system';

/** IORING_OP_RENAMEAT, IORING_OP_UNLINKAT, IORING_OP_MKDIRAT (linux/io_uring.h; stable ABI numbers). */
export const URING_OPS = [35, 36, 37];

/** Exit statuses of the script besides 0 (done). */
const EXIT_EXISTS = 3;
const EXIT_MISSING = 4;

/**
 * Adds or deletes one list-7 rule: `dir=` or `path=` PATH (bytes, from argv) with key KEY, on the given op numbers.
 * A rule is deleted by sending the same fields, mask and key that added it.
 */
const SCRIPT = String.raw`
import errno, os, socket, struct, sys
op, field, path, key, ops = sys.argv[1:6]
mask = [0] * 64
for o in ops.split(','):
    o = int(o)
    mask[o // 32] |= 1 << (o % 32)
strings = [(107 if field == 'dir' else 105, os.fsencode(path)), (210, key.encode('ascii'))]
n = len(strings)
pad = lambda xs: xs + [0] * (64 - len(xs))
buf = b''.join(s for _, s in strings)
body = (struct.pack('=3I', 7, 2, n) + struct.pack('=64I', *mask)
        + struct.pack('=64I', *pad([f for f, _ in strings]))
        + struct.pack('=64I', *pad([len(s) for _, s in strings]))
        + struct.pack('=64I', *pad([0x40000000] * n))
        + struct.pack('=I', len(buf)) + buf)
seq = os.getpid() & 0xffffffff
msg = struct.pack('=IHHII', 16 + len(body), 1011 if op == 'add' else 1012, 1 | 4, seq, 0) + body
s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 9)
s.settimeout(5)
s.sendto(msg, (0, 0))
while True:
    data = s.recv(65536)
    off = 0
    while off + 16 <= len(data):
        ln, typ, _, sq, _ = struct.unpack_from('=IHHII', data, off)
        if ln < 16:
            break
        if sq == seq and typ == 2:
            err = -struct.unpack_from('=i', data, off + 16)[0]
            if err == 0:
                sys.exit(0)
            sys.stderr.write(os.strerror(err) + '\n')
            sys.exit(3 if err == errno.EEXIST else 4 if err == errno.ENOENT else 1)
        off += (ln + 3) & ~3
`;

/** The interpreter the script runs in, or undefined (then io_uring is not covered). */
export function findPython(): string | undefined {
  return systemProgram('python3') ?? (systemProgram('/usr/libexec/platform-python') ? '/usr/libexec/platform-python' : undefined);
}

export type UringOutcome = { ok: true; existed?: boolean; missing?: boolean } | { ok: false; error: string };

/** Adds or deletes the list-7 rule `field=folder` with `key`. */
export async function uringRule(python: string, op: 'add' | 'del', field: 'dir' | 'path', folder: string, key: string): Promise<UringOutcome> {
  const r = await run(python, ['-I', '-S', '-c', SCRIPT, op, field, folder, key, URING_OPS.join(',')], { timeoutMs: 10_000 });
  if (r.code === 0) return { ok: true };
  if (r.code === EXIT_EXISTS && op === 'add') return { ok: true, existed: true };
  if (r.code === EXIT_MISSING && op === 'del') return { ok: true, missing: true };
  return { ok: false, error: firstLine(r) };
}
