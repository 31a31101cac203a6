/**
 * One document, three people, the whole hand-off story in order (serial: each step starts
 * where the previous one ended). bob = editor, alice = owner, carol = viewer of "Acme".
 *
 *   1. bob opens "Team handbook" and holds the lock; alice and carol read along, live.
 *   2. alice takes over; bob's editor turns read-only at once, his unsaved text becomes a
 *      draft, and his late save is refused by the server.
 *   3. alice closes the document; bob, still looking at it, gets the lock automatically.
 */
import { expect, test, type Request, type Route } from "@playwright/test";
import {
  demo,
  editorText,
  openDocument,
  restAs,
  shot,
  signIn,
  storedDraft,
  typeAtEnd,
  type DocumentBody,
  type LockState,
  type Person,
  type Rest,
} from "./support.js";

const TITLE = "Team handbook";
/** "since 10:32" (or "since 10:32 AM" in a 12-hour locale). */
const SINCE = /since \d{1,2}:\d{2}/;

test.describe.configure({ mode: "serial" });

let bob: Person;
let alice: Person;
let carol: Person;
let docId: string;
let aliceRest: Rest;

test.beforeAll(async ({ browser }) => {
  docId = (await demo()).documents.handbook;
  aliceRest = await restAs("alice");
  [bob, alice, carol] = await Promise.all([signIn(browser, "bob"), signIn(browser, "alice"), signIn(browser, "carol")]);
});

test.afterAll(async () => {
  await Promise.all([bob, alice, carol].map((p) => p?.context.close()));
});

test("1. bob holds the document; alice (owner) and carol (viewer) read along live", async () => {
  const testInfo = test.info();
  await test.step("bob opens it and holds the lock without a click", async () => {
    await openDocument(bob, TITLE);
    await expect(bob.editor).toHaveAttribute("data-lock-state", "held");
    await expect(bob.banner).toHaveText("You are editing");
    await expect(bob.editor).toHaveAttribute("data-save-state", "saved");
    await expect(bob.content).toHaveAttribute("contenteditable", "true");
    const lock = await aliceRest.get<LockState>(`/api/documents/${docId}/lock`);
    expect(lock.holder?.user_name).toBe("bob");
    await shot(bob, testInfo, "bob-holding.png");
  });

  await test.step("alice opens it: read-only, a banner names bob and since when, Take over is offered", async () => {
    await openDocument(alice, TITLE);
    await expect(alice.editor).toHaveAttribute("data-lock-state", "blocked");
    await expect(alice.banner).toContainText("Bob Chen is editing · since");
    await expect(alice.banner).toContainText(SINCE);
    await expect(alice.banner.getByRole("button", { name: "Take over editing" })).toBeVisible();
    await expect(alice.content).toHaveAttribute("contenteditable", "false");
    await expect(alice.editor).toHaveAttribute("data-save-state", "readonly");
  });

  await test.step("carol opens it: read-only, the same banner, no Take over", async () => {
    await openDocument(carol, TITLE);
    await expect(carol.editor).toHaveAttribute("data-lock-state", "readonly");
    await expect(carol.banner).toContainText("Read-only");
    await expect(carol.banner).toContainText("Bob Chen is editing · since");
    await expect(carol.banner).toContainText(SINCE);
    await expect(carol.banner.getByRole("button")).toHaveCount(0);
    await expect(carol.content).toHaveAttribute("contenteditable", "false");
  });

  await test.step("alice cannot type into her read-only editor", async () => {
    const before = await editorText(alice);
    await alice.content.click();
    await alice.page.keyboard.type("alice was not allowed");
    expect(await editorText(alice)).toBe(before);
  });

  await test.step("bob types; autosave; alice and carol see the text appear", async () => {
    const line = "\nBob was here: live typing reaches every reader.";
    await typeAtEnd(bob, line);
    await expect(bob.editor).not.toHaveAttribute("data-save-state", "saved");
    await expect(bob.editor).toHaveAttribute("data-save-state", "saved");
    await expect(alice.content).toContainText("Bob was here: live typing reaches every reader.");
    await expect(carol.content).toContainText("Bob was here: live typing reaches every reader.");
    const doc = await aliceRest.get<DocumentBody>(`/api/documents/${docId}`);
    expect(doc.content).toContain("Bob was here: live typing reaches every reader.");
    await shot(alice, testInfo, "alice-banner.png");
    await shot(carol, testInfo, "carol-readonly.png");
  });
});

test("2. alice takes over: bob turns read-only at once, keeps his text as a draft, and his late save is refused", async () => {
  const testInfo = test.info();
  const unsaved = "Bob's unsaved sentence, typed just before the take-over.";
  const aliceText = "Alice took over and wrote this.";

  // bob's next autosave is held in the network until alice has taken over and saved: it reaches
  // the server with his old lock token, like a save that was on the wire at the wrong moment.
  let heldRoute: Route | undefined;
  let saveHeld!: (r: Request) => void;
  const saveWasHeld = new Promise<Request>((resolve) => (saveHeld = resolve));
  await bob.page.route(`**/api/documents/${docId}/content`, async (route) => {
    if (route.request().method() !== "PUT" || heldRoute !== undefined) return route.continue();
    heldRoute = route;
    saveHeld(route.request());
  });

  await test.step("alice asks to take over: the confirmation names bob", async () => {
    await alice.banner.getByRole("button", { name: "Take over editing" }).click();
    const dialog = alice.page.getByTestId("take-over-dialog");
    await expect(dialog).toBeVisible();
    await expect(dialog).toContainText("Bob Chen has been editing this document since");
    await expect(dialog.getByRole("button", { name: "Take over from Bob Chen" })).toBeVisible();
  });

  let bobsSave!: Request;
  await test.step("bob types; his autosave is on its way but has not reached the server", async () => {
    await typeAtEnd(bob, `\n${unsaved}`);
    bobsSave = await saveWasHeld;
    expect(bobsSave.postDataJSON()).toMatchObject({ content: expect.stringContaining(unsaved) });
    await expect(bob.editor).toHaveAttribute("data-save-state", "saving");
  });

  await test.step("alice confirms; bob's editor is read-only within 1 s and the banner names alice", async () => {
    const started = Date.now();
    await alice.page.getByTestId("take-over-dialog").getByRole("button", { name: "Take over from Bob Chen" }).click();
    await expect(bob.editor).toHaveAttribute("data-lock-state", "lost", { timeout: 1_000 });
    await expect(bob.content).toHaveAttribute("contenteditable", "false", { timeout: 1_000 });
    const elapsed = Date.now() - started;
    testInfo.annotations.push({ type: "bob read-only after take-over", description: `${elapsed} ms` });
    expect(elapsed).toBeLessThan(1_000);
    await expect(bob.banner).toContainText("Alice Martin took over editing at");
    await expect(alice.editor).toHaveAttribute("data-lock-state", "held");
    await expect(alice.notices).toContainText("You took over editing from Bob Chen.");
  });

  await test.step("bob's unsaved text is offered as a draft", async () => {
    await expect(bob.draftBar).toHaveAttribute("data-has-draft", "true");
    await expect(bob.draftBar).toContainText("Your unsaved text from");
    await expect(bob.draftBar.getByRole("button", { name: "Copy draft" })).toBeVisible();
    await expect(bob.draftBar.getByRole("button", { name: "Download draft" })).toBeVisible();
    // Re-applying waits until bob holds the lock again.
    await expect(bob.draftBar.getByRole("button", { name: "Re-apply draft" })).toHaveAttribute("aria-disabled", "true");
    expect(await storedDraft(bob, docId)).toContain(unsaved);
    // The editor itself shows the server's text, without bob's unsaved sentence.
    await expect(bob.content).not.toContainText(unsaved);
    await shot(bob, testInfo, "bob-lost-draft.png");
  });

  await test.step("alice edits and saves", async () => {
    await expect(alice.content).toHaveAttribute("contenteditable", "true");
    await typeAtEnd(alice, `\n${aliceText}`);
    await alice.page.keyboard.press("Control+s");
    await expect(alice.editor).toHaveAttribute("data-save-state", "saved");
    await expect(carol.content).toContainText(aliceText);
    await expect(bob.content).toContainText(aliceText);
  });

  await test.step("bob's late save reaches the server and is refused", async () => {
    const answer = bob.page.waitForResponse((r) => r.request() === bobsSave);
    await heldRoute?.continue();
    const res = await answer;
    expect(res.status()).toBe(409);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("lock_not_held");
    await bob.page.unroute(`**/api/documents/${docId}/content`);
  });

  await test.step("nothing bob typed overwrote alice's content", async () => {
    const doc = await aliceRest.get<DocumentBody>(`/api/documents/${docId}`);
    expect(doc.content).toContain(aliceText);
    expect(doc.content).not.toContain(unsaved);
    expect(doc.lock.holder?.user_name).toBe("alice");
    await expect(carol.content).toContainText(aliceText);
    await expect(carol.content).not.toContainText(unsaved);
    await expect(carol.banner).toContainText("Alice Martin is editing · since");
    // bob still has his text, as a draft.
    await expect(bob.draftBar).toHaveAttribute("data-has-draft", "true");
    await expect(bob.editor).toHaveAttribute("data-lock-state", "lost");
  });
});

test("3. alice closes the document: bob, still viewing, gets the lock automatically and is told", async () => {
  const testInfo = test.info();
  await alice.page.getByTestId("close-document").click();
  await expect(alice.editor).toHaveCount(0);

  await expect(bob.editor).toHaveAttribute("data-lock-state", "held");
  await expect(bob.banner).toHaveText("You are editing");
  await expect(bob.content).toHaveAttribute("contenteditable", "true");
  await expect(bob.notices).toContainText("You have the edit lock again.");
  // His draft is still there, and can be re-applied now that he holds the lock.
  await expect(bob.draftBar).toHaveAttribute("data-has-draft", "true");
  await expect(bob.draftBar.getByRole("button", { name: "Re-apply draft" })).toHaveAttribute("aria-disabled", "false");
  await shot(bob, testInfo, "bob-auto-acquired.png");

  const lock = await aliceRest.get<LockState>(`/api/documents/${docId}/lock`);
  expect(lock.holder?.user_name).toBe("bob");
  await expect(carol.banner).toContainText("Bob Chen is editing · since");

  // bob edits on top of alice's version.
  await typeAtEnd(bob, "\nBob again, after alice closed the document.");
  await expect(bob.editor).toHaveAttribute("data-save-state", "saved");
  const doc = await aliceRest.get<DocumentBody>(`/api/documents/${docId}`);
  expect(doc.content).toContain("Alice took over and wrote this.");
  expect(doc.content).toContain("Bob again, after alice closed the document.");
  await expect(carol.content).toContainText("Bob again, after alice closed the document.");
});
