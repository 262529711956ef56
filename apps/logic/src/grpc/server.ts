/** The gRPC server comets call: `goim.logic.Logic` over the LogicService implementation. */
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { DEFAULT_GRPC_SERVER_OPTIONS, LogicServiceDefinition, logicGrpcHandlers, type LogicService } from '@goim/protocol/rpc';

/** A bound, started gRPC server. */
export interface BoundGrpcServer {
  server: Server;
  host: string;
  port: number;
  /** Graceful shutdown; forces it after `graceMs`. */
  close(graceMs?: number): Promise<void>;
}

/** Binds `goim.logic.Logic` on host:port (port 0 = any free port). */
export function startLogicGrpcServer(service: LogicService, host: string, port: number): Promise<BoundGrpcServer> {
  // grpc-js accepts gzip-compressed requests natively (comets send RenewOnline gzipped).
  const server = new Server(DEFAULT_GRPC_SERVER_OPTIONS);
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
