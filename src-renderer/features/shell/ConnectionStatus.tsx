import { useRendererStore } from "../../app/context.js";
import { describeConnection } from "../../state/connection.js";

/** The socket's state, always visible in the top bar. */
export function ConnectionStatus() {
  const status = useRendererStore("connection", (s) => s.status);
  const online = useRendererStore("connection", (s) => s.online);
  const attempt = useRendererStore("connection", (s) => s.attempt);
  const lastError = useRendererStore("connection", (s) => s.lastError);
  const d = describeConnection({ status, online, attempt });
  return (
    <span
      className={`conn conn-${d.tone}`}
      role="status"
      data-testid="connection-status"
      data-state={online ? status : "offline"}
      title={lastError ?? undefined}
    >
      <span className="conn-dot" aria-hidden="true" />
      <span>{d.label}</span>
    </span>
  );
}
