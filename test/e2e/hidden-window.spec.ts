/**
 * Scenario 4: a holder's window that is hidden for longer than the lock's TTL keeps the lock.
 * Chromium throttles a hidden page's timers; the heartbeats run in a dedicated worker and must
 * go on. Here time itself is the subject, so this spec waits (2 × TTL + 1 s) on purpose.
 *
 * bob runs in a Chromium of his own (see launchOwnChromium): in a Playwright-launched page,
 * focus emulation keeps `document.visibilityState` at "visible" whatever happens.
 */
import { expect, test } from "@playwright/test";
import { E2E_LOCK_TTL_MS } from "./env.js";
import {
  demo,
  launchOwnChromium,
  openDocument,
  person,
  recordLockStates,
  restAs,
  shot,
  signIn,
  signInOn,
  typeAtEnd,
  visibility,
  type DocumentBody,
  type LockState,
  type OwnChromium,
  type Person,
} from "./support.js";

const TITLE = "Release checklist";
const HIDDEN_FOR_MS = 2 * E2E_LOCK_TTL_MS + 1_000;

let own: OwnChromium | undefined;
const people: Person[] = [];

test.afterEach(async () => {
  await Promise.all(people.splice(0).map((p) => p.context.close()));
  await own?.close();
  own = undefined;
});

test("4. bob's window hidden for longer than the TTL keeps the lock (heartbeats go on)", async ({ browser }, testInfo) => {
  const docId = (await demo()).documents.checklist;
  const carolRest = await restAs("carol");
  const aliceRest = await restAs("alice");

  own = await launchOwnChromium();
  const bobPage = own.context.pages()[0] ?? (await own.context.newPage());
  await bobPage.setViewportSize({ width: 1200, height: 760 });
  await signInOn(bobPage, "bob");
  const bob = person("bob", own.context, bobPage);
  const [alice, carol] = await Promise.all([signIn(browser, "alice"), signIn(browser, "carol")]);
  people.push(alice, carol);

  await openDocument(bob, TITLE);
  await expect(bob.editor).toHaveAttribute("data-lock-state", "held");
  await openDocument(alice, TITLE);
  await expect(alice.editor).toHaveAttribute("data-lock-state", "blocked");
  await openDocument(carol, TITLE);
  await expect(carol.editor).toHaveAttribute("data-lock-state", "readonly");
  await expect(carol.banner).toContainText("Bob Chen is editing · since");
  const carolBannerBefore = await carol.banner.textContent();

  const before = await carolRest.get<LockState>(`/api/documents/${docId}/lock`);
  expect(before.holder?.user_name).toBe("bob");
  const bobStates = await recordLockStates(bob);
  const aliceStates = await recordLockStates(alice);
  const heartbeats: number[] = [];
  bob.page.on("requestfinished", (r) => {
    if (r.url().endsWith(`/api/documents/${docId}/lock/heartbeat`)) heartbeats.push(Date.now());
  });

  // The heartbeats come from the dedicated worker, not the page's own timers.
  expect(bob.page.workers().map((w) => w.url())).toEqual(expect.arrayContaining([expect.stringContaining("heartbeat")]));
  // A 100 ms timer chain in the page, to see how hard Chromium throttles it once hidden.
  await bob.page.evaluate(() => {
    const w = window as unknown as { __e2eTicks: number };
    w.__e2eTicks = 0;
    const tick = (): void => {
      w.__e2eTicks++;
      setTimeout(tick, 100);
    };
    tick();
  });

  // Another tab in bob's window comes to the front: bob's document tab is now hidden.
  const otherTab = await own.context.newPage();
  await otherTab.bringToFront();
  await expect.poll(() => visibility(bob.page)).toBe("hidden");
  const hiddenAt = Date.now();
  await bob.page.evaluate(() => ((window as unknown as { __e2eTicks: number }).__e2eTicks = 0));

  await test.step(`hidden for ${HIDDEN_FOR_MS} ms: the lock stays bob's, the same lock, and nobody else gets it`, async () => {
    let aliceTried = false;
    while (Date.now() - hiddenAt < HIDDEN_FOR_MS) {
      const lock = await carolRest.get<LockState>(`/api/documents/${docId}/lock`);
      expect(lock.holder?.client_id, "the holder is still bob's window").toBe(before.holder?.client_id);
      expect(lock.holder?.acquired_at, "the same lock, never re-acquired").toBe(before.holder?.acquired_at);
      if (!aliceTried && Date.now() - hiddenAt > E2E_LOCK_TTL_MS + 500) {
        // Past one TTL without bob's page in view: an acquire by someone else is still refused.
        aliceTried = true;
        const attempt = await aliceRest.call<{ error: { code: string; holder?: { user_name: string } } }>(
          "POST",
          `/api/documents/${docId}/lock`,
          { client_id: "e2e-alice-probe-1" },
        );
        expect(attempt.status).toBe(409);
        expect(attempt.body.error.code).toBe("lock_held");
        expect(attempt.body.error.holder?.user_name).toBe("bob");
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(aliceTried).toBe(true);
    expect(await visibility(bob.page), "still hidden at the end of the wait").toBe("hidden");
    // Really throttled: the page's 100 ms timer ran about once a second, not ten times.
    const ticks = await bob.page.evaluate(() => (window as unknown as { __e2eTicks: number }).__e2eTicks);
    testInfo.annotations.push({ type: "page timer ticks while hidden (100 ms timer)", description: `${ticks} in ${HIDDEN_FOR_MS} ms` });
    expect(ticks).toBeLessThan(HIDDEN_FOR_MS / 100 / 3);
  });

  const after = await carolRest.get<LockState>(`/api/documents/${docId}/lock`);
  expect(after.holder?.client_id).toBe(before.holder?.client_id);
  expect(after.holder?.acquired_at).toBe(before.holder?.acquired_at);
  // Only heartbeats push the expiry forward: it moved by about the time spent hidden.
  expect(Date.parse(after.expires_at ?? "") - Date.parse(before.expires_at ?? "")).toBeGreaterThan(HIDDEN_FOR_MS - 1_500);
  const beatsWhileHidden = heartbeats.filter((t) => t >= hiddenAt).length;
  testInfo.annotations.push({ type: "heartbeats while hidden", description: `${beatsWhileHidden} in ${HIDDEN_FOR_MS} ms` });
  expect(beatsWhileHidden).toBeGreaterThanOrEqual(Math.floor(HIDDEN_FOR_MS / (E2E_LOCK_TTL_MS / 3)) - 2);

  await test.step("carol saw bob editing all along; alice stayed blocked", async () => {
    await expect(carol.banner).toHaveText(carolBannerBefore ?? "");
    await shot(carol, testInfo, "carol-while-bob-hidden.png");
    expect(await aliceStates()).toEqual(["blocked"]);
    await expect(alice.banner).toContainText("Bob Chen is editing · since");
  });

  await test.step("bob comes back: still holding, never lost, and his saves still go through", async () => {
    await bob.page.bringToFront();
    await expect.poll(() => visibility(bob.page)).toBe("visible");
    await otherTab.close();
    await expect(bob.editor).toHaveAttribute("data-lock-state", "held");
    await expect(bob.banner).toHaveText("You are editing");
    expect(await bobStates()).toEqual(["held"]);
    await typeAtEnd(bob, "\n- [ ] Back from a hidden window");
    await expect(bob.editor).toHaveAttribute("data-save-state", "saved");
    const doc = await carolRest.get<DocumentBody>(`/api/documents/${docId}`);
    expect(doc.content).toContain("- [ ] Back from a hidden window");
    await shot(bob, testInfo, "bob-back-from-hidden.png");
  });

  // bob closes the document: alice, who waited, gets the lock by herself and is told.
  await bob.page.getByTestId("close-document").click();
  await expect(alice.editor).toHaveAttribute("data-lock-state", "held");
  await expect(alice.notices).toContainText("Bob Chen stopped editing. You are editing now.");
});
