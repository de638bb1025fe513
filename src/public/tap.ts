// `import { createServiceTap } from 'squash-loop/tap'`: a Node service taps itself, and the loop server's
// TapConfigs decide what it captures. See service-tap.ts and the README's "Tap a Node service itself".
export { createServiceTap, type ServiceTap, type ServiceTapOptions } from '../loop/tap/service-tap.js';
export type { RequestHandler } from '../loop/tap/with-tap.js';
export type { Logger } from '../core/logger.js';
