import { describe, expect, it } from "vitest";
import { documentAccess, type DocumentScopeInfo } from "../../server/access/index.js";

const ME = "11111111-1111-4111-8111-111111111111";
const OTHER = "22222222-2222-4222-8222-222222222222";
const APP = "33333333-3333-4333-8333-333333333333";

const personal = (owner: string): DocumentScopeInfo => ({ scope: "personal", owner_user_id: owner, application_id: null, created_by: owner });
const shared = (scope: "application" | "project", createdBy = OTHER): DocumentScopeInfo => ({
  scope,
  owner_user_id: null,
  application_id: APP,
  created_by: createdBy,
});

describe("documentAccess (the design's table)", () => {
  it("personal documents: the owner edits and may only take over from themselves; nobody else sees them", () => {
    expect(documentAccess(ME, personal(ME), undefined)).toEqual({ visible: true, edit: true, forceTake: "self", rename: true, delete: true });
    // Even an application owner role does not reach a personal document.
    expect(documentAccess(ME, personal(OTHER), "owner")).toEqual({ visible: false });
    expect(documentAccess(ME, personal(OTHER), undefined)).toEqual({ visible: false });
  });

  it.each(["application", "project"] as const)("%s documents follow the member's role", (scope) => {
    expect(documentAccess(ME, shared(scope), "owner")).toMatchObject({ visible: true, edit: true, forceTake: "anyone", delete: true });
    expect(documentAccess(ME, shared(scope), "editor")).toMatchObject({ visible: true, edit: true, forceTake: "self", delete: false });
    expect(documentAccess(ME, shared(scope, ME), "editor")).toMatchObject({ delete: true });
    expect(documentAccess(ME, shared(scope), "viewer")).toEqual({ visible: true, edit: false, forceTake: null, rename: false, delete: false });
    expect(documentAccess(ME, shared(scope), undefined)).toEqual({ visible: false });
  });
});
