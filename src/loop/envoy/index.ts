// Loop with Envoy: tap filter configuration generated from TapConfigs, and the admin /tap collector.
export * from './envoy-admin-collector.js';
export * from './envoy-tap-config.js';
export * from './loop-server-ingest.js';
export * from './reconnect-backoff.js';
export * from './start-envoy-admin-collector.js';
