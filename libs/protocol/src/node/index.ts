/**
 * `@goim/protocol/node` (Node only): transports that need Node built-ins.
 */
export { tcpTransport } from './tcp-transport.js';
