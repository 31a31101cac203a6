import { describe, expect, it } from "vitest";
import { createDraftsStore, draftKey, memoryStorage, type StorageLike } from "../../src-renderer/state/drafts.js";
import { ALICE, BOB, DOC, DOC2 } from "./renderer-factories.js";

const NOW = new Date("2026-11-27T10:35:00.000Z");

describe("draft store", () => {
  it("persists per user and document, and a new store (a restarted window) reads it back", () => {
    const storage = memoryStorage();
    const a = createDraftsStore(storage);
    a.getState().loadFor(ALICE);
    a.getState().put({ documentId: DOC, title: "Plan", content: "my text", baseVersion: 3 }, NOW);
    expect(JSON.parse(storage.getItem(draftKey(ALICE, DOC)) ?? "null")).toEqual({
      documentId: DOC,
      userId: ALICE,
      title: "Plan",
      content: "my text",
      baseVersion: 3,
      updatedAt: NOW.toISOString(),
    });
    const b = createDraftsStore(storage);
    b.getState().loadFor(ALICE);
    expect(b.getState().drafts[DOC]?.content).toBe("my text");
  });

  it("never shows one user's drafts to another on the same machine", () => {
    const storage = memoryStorage();
    const s = createDraftsStore(storage);
    s.getState().loadFor(ALICE);
    s.getState().put({ documentId: DOC, title: "Plan", content: "alice's", baseVersion: 1 });
    s.getState().loadFor(BOB);
    expect(s.getState().drafts).toEqual({});
    s.getState().put({ documentId: DOC, title: "Plan", content: "bob's", baseVersion: 1 });
    s.getState().loadFor(ALICE);
    expect(s.getState().drafts[DOC]?.content).toBe("alice's");
  });

  it("remove deletes from memory and storage", () => {
    const storage = memoryStorage();
    const s = createDraftsStore(storage);
    s.getState().loadFor(ALICE);
    s.getState().put({ documentId: DOC, title: "a", content: "x", baseVersion: 1 });
    s.getState().put({ documentId: DOC2, title: "b", content: "y", baseVersion: 1 });
    s.getState().remove(DOC);
    expect(Object.keys(s.getState().drafts)).toEqual([DOC2]);
    expect(storage.getItem(draftKey(ALICE, DOC))).toBeNull();
    expect(storage.length).toBe(1);
  });

  it("skips corrupt or foreign entries instead of failing (and does not delete them)", () => {
    const storage = memoryStorage();
    storage.setItem(draftKey(ALICE, DOC), "{broken");
    storage.setItem(draftKey(ALICE, DOC2), JSON.stringify({ documentId: DOC2, content: 1 }));
    storage.setItem("unrelated", "x");
    const s = createDraftsStore(storage);
    s.getState().loadFor(ALICE);
    expect(s.getState().drafts).toEqual({});
    expect(storage.getItem(draftKey(ALICE, DOC))).toBe("{broken");
  });

  it("keeps the draft in memory and says so when storage is full", () => {
    const inner = memoryStorage();
    const full: StorageLike = {
      get length() {
        return inner.length;
      },
      key: (i) => inner.key(i),
      getItem: (k) => inner.getItem(k),
      removeItem: (k) => inner.removeItem(k),
      setItem: () => {
        throw new Error("QuotaExceededError");
      },
    };
    const s = createDraftsStore(full);
    s.getState().loadFor(ALICE);
    s.getState().put({ documentId: DOC, title: "Plan", content: "precious", baseVersion: 2 });
    expect(s.getState().drafts[DOC]?.content).toBe("precious");
    expect(s.getState().storageError).toMatch(/QuotaExceededError/);
  });

  it("does nothing while signed out", () => {
    const storage = memoryStorage();
    const s = createDraftsStore(storage);
    s.getState().put({ documentId: DOC, title: "Plan", content: "x", baseVersion: 2 });
    expect(storage.length).toBe(0);
  });
});
