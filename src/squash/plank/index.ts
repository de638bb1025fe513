export * from './plank-events.js';
export * from './plank-options.js';
export * from './plank-target.js';
export * from './plank-agent.js';
export * from './process-identity.js';
export * from './target-namespace.js';
