// Options of `loop demo` (what `npm start` runs), in one schema.
import { opt, type OptionsOf } from '../core/options-schema.js';

export const demoOptionsSchema = {
  host: opt.string({ description: 'address everything listens on', default: '127.0.0.1', valueName: 'address' }),
  loopPort: opt.integer({ description: 'loop server port', default: 5678, min: 0, max: 65535, valueName: 'port' }),
  gatewayPort: opt.integer({ description: 'gateway port', default: 8081, min: 0, max: 65535, valueName: 'port' }),
  adminPort: opt.integer({ description: 'gateway admin port (/metrics)', default: 9901, min: 0, max: 65535, valueName: 'port' }),
  webPort: opt.integer({ description: 'web service port', default: 9090, min: 0, max: 65535, valueName: 'port' }),
  bluePort: opt.integer({ description: 'payment blue (healthy) port', default: 9091, min: 0, max: 65535, valueName: 'port' }),
  greenPort: opt.integer({ description: 'payment green (sleepy) port', default: 9092, min: 0, max: 65535, valueName: 'port' }),
  dataDir: opt.string({ description: 'directory for the SQLite store', default: '.loop-data', valueName: 'dir' }),
  tapFile: opt.string({ description: 'TapConfig applied at start', default: '', showDefault: "the tutorial's examples/tutorial/gloo-loop/tap.yaml", valueName: 'file' }),
  active: opt.enumOf({ description: 'payment version web calls at start', default: 'green', values: ['green', 'blue'] as const }),
};

export type DemoOptions = OptionsOf<typeof demoOptionsSchema>;
