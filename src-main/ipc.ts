import { IPC_CHANNELS, type SwitchServerResult } from "./bridge.js";
import { isSameOrigin } from "./navigation.js";
import { ServerChoiceSchema, type ServerChoiceSetting } from "./settings.js";

/**
 * The main side of the bridge's typed calls. This is the only module that registers IPC
 * handlers (a lint rule holds that), and every handler goes through `guard`: the call must
 * come from the top frame of a page on the window's current server origin, and its payload
 * must parse. Anything else is refused before the handler runs.
 */

/** The part of Electron's `IpcMainInvokeEvent` the guard reads. */
export interface InvokeEventLike {
  readonly senderFrame: { readonly url: string; readonly parent: unknown } | null;
}

/** The part of Electron's `ipcMain` used here. */
export interface IpcMainLike {
  handle(channel: string, listener: (event: InvokeEventLike, ...args: unknown[]) => unknown): void;
  removeHandler(channel: string): void;
}

export class UntrustedSenderError extends Error {
  override name = "UntrustedSenderError";
  constructor(readonly channel: string, readonly senderUrl: string | null) {
    super(`IPC call on ${channel} refused: the sender is not the app's server page.`);
  }
}

/**
 * True for the top frame of a page on `serverOrigin`. Subframes never qualify (the CSP
 * forbids frames anyway); a destroyed or navigated-away frame (`null`) never qualifies.
 */
export function isTrustedSender(frame: InvokeEventLike["senderFrame"], serverOrigin: string | null): boolean {
  if (frame === null || serverOrigin === null) return false;
  if (frame.parent !== null) return false;
  return isSameOrigin(frame.url, serverOrigin);
}

export interface BridgeHandlers {
  /** Origin of the server the app's window is currently bound to (null while none is open). */
  trustedOrigin(): string | null;
  switchServer(choice: ServerChoiceSetting): Promise<SwitchServerResult>;
}

/** Registers the bridge's handlers; returns a function that removes them. */
export function registerBridgeHandlers(ipcMain: IpcMainLike, handlers: BridgeHandlers): () => void {
  const guard = (channel: string, event: InvokeEventLike): void => {
    if (!isTrustedSender(event.senderFrame, handlers.trustedOrigin())) {
      throw new UntrustedSenderError(channel, event.senderFrame?.url ?? null);
    }
  };

  ipcMain.handle(IPC_CHANNELS.switchServer, async (event, payload): Promise<SwitchServerResult> => {
    guard(IPC_CHANNELS.switchServer, event);
    const parsed = ServerChoiceSchema.safeParse(payload);
    if (!parsed.success) {
      return { ok: false, error: "invalid_url", message: parsed.error.issues[0]?.message ?? "invalid server choice" };
    }
    return handlers.switchServer(parsed.data);
  });

  return () => {
    for (const channel of Object.values(IPC_CHANNELS)) ipcMain.removeHandler(channel);
  };
}
