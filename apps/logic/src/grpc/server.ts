/** The gRPC server comets call: `goim.logic.Logic` over the LogicService implementation. */
import { Server, ServerCredentials, type ChannelOptions } from '@grpc/grpc-js';
import { DEFAULT_GRPC_SERVER_OPTIONS, LogicServiceDefinition, logicGrpcHandlers, type LogicService } from '@goim/protocol/rpc';

/** A bound, started gRPC server. */
export interface BoundGrpcServer {
  server: Server;
  host: string;
  port: number;
  /** Graceful shutdown; forces it after `graceMs`. */
  close(graceMs?: number): Promise<void>;
}

/** goim's `rpcServer` keepalive keys (ms), as grpc-js channel options. */
export function grpcServerOptions(rpc: {
  idleTimeout: number;
  maxLifeTime: number;
  forceCloseWait: number;
  keepAliveInterval: number;
  keepAliveTimeout: number;
}): ChannelOptions {
  return {
    ...DEFAULT_GRPC_SERVER_OPTIONS,
    'grpc.max_connection_idle_ms': rpc.idleTimeout,
    'grpc.max_connection_age_ms': rpc.maxLifeTime,
    'grpc.max_connection_age_grace_ms': rpc.forceCloseWait,
    'grpc.keepalive_time_ms': rpc.keepAliveInterval,
    'grpc.keepalive_timeout_ms': rpc.keepAliveTimeout,
  };
}

/** Binds `goim.logic.Logic` on host:port (port 0 = any free port). */
export function startLogicGrpcServer(
  service: LogicService,
  host: string,
  port: number,
  options: ChannelOptions = DEFAULT_GRPC_SERVER_OPTIONS,
): Promise<BoundGrpcServer> {
  // grpc-js accepts gzip-compressed requests natively (comets send RenewOnline gzipped).
  const server = new Server(options);
  server.addService(LogicServiceDefinition, logicGrpcHandlers(service));
  const target = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  return new Promise((resolve, reject) => {
    server.bindAsync(target, ServerCredentials.createInsecure(), (err, bound) => {
      if (err) {
        reject(err);
        return;
      }
      resolve({
        server,
        host,
        port: bound,
        close: (graceMs = 5_000) =>
          new Promise<void>((done) => {
            const force = setTimeout(() => {
              server.forceShutdown();
              done();
            }, graceMs);
            force.unref();
            server.tryShutdown(() => {
              clearTimeout(force);
              done();
            });
          }),
      });
    });
  });
}
