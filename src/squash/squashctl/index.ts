export * from './plank-registry.js';
export * from './plank-launcher.js';
export * from './plank-cleanup.js';
export * from './target-choices.js';
export * from './pickers.js';
export * from './ide-output.js';
export * from './text-table.js';
export * from './squashctl-options.js';
