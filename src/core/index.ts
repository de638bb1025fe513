export * from './errors.js';
export * from './logger.js';
export * from './listen.js';
export * from './did-you-mean.js';
export * from './escape-controls.js';
export * from './file-error-text.js';
export * from './version.js';
export * from './spawn-server.js';
