/**
 * A VS Code terminal backed by a real pseudo-terminal (node-pty) running one program.
 * Used by "Show auditd Status" and, later, by the live watch to start the privileged helper under sudo:
 * a real pty is what lets sudo ask for a password in the terminal.
 */
import type * as NodePty from 'node-pty';
import * as vscode from 'vscode';
import { errorText, log } from '../log';

/** How the program ended. `exitCode` is -1 when it never started. */
export interface PtyExit {
  exitCode: number;
  signal?: number;
}

export interface PtySessionOptions {
  /** The program and its arguments: an argument vector, never a shell string. */
  argv: string[];
  cwd?: string;
  /** Extra environment variables over the extension host's. */
  env?: Record<string, string>;
  /** After exit, keep the terminal open until a key is pressed, so the output can be read (default true). */
  keepOpen?: boolean;
  /** Called after exit with everything the program printed (capped); may return text to print below it. */
  afterExit?: (exit: PtyExit, output: string) => string | undefined;
}

/** Output kept for `afterExit`: enough for status output, bounded for long-running programs. */
const MAX_CAPTURE = 64 * 1024;

let nodePty: typeof NodePty | undefined;

/** Loads node-pty from the extension's own node_modules, on first use, so activation never pays for it. */
export function loadNodePty(): typeof NodePty {
  // esbuild leaves this require alone (external): node-pty is a native Node-API module shipped beside the bundle.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  nodePty ??= require('node-pty') as typeof NodePty;
  return nodePty;
}

/** Makes bare `\n` into `\r\n`: a terminal needs both, and our own messages are written with `\n`. */
function crlf(text: string): string {
  return text.replace(/\r?\n/g, '\r\n');
}

/** A Pseudoterminal that runs `argv` in a pty: output to the terminal, keys to the process, resize, exit, kill. */
export class PtySession implements vscode.Pseudoterminal, vscode.Disposable {
  private readonly writeEmitter = new vscode.EventEmitter<string>();
  private readonly closeEmitter = new vscode.EventEmitter<number | void>();
  private readonly dataEmitter = new vscode.EventEmitter<string>();
  private readonly exitEmitter = new vscode.EventEmitter<PtyExit>();
  private proc: NodePty.IPty | undefined;
  private exited: PtyExit | undefined;
  private output = '';
  private disposed = false;

  readonly onDidWrite = this.writeEmitter.event;
  readonly onDidClose = this.closeEmitter.event;
  /** Everything the program prints (after it reaches the terminal). */
  readonly onData = this.dataEmitter.event;
  /** Fires once when the program exits or fails to start. */
  readonly onExit = this.exitEmitter.event;

  constructor(private readonly options: PtySessionOptions) {}

  /** The program's pid while it runs. */
  get pid(): number | undefined {
    return this.exited ? undefined : this.proc?.pid;
  }

  /** Writes our own text (not the program's) to the terminal. */
  print(text: string): void {
    this.writeEmitter.fire(crlf(text));
  }

  /** Sends text to the program's input, as if typed. */
  send(data: string): void {
    if (!this.exited) this.proc?.write(data);
  }

  open(dims: vscode.TerminalDimensions | undefined): void {
    const [file, ...args] = this.options.argv;
    log.info(`pty: starting ${JSON.stringify(this.options.argv)}`);
    try {
      this.proc = loadNodePty().spawn(file, args, {
        name: 'xterm-256color',
        cols: dims?.columns ?? 80,
        rows: dims?.rows ?? 24,
        cwd: this.options.cwd ?? process.env.HOME ?? '/',
        env: { ...process.env, ...this.options.env, TERM: 'xterm-256color' },
      });
    } catch (err) {
      log.error(`pty: could not start ${file}: ${errorText(err)}`);
      this.print(`\x1b[31mCould not start ${file}: ${errorText(err)}\x1b[0m\n`);
      this.finish({ exitCode: -1 });
      return;
    }
    log.info(`pty: ${file} running as pid ${this.proc.pid}`);
    this.proc.onData((data) => {
      if (this.output.length < MAX_CAPTURE) this.output += data.slice(0, MAX_CAPTURE - this.output.length);
      this.writeEmitter.fire(data);
      this.dataEmitter.fire(data);
    });
    this.proc.onExit((e) => this.finish({ exitCode: e.exitCode, signal: e.signal || undefined }));
  }

  private finish(exit: PtyExit): void {
    if (this.exited || this.disposed) return;
    this.exited = exit;
    const name = this.options.argv[0];
    log.info(`pty: ${name} exited with code ${exit.exitCode}${exit.signal ? ` (signal ${exit.signal})` : ''}`);
    try {
      const extra = this.options.afterExit?.(exit, this.output);
      if (extra) this.print(extra);
    } catch (err) {
      log.error(`pty: afterExit failed: ${errorText(err)}`);
    }
    this.exitEmitter.fire(exit);
    if (this.options.keepOpen === false) {
      this.closeEmitter.fire(exit.exitCode < 0 ? 1 : exit.exitCode);
    } else {
      this.print(`\n\x1b[2m[${name} exited with code ${exit.exitCode}. Press any key to close this terminal.]\x1b[0m\n`);
    }
  }

  handleInput(data: string): void {
    // Never log `data`: a sudo password passes through here.
    if (this.exited) {
      this.closeEmitter.fire();
      return;
    }
    this.proc?.write(data);
  }

  setDimensions(dims: vscode.TerminalDimensions): void {
    if (this.exited || !this.proc) return;
    try {
      this.proc.resize(Math.max(1, dims.columns), Math.max(1, dims.rows));
    } catch (err) {
      // Resizing races with exit: the pty may already be closed.
      log.debug(`pty: resize failed: ${errorText(err)}`);
    }
  }

  /** The user closed the terminal: stop the program. */
  close(): void {
    this.dispose();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.proc && !this.exited) {
      log.info(`pty: killing ${this.options.argv[0]} (pid ${this.proc.pid})`);
      try {
        this.proc.kill();
      } catch (err) {
        log.debug(`pty: kill failed: ${errorText(err)}`);
      }
    }
    this.writeEmitter.dispose();
    this.closeEmitter.dispose();
    this.dataEmitter.dispose();
    this.exitEmitter.dispose();
  }
}
