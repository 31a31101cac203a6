import { useId, useState, type FormEvent } from "react";
import { useActions, useRendererStore } from "../../app/context.js";
import { Dialog, FormFooter } from "../../ui/Dialog.js";

/**
 * Desktop only: choose the app's built-in server or a team server. The app (main process)
 * validates, asks for confirmation natively and reopens the window on the chosen server.
 */
export function ServerDialog({ onClose }: { onClose: () => void }) {
  const actions = useActions();
  const serverMode = useRendererStore("session", (s) => s.serverMode);
  const serverUrl = useRendererStore("session", (s) => s.serverUrl);
  const [mode, setMode] = useState<"embedded" | "team">(serverMode ?? "embedded");
  const [url, setUrl] = useState(serverMode === "team" ? serverUrl : "https://");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const id = useId();

  async function submit(e: FormEvent): Promise<void> {
    e.preventDefault();
    setBusy(true);
    setError(null);
    const result = await actions.switchServer(mode === "embedded" ? { mode } : { mode, url: url.trim() });
    setBusy(false);
    if (result.ok) onClose();
    else if (result.error !== "cancelled") setError(result.message);
  }

  return (
    <Dialog title="Server" onClose={onClose} testId="server-dialog">
      <form onSubmit={(e) => void submit(e)}>
        <fieldset className="choice">
          <legend className="visually-hidden">Which server</legend>
          <label>
            <input type="radio" name="mode" checked={mode === "embedded"} onChange={() => setMode("embedded")} /> The app&apos;s
            built-in server (this computer)
          </label>
          <label>
            <input type="radio" name="mode" checked={mode === "team"} onChange={() => setMode("team")} /> A team server
          </label>
        </fieldset>
        {mode === "team" && (
          <div className="field">
            <label htmlFor={`${id}-url`}>Team server address</label>
            <input id={`${id}-url`} type="url" required value={url} onChange={(e) => setUrl(e.target.value)} placeholder="https://lockstep.example.com" />
          </div>
        )}
        <FormFooter error={error} busy={busy} submitLabel="Switch server" onCancel={onClose} />
      </form>
    </Dialog>
  );
}
