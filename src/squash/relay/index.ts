export { openRelay, tcpDialer, type Dialer, type Relay, type RelayOptions } from './tcp-relay.js';
export { NETNS_RELAY_MODES, type NetnsOptions, type NetnsRelayMode } from './netns-dialer.js';
