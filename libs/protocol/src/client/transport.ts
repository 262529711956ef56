/**
 * How GoimClient reaches a comet. A transport moves bytes; `framing` tells the client how
 * to cut them into frames: `message` (WebSocket: one message = one frame, pushes arrive
 * wrapped in op 9) or `stream` (TCP: a byte stream, pushes arrive as plain frames).
 */
export interface ClientTransport {
  readonly framing: 'message' | 'stream';
  send(bytes: Uint8Array): void;
  close(): void;
}

export interface TransportHandlers {
  onOpen(): void;
  onData(bytes: Uint8Array): void;
  onClose(reason: string): void;
}

/** Opens a transport to `url`; the handlers are called as it opens, receives and closes. */
export type TransportFactory = (url: string, handlers: TransportHandlers) => ClientTransport;

/** The part of the WHATWG WebSocket that the client uses (browser `WebSocket`, npm `ws`). */
export interface WebSocketLike {
  binaryType: string;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code?: number; reason?: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  send(data: Uint8Array): void;
  close(): void;
}
export type WebSocketConstructor = new (url: string) => WebSocketLike;

/**
 * WebSocket transport. Uses `globalThis.WebSocket` unless a constructor is given
 * (in Node < 22 pass `WebSocket` from the `ws` package).
 */
export function webSocketTransport(ctor?: WebSocketConstructor): TransportFactory {
  return (url, h) => {
    const Ctor = ctor ?? (globalThis as unknown as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!Ctor) throw new TypeError('no WebSocket implementation: pass one to webSocketTransport()');
    const ws = new Ctor(url);
    ws.binaryType = 'arraybuffer';
    let closed = false;
    const closeOnce = (reason: string) => {
      if (closed) return;
      closed = true;
      h.onClose(reason);
    };
    ws.onopen = () => h.onOpen();
    ws.onmessage = (ev) => {
      const d = ev.data;
      if (d instanceof ArrayBuffer) h.onData(new Uint8Array(d));
      else if (ArrayBuffer.isView(d)) h.onData(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
    };
    ws.onclose = (ev) => closeOnce(ev.reason || `websocket closed (${ev.code ?? 0})`);
    ws.onerror = () => closeOnce('websocket error');
    return {
      framing: 'message',
      send: (bytes) => ws.send(bytes),
      close: () => ws.close(),
    };
  };
}
