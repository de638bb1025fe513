export * from './tap-grpc-sink.js';
