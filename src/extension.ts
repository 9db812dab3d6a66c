/**
 * Wiring only: logging first, then one `register(context)` per feature, each disposable owned by the context.
 */
import * as vscode from 'vscode';
import { Commands } from './constants';
import { errorText, initLog, log } from './log';
import { register as registerStatus } from './helper/statusCommand';
import { register as registerEvents } from './views/eventsView';
import { register as registerLanguage } from './language/languageFeatures';
import { register as registerViewer } from './editor/viewerProvider';

const features: [name: string, register: (context: vscode.ExtensionContext) => vscode.Disposable][] = [
  ['events view', registerEvents],
  ['auditd status', registerStatus],
  ['audit log language', registerLanguage],
  // The privileged helper (root-only logs) is wired in when it exists; without it the viewer says what to do.
  ['viewer', (context) => registerViewer(context, { privileged: undefined })],
];

/** Called by VS Code on the first of our activation events. */
export function activate(context: vscode.ExtensionContext): void {
  context.subscriptions.push(initLog());
  context.subscriptions.push(vscode.commands.registerCommand(Commands.LogShow, () => log.show(false)));
  for (const [name, register] of features) {
    // One broken feature must not take the others down with it.
    try {
      context.subscriptions.push(register(context));
    } catch (err) {
      log.error(`could not start ${name}: ${errorText(err)}`);
    }
  }
  const version = (context.extension.packageJSON as { version?: string }).version ?? '?';
  log.info(`Audit Lens ${version} activated (${vscode.env.appName} ${vscode.version}, ${context.extension.extensionKind === vscode.ExtensionKind.Workspace ? 'workspace' : 'ui'} host)`);
}

/** Nothing to do: every resource is in `context.subscriptions`. */
export function deactivate(): void {}
