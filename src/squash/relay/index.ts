export { openRelay, tcpDialer, type Dialer, type Relay, type RelayOptions } from './tcp-relay.js';
