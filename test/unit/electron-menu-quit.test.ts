import { EventEmitter } from "node:events";
import type { MenuItemConstructorOptions } from "electron";
import { describe, expect, it } from "vitest";
import { buildMenuTemplate, type MenuInput } from "../../src-main/menu.js";
import { closeAll, createQuitController, type ClosableWindow } from "../../src-main/quit.js";

function menu(overrides: Partial<MenuInput> = {}) {
  const clicks: string[] = [];
  const template = buildMenuTemplate({
    platform: "linux",
    appName: "Lockstep",
    serverMode: "embedded",
    isPackaged: true,
    actions: { useEmbeddedServer: () => clicks.push("embedded"), showDataFolder: () => clicks.push("data") },
    ...overrides,
  });
  return { template, clicks };
}

const items = (m: MenuItemConstructorOptions): MenuItemConstructorOptions[] =>
  Array.isArray(m.submenu) ? (m.submenu as MenuItemConstructorOptions[]) : [];
const roles = (m: MenuItemConstructorOptions | undefined): unknown[] =>
  m === undefined ? [] : items(m).map((i) => i.role ?? i.id ?? i.type);
const find = (template: MenuItemConstructorOptions[], id: string) =>
  template.flatMap(items).find((i) => i.id === id);

describe("native menu", () => {
  it("has the usual menus on Windows and Linux, with Quit in File and About in Help", () => {
    const { template } = menu();
    expect(template.map((m) => m.label)).toEqual(["&File", "&Edit", "&View", "&Window", "&Help"]);
    expect(roles(template[0])).toContain("quit");
    expect(roles(template[1])).toEqual(["undo", "redo", "separator", "cut", "copy", "paste", "delete", "separator", "selectAll"]);
    expect(roles(template[4])).toEqual(["about"]);
  });

  it("has the app menu on macOS, and Close instead of Quit in File", () => {
    const { template } = menu({ platform: "darwin" });
    expect(template.map((m) => m.label)).toEqual(["Lockstep", "&File", "&Edit", "&View", "&Window"]);
    expect(roles(template[0])).toEqual(["about", "separator", "services", "separator", "hide", "hideOthers", "unhide", "separator", "quit"]);
    expect(roles(template[1])).toContain("close");
    expect(roles(template[1])).not.toContain("quit");
    expect(roles(template[2])).toContain("pasteAndMatchStyle");
  });

  it("offers developer tools only in development builds", () => {
    expect(roles(menu({ isPackaged: true }).template[2])).not.toContain("toggleDevTools");
    expect(roles(menu({ isPackaged: false }).template[2])).toContain("toggleDevTools");
  });

  it("offers the way back to the built-in server only while on a team server", () => {
    const embedded = find(menu({ serverMode: "embedded" }).template, "use-embedded-server");
    expect(embedded).toMatchObject({ checked: true, enabled: false });
    const { template, clicks } = menu({ serverMode: "team" });
    const item = find(template, "use-embedded-server");
    expect(item).toMatchObject({ checked: false, enabled: true });
    (item?.click as () => void)();
    (find(template, "show-data-folder")?.click as () => void)();
    expect(clicks).toEqual(["embedded", "data"]);
  });
});

class FakeWindow extends EventEmitter implements ClosableWindow {
  destroyed = false;
  constructor(private readonly behaviour: "closes" | "stays") {
    super();
  }
  close(): void {
    if (this.behaviour === "stays") return;
    setTimeout(() => {
      this.destroyed = true;
      this.emit("closed");
    }, 5);
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
}

describe("closeAll", () => {
  it("resolves true once every window has closed", async () => {
    const windows = [new FakeWindow("closes"), new FakeWindow("closes")];
    expect(await closeAll(windows, 1_000)).toBe(true);
    expect(windows.every((w) => w.destroyed)).toBe(true);
  });

  it("resolves false when a window stays open past the timeout", async () => {
    expect(await closeAll([new FakeWindow("closes"), new FakeWindow("stays")], 50)).toBe(false);
  });

  it("resolves false at once when cancelled", async () => {
    const abort = new AbortController();
    const started = Date.now();
    const pending = closeAll([new FakeWindow("stays")], 10_000, abort.signal);
    abort.abort();
    expect(await pending).toBe(false);
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});

describe("quit sequence", () => {
  function controller(closeResult: boolean | "cancelled", opts: { stopFails?: boolean } = {}) {
    const log: string[] = [];
    let resolveExit: () => void = () => undefined;
    const exited = new Promise<void>((resolve) => {
      resolveExit = resolve;
    });
    const quit = createQuitController({
      closeWindows: async (cancelled) => {
        log.push("close windows");
        if (closeResult === "cancelled") {
          await new Promise((resolve) => cancelled.addEventListener("abort", resolve));
          return false;
        }
        return closeResult;
      },
      stopServer: async () => {
        log.push("stop server");
        if (opts.stopFails === true) throw new Error("nope");
      },
      exit: () => {
        log.push("exit");
        resolveExit();
      },
      releaseGraceMs: 30,
      log: (message) => log.push(`log: ${message}`),
    });
    return { quit, log, exited };
  }

  it("closes the windows, waits for the lock releases, stops the server, then exits", async () => {
    const { quit, log, exited } = controller(true);
    const started = Date.now();
    expect(quit.onBeforeQuit()).toBe(true);
    await exited;
    expect(log).toEqual(["close windows", "stop server", "exit"]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
    expect(quit.phase).toBe("done");
    expect(quit.onBeforeQuit()).toBe(false);
  });

  it("runs once however often quit is asked for while it runs", async () => {
    const { quit, log, exited } = controller(true);
    expect(quit.onBeforeQuit()).toBe(true);
    expect(quit.onBeforeQuit()).toBe(true);
    await exited;
    expect(log.filter((l) => l === "stop server")).toHaveLength(1);
  });

  it("keeps the app and the server running when a window stays open", async () => {
    const { quit, log } = controller(false);
    quit.onBeforeQuit();
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(log).toEqual(["close windows"]);
    expect(quit.phase).toBe("running");
  });

  it("drops the quit when the user chooses to stay on a page", async () => {
    const { quit, log } = controller("cancelled");
    quit.onBeforeQuit();
    quit.cancel();
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(log).toEqual(["close windows"]);
    expect(quit.phase).toBe("running");
  });

  it("still exits when stopping the server fails", async () => {
    const { quit, log, exited } = controller(true, { stopFails: true });
    quit.onBeforeQuit();
    await exited;
    expect(log).toEqual(["close windows", "stop server", "log: stopping the embedded server failed", "exit"]);
  });
});
