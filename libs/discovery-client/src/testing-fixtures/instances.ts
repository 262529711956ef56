/** The comet instance the backend int specs register (goim's shape, one gRPC address). */
import type { InstanceInput } from '../registry.js';

export function cometInstance(hostname: string): InstanceInput {
  return {
    region: 'sh',
    zone: 'sh001',
    appid: 'goim.comet',
    hostname,
    addrs: ['grpc://10.0.0.1:3109'],
    version: '1',
    metadata: { weight: '10' },
  };
}
