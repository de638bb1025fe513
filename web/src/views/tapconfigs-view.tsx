// The TapConfigs in force, followed live through the server's watch stream.
import { useEffect, useState } from 'preact/hooks';
import { watchTapConfigs } from '../api.js';
import type { TapConfig } from '../logic/api-types.js';

const keyOf = (t: TapConfig): string => `${t.metadata.namespace}/${t.metadata.name}`;

export function TapConfigsView() {
  const [configs, setConfigs] = useState<Map<string, TapConfig>>(new Map());
  const [synced, setSynced] = useState(false);
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    const abort = new AbortController();
    watchTapConfigs((event) => {
      if (event.type === 'BOOKMARK') return setSynced(true);
      setConfigs((m) => {
        const next = new Map(m);
        if (event.type === 'DELETED') next.delete(keyOf(event.object));
        else next.set(keyOf(event.object), event.object);
        return next;
      });
    }, abort.signal).catch((err: Error) => {
      if (!abort.signal.aborted) setError(`${err.message}; reload to retry`);
    });
    return () => abort.abort();
  }, []);
  const list = [...configs.values()].sort((a, b) => keyOf(a).localeCompare(keyOf(b)));
  return (
    <section aria-labelledby="tapconfigs-title">
      <h1 id="tapconfigs-title" tabIndex={-1}>TapConfigs in force</h1>
      <p class="muted">
        The match expressions taps apply now. A TapConfig with an invalid expression is refused when it is applied (
        <code>loopctl apply</code> prints the line:column and a caret), so it never appears here; in Kubernetes its status condition carries the error.
      </p>
      {error && <p class="error" role="alert">{error}</p>}
      {synced && list.length === 0 && <p class="empty">No TapConfig is applied: taps capture nothing.</p>}
      {list.length > 0 && (
        <table class="tapconfigs">
          <thead>
            <tr><th scope="col">Name</th><th scope="col">Match</th><th scope="col">Body cap</th><th scope="col">Sampling</th><th scope="col">Redacted</th><th scope="col">Version</th></tr>
          </thead>
          <tbody>
            {list.map((t) => (
              <tr key={keyOf(t)}>
                <th scope="row">{keyOf(t)}</th>
                <td><code class="expr">{t.spec.match}</code></td>
                <td>{t.spec.maxBodyBytes ?? 'server default'}</td>
                <td>{t.spec.sampling ?? 1}</td>
                <td>{[...(t.spec.redact?.headers ?? []), ...(t.spec.redact?.jsonFields ?? [])].join(', ') || '—'}</td>
                <td title={t.metadata.updatedAt}>{t.metadata.resourceVersion ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
