import type { LockState } from "../../../protocol/index.js";
import { holderName, localTime } from "../../lock/describe.js";
import { LockIcon, PencilIcon } from "../../ui/icons.js";

interface Props {
  /** Referenced by the row's aria-describedby. */
  readonly id: string;
  readonly lock: LockState | undefined;
  readonly myUserId: string;
  readonly myClientId: string;
}

/** Who is editing a document, in the list. Nothing when nobody is. */
export function LockIndicator({ id, lock, myUserId, myClientId }: Props) {
  const h = lock?.holder;
  if (!lock?.locked || !h) return <span id={id} hidden />;
  const since = localTime(h.acquired_at);
  if (h.user_id === myUserId) {
    const here = h.client_id === myClientId;
    return (
      <span
        id={id}
        className="lock-badge lock-badge-mine"
        data-testid="lock-indicator"
        data-holder={h.user_name}
        aria-label={here ? `You are editing, since ${since}` : `You are editing in another window, since ${since}`}
        title={here ? "You are editing" : "You are editing in another window"}
      >
        <PencilIcon /> {here ? "You" : "You (other window)"}
      </span>
    );
  }
  return (
    <span
      id={id}
      className="lock-badge"
      data-testid="lock-indicator"
      data-holder={h.user_name}
      aria-label={`${holderName(h)} is editing, since ${since}`}
      title={`${holderName(h)} is editing since ${since}`}
    >
      <LockIcon /> {holderName(h)}
    </span>
  );
}
