import { describe, expect, it } from 'vitest';
import { LoopError } from '../../core/errors.js';
import { errorEvent, errorFromEvent, formatPlankEvent, parsePlankEvent, type PlankReadyEvent } from './plank-events.js';
import { parseStat } from './process-identity.js';

describe('plank events', () => {
  it('is one JSON line that reads back the same', () => {
    const ready: PlankReadyEvent = {
      event: 'ready',
      endpoint: { runtime: 'go', debugger: 'dlv', protocol: 'dlv', host: '127.0.0.1', port: 4000, pid: 12 },
      plank: { pid: 13, expiresAt: '2030-01-01T01:00:00.000Z', ttlMs: 3_600_000 },
    };
    const line = formatPlankEvent(ready);
    expect(line.endsWith('\n') && !line.slice(0, -1).includes('\n')).toBe(true);
    expect(parsePlankEvent(line.trim())).toEqual(ready);
  });

  it('carries code, message and hint of an error, and turns back into the same LoopError', () => {
    const event = errorEvent(new LoopError('TARGET_NOT_FOUND', 'no process with PID 9', { hint: 'look', details: { pid: 9 } }));
    expect(event).toEqual({ event: 'error', error: { code: 'TARGET_NOT_FOUND', message: 'no process with PID 9', hint: 'look' } });
    expect(errorFromEvent(event)).toMatchObject({ code: 'TARGET_NOT_FOUND', message: 'no process with PID 9', hint: 'look' });
    expect(errorEvent(new Error('boom')).error).toEqual({ code: 'INTERNAL', message: 'boom' });
  });

  it.each(['', 'not json', '{"event":"log"}', '{"event":"ready"}', '[1]'])('ignores %j', (line) => {
    expect(parsePlankEvent(line)).toBeUndefined();
  });
});

describe('parseStat', () => {
  it('reads state and start time even when the command has spaces and parentheses', () => {
    const line = '4242 (my (odd) prog) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10 18446744073709551615';
    expect(parseStat(line)).toEqual({ state: 'S', startTime: 987654 });
  });
});
