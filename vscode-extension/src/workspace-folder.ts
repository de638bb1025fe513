// The workspace folder a debug session belongs to. VS Code resolves `${workspaceFolder}` in the configuration
// (squashctl's localRoot, cwd, path mappings) against the folder passed to startDebugging, and refuses to start
// a session whose configuration names it when no folder is open ("Variable ${workspaceFolder} can not be
// resolved. Please open a folder."): those fields are dropped then, which leaves the session without source
// mapping but running.
import { dirname } from 'node:path';
import type { DebugConfiguration, VscodeApi, WorkspaceFolder } from './vscode-api.js';

const WORKSPACE_FOLDER = '${workspaceFolder}';

/** The only folder, the one the user picks when there are several, undefined when none is open; 'cancelled' on Escape. */
export async function chooseFolder(api: VscodeApi): Promise<WorkspaceFolder | undefined | 'cancelled'> {
  const folders = api.workspace.workspaceFolders ?? [];
  if (folders.length <= 1) return folders[0];
  const folder = await api.window.showWorkspaceFolderPick({ placeHolder: 'Folder with the sources of the process (its ${workspaceFolder})', ignoreFocusOut: true });
  return folder ?? 'cancelled';
}

/** `configuration` without the fields that name `${workspaceFolder}`; cppdbg's `cwd` becomes the program's directory. */
export function withoutWorkspaceFolder(configuration: DebugConfiguration): DebugConfiguration {
  const kept: DebugConfiguration = { ...configuration };
  for (const [field, value] of Object.entries(configuration)) {
    if (!JSON.stringify(value).includes(WORKSPACE_FOLDER)) continue;
    if (field === 'cwd' && typeof configuration.program === 'string') kept.cwd = dirname(configuration.program);
    else delete kept[field];
  }
  return kept;
}
