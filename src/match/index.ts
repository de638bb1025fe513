// The match language: parse, evaluate, compile to Envoy, and render its operator table.
export * from './ast.js';
export * from './compile-match.js';
export * from './envoy-compile.js';
export * from './evaluate.js';
export * from './match-definitions.js';
export * from './match-error.js';
export * from './operator-table.js';
export * from './parser.js';
export { findRe2Incompatibility } from './regex-check.js';
