import { describe, expect, it } from "vitest";
import type { DocumentSummary } from "../../protocol/index.js";
import { createDocumentsStore, groupDocuments } from "../../src-renderer/state/documents.js";
import { createEditorStore, saveStatus } from "../../src-renderer/state/editor.js";
import { createLocksStore } from "../../src-renderer/state/locks.js";
import { createNoticesStore } from "../../src-renderer/state/notices.js";
import { createSessionStore } from "../../src-renderer/state/session.js";
import { ALICE, APP, buildDocument, buildHolder, DOC, DOC2, PROJECT } from "./renderer-factories.js";

const summary = (overrides: Partial<DocumentSummary>): DocumentSummary => {
  const { content: _c, ...s } = buildDocument(overrides);
  return s;
};
const AT = "2026-11-27T10:35:00.000Z";

describe("documents store", () => {
  const personal = summary({ id: DOC, title: "Zebra notes" });
  const appDoc = summary({ id: DOC2, title: "Roadmap", scope: "application", owner_user_id: null, application_id: APP });
  const projDoc = summary({
    id: "77777777-7777-4777-8777-777777777777",
    title: "Sprint 1",
    scope: "project",
    owner_user_id: null,
    project_id: PROJECT,
  });
  const loaded = () => {
    const s = createDocumentsStore();
    s.getState().setApplications([{ id: APP, name: "Acme", role: "owner" }]);
    s.getState().setProjects(APP, [{ id: PROJECT, application_id: APP, name: "Website" }]);
    s.getState().setDocuments([projDoc, appDoc, personal]);
    return s;
  };

  it("groups by scope: Personal, then each application followed by its projects", () => {
    const groups = groupDocuments(loaded().getState());
    expect(groups.map((g) => [g.key, g.label, g.documents.map((d) => d.title)])).toEqual([
      ["personal", "Personal", ["Zebra notes"]],
      [`app:${APP}`, "Acme", ["Roadmap"]],
      [`project:${PROJECT}`, "Website", ["Sprint 1"]],
    ]);
    expect(groups[2]?.parentLabel).toBe("Acme");
  });

  it("search filters by title, case-insensitively, and hides empty groups", () => {
    const s = loaded();
    s.getState().setQuery("  ROAD ");
    const groups = groupDocuments(s.getState());
    expect(groups.map((g) => g.key)).toEqual([`app:${APP}`]);
  });

  it("documents of an unknown project are shown, not hidden", () => {
    const s = createDocumentsStore();
    s.getState().setDocuments([projDoc]);
    expect(groupDocuments(s.getState()).map((g) => [g.key, g.documents.length])).toEqual([
      ["personal", 0],
      [`project:${PROJECT}`, 1],
    ]);
  });

  it("applies document_updated only when newer", () => {
    const s = loaded();
    s.getState().applyUpdated({ document_id: DOC, version: 4, title: "Renamed", updated_by: ALICE, at: AT });
    expect(s.getState().documents[DOC]).toMatchObject({ title: "Renamed", version: 4, updated_at: AT });
    s.getState().applyUpdated({ document_id: DOC, version: 2, title: "Old", updated_by: ALICE, at: AT });
    expect(s.getState().documents[DOC]?.title).toBe("Renamed");
  });

  it("removes and upserts", () => {
    const s = loaded();
    s.getState().removeDocument(DOC);
    expect(s.getState().documents[DOC]).toBeUndefined();
    s.getState().upsertDocument(personal);
    expect(s.getState().documents[DOC]).toEqual(personal);
  });
});

describe("locks store (live indicators)", () => {
  it("seeds from the list and follows lock events", () => {
    const s = createLocksStore();
    s.getState().seedFromList([summary({ id: DOC })]);
    expect(s.getState().live[DOC]?.locked).toBe(false);
    s.getState().applyEvent({ type: "document_locked", document_id: DOC, holder: buildHolder(), at: AT });
    expect(s.getState().live[DOC]).toEqual({ locked: true, holder: buildHolder(), expires_at: null });
    const carol = buildHolder({ client_id: "window-C1", display_name: "Carol" });
    s.getState().applyEvent({ type: "document_force_taken", document_id: DOC, holder: carol, previous_holder: buildHolder(), at: AT });
    expect(s.getState().live[DOC]?.holder).toEqual(carol);
    // A stale unlock of Bob's (already replaced) lock does not clear Carol's.
    s.getState().applyEvent({ type: "document_unlocked", document_id: DOC, previous_holder: buildHolder(), reason: "expired", at: AT });
    expect(s.getState().live[DOC]?.holder).toEqual(carol);
    s.getState().applyEvent({ type: "document_unlocked", document_id: DOC, previous_holder: carol, reason: "released", at: AT });
    expect(s.getState().live[DOC]).toEqual({ locked: false, holder: null, expires_at: null });
    s.getState().applyEvent({ type: "document_deleted", document_id: DOC, at: AT });
    expect(s.getState().live[DOC]).toBeUndefined();
  });
});

describe("editor store", () => {
  it("derives the save status", () => {
    const s = createEditorStore();
    s.getState().open(DOC);
    s.getState().loaded(buildDocument({ content: "a" }));
    expect(saveStatus(s.getState())).toBe("saved");
    s.getState().edited("ab");
    expect(saveStatus(s.getState())).toBe("dirty");
    s.getState().saveStarted();
    expect(saveStatus(s.getState())).toBe("saving");
    s.getState().saveFailed("offline");
    expect(saveStatus(s.getState())).toBe("error");
    s.getState().saveSucceeded("ab", 4, AT);
    expect(saveStatus(s.getState())).toBe("saved");
    expect(s.getState()).toMatchObject({ baseVersion: 4, savedText: "ab", lastSavedAt: AT });
  });

  it("external text replacement bumps the revision; typing does not", () => {
    const s = createEditorStore();
    s.getState().open(DOC);
    s.getState().loaded(buildDocument());
    const r = s.getState().revision;
    s.getState().edited("typed");
    expect(s.getState().revision).toBe(r);
    expect(s.getState().liveDraft).toBe(true);
    s.getState().replaceText("draft");
    expect(s.getState().revision).toBe(r + 1);
  });

  it("ignores a load for a document that is no longer open", () => {
    const s = createEditorStore();
    s.getState().open(DOC2);
    s.getState().loaded(buildDocument({ id: DOC }));
    expect(s.getState().doc).toBeNull();
  });
});

describe("session and notices stores", () => {
  const server = { serverUrl: "http://127.0.0.1:1", desktop: false, serverMode: null, canSwitchServer: false, appVersion: null, platform: null, clientId: "window-A1" };

  it("walks the session phases", () => {
    const s = createSessionStore(server);
    expect(s.getState().phase).toBe("starting");
    s.getState().signedIn("tok", { user: { id: ALICE, username: "alice", display_name: "Alice" }, memberships: [] });
    expect(s.getState()).toMatchObject({ phase: "signed_in", token: "tok", clientId: "window-A1" });
    s.getState().signedOut("expired");
    expect(s.getState()).toMatchObject({ phase: "signed_out", token: null, me: null, signedOutReason: "expired" });
  });

  it("keeps the three newest notices", () => {
    const n = createNoticesStore();
    for (const t of ["a", "b", "c", "d"]) n.getState().push("info", t);
    expect(n.getState().notices.map((x) => x.text)).toEqual(["b", "c", "d"]);
    n.getState().dismiss(n.getState().notices[0]?.id ?? -1);
    expect(n.getState().notices.map((x) => x.text)).toEqual(["c", "d"]);
  });
});
