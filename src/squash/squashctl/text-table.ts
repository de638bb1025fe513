// Plain aligned columns for squashctl's listings (`kubectl get` style: a header row, two spaces apart).

export interface TextColumn<T> {
  header: string;
  value(row: T): string;
  align?: 'left' | 'right';
}

export function renderColumns<T>(columns: readonly TextColumn<T>[], rows: readonly T[]): string {
  const cells = rows.map((row) => columns.map((c) => c.value(row)));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => r[i]!.length)));
  const line = (values: string[]): string =>
    values
      .map((v, i) => (columns[i]!.align === 'right' ? v.padStart(widths[i]!) : i === values.length - 1 ? v : v.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...cells.map(line)].join('\n') + '\n';
}
