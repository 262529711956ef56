/**
 * The gRPC server `goim.comet.Comet` (spec §2.8) on @grpc/grpc-js, serving a CometService
 * through `cometGrpcHandlers` with goim's keepalive options.
 */
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { CometServiceDefinition, DEFAULT_GRPC_SERVER_OPTIONS, cometGrpcHandlers, type CometService } from '@goim/protocol/rpc';
import { parseBind } from './config.js';

/** A started gRPC server and the port it bound. */
export interface CometGrpcServer {
  server: Server;
  host: string;
  port: number;
  /** Graceful stop (in-flight calls finish), forced after `forceAfterMs`. */
  close(forceAfterMs?: number): Promise<void>;
}

/** Binds `service` on `addr` (goim form `:3109`, or `host:port`; port 0 picks one). */
export async function startCometGrpcServer(service: CometService, addr: string): Promise<CometGrpcServer> {
  const b = parseBind(addr);
  const server = new Server(DEFAULT_GRPC_SERVER_OPTIONS);
  server.addService(CometServiceDefinition, cometGrpcHandlers(service));
  const host = b.host ?? '0.0.0.0';
  const target = host.includes(':') ? `[${host}]:${b.port}` : `${host}:${b.port}`;
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(target, ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return {
    server,
    host,
    port,
    close: (forceAfterMs = 2_000) =>
      new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, forceAfterMs);
        force.unref();
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      }),
  };
}
