// The web UI's capture filters (web/src/logic/capture-filters.ts): the list API's query string, the UI's
// address, and which live captures belong in a filtered list. (Here because vitest runs test/**.)
import { describe, expect, it } from 'vitest';
import type { CaptureSummary } from '../../web/src/logic/api-types.js';
import { EMPTY_FILTERS, filtersFromQuery, filtersToQuery, mergeCaptures, methodChoices, pathFilterHint, statusFilterError, summaryMatches } from '../../web/src/logic/capture-filters.js';

const summary = (over: Partial<CaptureSummary>): CaptureSummary => ({
  id: 1, capturedAt: '2026-11-26T08:00:00Z', tapConfig: 'default/errors', source: 'gateway', destination: 'payment:9091',
  method: 'POST', path: '/api/pay', authority: 'web', status: 503, durationMs: 12, requestBytes: 10, responseBytes: 20, ...over,
});

describe('filtersToQuery', () => {
  it.each([
    [EMPTY_FILTERS, {}, ''],
    [{ ...EMPTY_FILTERS, status: '5xx' }, {}, 'status=5xx'],
    [{ ...EMPTY_FILTERS, method: 'post', path: ' /api/ ' }, {}, 'method=POST&path=%2Fapi%2F'],
    [{ ...EMPTY_FILTERS, destination: 'payment:9091', tapConfig: 'default/errors' }, {}, 'destination=payment%3A9091&tapConfig=default%2Ferrors'],
    [{ ...EMPTY_FILTERS, status: '503' }, { limit: 50, cursor: 'abc' }, 'status=503&limit=50&cursor=abc'],
  ])('%j %j → %s', (filters, page, query) => {
    expect(filtersToQuery(filters, page)).toBe(query);
  });

  it('round-trips through the address', () => {
    const f = { status: '4xx', method: 'GET', path: '/a b', destination: 'web.default:9090', tapConfig: 'ns/name' };
    expect(filtersFromQuery(filtersToQuery(f))).toEqual(f);
    expect(filtersFromQuery('?status=5xx&unknown=1')).toEqual({ ...EMPTY_FILTERS, status: '5xx' });
  });

  // A bookmarked or hand-typed address: the Method select showed a blank choice for these.
  it('reads a lower-case method as the upper-case choice the form offers, and offers a method it does not list', () => {
    const method = filtersFromQuery('?method=get').method;
    expect(method).toBe('GET');
    expect(methodChoices(method)).not.toContain('get');
    expect(methodChoices(method)).toContain('GET');
    expect(methodChoices('PROPFIND').at(-1)).toBe('PROPFIND');
    expect(methodChoices('')).not.toContain('');
  });
});

describe('statusFilterError', () => {
  it.each([['', undefined], ['5xx', undefined], ['5XX', undefined], ['503', undefined], ['6xx', 'not a status'], ['50', 'not a status'], ['abc', 'not a status']])('%s', (value, error) => {
    if (error) expect(statusFilterError(value)).toContain(error);
    else expect(statusFilterError(value)).toBeUndefined();
  });
});

// Found by a hostile user test: ?path=hdr listed nothing, silently ("No captures match these filters").
describe('pathFilterHint', () => {
  it.each([['', undefined], ['/api/', undefined], [' /x', undefined], ['*', undefined], ['hdr', 'did you mean /hdr?'], ['api/v1', 'did you mean /api/v1?']])('%j', (value, hint) => {
    if (hint) expect(pathFilterHint(value)).toContain(hint);
    else expect(pathFilterHint(value)).toBeUndefined();
  });
});

describe('summaryMatches', () => {
  it.each([
    [EMPTY_FILTERS, true],
    [{ ...EMPTY_FILTERS, status: '5xx' }, true],
    [{ ...EMPTY_FILTERS, status: '4xx' }, false],
    [{ ...EMPTY_FILTERS, status: '503' }, true],
    [{ ...EMPTY_FILTERS, status: '500' }, false],
    [{ ...EMPTY_FILTERS, method: 'post' }, true],
    [{ ...EMPTY_FILTERS, method: 'GET' }, false],
    [{ ...EMPTY_FILTERS, path: '/api/' }, true],
    [{ ...EMPTY_FILTERS, path: '/pay' }, false],
    [{ ...EMPTY_FILTERS, destination: 'payment:9091' }, true],
    [{ ...EMPTY_FILTERS, destination: 'payment' }, false],
    [{ ...EMPTY_FILTERS, tapConfig: 'default/errors' }, true],
    [{ ...EMPTY_FILTERS, tapConfig: 'default/other' }, false],
  ])('%j → %s', (filters, expected) => {
    expect(summaryMatches(filters, summary({}))).toBe(expected);
  });
});

describe('mergeCaptures', () => {
  it('keeps the list newest first without duplicates', () => {
    const list = [summary({ id: 5 }), summary({ id: 3 })];
    expect(mergeCaptures(list, [summary({ id: 7 }), summary({ id: 5, path: '/again' }), summary({ id: 4 })]).map((s) => s.id)).toEqual([7, 5, 4, 3]);
  });
});
