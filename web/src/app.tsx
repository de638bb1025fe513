// The UI's frame: a header with the views, and the view the address names.
import { useEffect, useRef } from 'preact/hooks';
import { hrefFor } from './logic/routes.js';
import { onLinkClick, useRoute } from './navigation.js';
import { CaptureList } from './views/capture-list.js';
import { CaptureView } from './views/capture-view.js';
import { TapConfigsView } from './views/tapconfigs-view.js';

export function App() {
  const route = useRoute();
  const main = useRef<HTMLElement>(null);
  // After navigating, move focus to the new view's heading so keyboard and screen reader users follow.
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    main.current?.querySelector<HTMLElement>('h1')?.focus();
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
      </header>
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
