import { describe, expect, it } from 'vitest';
import { renderTable } from './render-table.js';

describe('renderTable', () => {
  it('prints exactly the tutorial\'s loopctl list table', () => {
    const rows = [{ id: 1, path: '/', verb: 'GET', status: 500, destination: '' }];
    const table = renderTable(
      [
        { header: 'ID', value: (r: (typeof rows)[0]) => String(r.id), align: 'right' },
        { header: 'PATH', value: (r) => r.path },
        { header: 'VERB', value: (r) => r.verb },
        { header: 'STATUS', value: (r) => String(r.status), align: 'right' },
        { header: 'DESTINATION', value: (r) => r.destination },
      ],
      rows,
    );
    expect(table).toBe(
      [
        '+----+------+------+--------+-------------+',
        '| ID | PATH | VERB | STATUS | DESTINATION |',
        '+----+------+------+--------+-------------+',
        '|  1 | /    | GET  |    500 |             |',
        '+----+------+------+--------+-------------+',
        '',
      ].join('\n'),
    );
  });

  it('widens columns to the longest value and centres headers', () => {
    const table = renderTable([{ header: 'ID', value: (r: { id: number }) => String(r.id), align: 'right' }], [{ id: 12345 }]);
    expect(table.split('\n')[1]).toBe('|  ID   |');
    expect(table.split('\n')[3]).toBe('| 12345 |');
  });

  it('prints control characters of cells as visible escapes, one line per row', () => {
    const table = renderTable([{ header: 'PATH', value: (r: { p: string }) => r.p }], [{ p: '/a\x1b[31m\n\u009b' }]);
    expect(table.split('\n')[3]).toBe('| /a\\x1b[31m\\x0a\\u009b |');
  });
});
