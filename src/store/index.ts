export * from './capture-store.js';
export { createSqliteCaptureStore, type SqliteCaptureStore, type SqliteCaptureStoreOptions } from './sqlite-capture-store.js';
export {
  createPostgresCaptureStore,
  type PostgresCaptureStore,
  type PostgresCaptureStoreOptions,
} from './postgres-capture-store.js';
export {
  createCaptureStore,
  parseCaptureStoreUrl,
  type CaptureStoreTarget,
  type CreateCaptureStoreOptions,
} from './open-capture-store.js';
export { DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT } from './list-query.js';
