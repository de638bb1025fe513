// The sample services live with the Squash sources (the benchmark uses them too); tests import them here.
export * from '../../src/squash/samples/sample-targets.js';
