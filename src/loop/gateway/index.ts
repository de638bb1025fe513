export * from './gateway-options.js';
export * from './route-table.js';
export * from './reverse-proxy.js';
export * from './gateway-responses.js';
export * from './start-gateway.js';
export { createGatewayTap } from './gateway-tap.js';
