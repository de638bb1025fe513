// One capture: request and response (headers, bodies pretty-printed when JSON, a notice when truncated),
// copy as curl, download as HAR, the replay form and the capture's replay history.
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.js';
import type { CaptureJson, MessageJson, ReplayRecord } from '../logic/api-types.js';
import { changesState, formatBody, formatBytes, formatDuration, headerOf, parseHeaderOverrides, visible } from '../logic/body-format.js';
import { hrefFor } from '../logic/routes.js';
import { onLinkClick } from '../navigation.js';
import { ReplayOutcome } from './diff-panel.js';

export function CaptureView({ id }: { id: number }) {
  const [capture, setCapture] = useState<CaptureJson | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [replays, setReplays] = useState<ReplayRecord[]>([]);
  const [shown, setShown] = useState<number | undefined>();

  useEffect(() => {
    setCapture(undefined);
    setError(undefined);
    api.getCapture(id).then(setCapture, (err: Error) => setError(err.message));
    api.listReplays(id).then((r) => setReplays(r.items), () => undefined);
  }, [id]);

  const back = <a href={hrefFor({ view: 'captures', search: '' })} onClick={onLinkClick}>← All captures</a>;
  // The heading is there from the start (the frame focuses it after navigation); its text fills in.
  if (!capture) {
    return (
      <section aria-labelledby="capture-title">
        {back}
        <h1 id="capture-title" tabIndex={-1}>Capture {id}</h1>
        {error ? <p class="error" role="alert">{error}</p> : <p class="empty">Loading…</p>}
      </section>
    );
  }
  const method = headerOf(capture.request.headers, ':method') ?? '';
  const path = headerOf(capture.request.headers, ':path') ?? '';
  const status = headerOf(capture.response.headers, ':status');
  const onReplayed = (r: ReplayRecord): void => {
    setReplays((list) => [...list.filter((x) => x.id !== r.id), r]);
    setShown(r.id);
  };
  const selected = replays.find((r) => r.id === shown);

  return (
    <section aria-labelledby="capture-title">
      {back}
      <h1 id="capture-title" tabIndex={-1}>
        Capture {capture.id}: {visible(method)} <code class="path" title={visible(path)}>{visible(path)}</code> → {status === undefined ? 'no response' : visible(status)}
      </h1>
      <dl class="facts">
        <div><dt>Time</dt><dd>{new Date(capture.capturedAt).toLocaleString()}</dd></div>
        <div><dt>Duration</dt><dd>{formatDuration(capture.durationMs)}</dd></div>
        <div><dt>Destination</dt><dd>{visible(capture.destination) || '—'}</dd></div>
        <div><dt>Tap config</dt><dd>{visible(capture.tapConfig) || '—'}</dd></div>
        <div><dt>Source</dt><dd>{visible(capture.source) || '—'}</dd></div>
      </dl>
      <Exports id={capture.id} />
      <div class="exchange">
        <Message title="Request" message={capture.request} />
        <Message title="Response" message={capture.response} />
      </div>
      <ReplayForm capture={capture} onReplayed={onReplayed} />
      {selected && <ReplayOutcome replay={selected} />}
      <ReplayHistory replays={replays} shown={shown} onShow={setShown} />
    </section>
  );
}

function Exports({ id }: { id: number }) {
  const [curl, setCurl] = useState<string | undefined>();
  const [note, setNote] = useState('');
  const copy = async (): Promise<void> => {
    try {
      const text = await api.curl(id);
      setCurl(text);
      try {
        await navigator.clipboard.writeText(text);
        setNote('curl command copied to the clipboard');
      } catch {
        setNote('the browser refused the clipboard: the command is shown below');
      }
    } catch (err) {
      setNote((err as Error).message);
    }
  };
  // A plain link cannot send the API token: fetch the export and save it from memory instead.
  const downloadHar = async (e: MouseEvent): Promise<void> => {
    e.preventDefault();
    try {
      const url = URL.createObjectURL(await api.har(id));
      const a = document.createElement('a');
      a.href = url;
      a.download = `capture-${id}.har`;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (err) {
      setNote((err as Error).message);
    }
  };
  return (
    <div class="exports">
      <button type="button" onClick={() => void copy()}>Copy as curl</button>
      <a class="button secondary" href={api.harUrl(id)} download={`capture-${id}.har`} onClick={(e) => void downloadHar(e)}>Download HAR</a>
      <span role="status" class="muted">{note}</span>
      {curl && <pre class="curl" aria-label="curl command">{curl}</pre>}
    </div>
  );
}

function Message({ title, message }: { title: string; message: MessageJson }) {
  const body = formatBody(message.body, headerOf(message.headers, 'content-type'));
  const id = title.toLowerCase();
  return (
    <section class="message" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{title}</h2>
      {message.headers.length === 0 ? (
        <p class="muted">No {id} was received.</p>
      ) : (
        <table class="headers">
          <caption class="visually-hidden">{title} headers</caption>
          <thead><tr><th scope="col">Header</th><th scope="col">Value</th></tr></thead>
          <tbody>
            {message.headers.map(([k, v], i) => (
              <tr key={i}><th scope="row">{visible(k)}</th><td>{visible(v)}</td></tr>
            ))}
          </tbody>
        </table>
      )}
      <h3>Body {body.kind !== 'empty' && <span class="muted">({body.label}, {formatBytes(body.size)})</span>}</h3>
      {body.truncated && (
        <p class="notice" role="note">
          Truncated: only the first {formatBytes(body.size)} of this body were captured.
        </p>
      )}
      {body.kind === 'empty' ? <p class="muted">No body.</p> : <pre class={`body body-${body.kind}`} tabIndex={0} aria-label={`${title} body`}>{body.text}</pre>}
      {message.trailers.length > 0 && (
        <>
          <h3>Trailers</h3>
          <table class="headers">
            <tbody>{message.trailers.map(([k, v], i) => <tr key={i}><th scope="row">{visible(k)}</th><td>{visible(v)}</td></tr>)}</tbody>
          </table>
        </>
      )}
    </section>
  );
}

function ReplayForm({ capture, onReplayed }: { capture: CaptureJson; onReplayed: (r: ReplayRecord) => void }) {
  const [aliases, setAliases] = useState<Record<string, string>>({});
  const [destination, setDestination] = useState(capture.destination);
  const [headerText, setHeaderText] = useState('');
  const [allowUnsafe, setAllowUnsafe] = useState(false);
  const [busy, setBusy] = useState(false);
  const method = headerOf(capture.request.headers, ':method') ?? '';
  const unsafe = changesState(method);
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    api.destinations().then((r) => setAliases(r.aliases), () => undefined);
  }, []);
  const parsed = parseHeaderOverrides(headerText);
  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    if (parsed.errors.length > 0 || destination.trim() === '') {
      setError(destination.trim() === '' ? 'Destination: enter host:port or an alias such as web.default:9090' : `Header overrides: ${parsed.errors.join('; ')}`);
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      onReplayed(
        await api.replay(capture.id, {
          destination: destination.trim(),
          ...(Object.keys(parsed.headers).length > 0 ? { headers: parsed.headers } : {}),
          ...(unsafe && allowUnsafe ? { allowUnsafe: true } : {}),
        }),
      );
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="replay-form" onSubmit={(e) => void submit(e)} aria-labelledby="replay-title">
      <h2 id="replay-title">Replay</h2>
      <label>
        Destination
        <input name="destination" value={destination} onInput={(e) => setDestination(e.currentTarget.value)} list="replay-aliases" placeholder="web.default:9090 or 127.0.0.1:8080" required size={32} />
        <datalist id="replay-aliases">
          {Object.entries(aliases).map(([name, target]) => <option key={name} value={name}>{`${name} → ${target}`}</option>)}
        </datalist>
      </label>
      {Object.keys(aliases).length > 0 && (
        <p class="muted">Aliases: {Object.entries(aliases).map(([n, t]) => `${n} → ${t}`).join(', ')}</p>
      )}
      <label>
        Header overrides <span class="muted">(one "Name: value" per line, optional)</span>
        <textarea name="headers" rows={3} cols={48} value={headerText} onInput={(e) => setHeaderText(e.currentTarget.value)} placeholder="x-debug: 1" aria-invalid={parsed.errors.length > 0 ? 'true' : undefined} />
      </label>
      {unsafe && (
        <label class="check">
          <input type="checkbox" name="allowUnsafe" checked={allowUnsafe} onChange={(e) => setAllowUnsafe(e.currentTarget.checked)} />
          Send this {visible(method)} request even though it may change state at the destination
        </label>
      )}
      <div>
        <button type="submit" disabled={busy}>{busy ? 'Replaying…' : 'Replay'}</button>
      </div>
      {error && <p class="error" role="alert">{error}</p>}
    </form>
  );
}

function ReplayHistory({ replays, shown, onShow }: { replays: ReplayRecord[]; shown: number | undefined; onShow: (id: number) => void }) {
  return (
    <section aria-labelledby="history-title">
      <h2 id="history-title">Replay history</h2>
      {replays.length === 0 ? (
        <p class="muted">Not replayed yet.</p>
      ) : (
        <div class="table-scroll">
          <table class="history">
            <thead>
              <tr><th scope="col">#</th><th scope="col">Time</th><th scope="col">Destination</th><th scope="col">Status</th><th scope="col">Duration</th><th scope="col">Outcome</th></tr>
            </thead>
            <tbody>
              {[...replays].reverse().map((r) => (
                <tr key={r.id} class={r.id === shown ? 'selected' : undefined}>
                  <td>
                    <button type="button" class="link" aria-pressed={r.id === shown} onClick={() => onShow(r.id)}>Show replay {r.id}</button>
                  </td>
                  <td>{new Date(r.createdAt).toLocaleString()}</td>
                  <td>{r.destination}{r.target !== r.destination && <span class="muted"> ({r.target})</span>}</td>
                  <td>{r.response?.headers.find(([k]) => k === ':status')?.[1] ?? '—'}</td>
                  <td>{formatDuration(r.durationMs)}</td>
                  <td>{r.error ? `failed: ${r.error.code}` : r.diff?.identical ? 'identical' : 'differs'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
