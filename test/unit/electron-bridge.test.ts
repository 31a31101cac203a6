import { describe, expect, it } from "vitest";
import {
  BridgeArgumentError,
  createBridge,
  decodeBridgeArgument,
  encodeBridgeArgument,
  IPC_CHANNELS,
  type BridgeFacts,
  type IpcChannel,
} from "../../src-main/bridge.js";
import {
  isTrustedSender,
  registerBridgeHandlers,
  UntrustedSenderError,
  type InvokeEventLike,
  type IpcMainLike,
} from "../../src-main/ipc.js";

const facts: BridgeFacts = {
  serverUrl: "http://127.0.0.1:4123",
  serverMode: "embedded",
  appVersion: "0.1.0",
  platform: "linux",
};

describe("bridge facts on the command line", () => {
  it("round-trips through one shell-safe switch", () => {
    const arg = encodeBridgeArgument({ ...facts, appVersion: "1.0.0 \"beta\" & more" });
    expect(arg).toMatch(/^--lockstep-bridge=[A-Za-z0-9%._~!*'()-]+$/);
    expect(decodeBridgeArgument(["electron", "--foo", arg])).toEqual({ ...facts, appVersion: "1.0.0 \"beta\" & more" });
  });

  it("refuses a missing or malformed switch", () => {
    expect(() => decodeBridgeArgument(["electron"])).toThrow(BridgeArgumentError);
    expect(() => decodeBridgeArgument(["--lockstep-bridge=%7Bnope"])).toThrow(BridgeArgumentError);
    expect(() => decodeBridgeArgument([encodeBridgeArgument({ ...facts, serverMode: "cloud" as never })])).toThrow(
      /serverMode/,
    );
    expect(() => decodeBridgeArgument([`--lockstep-bridge=${encodeURIComponent(JSON.stringify({ ...facts, serverUrl: 1 }))}`])).toThrow(
      /serverUrl/,
    );
  });
});

describe("window.lockstep", () => {
  it("has exactly the read-only facts and one typed call", () => {
    const bridge = createBridge(facts, async () => ({ ok: true }));
    expect(Object.keys(bridge).sort()).toEqual(["appVersion", "platform", "serverMode", "serverUrl", "switchServer"]);
    expect(Object.entries(bridge).filter(([, v]) => typeof v === "function").map(([k]) => k)).toEqual(["switchServer"]);
    expect(Object.isFrozen(bridge)).toBe(true);
    expect(bridge).toMatchObject(facts);
  });

  it("exposes nothing that leads to ipcRenderer or an IPC event", () => {
    const bridge = createBridge(facts, async () => ({ ok: true, event: { sender: "ipcRenderer" } }));
    const text = JSON.stringify(bridge);
    expect(text).not.toMatch(/ipc|invoke|send|sender/i);
    return expect(bridge.switchServer({ mode: "embedded" })).resolves.toEqual({ ok: true });
  });

  it("sends switchServer on its one channel and normalizes the answer", async () => {
    const sent: [IpcChannel, unknown][] = [];
    const answers: unknown[] = [{ ok: false, error: "cancelled", message: "no" }, { weird: true }, undefined];
    const bridge = createBridge(facts, async (channel, payload) => {
      sent.push([channel, payload]);
      return answers.shift();
    });
    expect(await bridge.switchServer({ mode: "team", url: "https://locks.example.com" })).toEqual({
      ok: false,
      error: "cancelled",
      message: "no",
    });
    expect(await bridge.switchServer({ mode: "embedded" })).toMatchObject({ ok: false, error: "failed" });
    expect(await bridge.switchServer({ mode: "embedded" })).toMatchObject({ ok: false, error: "failed" });
    expect(sent[0]).toEqual([IPC_CHANNELS.switchServer, { mode: "team", url: "https://locks.example.com" }]);
  });
});

describe("IPC handlers check their sender", () => {
  function fakeIpcMain() {
    const handlers = new Map<string, (event: InvokeEventLike, ...args: unknown[]) => unknown>();
    const ipcMain: IpcMainLike = {
      handle: (channel, listener) => void handlers.set(channel, listener),
      removeHandler: (channel) => void handlers.delete(channel),
    };
    return { ipcMain, handlers };
  }
  const top = (url: string): InvokeEventLike => ({ senderFrame: { url, parent: null } });

  it("trusts only the top frame of a page on the window's server origin", () => {
    expect(isTrustedSender({ url: "http://127.0.0.1:4123/doc/1", parent: null }, "http://127.0.0.1:4123")).toBe(true);
    expect(isTrustedSender({ url: "http://127.0.0.1:4123/doc/1", parent: {} }, "http://127.0.0.1:4123")).toBe(false);
    expect(isTrustedSender({ url: "http://127.0.0.1:9999/", parent: null }, "http://127.0.0.1:4123")).toBe(false);
    expect(isTrustedSender({ url: "https://evil.example/", parent: null }, "http://127.0.0.1:4123")).toBe(false);
    expect(isTrustedSender(null, "http://127.0.0.1:4123")).toBe(false);
    expect(isTrustedSender({ url: "http://127.0.0.1:4123/", parent: null }, null)).toBe(false);
  });

  it("registers exactly the bridge's channels, and removes them again", () => {
    const { ipcMain, handlers } = fakeIpcMain();
    const remove = registerBridgeHandlers(ipcMain, { trustedOrigin: () => null, switchServer: async () => ({ ok: true }) });
    expect([...handlers.keys()]).toEqual(Object.values(IPC_CHANNELS));
    remove();
    expect(handlers.size).toBe(0);
  });

  it("refuses a call from a foreign page before the handler runs", async () => {
    const { ipcMain, handlers } = fakeIpcMain();
    const calls: unknown[] = [];
    registerBridgeHandlers(ipcMain, {
      trustedOrigin: () => "http://127.0.0.1:4123",
      switchServer: async (choice) => {
        calls.push(choice);
        return { ok: true };
      },
    });
    const handler = handlers.get(IPC_CHANNELS.switchServer)!;
    await expect(handler(top("https://evil.example/"), { mode: "embedded" })).rejects.toBeInstanceOf(UntrustedSenderError);
    await expect(handler({ senderFrame: null }, { mode: "embedded" })).rejects.toBeInstanceOf(UntrustedSenderError);
    expect(calls).toEqual([]);

    await expect(handler(top("http://127.0.0.1:4123/settings"), { mode: "team", url: "https://locks.example.com/" })).resolves.toEqual({
      ok: true,
    });
    expect(calls).toEqual([{ mode: "team", url: "https://locks.example.com" }]);
  });

  it("answers invalid_url for a payload that does not parse, without calling the handler", async () => {
    const { ipcMain, handlers } = fakeIpcMain();
    let called = false;
    registerBridgeHandlers(ipcMain, {
      trustedOrigin: () => "http://127.0.0.1:4123",
      switchServer: async () => {
        called = true;
        return { ok: true };
      },
    });
    const handler = handlers.get(IPC_CHANNELS.switchServer)!;
    for (const payload of [undefined, "embedded", { mode: "team", url: "javascript:alert(1)" }, { mode: "embedded", extra: 1 }]) {
      await expect(handler(top("http://127.0.0.1:4123/"), payload)).resolves.toMatchObject({ ok: false, error: "invalid_url" });
    }
    expect(called).toBe(false);
  });
});
