/**
 * A fake comet for specs: a real @grpc/grpc-js server on 127.0.0.1 (port 0) serving
 * `goim.comet.Comet` through `cometGrpcHandlers`, recording what job sends. A role fake, not
 * a mock of an engine: it answers exactly like a comet's gRPC surface would.
 */
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { filterRawBatch, readRawBatch } from '@goim/protocol';
import {
  CometServiceDefinition,
  cometGrpcHandlers,
  RpcError,
  type BroadcastReq,
  type BroadcastRoomReq,
  type CometService,
  type PushMsgReq,
  type RpcStatus,
} from '@goim/protocol/rpc';

export type CometMethod = 'pushMsg' | 'broadcast' | 'broadcastRoom';

/** One inner frame a comet would write to its clients. */
export interface ReceivedFrame {
  op: number;
  body: string;
}

export interface FakeComet {
  hostname: string;
  /** `127.0.0.1:<port>`. */
  addr: string;
  pushes: PushMsgReq[];
  broadcasts: BroadcastReq[];
  roomBatches: BroadcastRoomReq[];
  /** Requests whose msgID was already seen (dropped as duplicates, as a comet does). */
  duplicates: number;
  /** Calls answered with an injected failure. */
  failed: number;
  /** Inner frames of accepted, non-duplicate requests, per key / room / 'broadcast'. */
  frames: Map<string, ReceivedFrame[]>;
  /** The next `n` calls of `method` fail with `code` before being recorded. */
  failNext(method: CometMethod, n: number, code: RpcStatus): void;
  /** Every call waits for `ms` before answering (a slow comet). */
  delayMs: number;
  close(): Promise<void>;
}

export async function startFakeComet(hostname: string): Promise<FakeComet> {
  const failures: Record<CometMethod, { n: number; code: RpcStatus }> = {
    pushMsg: { n: 0, code: 14 },
    broadcast: { n: 0, code: 14 },
    broadcastRoom: { n: 0, code: 14 },
  };
  const seen = new Set<string>();
  const fc = {
    hostname,
    addr: '',
    pushes: [] as PushMsgReq[],
    broadcasts: [] as BroadcastReq[],
    roomBatches: [] as BroadcastRoomReq[],
    duplicates: 0,
    failed: 0,
    frames: new Map<string, ReceivedFrame[]>(),
    delayMs: 0,
    failNext(method: CometMethod, n: number, code: RpcStatus) {
      failures[method] = { n, code };
    },
    close: async () => undefined as void,
  } satisfies FakeComet;

  const gate = async (method: CometMethod, msgID: string): Promise<boolean> => {
    if (fc.delayMs > 0) await new Promise((r) => setTimeout(r, fc.delayMs));
    const f = failures[method];
    if (f.n > 0) {
      f.n--;
      fc.failed++;
      throw new RpcError(f.code, `injected ${method} failure`);
    }
    if (msgID && seen.has(msgID)) {
      fc.duplicates++;
      return false;
    }
    if (msgID) seen.add(msgID);
    return true;
  };
  const record = (target: string, body: Buffer | undefined) => {
    let list = fc.frames.get(target);
    if (!list) fc.frames.set(target, (list = []));
    for (const f of readRawBatch(body ?? Buffer.alloc(0))) list.push({ op: f.op, body: Buffer.from(f.body).toString() });
  };

  const impl: CometService = {
    async pushMsg(req) {
      if (await gate('pushMsg', req.msgID)) {
        fc.pushes.push(req);
        for (const k of req.keys) record(k, req.proto?.body);
      }
      return {};
    },
    async broadcast(req) {
      if (await gate('broadcast', req.msgID)) {
        fc.broadcasts.push(req);
        record('broadcast', req.proto?.body);
      }
      return {};
    },
    async broadcastRoom(req) {
      if (await gate('broadcastRoom', req.msgID)) {
        fc.roomBatches.push(req);
        // As a comet: frames whose own msgID was delivered before are dropped.
        let body = req.proto?.body;
        if (body && req.msgIDs.length > 0) {
          body = Buffer.from(filterRawBatch(body, (i) => !seen.has(req.msgIDs[i]!)));
          for (const id of req.msgIDs) seen.add(id);
        }
        record(req.roomID, body);
      }
      return {};
    },
    async rooms() {
      return { rooms: {} };
    },
    async kick() {
      return { kicked: 0 };
    },
  };

  const server = new Server();
  server.addService(CometServiceDefinition, cometGrpcHandlers(impl));
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  fc.addr = `127.0.0.1:${port}`;
  fc.close = async () => server.forceShutdown();
  return fc;
}
