/**
 * gRPC links over a real @grpc/grpc-js server on 127.0.0.1:0: unary round trips, goim's
 * method paths, deadlines and the RpcError ↔ gRPC status mapping.
 */
import { Server, ServerCredentials } from '@grpc/grpc-js';
import {
  CometServiceDefinition,
  ConnectReply,
  LogicServiceDefinition,
  PushMsg_Type,
  RpcError,
  RpcStatus,
  cometGrpcHandlers,
  createCometClient,
  createLogicClient,
  logicGrpcHandlers,
  type CometService,
  type LogicService,
} from './index.js';
import type { ConnectReq, PushMsgReq } from './index.js';

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port)));
  });
}

function rejection(p: Promise<unknown>): Promise<RpcError> {
  return p.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (err: unknown) => {
      expect(err).toBeInstanceOf(RpcError);
      return err as RpcError;
    },
  );
}

describe('gRPC links', () => {
  const server = new Server();
  const seen: { connect?: ConnectReq; pushMsg?: PushMsgReq } = {};
  let releaseSlow: () => void = () => undefined;
  let port = 0;

  const logic: Partial<LogicService> = {
    async connect(req) {
      seen.connect = req;
      if (req.token.length === 0) throw new RpcError(RpcStatus.UNAUTHENTICATED, 'empty token');
      if (req.server === 'boom') throw new Error('redis down');
      return { mid: 123, key: 'k1', roomID: 'live://1', accepts: [1000, 1001], heartbeat: 480_000_000_000 };
    },
    async heartbeat() {
      // Never answers before the client's deadline.
      await new Promise<void>((resolve) => (releaseSlow = resolve));
      return {};
    },
    async renewOnline(req) {
      return { allRoomCount: Object.fromEntries(Object.entries(req.roomCount).map(([room, n]) => [room, n * 2])), epoch: 'epoch-1' };
    },
    // disconnect, receive and nodes are left out: the server answers UNIMPLEMENTED.
  };
  const comet: CometService = {
    async pushMsg(req) {
      seen.pushMsg = req;
      return {};
    },
    async broadcast() {
      return {};
    },
    async broadcastRoom() {
      return {};
    },
    async rooms() {
      return { rooms: { 'live://1': true } };
    },
    async kick(req) {
      return { kicked: req.keys.length + req.mids.length };
    },
  };

  beforeAll(async () => {
    server.addService(LogicServiceDefinition, logicGrpcHandlers(logic as LogicService));
    server.addService(CometServiceDefinition, cometGrpcHandlers(comet));
    port = await listen(server);
  });

  afterAll(async () => {
    releaseSlow();
    await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
  });

  it("uses goim's service and method paths", () => {
    expect(Object.values(LogicServiceDefinition).map((m) => m.path)).toEqual([
      '/goim.logic.Logic/Connect',
      '/goim.logic.Logic/Disconnect',
      '/goim.logic.Logic/Heartbeat',
      '/goim.logic.Logic/RenewOnline',
      '/goim.logic.Logic/Receive',
      '/goim.logic.Logic/Nodes',
    ]);
    expect(Object.values(CometServiceDefinition).map((m) => m.path)).toEqual([
      '/goim.comet.Comet/PushMsg',
      '/goim.comet.Comet/Broadcast',
      '/goim.comet.Comet/BroadcastRoom',
      '/goim.comet.Comet/Rooms',
      '/goim.comet.Comet/Kick',
    ]);
  });

  it('carries Connect both ways with int64s as numbers and bytes as Buffers', async () => {
    const client = createLogicClient(`127.0.0.1:${port}`, { deadlineMs: 2_000 });
    try {
      const reply = await client.connect({ server: 'comet-1', cookie: 'a=b', token: Buffer.from('{"mid":123}') });
      expect(reply).toEqual(ConnectReply.fromPartial({ mid: 123, key: 'k1', roomID: 'live://1', accepts: [1000, 1001], heartbeat: 480_000_000_000 }));
      expect(seen.connect).toEqual({ server: 'comet-1', cookie: 'a=b', token: Buffer.from('{"mid":123}') });
      expect(Buffer.isBuffer(seen.connect!.token)).toBe(true);
      expect(await client.renewOnline({ server: 'comet-1', roomCount: { 'live://1': 3, 'live://2': 1 } })).toEqual({
        allRoomCount: { 'live://1': 6, 'live://2': 2 },
        epoch: 'epoch-1',
      });
    } finally {
      client.close();
    }
  });

  it('maps an RpcError to its gRPC status and back', async () => {
    const client = createLogicClient(`127.0.0.1:${port}`);
    try {
      const err = await rejection(client.connect({ server: 'comet-1', cookie: '', token: Buffer.alloc(0) }));
      expect([err.code, err.message]).toEqual([RpcStatus.UNAUTHENTICATED, 'empty token']);
    } finally {
      client.close();
    }
  });

  it('turns any other thrown error into INTERNAL with its message', async () => {
    const client = createLogicClient(`127.0.0.1:${port}`);
    try {
      const err = await rejection(client.connect({ server: 'boom', cookie: '', token: Buffer.from('{}') }));
      expect([err.code, err.message]).toEqual([RpcStatus.INTERNAL, 'redis down']);
    } finally {
      client.close();
    }
  });

  it('answers UNIMPLEMENTED for a method the implementation lacks', async () => {
    const client = createLogicClient(`127.0.0.1:${port}`);
    try {
      const err = await rejection(client.nodes({ platform: 'web', clientIP: '127.0.0.1' }));
      expect(err.code).toBe(RpcStatus.UNIMPLEMENTED);
    } finally {
      client.close();
    }
  });

  it('fails a call that outlives its deadline with DEADLINE_EXCEEDED', async () => {
    const client = createLogicClient(`127.0.0.1:${port}`, { deadlineMs: 150 });
    try {
      const started = Date.now();
      const err = await rejection(client.heartbeat({ mid: 1, key: 'k1', server: 'comet-1' }));
      expect(err.code).toBe(RpcStatus.DEADLINE_EXCEEDED);
      expect(Date.now() - started).toBeLessThan(2_000);
    } finally {
      client.close();
    }
  });

  it('carries a comet PushMsg with a nested Proto and the Rooms map', async () => {
    const client = createCometClient(`127.0.0.1:${port}`, { deadlineMs: 2_000 });
    try {
      const proto = { ver: 1, op: 9, seq: 0, body: Buffer.from('0000001700100001000003e8000000007b2261223a317d', 'hex') };
      await client.pushMsg({ keys: ['k1', 'k2'], proto, protoOp: 1000, msgID: 'm1' });
      expect(seen.pushMsg).toEqual({ keys: ['k1', 'k2'], proto, protoOp: 1000, msgID: 'm1' });
      expect(await client.rooms({})).toEqual({ rooms: { 'live://1': true } });
      expect(await client.kick({ keys: ['k1'], mids: [5], reason: 'test' })).toEqual({ kicked: 2 });
    } finally {
      client.close();
    }
  });

  it('exposes the PushMsg type enum with goim values', () => {
    expect([PushMsg_Type.PUSH, PushMsg_Type.ROOM, PushMsg_Type.BROADCAST]).toEqual([0, 1, 2]);
  });
});
