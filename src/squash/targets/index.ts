// Squash targets: where a process lives (a local PID, a container) and what runtime it runs.
export * from './proc-reader.js';
export * from './container-id.js';
export * from './container-processes.js';
export * from './elf-sections.js';
export * from './runtime-detect.js';
export * from './local-targets.js';
export * from './tracer.js';
