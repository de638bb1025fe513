// Seeded, grammar-aware fuzzing of the parsers that take hostile input (see RELIABILITY.md).
export * from './fuzz-random.js';
export * from './fuzz-target.js';
export * from './fuzz-targets.js';
export * from './mutate.js';
export * from './run-fuzz.js';
