export * from './tap-files.js';
