/**
 * Scenario 5: the server's Redis goes away and comes back empty (no persistence: every lock is
 * gone). Clients must recover by themselves: the holder is told it lost the lock and takes it
 * back automatically, nothing typed is dropped, and in the end there is exactly one holder.
 *
 * The WebSocket is between the browser and the Lockstep server, not Redis: it stays open
 * through a Redis restart (asserted below), and the server resyncs every room with a fresh
 * snapshot once its Redis bus reconnects.
 */
import { expect, test } from "@playwright/test";
import { E2E_LOCK_TTL_MS } from "./env.js";
import {
  demo,
  openDocument,
  recordConnectionStates,
  recordBanners,
  recordLockStates,
  redisControl,
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

const people: Person[] = [];
let aliceRest: Rest;
let ids: Awaited<ReturnType<typeof demo>>["documents"];

test.beforeAll(async () => {
  ids = (await demo()).documents;
  aliceRest = await restAs("alice");
});

test.afterEach(async () => {
  await Promise.all(people.splice(0).map((p) => p.context.close()));
});

async function lockOf(docId: string): Promise<LockState> {
  return aliceRest.get<LockState>(`/api/documents/${docId}/lock`);
}

/**
 * After a restart, a viewer's banner must name the holder. (This once failed when the event
 * bus's publisher reconnected after the subscriber and a lock event was lost: the server now
 * asks every process to resync its rooms after a failed publish.)
 */
async function expectViewerSees(viewer: Person, holder: Person, _docId: string): Promise<void> {
  await expect(viewer.banner).toContainText(`${holder.name} is editing · since`);
}

test("5a. Redis restarts under bob's lock: bob is told, takes the lock back by himself, and saves again", async ({ browser }, testInfo) => {
  const TITLE = "Launch plan";
  const docId = ids.launch;
  const [bob, carol] = await Promise.all([signIn(browser, "bob"), signIn(browser, "carol")]);
  people.push(bob, carol);
  await openDocument(bob, TITLE);
  await expect(bob.editor).toHaveAttribute("data-lock-state", "held");
  await openDocument(carol, TITLE);
  await expect(carol.banner).toContainText("Bob Chen is editing · since");
  const before = await lockOf(docId);

  const bobStates = await recordLockStates(bob);
  const connections = await Promise.all([bob, carol].map((p) => recordConnectionStates(p)));

  await redisControl("restart");

  // bob notices (heartbeat 404 or the server's resync snapshot), then re-acquires on his own.
  await expect.poll(bobStates).toContain("lost");
  await expect(bob.editor).toHaveAttribute("data-lock-state", "held");
  await expect(bob.notices).toContainText("You have the edit lock again.");
  const states = await bobStates();
  expect(states[0]).toBe("held");
  expect(states.indexOf("lost")).toBeGreaterThan(0);
  expect(states.at(-1)).toBe("held");
  testInfo.annotations.push({ type: "bob's lock states", description: states.join(" → ") });
  await shot(bob, testInfo, "bob-after-redis-restart.png");

  // Exactly one holder: a new lock, bob's, and the same window.
  const after = await lockOf(docId);
  expect(after.holder?.user_name).toBe("bob");
  expect(after.holder?.client_id).toBe(before.holder?.client_id);
  expect(after.holder?.acquired_at).not.toBe(before.holder?.acquired_at);
  await expect(carol.editor).toHaveAttribute("data-lock-state", "readonly");

  // The socket (browser ↔ Lockstep server) never dropped: the badge said Live throughout.
  for (const recorded of connections) expect(await recorded()).toEqual(["open"]);
  await expect(bob.connection).toHaveText("Live");

  // bob types and saves with the new lock.
  await typeAtEnd(bob, "\n3. Survive a Redis restart");
  await expect(bob.editor).toHaveAttribute("data-save-state", "saved");
  const doc = await aliceRest.get<DocumentBody>(`/api/documents/${docId}`);
  expect(doc.content).toContain("3. Survive a Redis restart");
  await expect(carol.content).toContainText("3. Survive a Redis restart");

  await expectViewerSees(carol, bob, docId);
});

test("5b. Redis down for longer than the TTL: bob's lock expires, he keeps what he typed, and gets it all back when Redis returns", async ({
  browser,
}, testInfo) => {
  // A document of its own (unique title: the list is searched by title).
  const TITLE = `Outage notes ${Date.now().toString(36)}`;
  const created = await aliceRest.call<DocumentBody>("POST", "/api/documents", {
    title: TITLE,
    scope: "application",
    application_id: (await demo()).applicationId,
  });
  expect(created.status).toBe(201);
  const docId = created.body.id;

  const [bob, carol] = await Promise.all([signIn(browser, "bob"), signIn(browser, "carol")]);
  people.push(bob, carol);
  await openDocument(bob, TITLE);
  await expect(bob.editor).toHaveAttribute("data-lock-state", "held");
  await openDocument(carol, TITLE);
  await expect(carol.banner).toContainText("Bob Chen is editing · since");
  const bobStates = await recordLockStates(bob);
  const bobBanners = await recordBanners(bob);

  await redisControl("stop");
  try {
    // Typed while Redis is down: the save cannot get through (503, retried).
    const typed = "Typed while the lock store was down.";
    await typeAtEnd(bob, typed);
    await expect(bob.editor).toHaveAttribute("data-save-state", /dirty|saving|error/);

    // No heartbeat answer for a whole TTL: bob is told his lock expired, and is read-only.
    await expect(bob.editor).toHaveAttribute("data-lock-state", "lost", { timeout: E2E_LOCK_TTL_MS + 3_000 });
    await expect(bob.banner).toContainText("Your edit lock expired at");
    await expect(bob.content).toHaveAttribute("contenteditable", "false");
    // The server cannot answer with its copy either (503), so the read-only editor still shows
    // bob's text, and it is kept as a draft on this computer.
    await expect(bob.content).toContainText(typed);
    expect(await storedDraft(bob, docId)).toContain(typed);
    await shot(bob, testInfo, "bob-lost-redis-down.png");
  } finally {
    await redisControl("start");
  }

  // Redis is back (empty): bob takes the lock back without a click, and his text is restored
  // and saved (nobody saved in between, so it applies cleanly).
  await expect(bob.editor).toHaveAttribute("data-lock-state", "held", { timeout: 15_000 });
  await expect(bob.notices).toContainText("You have the edit lock again.");
  await expect(bob.content).toContainText("Typed while the lock store was down.");
  await expect(bob.editor).toHaveAttribute("data-save-state", "saved");
  await expect(bob.draftBar).not.toHaveAttribute("data-has-draft", "true");
  expect(await storedDraft(bob, docId)).toBeNull();
  await shot(bob, testInfo, "bob-reacquired-after-outage.png");
  const states = await bobStates();
  testInfo.annotations.push({ type: "bob's lock states", description: states.join(" → ") });
  expect(states.slice(0, 3)).toEqual(["held", "lost", "acquiring"]);
  expect(states.at(-1)).toBe("held");
  // The save begun under the old lock was retried through the outage and refused (old token)
  // after bob had the lock back: that refusal must not cost him the new lock.
  expect((await bobBanners()).join("\n")).not.toContain("save was refused");

  const doc = await aliceRest.get<DocumentBody>(`/api/documents/${docId}`);
  expect(doc.content).toContain("Typed while the lock store was down.");
  expect(doc.lock.holder?.user_name).toBe("bob");
  await expect(carol.content).toContainText("Typed while the lock store was down.");

  await typeAtEnd(bob, "\nAnd after it came back.");
  await expect(bob.editor).toHaveAttribute("data-save-state", "saved");
  expect((await aliceRest.get<DocumentBody>(`/api/documents/${docId}`)).content).toContain("And after it came back.");

  await expectViewerSees(carol, bob, docId);
});

test("5c. Redis restarts while alice waits for bob's lock: exactly one holder afterwards, everyone agrees, bob edits again", async ({
  browser,
}, testInfo) => {
  const TITLE = "Homepage copy";
  const docId = ids.homepage;
  const [bob, alice, carol] = await Promise.all([signIn(browser, "bob"), signIn(browser, "alice"), signIn(browser, "carol")]);
  people.push(bob, alice, carol);
  await openDocument(bob, TITLE);
  await expect(bob.editor).toHaveAttribute("data-lock-state", "held");
  await openDocument(alice, TITLE);
  await expect(alice.editor).toHaveAttribute("data-lock-state", "blocked");
  await openDocument(carol, TITLE);
  await expect(carol.editor).toHaveAttribute("data-lock-state", "readonly");
  const bobStates = await recordLockStates(bob);
  const aliceStates = await recordLockStates(alice);

  await redisControl("restart");

  // The lock was wiped; bob (holder) and alice (waiting) both see it free and both try.
  // Whoever wins, there must be exactly one holder and every view must agree on who.
  await expect.poll(bobStates).toContain("lost");
  const settled = async (): Promise<string> => {
    const [b, a] = await Promise.all([bob.editor.getAttribute("data-lock-state"), alice.editor.getAttribute("data-lock-state")]);
    return [b, a].sort().join("+");
  };
  // One of them holds the lock, the other one waits (blocked, or lost naming the holder).
  await expect.poll(settled, { timeout: 10_000 }).toMatch(/^(blocked\+held|held\+lost)$/);
  const lock = await lockOf(docId);
  const winner = lock.holder?.user_name === "bob" ? bob : alice;
  const loser = winner === bob ? alice : bob;
  testInfo.annotations.push({
    type: "holder after the restart",
    description: `${winner.name} (bob: ${(await bobStates()).join(" → ")}; alice: ${(await aliceStates()).join(" → ")})`,
  });
  expect(lock.holder?.user_name).toBe(winner.username);
  await expect(winner.editor).toHaveAttribute("data-lock-state", "held");
  await expect(loser.editor).toHaveAttribute("data-lock-state", /blocked|lost/);
  await expect(loser.banner).toContainText(`${winner.name} is editing`);
  await expect(loser.content).toHaveAttribute("contenteditable", "false");
  await expectViewerSees(carol, winner, docId);
  await shot(carol, testInfo, "carol-after-redis-restart.png");

  if (winner === alice) {
    // alice leaves: bob, still looking, gets the lock back by himself.
    await alice.page.getByTestId("close-document").click();
    await expect(bob.editor).toHaveAttribute("data-lock-state", "held");
  }
  await typeAtEnd(bob, "\nStill one editor at a time after a Redis restart.");
  await expect(bob.editor).toHaveAttribute("data-save-state", "saved");
  const doc = await aliceRest.get<DocumentBody>(`/api/documents/${docId}`);
  expect(doc.content).toContain("Still one editor at a time after a Redis restart.");
  expect(doc.lock.holder?.user_name).toBe("bob");
  await expect(carol.content).toContainText("Still one editor at a time after a Redis restart.");
  await expectViewerSees(carol, bob, docId);
});
