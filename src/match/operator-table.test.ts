import { describe, expect, it } from 'vitest';
import { FIELDS, LANGUAGE_NOTES, MATCHERS, OPERATORS } from './match-definitions.js';
import { renderMatchHelpText, renderMatchMarkdown } from './operator-table.js';
import { parseMatch } from './parser.js';

describe('operator table', () => {
  const text = renderMatchHelpText();
  const markdown = renderMatchMarkdown();
  const entries = [...FIELDS, ...MATCHERS, ...OPERATORS];

  it.each(entries.map((e) => [e.syntax, e] as const))('lists %s in text and Markdown', (syntax, e) => {
    expect(text).toContain(syntax);
    expect(text).toContain(e.envoy);
    expect(text).toContain(e.example);
    const cellSafe = (s: string) => s.replace(/\|/g, '\\|');
    expect(markdown).toContain(cellSafe(syntax));
    expect(markdown).toContain(cellSafe(e.example));
  });

  it.each([...FIELDS, ...MATCHERS].map((e) => [e.example] as const))('example %s parses', (example) => {
    expect(() => parseMatch(example)).not.toThrow();
  });

  it.each(MATCHERS.filter((m) => m.call !== null).map((m) => [m.call!, m] as const))(
    'the parser accepts matcher %s on a header with its documented arguments',
    (call, m) => {
      const args = m.args.map((k, i) => (k === 'string' ? '"v"' : String(i * 10))).join(', ');
      expect(parseMatch(`requestHeaders["x"] == ${call}(${args})`)).toMatchObject({ matcher: { kind: m.name } });
    },
  );

  it.each(FIELDS.map((f) => [f.name, f] as const))('the parser accepts field %s', (name, f) => {
    const source = f.kind === 'headers' ? `${name}["x"] == present()` : `${name} == contains("x")`;
    expect(parseMatch(source)).toMatchObject({ field: name });
  });

  it('documents the difference between != and ! for a missing header, and the precedence', () => {
    expect(text).toMatch(/!\(requestHeaders\["x"\] == "a"\) is true when x is absent/);
    expect(text).toContain('MISSING HEADERS');
    expect(text).toContain('Binds tighter than ||');
    for (const note of LANGUAGE_NOTES) expect(markdown).toContain(`**${note.title}.**`);
  });

  it('renders Markdown tables whose rows have exactly four cells', () => {
    const rows = markdown.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| Syntax'));
    expect(rows.length).toBe(entries.length);
    for (const row of rows) expect(row.split(/(?<!\\)\|/).length - 2).toBe(4);
  });

  it('keeps text lines within the requested width except long examples', () => {
    for (const line of text.split('\n')) {
      if (!line.includes('Example:') && !line.includes('Envoy:')) expect(line.length).toBeLessThanOrEqual(100);
    }
  });
});
