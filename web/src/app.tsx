// The UI's frame: a header with the views, and the view the address names.
import { useEffect, useRef, useState } from 'preact/hooks';
import { apiToken } from './api.js';
import { tokenProblem } from './logic/api-token.js';
import { hrefFor } from './logic/routes.js';
import { onLinkClick, useRoute } from './navigation.js';
import { CaptureList } from './views/capture-list.js';
import { CaptureView } from './views/capture-view.js';
import { TapConfigsView } from './views/tapconfigs-view.js';

export function App() {
  const route = useRoute();
  const main = useRef<HTMLElement>(null);
  // After navigating, move focus to the new view's heading so keyboard and screen reader users follow, or
  // back to the element the view marks (the capture list's row that was opened, after Back).
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    (main.current?.querySelector<HTMLElement>('[data-return-focus]') ?? main.current?.querySelector<HTMLElement>('h1'))?.focus();
  }, [route.view, route.view === 'capture' ? route.id : 0]);
  const current = (view: string) => (route.view === view || (view === 'captures' && route.view === 'capture') ? 'page' : undefined);
  return (
    <>
      <a class="skip" href="#main">Skip to content</a>
      <header class="top">
        <span class="brand">Loop</span>
        <nav aria-label="Views">
          <a href={hrefFor({ view: 'captures', search: '' })} aria-current={current('captures')} onClick={onLinkClick}>Captures</a>
          <a href={hrefFor({ view: 'tapconfigs' })} aria-current={current('tapconfigs')} onClick={onLinkClick}>TapConfigs</a>
        </nav>
        {apiToken.get() !== undefined && (
          <button type="button" class="secondary forget-token" onClick={() => forgetToken()}>
            Forget API token
          </button>
        )}
      </header>
      <TokenPrompt />
      <main id="main" ref={main}>
        {route.view === 'captures' && <CaptureList search={route.search} />}
        {route.view === 'capture' && <CaptureView id={route.id} />}
        {route.view === 'tapconfigs' && <TapConfigsView />}
        {route.view === 'not-found' && (
          <section>
            <h1 tabIndex={-1}>Not found</h1>
            <p>
              Nothing lives at <code>{route.path}</code>. <a href={hrefFor({ view: 'captures', search: '' })} onClick={onLinkClick}>See the captures</a>.
            </p>
          </section>
        )}
      </main>
    </>
  );
}

function forgetToken(): void {
  apiToken.set(undefined);
  location.reload();
}

/** Shown when the server refused a call for want of a (valid) API token; the page reloads with the new one. */
function TokenPrompt() {
  const [refusal, setRefusal] = useState<string | undefined>();
  const [value, setValue] = useState('');
  const [problem, setProblem] = useState<string | undefined>();
  useEffect(() => apiToken.onNeeded(setRefusal), []);
  if (refusal === undefined) return null;
  const had = apiToken.get() !== undefined;
  return (
    <section class="token-prompt" aria-labelledby="token-title">
      <h2 id="token-title">{had ? 'The API token was refused' : 'This loop server needs an API token'}</h2>
      <p role="alert">{refusal}</p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          const token = value.trim();
          const wrong = tokenProblem(token);
          setProblem(wrong);
          if (wrong) return;
          apiToken.set(token);
          location.reload();
        }}
      >
        <label for="api-token">API token</label>
        <input id="api-token" type="password" autoComplete="off" spellcheck={false} autoFocus value={value} onInput={(e) => setValue(e.currentTarget.value)} aria-invalid={problem ? 'true' : undefined} aria-describedby={problem ? 'api-token-error' : undefined} />
        <button type="submit">Use token</button>
        {problem && <p id="api-token-error" class="field-error" role="alert">{problem}</p>}
      </form>
      <p class="muted">
        Kept in this tab only (sessionStorage) and sent as a bearer token. A read token lists and shows captures; replaying needs an admin token.
      </p>
    </section>
  );
}
