// The part of the `vscode` API the extension uses, as plain structural types. The logic takes an object of
// this shape instead of importing `vscode`, so extension.ts passes the real module and tests pass a stand-in;
// the real module's types are checked against this one when the extension is built (`tsc` in this folder).
// Members are declared as methods on purpose: method parameters compare bivariantly, which lets VS Code's
// richer enums and overloads satisfy these narrower signatures.

export interface Disposable {
  dispose(): unknown;
}

export interface QuickPickItem {
  label: string;
  description?: string;
  detail?: string;
}

export interface QuickPickOptions {
  title?: string;
  placeHolder?: string;
  matchOnDescription?: boolean;
  matchOnDetail?: boolean;
  ignoreFocusOut?: boolean;
}

export interface CancellationToken {
  isCancellationRequested: boolean;
  onCancellationRequested(listener: () => unknown): Disposable;
}

export interface Progress {
  report(value: { message?: string }): void;
}

export interface ProgressOptions {
  location: number;
  title?: string;
  cancellable?: boolean;
}

export interface WorkspaceFolderPickOptions {
  placeHolder?: string;
  ignoreFocusOut?: boolean;
}

export interface Uri {
  readonly scheme: string;
  readonly fsPath: string;
}

export interface OpenDialogOptions {
  title?: string;
  openLabel?: string;
  defaultUri?: Uri;
  canSelectFiles?: boolean;
  canSelectFolders?: boolean;
  canSelectMany?: boolean;
}

export interface WorkspaceFolder {
  readonly uri: Uri;
  readonly name: string;
  readonly index: number;
}

export interface OutputChannel extends Disposable {
  appendLine(value: string): void;
  show(preserveFocus?: boolean): void;
}

export interface DebugConfiguration {
  type: string;
  name: string;
  request: string;
  [key: string]: unknown;
}

export interface DebugSession {
  readonly id: string;
  readonly name: string;
  readonly configuration: DebugConfiguration;
}

export interface WorkspaceConfiguration {
  get<T>(section: string, defaultValue: T): T;
}

export interface ExtensionContext {
  readonly subscriptions: Disposable[];
}

export interface VscodeApi {
  readonly ProgressLocation: { readonly Notification: number };
  readonly window: {
    showQuickPick<T extends QuickPickItem>(items: readonly T[] | PromiseLike<readonly T[]>, options?: QuickPickOptions): PromiseLike<T | undefined>;
    withProgress<R>(options: ProgressOptions, task: (progress: Progress, token: CancellationToken) => PromiseLike<R>): PromiseLike<R>;
    showWorkspaceFolderPick(options?: WorkspaceFolderPickOptions): PromiseLike<WorkspaceFolder | undefined>;
    showErrorMessage(message: string, ...items: string[]): PromiseLike<string | undefined>;
    showInformationMessage(message: string): PromiseLike<unknown>;
    createOutputChannel(name: string): OutputChannel;
    showOpenDialog(options?: OpenDialogOptions): PromiseLike<Uri[] | undefined>;
  };
  readonly debug: {
    startDebugging(folder: WorkspaceFolder | undefined, configuration: DebugConfiguration): PromiseLike<boolean>;
    onDidStartDebugSession(listener: (session: DebugSession) => unknown): Disposable;
    onDidTerminateDebugSession(listener: (session: DebugSession) => unknown): Disposable;
  };
  readonly workspace: {
    readonly workspaceFolders: readonly WorkspaceFolder[] | undefined;
    /** The saved `.code-workspace` file of a multi-root workspace (scheme `file`); `untitled` or undefined otherwise. */
    readonly workspaceFile: Uri | undefined;
    getConfiguration(section: string): WorkspaceConfiguration;
  };
  readonly extensions: {
    readonly all: readonly { readonly id: string; readonly packageJSON: unknown }[];
  };
  readonly commands: {
    registerCommand(command: string, callback: (...args: unknown[]) => unknown): Disposable;
    executeCommand(command: string, ...rest: unknown[]): PromiseLike<unknown>;
  };
}
