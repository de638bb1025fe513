// pickers.ts is not here: it loads @inquirer, which only an interactive pick needs; import it where one happens.
export * from './plank-registry.js';
export * from './plank-launcher.js';
export * from './plank-cleanup.js';
export * from './target-choices.js';
export * from './ide-output.js';
export * from './text-table.js';
export * from './squashctl-options.js';
