/**
 * Runs the extension-side helper session as an unprivileged user, without VS Code: the channel (src/helper/channel),
 * the helper command (src/helper/launch) in a real pty (node-pty), and a user who types the sudo password when the
 * prompt appears. Bundled into a sandbox by test/support/sudoUser.ts and started with runuser by the tests.
 *
 *   node driver.js '{"helper": "...", "password": "..."}'
 *
 * stdout: JSON lines `{"t":"pty","data":…}` (terminal output), `{"t":"ready",hello}`, every helper message, replies
 * `{"t":"result","id":…,"ok":…}`, `{"t":"closed",reason}`. stdin: JSON lines `{"id":N,"method":M,"params":P}`,
 * `{"cmd":"close"}` (drop the channel, as a dying extension host would) or `{"cmd":"kill-pty"}`.
 */
import * as readline from 'node:readline';
import type * as NodePty from 'node-pty';
import { HelperChannel } from '../../src/helper/channel';
import { helperCommand } from '../../src/helper/launch';
import type { Method, Methods } from '../../src/helper/protocol';

interface Config {
  helper: string;
  password: string;
  /** Type a wrong password instead (the refusal path). */
  wrongPassword?: boolean;
}

const emit = (o: unknown): void => {
  process.stdout.write(JSON.stringify(o) + '\n');
};

async function main(): Promise<void> {
  const cfg = JSON.parse(process.argv[2]) as Config;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pty = require('node-pty') as typeof NodePty;
  const channel = await HelperChannel.create();
  const cmd = helperCommand({ execPath: process.execPath, script: cfg.helper, channelDir: channel.dir });
  if ('problem' in cmd) throw new Error(cmd.problem);
  emit({ t: 'argv', argv: cmd.argv, elevation: cmd.elevation, uid: process.getuid?.(), pid: process.pid });
  const [file, ...args] = cmd.argv;
  const term = pty.spawn(file, args, { name: 'xterm-256color', cols: 120, rows: 30, cwd: '/', env: { ...process.env, TERM: 'xterm-256color' } });
  let typed = false;
  let screen = '';
  term.onData((data) => {
    emit({ t: 'pty', data });
    screen += data;
    if (!typed && /password for/.test(screen)) {
      typed = true;
      term.write(`${cfg.wrongPassword ? cfg.password + 'x' : cfg.password}\r`);
    }
  });
  term.onExit((e) => emit({ t: 'pty-exit', code: e.exitCode, signal: e.signal }));
  channel.onMessage((msg) => emit(msg));
  void channel.closed.then((reason) => emit({ t: 'closed', reason }));
  channel.ready.then(
    (hello) => emit({ t: 'ready', hello }),
    (err: Error) => emit({ t: 'not-ready', error: err.message }),
  );
  const rl = readline.createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    const m = JSON.parse(line) as { id?: number; method?: Method; params?: Methods[Method]['params']; cmd?: string };
    if (m.cmd === 'close') {
      channel.dispose();
      return;
    }
    if (m.cmd === 'kill-pty') {
      term.kill('SIGKILL');
      return;
    }
    if (m.cmd === 'shutdown') {
      void channel.shutdown().then(() => emit({ t: 'shut' }));
      return;
    }
    if (m.method) {
      channel.request(m.method, m.params as never).then(
        (result) => emit({ t: 'result', id: m.id, ok: true, result }),
        (err: Error) => emit({ t: 'result', id: m.id, ok: false, error: err.message }),
      );
    }
  });
  rl.on('close', () => {
    channel.dispose();
    setTimeout(() => process.exit(0), 200);
  });
}

main().catch((err: Error) => {
  emit({ t: 'fatal', error: err.message });
  process.exit(1);
});
