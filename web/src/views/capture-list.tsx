// The live list of captures: filters (kept in the address), the tutorial's columns plus time and
// duration, new captures added as the server announces them, older pages on demand.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api, followCaptures, type FollowState } from '../api.js';
import type { CaptureSummary, TapConfig } from '../logic/api-types.js';
import { formatDuration, visible } from '../logic/body-format.js';
import { filtersFromQuery, filtersToQuery, mergeCaptures, methodChoices, pathFilterHint, statusFilterError, summaryMatches, type CaptureFilters } from '../logic/capture-filters.js';
import { hrefFor } from '../logic/routes.js';
import { navigate, onLinkClick } from '../navigation.js';

const PAGE = 50;

type Live = 'connecting' | FollowState;

/**
 * The list as it was when it was left (for a capture, usually): coming back to the same filters shows the
 * same rows, older pages included, with focus on the row that was opened, instead of the first page only.
 */
let kept: { search: string; items: CaptureSummary[]; cursor: string | undefined; openedId: number | undefined } | undefined;

export function CaptureList({ search }: { search: string }) {
  const filters = useMemo(() => filtersFromQuery(search), [search]);
  const [restored] = useState(() => (kept?.search === search ? kept : undefined));
  const [draft, setDraft] = useState<CaptureFilters>(filters);
  const [items, setItems] = useState<CaptureSummary[]>(restored?.items ?? []);
  const [cursor, setCursor] = useState<string | undefined>(restored?.cursor);
  const [error, setError] = useState<string | undefined>();
  const [loading, setLoading] = useState(restored === undefined);
  const [live, setLive] = useState<Live>('connecting');
  const [fresh, setFresh] = useState<ReadonlySet<number>>(new Set());
  const [announce, setAnnounce] = useState('');
  const [tapConfigs, setTapConfigs] = useState<TapConfig[]>([]);
  const [destinations, setDestinations] = useState<string[]>([]);
  /** Bumped when the list must be read again from the start (the store was replaced). */
  const [generation, setGeneration] = useState(0);
  const filtersRef = useRef(filters);
  filtersRef.current = filters;
  const openedId = useRef<number | undefined>();
  const listRef = useRef({ search, items, cursor });
  listRef.current = { search, items, cursor };
  useEffect(() => () => {
    kept = { ...listRef.current, openedId: openedId.current };
  }, []);

  useEffect(() => setDraft(filters), [filters]);

  useEffect(() => {
    api.tapConfigs().then((r) => setTapConfigs(r.items), () => undefined);
    api.destinations().then((r) => setDestinations(Object.keys(r.aliases)), () => undefined);
  }, []);

  // The live stream is opened before the first page is read and both land in one id-ordered list, so a
  // capture stored in between is neither lost nor shown twice. A restored list asks the stream for what
  // was stored since its newest row.
  useEffect(() => {
    const stop = new AbortController();
    let opened = false;
    void followCaptures(
      (s) => {
        if (!summaryMatches(filtersRef.current, s)) return;
        setItems((list) => mergeCaptures(list, [s]));
        setFresh((f) => new Set(f).add(s.id));
        setAnnounce(`New capture ${s.id}: ${s.method} ${s.path} ${s.status}`);
      },
      (state) => {
        setLive(state);
        if (state !== 'live' || opened) return;
        opened = true;
        // Whatever was stored before the stream was open: one more read of the first page closes the gap.
        api.listCaptures(filtersToQuery(filtersRef.current, { limit: PAGE })).then((p) => setItems((list) => mergeCaptures(list, p.items)), () => undefined);
      },
      stop.signal,
      restored?.items[0]?.id,
      // The loop server's store was replaced under this page: its rows are another store's; read the list again.
      () => setGeneration((g) => g + 1),
    );
    return () => stop.abort();
  }, []);

  const skipFirstRead = useRef(restored !== undefined);
  useEffect(() => {
    if (skipFirstRead.current) {
      skipFirstRead.current = false;
      return;
    }
    let cancelled = false;
    setItems([]);
    setFresh(new Set());
    setCursor(undefined);
    setError(undefined);
    // A status the server would refuse (a bookmarked ?status=abc): the form already says what is wrong.
    if (statusFilterError(filters.status)) {
      setLoading(false);
      return;
    }
    setLoading(true);
    api.listCaptures(filtersToQuery(filters, { limit: PAGE })).then(
      (page) => {
        if (cancelled) return;
        setItems((list) => mergeCaptures(list, page.items));
        setCursor(page.nextCursor);
        setError(undefined);
        setLoading(false);
      },
      (err: Error) => {
        if (cancelled) return;
        setError(err.message);
        setLoading(false);
      },
    );
    return () => {
      cancelled = true;
    };
  }, [filters, generation]);

  const loadOlder = async (): Promise<void> => {
    if (!cursor) return;
    try {
      const page = await api.listCaptures(filtersToQuery(filters, { limit: PAGE, cursor }));
      setItems((list) => mergeCaptures(list, page.items));
      setCursor(page.nextCursor);
    } catch (err) {
      setError((err as Error).message);
    }
  };

  const statusError = statusFilterError(draft.status);
  const pathHint = pathFilterHint(draft.path);
  const apply = (e: Event): void => {
    e.preventDefault();
    if (statusError) return;
    navigate(hrefFor({ view: 'captures', search: filtersToQuery(draft) }));
  };
  const clear = (): void => navigate(hrefFor({ view: 'captures', search: '' }));
  const set = (key: keyof CaptureFilters) => (e: Event) => setDraft({ ...draft, [key]: (e.currentTarget as HTMLInputElement).value });

  // Up and down arrows move between rows; Enter on a row's link opens it.
  const onTableKey = (e: KeyboardEvent): void => {
    if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
    const links = [...(e.currentTarget as HTMLElement).querySelectorAll<HTMLAnchorElement>('a.row-link')];
    const at = links.indexOf(document.activeElement as HTMLAnchorElement);
    const next = links[at < 0 ? 0 : Math.min(links.length - 1, Math.max(0, at + (e.key === 'ArrowDown' ? 1 : -1)))];
    if (next) {
      e.preventDefault();
      next.focus();
    }
  };

  return (
    <section aria-labelledby="captures-title">
      <div class="title-row">
        <h1 id="captures-title" tabIndex={-1}>Captures</h1>
        <span class={`live live-${live}`} role="status">{live === 'live' ? '● live' : live === 'connecting' ? 'connecting…' : live === 'needs-token' ? 'not live: needs an API token' : 'reconnecting…'}</span>
      </div>
      <form class="filters" onSubmit={apply} aria-label="Filter captures">
        <label>
          Status
          <input name="status" value={draft.status} onInput={set('status')} placeholder="5xx or 503" size={8} list="status-classes" aria-invalid={statusError ? 'true' : undefined} aria-describedby={statusError ? 'status-error' : undefined} />
          <datalist id="status-classes">{['1xx', '2xx', '3xx', '4xx', '5xx'].map((c) => <option key={c} value={c} />)}</datalist>
        </label>
        <label>
          Method
          <select name="method" value={draft.method} onChange={set('method')}>
            <option value="">any</option>
            {methodChoices(draft.method).map((m) => <option key={m} value={m}>{m}</option>)}
          </select>
        </label>
        <label>
          Path prefix
          <input name="path" value={draft.path} onInput={set('path')} placeholder="/api/" size={16} aria-describedby={pathHint ? 'path-hint' : undefined} />
        </label>
        <label>
          Destination
          <input name="destination" value={draft.destination} onInput={set('destination')} placeholder="payment:9091" size={16} list="destination-names" />
          <datalist id="destination-names">{destinations.map((d) => <option key={d} value={d} />)}</datalist>
        </label>
        <label>
          Tap config
          <select name="tapConfig" value={draft.tapConfig} onChange={set('tapConfig')}>
            <option value="">any</option>
            {tapConfigs.map((t) => {
              const key = `${t.metadata.namespace}/${t.metadata.name}`;
              return <option key={key} value={key}>{key}</option>;
            })}
            {draft.tapConfig && !tapConfigs.some((t) => `${t.metadata.namespace}/${t.metadata.name}` === draft.tapConfig) && <option value={draft.tapConfig}>{draft.tapConfig}</option>}
          </select>
        </label>
        <button type="submit">Apply filters</button>
        <button type="button" class="secondary" onClick={clear}>Clear</button>
        {statusError && <p id="status-error" class="field-error">{statusError}</p>}
        {pathHint && <p id="path-hint" class="field-hint">Path prefix: {pathHint}</p>}
      </form>
      <div class="visually-hidden" aria-live="polite">{announce}</div>
      {error && <p class="error" role="alert">{error}</p>}
      <div class="table-scroll">
        <table class="captures" onKeyDown={onTableKey}>
          <caption class="visually-hidden">Captures, newest first. Use the arrow keys to move between rows and Enter to open one.</caption>
          <thead>
            <tr>
              <th scope="col" class="num">ID</th>
              <th scope="col">PATH</th>
              <th scope="col">VERB</th>
              <th scope="col" class="num">STATUS</th>
              <th scope="col">DESTINATION</th>
              <th scope="col">TIME</th>
              <th scope="col" class="num">DURATION</th>
            </tr>
          </thead>
          <tbody>
            {items.map((s) => (
              <tr key={s.id} class={fresh.has(s.id) ? 'fresh' : undefined} data-id={s.id} onClick={(e) => {
                openedId.current = s.id;
                if ((e.target as HTMLElement).closest('a')) return;
                navigate(hrefFor({ view: 'capture', id: s.id }));
              }}>
                <td class="num">
                  <a class="row-link" href={hrefFor({ view: 'capture', id: s.id })} onClick={(e) => {
                    openedId.current = s.id; // before navigating: the list is gone once the new view renders
                    onLinkClick(e);
                  }} data-return-focus={s.id === restored?.openedId ? '' : undefined} aria-label={`Capture ${s.id}: ${visible(s.method)} ${visible(s.path)}, status ${s.status || 'none'}`}>{s.id}</a>
                </td>
                <td class="path" title={visible(s.path)}>{visible(s.path)}</td>
                <td>{visible(s.method)}</td>
                <td class={`num status status-${Math.floor(s.status / 100)}xx`}>{s.status || '—'}</td>
                <td>{visible(s.destination)}</td>
                <td><time dateTime={s.capturedAt} title={s.capturedAt}>{formatTime(s.capturedAt)}</time></td>
                <td class="num">{formatDuration(s.durationMs)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {!loading && items.length === 0 && !error && !statusFilterError(filters.status) && <p class="empty">No captures{search ? ' match these filters' : ' yet'}. New ones appear here as taps send them.</p>}
      {loading && <p class="empty">Loading…</p>}
      {cursor && <button type="button" class="secondary" onClick={() => void loadOlder()}>Load older captures</button>}
    </section>
  );
}

function formatTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const today = new Date().toDateString() === d.toDateString();
  return today ? d.toLocaleTimeString() : d.toLocaleString();
}
