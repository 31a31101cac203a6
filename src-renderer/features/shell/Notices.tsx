import { useEffect } from "react";
import { useActions, useRendererStore } from "../../app/context.js";
import type { Notice } from "../../state/notices.js";

const AUTO_DISMISS_MS = 8_000;

/** One-off notices ("The lock is free: you are editing now"): announced politely, out of the flow. */
export function Notices() {
  const notices = useRendererStore("notices", (s) => s.notices);
  return (
    <div className="notices" role="status" aria-live="polite" aria-label="Notifications" data-testid="notices">
      {notices.map((n) => (
        <NoticeItem key={n.id} notice={n} />
      ))}
    </div>
  );
}

function NoticeItem({ notice }: { notice: Notice }) {
  const actions = useActions();
  useEffect(() => {
    if (notice.tone === "error") return;
    const t = window.setTimeout(() => actions.dismissNotice(notice.id), AUTO_DISMISS_MS);
    return () => window.clearTimeout(t);
  }, [notice, actions]);
  return (
    <div className={`notice notice-${notice.tone}`} data-testid="notice">
      <span>{notice.text}</span>
      <button type="button" className="icon-button" aria-label="Dismiss notification" onClick={() => actions.dismissNotice(notice.id)}>
        ×
      </button>
    </div>
  );
}
