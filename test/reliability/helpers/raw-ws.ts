import { randomBytes } from "node:crypto";
import { connect, type Socket } from "node:net";

/**
 * A WebSocket spoken by hand over a plain TCP socket, for frames no well-behaved client sends:
 * floods of tiny continuation frames, bad opcodes, unmasked frames, random bytes.
 */
export interface RawWebSocket {
  readonly socket: Socket;
  /** Frames the server sent so far, decoded. */
  readonly frames: { opcode: number; payload: Buffer }[];
  /** Resolves when the server ends the connection; with the close code if it sent one. */
  readonly ended: Promise<{ closeCode: number | undefined }>;
  /** Writes; resolves when the bytes are handed to the kernel (false: the socket is gone). */
  write(data: Buffer): Promise<boolean>;
  destroy(): void;
}

/** Encodes one client frame (masked unless `mask: false`). */
export function encodeFrame(
  opcode: number,
  payload: Buffer,
  options: { fin?: boolean; mask?: boolean; rsv?: number } = {},
): Buffer {
  const fin = options.fin ?? true;
  const mask = options.mask ?? true;
  const len = payload.length;
  const head: number[] = [((fin ? 0x80 : 0) | ((options.rsv ?? 0) << 4) | (opcode & 0x0f)) & 0xff];
  const maskBit = mask ? 0x80 : 0;
  if (len < 126) head.push(maskBit | len);
  else if (len < 65_536) head.push(maskBit | 126, len >> 8, len & 0xff);
  else {
    head.push(maskBit | 127, 0, 0, 0, 0);
    head.push((len >>> 24) & 0xff, (len >>> 16) & 0xff, (len >>> 8) & 0xff, len & 0xff);
  }
  if (!mask) return Buffer.concat([Buffer.from(head), payload]);
  const key = randomBytes(4);
  const masked = Buffer.alloc(len);
  for (let i = 0; i < len; i++) masked[i] = (payload[i] as number) ^ (key[i % 4] as number);
  return Buffer.concat([Buffer.from(head), key, masked]);
}

/** Decodes the unmasked frames a server sends; returns them and the bytes left over. */
function decodeFrames(buffer: Buffer): { frames: { opcode: number; payload: Buffer }[]; rest: Buffer } {
  const frames: { opcode: number; payload: Buffer }[] = [];
  let offset = 0;
  for (;;) {
    if (buffer.length - offset < 2) break;
    const opcode = (buffer[offset] as number) & 0x0f;
    let len = (buffer[offset + 1] as number) & 0x7f;
    let header = 2;
    if (len === 126) {
      if (buffer.length - offset < 4) break;
      len = buffer.readUInt16BE(offset + 2);
      header = 4;
    } else if (len === 127) {
      if (buffer.length - offset < 10) break;
      len = Number(buffer.readBigUInt64BE(offset + 2));
      header = 10;
    }
    if (buffer.length - offset < header + len) break;
    frames.push({ opcode, payload: buffer.subarray(offset + header, offset + header + len) });
    offset += header + len;
  }
  return { frames, rest: buffer.subarray(offset) };
}

/**
 * Opens /ws on `baseUrl` with the given headers (e.g. a bearer token) and completes the
 * handshake. Rejects with the HTTP status line when the upgrade is refused.
 */
export function openRawWebSocket(baseUrl: string, headers: Record<string, string>): Promise<RawWebSocket> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname);
    let handshake: Buffer = Buffer.alloc(0);
    let pending: Buffer = Buffer.alloc(0);
    const frames: { opcode: number; payload: Buffer }[] = [];
    let upgraded = false;
    const ended = new Promise<{ closeCode: number | undefined }>((done) => {
      socket.on("close", () => {
        const close = frames.find((f) => f.opcode === 0x8);
        done({ closeCode: close && close.payload.length >= 2 ? close.payload.readUInt16BE(0) : undefined });
      });
    });
    socket.on("error", (err) => {
      if (!upgraded) reject(err);
    });
    socket.on("data", (chunk: Buffer) => {
      if (upgraded) {
        const decoded = decodeFrames(Buffer.concat([pending, chunk]));
        frames.push(...decoded.frames);
        pending = decoded.rest;
        return;
      }
      handshake = Buffer.concat([handshake, chunk]);
      const end = handshake.indexOf("\r\n\r\n");
      if (end < 0) return;
      const status = handshake.subarray(0, handshake.indexOf("\r\n")).toString();
      if (!status.includes(" 101 ")) {
        socket.destroy();
        reject(new Error(`upgrade refused: ${status}`));
        return;
      }
      upgraded = true;
      const decoded = decodeFrames(handshake.subarray(end + 4));
      frames.push(...decoded.frames);
      pending = decoded.rest;
      resolve({
        socket,
        frames,
        ended,
        write: (data) =>
          new Promise((done) => {
            if (socket.destroyed || !socket.writable) return done(false);
            socket.write(data, (err) => done(!err));
          }),
        destroy: () => socket.destroy(),
      });
    });
    const lines = [
      `GET /ws HTTP/1.1`,
      `Host: ${url.host}`,
      "Upgrade: websocket",
      "Connection: Upgrade",
      `Sec-WebSocket-Key: ${randomBytes(16).toString("base64")}`,
      "Sec-WebSocket-Version: 13",
      ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
    ];
    socket.write(`${lines.join("\r\n")}\r\n\r\n`);
  });
}
