// A replay's outcome against the original response: status, headers and the body diff, as rows.
import type { ReplayRecord } from '../logic/api-types.js';
import { formatDuration, visible } from '../logic/body-format.js';
import { diffView, type DiffRow } from '../logic/diff-view.js';

export function ReplayOutcome({ replay, headingLevel = 3 }: { replay: ReplayRecord; headingLevel?: 2 | 3 }) {
  const H = headingLevel === 2 ? 'h2' : 'h3';
  const status = replay.response?.headers.find(([k]) => k === ':status')?.[1];
  return (
    <section class="replay-outcome" aria-label={`Replay ${replay.id}`}>
      <H>
        Replay {replay.id} → {replay.destination}
        {replay.target !== replay.destination && <span class="muted"> ({replay.target})</span>}
      </H>
      <p class="muted">
        {new Date(replay.createdAt).toLocaleString()} · {formatDuration(replay.durationMs)}
        {status && <> · status {status}</>}
      </p>
      {replay.error && (
        <p class="error" role="alert">
          Replay failed ({replay.error.code}): {replay.error.message}
        </p>
      )}
      {replay.diff && <DiffTables diff={diffView(replay.diff)} />}
    </section>
  );
}

function DiffTables({ diff }: { diff: ReturnType<typeof diffView> }) {
  return (
    <div class="diff">
      <p class={diff.identical ? 'badge same' : 'badge differs'} data-testid="diff-headline">
        {diff.headline}
      </p>
      {diff.notes.length > 0 && (
        <ul class="notes">
          {diff.notes.map((n) => <li key={n}>{n}</li>)}
        </ul>
      )}
      {(diff.status || diff.headers.length > 0) && (
        <div class="table-scroll">
          <table class="diff-table">
            <caption>Status and headers</caption>
            <DiffHead />
            <tbody>
              {diff.status && <Row row={diff.status} />}
              {diff.headers.map((r) => <Row key={r.label} row={r} />)}
            </tbody>
          </table>
        </div>
      )}
      {diff.body.kind === 'json' && (
        <div class="table-scroll">
          <table class="diff-table">
            <caption>Body (JSON, by path)</caption>
            <DiffHead first="Path" />
            <tbody>{diff.body.rows.map((r) => <Row key={r.label} row={r} />)}</tbody>
          </table>
        </div>
      )}
      {diff.body.kind === 'text' && (
        <pre class="text-diff" aria-label="Body (text diff)">
          {diff.body.rows.map((r, i) => (
            <div key={i} class={`line ${r.change}`}>
              {r.change === 'removed' ? '- ' : r.change === 'added' ? '+ ' : '  '}
              {visible(r.original ?? r.replayed ?? '')}
            </div>
          ))}
        </pre>
      )}
      {diff.body.kind === 'identical' && <p class="muted">Bodies are the same.</p>}
      {diff.body.note && <p class="muted">{diff.body.note}</p>}
    </div>
  );
}

function DiffHead({ first = 'Field' }: { first?: string }) {
  return (
    <thead>
      <tr>
        <th scope="col">{first}</th>
        <th scope="col">Change</th>
        <th scope="col">Original</th>
        <th scope="col">Replayed</th>
      </tr>
    </thead>
  );
}

function Row({ row }: { row: DiffRow }) {
  return (
    <tr class={`change-${row.change}`}>
      <th scope="row"><code>{visible(row.label)}</code></th>
      <td>{row.change}</td>
      <td class="old"><code>{visible(row.original ?? '')}</code></td>
      <td class="new"><code>{visible(row.replayed ?? '')}</code></td>
    </tr>
  );
}
