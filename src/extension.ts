/**
 * Wiring only: logging first, then one `register(context)` per feature, each disposable owned by the context.
 */
import * as vscode from 'vscode';
import { Commands } from './constants';
import { errorText, initLog, log } from './log';
import { register as registerStatus } from './helper/statusCommand';
import { register as registerTree } from './views/tree';

/** Starts one feature; one broken feature must not take the others down with it. */
function start<T extends vscode.Disposable>(context: vscode.ExtensionContext, name: string, register: () => T): T | undefined {
  try {
    const feature = register();
    context.subscriptions.push(feature);
    return feature;
  } catch (err) {
    log.error(`could not start ${name}: ${errorText(err)}`);
    return undefined;
  }
}

/** Called by VS Code on the first of our activation events. */
export function activate(context: vscode.ExtensionContext): void {
  context.subscriptions.push(initLog());
  context.subscriptions.push(vscode.commands.registerCommand(Commands.LogShow, () => log.show(false)));
  // The tree is the EventSink every event producer feeds (`registerTree(…).sink`); the privileged helper, when
  // there is one, reads root-only logs for it.
  start(context, 'events tree', () => registerTree(context, { privileged: undefined }));
  start(context, 'auditd status', () => registerStatus(context));
  const version = (context.extension.packageJSON as { version?: string }).version ?? '?';
  log.info(`Audit Lens ${version} activated (${vscode.env.appName} ${vscode.version}, ${context.extension.extensionKind === vscode.ExtensionKind.Workspace ? 'workspace' : 'ui'} host)`);
}

/** Nothing to do: every resource is in `context.subscriptions`. */
export function deactivate(): void {}
