import { SetupScreen } from "../features/auth/SetupScreen.js";
import { SignInScreen } from "../features/auth/SignInScreen.js";
import { Shell } from "../features/shell/Shell.js";
import { useActions, useRendererStore } from "./context.js";

export function App() {
  const phase = useRendererStore("session", (s) => s.phase);
  switch (phase) {
    case "starting":
      return <StartScreen />;
    case "setup":
      return <SetupScreen />;
    case "signed_out":
      return <SignInScreen />;
    case "signed_in":
      return <Shell />;
    default: {
      const _never: never = phase;
      return _never;
    }
  }
}

function StartScreen() {
  const error = useRendererStore("session", (s) => s.startError);
  const serverUrl = useRendererStore("session", (s) => s.serverUrl);
  const actions = useActions();
  return (
    <main className="auth-page" data-testid="start-screen">
      <div className="auth-card">
        <h1 className="brand">Lockstep</h1>
        {error === null ? (
          <p role="status">Connecting to {serverUrl}…</p>
        ) : (
          <>
            <p role="alert" className="form-error">
              Cannot reach the server at {serverUrl}: {error}
            </p>
            <button type="button" className="primary" onClick={() => void actions.boot()}>
              Try again
            </button>
          </>
        )}
      </div>
    </main>
  );
}
