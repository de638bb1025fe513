// ASCII tables in the shape the tutorial's `loopctl list` prints: `+---+` rules, headers centred,
// numbers right-aligned, text left-aligned. Cells come from captured traffic: their control characters
// (newlines included) are printed as visible escapes, so a cell is one line and cannot drive the terminal.
import { escapeControls } from '../../core/escape-controls.js';

export interface Column<T> {
  header: string;
  value(row: T): string;
  align?: 'left' | 'right';
}

export function renderTable<T>(columns: Column<T>[], rows: T[]): string {
  const cells = rows.map((r) => columns.map((c) => escapeControls(c.value(r))));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((row) => row[i]!.length)));
  const rule = '+' + widths.map((w) => '-'.repeat(w + 2)).join('+') + '+';
  const line = (values: string[], align: (i: number) => 'left' | 'right' | 'center'): string =>
    '| ' + values.map((v, i) => pad(v, widths[i]!, align(i))).join(' | ') + ' |';
  const out = [rule, line(columns.map((c) => c.header), () => 'center'), rule];
  for (const row of cells) out.push(line(row, (i) => columns[i]!.align ?? 'left'));
  out.push(rule);
  return out.join('\n') + '\n';
}

function pad(value: string, width: number, align: 'left' | 'right' | 'center'): string {
  const room = width - value.length;
  if (align === 'right') return ' '.repeat(room) + value;
  if (align === 'center') {
    const left = Math.floor(room / 2);
    return ' '.repeat(left) + value + ' '.repeat(room - left);
  }
  return value + ' '.repeat(room);
}
