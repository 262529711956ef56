/**
 * gRPC links for the role interfaces: server handlers built from an implementation, and
 * clients that implement the interface over the network with a deadline on every call
 * (goim set none, spec §10.14).
 */
import {
  ChannelCredentials,
  Metadata,
  status,
  type ChannelOptions,
  type ServiceError,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { CometClient, CometService as CometServiceDefinition, type CometServer } from './gen/goim/comet/comet.js';
import { LogicClient, LogicService as LogicServiceDefinition, type LogicServer } from './gen/goim/logic/logic.js';
import { RpcError, type CometService, type LogicService } from './services.js';

/** Default deadline of one RPC, in milliseconds. */
export const DEFAULT_RPC_DEADLINE_MS = 5_000;

/** Channel options as goim's (16 MiB messages, keepalive 10 s / 3 s). */
export const DEFAULT_GRPC_CHANNEL_OPTIONS: ChannelOptions = {
  'grpc.max_receive_message_length': 16 << 20,
  'grpc.max_send_message_length': 16 << 20,
  'grpc.keepalive_time_ms': 10_000,
  'grpc.keepalive_timeout_ms': 3_000,
  'grpc.keepalive_permit_without_calls': 1,
  'grpc.initial_reconnect_backoff_ms': 200,
  'grpc.max_reconnect_backoff_ms': 3_000,
};

/** Server options matching goim's rpcServer keepalive defaults. */
export const DEFAULT_GRPC_SERVER_OPTIONS: ChannelOptions = {
  'grpc.max_receive_message_length': 16 << 20,
  'grpc.max_send_message_length': 16 << 20,
  'grpc.keepalive_time_ms': 60_000,
  'grpc.keepalive_timeout_ms': 20_000,
  'grpc.max_connection_idle_ms': 60_000,
  'grpc.keepalive_permit_without_calls': 1,
  'grpc.http2.min_ping_interval_without_data_ms': 5_000,
};

export interface GrpcClientOptions {
  /** Deadline of every call in ms; default {@link DEFAULT_RPC_DEADLINE_MS}. */
  deadlineMs?: number;
  /** Channel credentials; default insecure (goim's choice: private links). */
  credentials?: ChannelCredentials;
  /** Extra channel options, merged over {@link DEFAULT_GRPC_CHANNEL_OPTIONS}. */
  channelOptions?: ChannelOptions;
}

/** A role interface reached over gRPC; `close()` releases the channel. */
export type Closable<T> = T & { close(): void };

type AnyAsync = (req: unknown) => Promise<unknown>;

function toServiceError(err: unknown): Partial<ServiceError> {
  if (err instanceof RpcError) return { code: err.code as unknown as status, details: err.message, metadata: new Metadata() };
  const message = err instanceof Error ? err.message : String(err);
  return { code: status.INTERNAL, details: message, metadata: new Metadata() };
}

function handlers(definition: Record<string, unknown>, impl: object): UntypedServiceImplementation {
  const out: UntypedServiceImplementation = {};
  for (const method of Object.keys(definition)) {
    const fn = (impl as Record<string, AnyAsync>)[method];
    out[method] = (call: { request: unknown }, callback: (err: Partial<ServiceError> | null, res?: unknown) => void) => {
      if (typeof fn !== 'function') {
        callback({ code: status.UNIMPLEMENTED, details: `${method} is not served by this implementation` });
        return;
      }
      fn.call(impl, call.request).then(
        (res) => callback(null, res),
        (err: unknown) => callback(toServiceError(err)),
      );
    };
  }
  return out;
}

/** gRPC handlers for `goim.logic.Logic`: `server.addService(LogicServiceDefinition, logicGrpcHandlers(impl))`. */
export function logicGrpcHandlers(impl: LogicService): LogicServer {
  return handlers(LogicServiceDefinition, impl) as LogicServer;
}

/** gRPC handlers for `goim.comet.Comet`. */
export function cometGrpcHandlers(impl: CometService): CometServer {
  return handlers(CometServiceDefinition, impl) as CometServer;
}

type Callback = (err: ServiceError | null, res: unknown) => void;
type RawClient = Record<string, (req: unknown, md: Metadata, opts: { deadline: Date }, cb: Callback) => unknown> & {
  close(): void;
};

function client<T>(definition: Record<string, unknown>, raw: RawClient, deadlineMs: number): Closable<T> {
  const out: Record<string, unknown> = { close: () => raw.close() };
  for (const method of Object.keys(definition)) {
    out[method] = (req: unknown) =>
      new Promise((resolve, reject) => {
        raw[method]!(req, new Metadata(), { deadline: new Date(Date.now() + deadlineMs) }, (err, res) => {
          if (err) reject(new RpcError(err.code as unknown as RpcError['code'], err.details || err.message, { cause: err }));
          else resolve(res);
        });
      });
  }
  return out as Closable<T>;
}

/** A `LogicService` over gRPC at `address` (`host:port`). */
export function createLogicClient(address: string, options: GrpcClientOptions = {}): Closable<LogicService> {
  const raw = new LogicClient(address, options.credentials ?? ChannelCredentials.createInsecure(), {
    ...DEFAULT_GRPC_CHANNEL_OPTIONS,
    ...options.channelOptions,
  }) as unknown as RawClient;
  return client<LogicService>(LogicServiceDefinition, raw, options.deadlineMs ?? DEFAULT_RPC_DEADLINE_MS);
}

/** A `CometService` over gRPC at `address` (`host:port`). */
export function createCometClient(address: string, options: GrpcClientOptions = {}): Closable<CometService> {
  const raw = new CometClient(address, options.credentials ?? ChannelCredentials.createInsecure(), {
    ...DEFAULT_GRPC_CHANNEL_OPTIONS,
    ...options.channelOptions,
  }) as unknown as RawClient;
  return client<CometService>(CometServiceDefinition, raw, options.deadlineMs ?? DEFAULT_RPC_DEADLINE_MS);
}

export { CometServiceDefinition, LogicServiceDefinition };
