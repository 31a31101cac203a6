import { describe, expect, it } from "vitest";
import {
  decideWindowOpen,
  isNavigationAllowed,
  isPermissionAllowed,
  isSameOrigin,
  originOf,
  requireSafeExternalUrl,
  toSafeExternalUrl,
  UnsafeExternalUrlError,
} from "../../src-main/navigation.js";

const server = "http://127.0.0.1:4123";

describe("navigation policy", () => {
  it("allows navigation within the server origin only", () => {
    expect(isNavigationAllowed("http://127.0.0.1:4123/documents/1", server)).toBe(true);
    expect(isNavigationAllowed("http://127.0.0.1:4123", server)).toBe(true);
    for (const url of [
      "http://127.0.0.1:4124/",
      "https://127.0.0.1:4123/",
      "http://localhost:4123/",
      "https://evil.example/",
      "file:///etc/passwd",
      "data:text/html,<script>1</script>",
      "javascript:alert(1)",
      "about:blank",
      "not a url",
    ]) {
      expect(isNavigationAllowed(url, server), url).toBe(false);
    }
  });

  it("never treats opaque origins as equal", () => {
    expect(originOf("data:text/plain,x")).toBeNull();
    expect(isSameOrigin("data:text/plain,x", "data:text/plain,x")).toBe(false);
  });
});

describe("window-open policy", () => {
  it("never opens a new Electron window", () => {
    for (const url of ["https://example.com/", `${server}/x`, "http://example.com/", "mailto:a@b.c"]) {
      expect(decideWindowOpen(url, server).action).toBe("deny");
    }
  });

  it("hands https links to the system browser, and nothing else", () => {
    expect(decideWindowOpen("https://example.com/help?q=1", server).openExternally).toBe("https://example.com/help?q=1");
    expect(decideWindowOpen("http://example.com/", server).openExternally).toBeNull();
    expect(decideWindowOpen("file:///etc/passwd", server).openExternally).toBeNull();
    expect(decideWindowOpen("mailto:a@b.c", server).openExternally).toBeNull();
    expect(decideWindowOpen("javascript:alert(1)", server).openExternally).toBeNull();
    expect(decideWindowOpen(`${server}/documents`, server).openExternally).toBeNull();
  });

  it("keeps a team server's own https links in the app (denied, not sent to the browser)", () => {
    expect(decideWindowOpen("https://locks.example.com/x", "https://locks.example.com")).toEqual({
      action: "deny",
      openExternally: null,
    });
  });
});

describe("external URLs", () => {
  it("accepts plain https URLs, normalized", () => {
    expect(toSafeExternalUrl("https://Example.com/a b")).toBe("https://example.com/a%20b");
    expect(requireSafeExternalUrl("https://example.com")).toBe("https://example.com/");
  });

  it("refuses other schemes, credentials in the URL, and garbage", () => {
    for (const url of [
      "http://example.com",
      "https://user:pw@example.com",
      "https://bank.example@evil.example/",
      "smb://share/x",
      "file:///C:/Windows/System32/calc.exe",
      "vscode://x",
      "",
      "https//missing-colon",
    ]) {
      expect(toSafeExternalUrl(url), url).toBeNull();
      expect(() => requireSafeExternalUrl(url)).toThrow(UnsafeExternalUrlError);
    }
  });
});

describe("permission policy", () => {
  it("denies every permission except sanitized clipboard writes from the server", () => {
    expect(isPermissionAllowed("clipboard-sanitized-write", `${server}/doc`, server)).toBe(true);
    expect(isPermissionAllowed("clipboard-sanitized-write", "https://evil.example/", server)).toBe(false);
    for (const permission of ["media", "geolocation", "notifications", "clipboard-read", "openExternal", "fullscreen", "unknown"]) {
      expect(isPermissionAllowed(permission, `${server}/doc`, server), permission).toBe(false);
    }
  });
});
