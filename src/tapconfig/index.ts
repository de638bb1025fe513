// TapConfig resources: the type, loading from YAML/JSON and validation.
export * from './tapconfig.js';
export * from './tapconfig-loader.js';
export * from './tapconfig-schema.js';
