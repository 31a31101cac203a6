import { useId, useState, type FormEvent } from "react";
import { describeError } from "../../api/errors.js";
import { useActions, useRendererStore } from "../../app/context.js";
import { ServerDialog } from "./ServerDialog.js";

export function SignInScreen() {
  const actions = useActions();
  const serverUrl = useRendererStore("session", (s) => s.serverUrl);
  const serverMode = useRendererStore("session", (s) => s.serverMode);
  const canSwitch = useRendererStore("session", (s) => s.canSwitchServer);
  const [choosingServer, setChoosingServer] = useState(false);
  const appVersion = useRendererStore("session", (s) => s.appVersion);
  const reason = useRendererStore("session", (s) => s.signedOutReason);
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const id = useId();

  async function submit(e: FormEvent): Promise<void> {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await actions.signIn(username.trim(), password);
    } catch (err) {
      setError(describeError(err));
      setBusy(false);
    }
  }

  return (
    <main className="auth-page">
      <form className="auth-card" onSubmit={(e) => void submit(e)} aria-labelledby={`${id}-title`} data-testid="sign-in-form">
        <h1 className="brand" id={`${id}-title`}>
          Sign in to Lockstep
        </h1>
        {reason !== null && (
          <p className="form-note" role="status">
            {reason}
          </p>
        )}
        <div className="field">
          <label htmlFor={`${id}-server`}>Server</label>
          <div className="server-row">
            <output id={`${id}-server`} className="server-url" data-testid="server-url">
              {serverUrl}
              {serverMode === "embedded" ? " (built-in server)" : serverMode === "team" ? " (team server)" : ""}
            </output>
            {canSwitch && (
              <button type="button" onClick={() => setChoosingServer(true)}>
                Change…
              </button>
            )}
          </div>
        </div>
        <div className="field">
          <label htmlFor={`${id}-username`}>Username</label>
          <input
            id={`${id}-username`}
            name="username"
            autoComplete="username"
            autoCapitalize="none"
            spellCheck={false}
            required
            value={username}
            onChange={(e) => setUsername(e.target.value)}
          />
        </div>
        <div className="field">
          <label htmlFor={`${id}-password`}>Password</label>
          <input
            id={`${id}-password`}
            name="password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </div>
        <p className="form-error" role="alert" data-testid="sign-in-error">
          {error ?? ""}
        </p>
        <button type="submit" className="primary" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
        {appVersion !== null && <p className="form-note">Lockstep {appVersion}</p>}
      </form>
      {choosingServer && <ServerDialog onClose={() => setChoosingServer(false)} />}
    </main>
  );
}
