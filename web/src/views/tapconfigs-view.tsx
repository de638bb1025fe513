// The TapConfigs in force, followed live through the server's watch stream.
import { useEffect, useState } from 'preact/hooks';
import { watchTapConfigs, type FollowState } from '../api.js';
import { applyTapConfigEvent, INITIAL_TAPCONFIG_STATE, keyOf, reconnected } from '../logic/tapconfig-watch.js';

export function TapConfigsView() {
  const [state, setState] = useState(INITIAL_TAPCONFIG_STATE);
  const [live, setLive] = useState<FollowState | 'connecting'>('connecting');
  useEffect(() => {
    const abort = new AbortController();
    void watchTapConfigs(
      (event) => setState((s) => applyTapConfigEvent(s, event)),
      (next) => {
        setLive(next);
        if (next === 'live') setState(reconnected);
      },
      abort.signal,
    );
    return () => abort.abort();
  }, []);
  const { configs, synced } = state;
  const list = [...configs.values()].sort((a, b) => keyOf(a).localeCompare(keyOf(b)));
  return (
    <section aria-labelledby="tapconfigs-title">
      <div class="title-row">
        <h1 id="tapconfigs-title" tabIndex={-1}>TapConfigs in force</h1>
        <span class={`live live-${live}`} role="status">{live === 'live' ? '● live' : live === 'connecting' ? 'connecting…' : live === 'needs-token' ? 'not live: needs an API token' : 'reconnecting…'}</span>
      </div>
      <p class="muted">
        The match expressions taps apply now. A TapConfig with an invalid expression is refused when it is applied (
        <code>loopctl apply</code> prints the line:column and a caret), so it never appears here; in Kubernetes its status condition carries the error.
      </p>
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
