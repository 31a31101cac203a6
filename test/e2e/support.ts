/**
 * Helpers shared by the E2E specs: people signing in through the real sign-in screen, opening
 * documents from the list, typing into CodeMirror, REST checks, screenshots, the Redis control.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium, expect, type Browser, type BrowserContext, type Locator, type Page, type TestInfo } from "@playwright/test";
import { BASE_URL, CHROMIUM_ARGS, CHROMIUM_PATH, CONTROL_URL, DEMO_PASSWORD } from "./env.js";

export type Username = "alice" | "bob" | "carol" | "dave";

export const DISPLAY_NAME: Readonly<Record<Username, string>> = {
  alice: "Alice Martin",
  bob: "Bob Chen",
  carol: "Carol Diaz",
  dave: "Dave Okafor",
};

/** The seeded workspace as the E2E server reports it (GET /demo on the control server). */
export interface Demo {
  readonly users: Record<Username, { id: string; username: string }>;
  readonly applicationId: string;
  readonly projectId: string;
  readonly documents: Record<"handbook" | "checklist" | "homepage" | "launch" | "aliceNotes" | "bobNotes", string>;
}

export async function demo(): Promise<Demo> {
  const res = await fetch(`${CONTROL_URL}/demo`);
  if (!res.ok) throw new Error(`GET /demo: ${res.status}`);
  return (await res.json()) as Demo;
}

/** One person in their own browser context (own storage: own session, drafts, client id). */
export interface Person {
  readonly username: Username;
  readonly name: string;
  readonly context: BrowserContext;
  readonly page: Page;
  /** `[data-testid=editor]`: carries data-lock-state and data-save-state. */
  readonly editor: Locator;
  /** CodeMirror's content element (contenteditable). */
  readonly content: Locator;
  readonly banner: Locator;
  readonly draftBar: Locator;
  readonly notices: Locator;
  readonly connection: Locator;
}

export function person(username: Username, context: BrowserContext, page: Page): Person {
  return {
    username,
    name: DISPLAY_NAME[username],
    context,
    page,
    editor: page.getByTestId("editor"),
    content: page.getByTestId("editor-content"),
    banner: page.getByTestId("lock-banner"),
    draftBar: page.getByTestId("draft-bar"),
    notices: page.getByTestId("notices"),
    connection: page.getByTestId("connection-status"),
  };
}

/** A fresh context for `username`, signed in through the sign-in screen. */
export async function signIn(browser: Browser, username: Username): Promise<Person> {
  const context = await browser.newContext({ baseURL: BASE_URL, viewport: { width: 1200, height: 760 } });
  const page = await context.newPage();
  await signInOn(page, username);
  return person(username, context, page);
}

export async function signInOn(page: Page, username: Username): Promise<void> {
  await page.goto(`${BASE_URL}/`);
  const form = page.getByTestId("sign-in-form");
  await expect(form).toBeVisible();
  await form.getByLabel("Username").fill(username);
  await form.getByLabel("Password").fill(DEMO_PASSWORD);
  await form.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("current-user")).toHaveText(DISPLAY_NAME[username]);
  await expect(page.getByTestId("connection-status")).toHaveAttribute("data-state", "open");
}

/** Opens a document by clicking its title in the list; waits until its text is shown. */
export async function openDocument(p: Person, title: string): Promise<void> {
  await p.page.getByRole("navigation", { name: "Document list" }).getByRole("button", { name: title, exact: true }).click();
  await expect(p.page.getByTestId("document-title")).toHaveText(title);
  await expect(p.content).toBeVisible();
}

/** Puts the caret at the end of the document and types `text` like a person would. */
export async function typeAtEnd(p: Person, text: string): Promise<void> {
  await p.content.click();
  await p.page.keyboard.press("Control+End");
  await p.page.keyboard.type(text);
}

/** The editor's text as CodeMirror holds it (lines joined with \n). */
export async function editorText(p: Person): Promise<string> {
  return p.content.evaluate((el) => {
    const lines = Array.from(el.querySelectorAll(":scope > .cm-line"));
    return lines.map((l) => l.textContent ?? "").join("\n");
  });
}

/** Writes a screenshot to test-results/screenshots/<name> and attaches it to the report. */
export async function shot(p: Person, testInfo: TestInfo, name: string): Promise<void> {
  const dir = path.join(testInfo.project.outputDir, "screenshots");
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  await p.page.screenshot({ path: file });
  await testInfo.attach(name, { path: file, contentType: "image/png" });
}

// ------------------------------------------------------------------ REST, as the tests' own client

export interface Rest {
  readonly token: string;
  /** GET; throws unless 2xx. */
  get<T = unknown>(apiPath: string): Promise<T>;
  /** Any JSON call; returns the status and the parsed body. */
  call<T = unknown>(method: string, apiPath: string, body?: unknown): Promise<{ status: number; body: T }>;
}

export async function restAs(username: Username): Promise<Rest> {
  const res = await fetch(`${BASE_URL}/api/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username, password: DEMO_PASSWORD }),
  });
  if (!res.ok) throw new Error(`login ${username}: ${res.status} ${await res.text()}`);
  const { token } = (await res.json()) as { token: string };
  return {
    token,
    async get<T>(apiPath: string): Promise<T> {
      const r = await fetch(`${BASE_URL}${apiPath}`, { headers: { authorization: `Bearer ${token}` } });
      if (!r.ok) throw new Error(`GET ${apiPath}: ${r.status} ${await r.text()}`);
      return (await r.json()) as T;
    },
    async call<T>(method: string, apiPath: string, body?: unknown) {
      const r = await fetch(`${BASE_URL}${apiPath}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await r.text();
      return { status: r.status, body: (text === "" ? undefined : JSON.parse(text)) as T };
    },
  };
}

export interface LockHolder {
  readonly user_id: string;
  readonly user_name: string;
  readonly display_name: string;
  readonly client_id: string;
  readonly acquired_at: string;
}
export interface LockState {
  readonly locked: boolean;
  readonly holder: LockHolder | null;
  readonly expires_at: string | null;
}
export interface DocumentBody {
  readonly id: string;
  readonly title: string;
  readonly content: string;
  readonly version: number;
  readonly lock: LockState;
}

// ------------------------------------------------------------------ the E2E server's Redis

export async function redisControl(action: "stop" | "start" | "restart"): Promise<void> {
  const res = await fetch(`${CONTROL_URL}/redis/${action}`, { method: "POST" });
  if (!res.ok) throw new Error(`redis ${action}: ${res.status} ${await res.text()}`);
}

/**
 * Records every distinct value a piece of the page takes from now on: a MutationObserver, so
 * even a state that lasts a few milliseconds is seen. Returns a function reading the record.
 */
async function record(p: Person, name: string, selector: string, read: "text" | `attr:${string}`): Promise<() => Promise<string[]>> {
  await p.page.evaluate(
    ({ name, selector, read }) => {
      const w = window as unknown as Record<string, { seen: string[]; observer: MutationObserver } | undefined>;
      w[name]?.observer.disconnect();
      const seen: string[] = [];
      const note = (): void => {
        const el = document.querySelector(selector);
        const v = el === null ? "none" : read === "text" ? (el.textContent ?? "") : (el.getAttribute(read.slice(5)) ?? "null");
        if (seen[seen.length - 1] !== v) seen.push(v);
      };
      note();
      const observer = new MutationObserver(note);
      observer.observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
      w[name] = { seen, observer };
    },
    { name, selector, read },
  );
  return () =>
    p.page.evaluate((name) => [...((window as unknown as Record<string, { seen: string[] } | undefined>)[name]?.seen ?? [])], name);
}

/** Every value of the editor's `data-lock-state` from now on. */
export const recordLockStates = (p: Person): Promise<() => Promise<string[]>> =>
  record(p, "__e2eLockStates", "[data-testid=editor]", "attr:data-lock-state");

/** Every text of the lock banner from now on. */
export const recordBanners = (p: Person): Promise<() => Promise<string[]>> =>
  record(p, "__e2eBanners", "[data-testid=lock-banner]", "text");

/** Every value of the connection badge's `data-state` from now on. */
export const recordConnectionStates = (p: Person): Promise<() => Promise<string[]>> =>
  record(p, "__e2eConnection", "[data-testid=connection-status]", "attr:data-state");

// ------------------------------------------------------------------ a Chromium whose pages can be hidden

export interface OwnChromium {
  readonly browser: Browser;
  /** The browser's default context (fresh profile): no focus emulation, so tabs can be hidden. */
  readonly context: BrowserContext;
  close(): Promise<void>;
}

/**
 * A Chromium of its own, attached over CDP with `noDefaults`. Pages that Playwright launches
 * itself always stay `visible`: it turns on focus emulation for every page, which in Chromium
 * counts as a screen capture and keeps the page "shown" even behind another tab or minimised.
 * The default context of a browser attached with `noDefaults` gets no such override, and none
 * of Playwright's anti-throttling switches either (--disable-background-timer-throttling,
 * --disable-renderer-backgrounding, …), so a tab behind another one is really hidden and
 * throttled the way a user's background window is.
 */
export async function launchOwnChromium(): Promise<OwnChromium> {
  const profile = mkdtempSync(path.join(tmpdir(), "lockstep-e2e-chromium-"));
  // Its own process group (detached), so that closing it ends every helper process too.
  const proc = spawn(CHROMIUM_PATH, [...CHROMIUM_ARGS, "--remote-debugging-port=0", `--user-data-dir=${profile}`, "about:blank"], {
    stdio: "ignore",
    detached: true,
  });
  const exited = (): boolean => proc.exitCode !== null || proc.signalCode !== null;
  const killGroup = (signal: NodeJS.Signals): void => {
    try {
      if (proc.pid !== undefined) process.kill(-proc.pid, signal);
    } catch {
      // already gone
    }
  };
  // If this test process ends without close() (a crash, a hard stop), take Chromium with it.
  const onExit = (): void => killGroup("SIGKILL");
  process.once("exit", onExit);
  const cleanup = (): void => {
    process.off("exit", onExit);
    killGroup("SIGKILL");
    try {
      // Chromium's helper processes may still be writing into the profile for a moment.
      rmSync(profile, { recursive: true, force: true, maxRetries: 20, retryDelay: 100 });
    } catch (err) {
      console.warn(`could not remove ${profile}:`, err);
    }
  };
  try {
    const portFile = path.join(profile, "DevToolsActivePort");
    const deadline = Date.now() + 15_000;
    let port = "";
    while (port === "") {
      if (exited()) throw new Error(`chromium exited (${proc.exitCode ?? proc.signalCode}) before opening its DevTools port`);
      if (Date.now() > deadline) throw new Error("chromium did not open its DevTools port within 15 s");
      if (existsSync(portFile)) port = readFileSync(portFile, "utf8").split("\n")[0]?.trim() ?? "";
      if (port === "") await new Promise((r) => setTimeout(r, 50));
    }
    const browser = await chromium.connectOverCDP(`http://127.0.0.1:${port}`, { noDefaults: true, isLocal: true });
    const context = browser.contexts()[0];
    if (context === undefined) throw new Error("the attached chromium has no default context");
    return {
      browser,
      context,
      async close() {
        const t0 = Date.now();
        // Disconnect Playwright (bounded), then end the whole process group: Chromium's
        // helper processes must be gone before its profile folder can be removed.
        await Promise.race([browser.close().catch(() => undefined), new Promise((r) => setTimeout(r, 3_000))]);
        const t1 = Date.now();
        await new Promise<void>((resolve) => {
          if (exited()) return resolve();
          proc.once("exit", () => resolve());
          killGroup("SIGTERM");
          setTimeout(() => killGroup("SIGKILL"), 3_000).unref();
        });
        killGroup("SIGKILL");
        const t2 = Date.now();
        cleanup();
        if (process.env.E2E_DEBUG) console.log(`own chromium closed: disconnect ${t1 - t0} ms, exit ${t2 - t1} ms, rm ${Date.now() - t2} ms`);
      },
    };
  } catch (err) {
    cleanup();
    throw err;
  }
}

/** `document.visibilityState` of a page. */
export const visibility = (page: Page): Promise<DocumentVisibilityState> => page.evaluate(() => document.visibilityState);

/** The content of the draft this browser keeps for a document (localStorage), if any. */
export async function storedDraft(p: Person, documentId: string): Promise<string | null> {
  return p.page.evaluate((id) => {
    for (let i = 0; i < localStorage.length; i++) {
      const key = localStorage.key(i);
      if (key?.endsWith(`:${id}`) && key.startsWith("lockstep.draft.")) {
        const value = localStorage.getItem(key);
        if (value !== null) return (JSON.parse(value) as { content: string }).content;
      }
    }
    return null;
  }, documentId);
}
