import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createAutosave, type SaveAttempt } from "../../src-renderer/services/autosave.js";

beforeEach(() => void vi.useFakeTimers());
afterEach(() => void vi.useRealTimers());

/** A document: `text` is typed, `saved` is what the save function last stored. */
function setup(results: SaveAttempt[] = [], saveMs = 0) {
  const doc = { text: "", saved: "" };
  const saves: string[] = [];
  const autosave = createAutosave({
    isDirty: () => doc.text !== doc.saved,
    save: async () => {
      const content = doc.text;
      saves.push(content);
      if (saveMs > 0) await new Promise((r) => setTimeout(r, saveMs));
      const result = results.shift() ?? "ok";
      if (result === "ok") doc.saved = content;
      return result;
    },
    debounceMs: 800,
    maxWaitMs: 5_000,
    retryMs: 1_000,
  });
  const type = (text: string): void => {
    doc.text = text;
    autosave.changed();
  };
  return { doc, saves, autosave, type };
}

describe("autosave", () => {
  it("saves once after a quiet period (debounced)", async () => {
    const t = setup();
    t.type("a");
    await vi.advanceTimersByTimeAsync(500);
    t.type("ab");
    await vi.advanceTimersByTimeAsync(799);
    expect(t.saves).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(t.saves).toEqual(["ab"]);
  });

  it("saves during continuous typing at the max wait", async () => {
    const t = setup();
    for (let i = 1; i <= 12; i++) {
      t.type("x".repeat(i));
      await vi.advanceTimersByTimeAsync(500);
    }
    expect(t.saves).toEqual(["x".repeat(10)]);
  });

  it("never runs two saves at once; edits made meanwhile are saved right after", async () => {
    const t = setup([], 2_000);
    t.type("one");
    await vi.advanceTimersByTimeAsync(800); // save "one" starts, takes 2 s
    t.type("one two");
    await vi.advanceTimersByTimeAsync(1_000); // debounce fires while in flight: no parallel save
    expect(t.saves).toEqual(["one"]);
    await vi.advanceTimersByTimeAsync(1_000); // first save done -> re-debounced
    await vi.advanceTimersByTimeAsync(800);
    expect(t.saves).toEqual(["one", "one two"]);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(t.doc.saved).toBe("one two");
  });

  it("retries transient failures with a doubling backoff", async () => {
    const t = setup(["retry", "retry", "ok"]);
    t.type("a");
    await vi.advanceTimersByTimeAsync(800);
    await vi.advanceTimersByTimeAsync(1_000);
    await vi.advanceTimersByTimeAsync(1_999);
    expect(t.saves).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(t.saves).toHaveLength(3);
    expect(t.doc.saved).toBe("a");
  });

  it("stops after a final failure until the next edit", async () => {
    const t = setup(["stop"]);
    t.type("a");
    await vi.advanceTimersByTimeAsync(60_000);
    expect(t.saves).toEqual(["a"]);
    t.type("ab");
    await vi.advanceTimersByTimeAsync(800);
    expect(t.saves).toEqual(["a", "ab"]);
  });

  it("flush saves now (Ctrl+S) and waits for a save in flight first", async () => {
    const t = setup([], 300);
    t.type("a");
    const done = t.autosave.flush();
    await vi.advanceTimersByTimeAsync(300);
    await done;
    expect(t.saves).toEqual(["a"]);
    expect(t.doc.saved).toBe("a");
    await vi.advanceTimersByTimeAsync(5_000);
    expect(t.saves).toEqual(["a"]);
  });

  it("stop() cancels pending saves", async () => {
    const t = setup();
    t.type("a");
    t.autosave.stop();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(t.saves).toEqual([]);
  });
});
