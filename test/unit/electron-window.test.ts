import { describe, expect, it } from "vitest";
import {
  buildContentSecurityPolicy,
  buildCspDirectives,
  parseCsp,
  serializeCsp,
  withCspHeader,
} from "../../src-main/csp.js";
import { buildWindowOptions } from "../../src-main/window.js";

/** Why a policy is unsafe, or an empty list. */
function cspProblems(policy: string): string[] {
  const d = parseCsp(policy);
  const scripts = d["script-src"] ?? d["default-src"];
  const problems: string[] = [];
  if (scripts === undefined) problems.push("no script-src or default-src");
  for (const [name, values] of Object.entries(d)) {
    if (values.includes("'unsafe-eval'") || values.includes("'wasm-unsafe-eval'")) {
      problems.push(`${name} allows eval`);
    }
  }
  for (const bad of ["'unsafe-inline'", "'unsafe-hashes'", "data:", "blob:", "*", "http:", "https:"]) {
    if (scripts?.includes(bad)) problems.push(`scripts allow ${bad}`);
  }
  if (!(d["object-src"] ?? []).includes("'none'")) problems.push("object-src is not 'none'");
  if (!(d["frame-ancestors"] ?? []).includes("'none'")) problems.push("frame-ancestors is not 'none'");
  return problems;
}

const input = { preloadPath: "/app/dist/main/preload.cjs", bridgeArgument: "--lockstep-bridge=x", title: "Lockstep" };

describe("window options", () => {
  const options = buildWindowOptions(input);
  const web = options.webPreferences ?? {};

  it("isolates and sandboxes the page, with no Node anywhere", () => {
    expect(web.contextIsolation).toBe(true);
    expect(web.sandbox).toBe(true);
    expect(web.nodeIntegration).toBe(false);
    expect(web.nodeIntegrationInWorker).toBe(false);
    expect(web.nodeIntegrationInSubFrames).toBe(false);
  });

  it("keeps the web security features on and the risky extras off", () => {
    expect(web.webSecurity).toBe(true);
    expect(web.allowRunningInsecureContent).toBe(false);
    expect(web.webviewTag).toBe(false);
    expect(web.experimentalFeatures).toBe(false);
    expect(web.navigateOnDragDrop).toBe(false);
  });

  it("does not throttle a hidden or minimised window, so lock heartbeats keep running", () => {
    expect(web.backgroundThrottling).toBe(false);
  });

  it("loads the preload and hands it the bridge facts, and nothing else", () => {
    expect(web.preload).toBe("/app/dist/main/preload.cjs");
    expect(web.additionalArguments).toEqual(["--lockstep-bridge=x"]);
  });

  it("shows the window only once its page is ready", () => {
    expect(options.show).toBe(false);
    expect(options.title).toBe("Lockstep");
    expect(options).not.toHaveProperty("icon");
    expect(buildWindowOptions({ ...input, icon: "/i.png" }).icon).toBe("/i.png");
  });
});

describe("content security policy", () => {
  const policy = buildContentSecurityPolicy("http://127.0.0.1:4123");
  const d = parseCsp(policy);

  it("runs scripts only from the server: no eval, no inline, no data:/blob:", () => {
    expect(d["script-src"]).toEqual(["'self'"]);
    expect(policy).not.toContain("unsafe-eval");
    expect(d["script-src"]).not.toContain("'unsafe-inline'");
    expect(cspProblems(policy)).toEqual([]);
  });

  it("lets the page talk to its own server over HTTP and WebSocket, and nowhere else", () => {
    expect(d["default-src"]).toEqual(["'self'"]);
    expect(d["connect-src"]).toEqual(["'self'", "ws://127.0.0.1:4123"]);
    expect(parseCsp(buildContentSecurityPolicy("https://locks.example.com"))["connect-src"]).toEqual([
      "'self'",
      "wss://locks.example.com",
    ]);
  });

  it("forbids plugins, frames, being framed, and base-URL tricks", () => {
    expect(d["object-src"]).toEqual(["'none'"]);
    expect(d["frame-src"]).toEqual(["'none'"]);
    expect(d["frame-ancestors"]).toEqual(["'none'"]);
    expect(d["base-uri"]).toEqual(["'none'"]);
    expect(d["worker-src"]).toEqual(["'self'"]);
  });

  it("round-trips through serialize/parse", () => {
    const directives = buildCspDirectives("http://127.0.0.1:1");
    expect(parseCsp(serializeCsp(directives))).toEqual(directives);
  });

  it("flags unsafe policies (the check is able to fail)", () => {
    expect(cspProblems("default-src 'self'; script-src 'self' 'unsafe-eval'; object-src 'none'; frame-ancestors 'none'")).toEqual([
      "script-src allows eval",
    ]);
    expect(cspProblems("script-src 'self' 'unsafe-inline' data:; object-src 'none'; frame-ancestors 'none'")).toEqual([
      "scripts allow 'unsafe-inline'",
      "scripts allow data:",
    ]);
    expect(cspProblems("img-src *")).toEqual([
      "no script-src or default-src",
      "object-src is not 'none'",
      "frame-ancestors is not 'none'",
    ]);
  });

  it("adds the policy to a response and keeps the server's own policy", () => {
    expect(withCspHeader({ "content-type": ["text/html"] }, "default-src 'self'")).toEqual({
      "content-type": ["text/html"],
      "Content-Security-Policy": ["default-src 'self'"],
    });
    expect(withCspHeader({ "content-security-policy": ["script-src 'self'"] }, "default-src 'none'")).toEqual({
      "content-security-policy": ["script-src 'self'", "default-src 'none'"],
    });
    expect(withCspHeader(undefined, "x")).toEqual({ "Content-Security-Policy": ["x"] });
  });
});
