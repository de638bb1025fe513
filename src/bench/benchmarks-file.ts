// BENCHMARKS.md is assembled from one section per suite, each between marker comments, so a run of one
// suite replaces its own section and keeps the others as the last run that measured them left them.

export interface SuiteSection {
  name: string;
  /** Heading the section starts with; used to find it in a file written before the markers existed. */
  heading: string;
}

const begin = (name: string): string => `<!-- bench:${name}:begin -->`;
const end = (name: string): string => `<!-- bench:${name}:end -->`;

/** The body of `name`'s section in `text` (between its markers), or undefined. */
export function sectionOf(text: string, suite: SuiteSection): string | undefined {
  const from = text.indexOf(begin(suite.name));
  const to = text.indexOf(end(suite.name));
  if (from >= 0 && to > from) return text.slice(from + begin(suite.name).length, to).trim();
  // A file from before the markers: the suite's headings, up to the next heading of another suite.
  const lines = text.split('\n');
  const first = lines.findIndex((l) => l.startsWith(suite.heading));
  if (first < 0) return undefined;
  let last = first + 1;
  while (last < lines.length && !(lines[last]!.startsWith('## ') && !lines[last]!.startsWith(suite.heading))) last++;
  return lines.slice(first, last).join('\n').trim();
}

/**
 * The whole file: `header`, then every suite in `suites` order, from `fresh` when it ran now, else from
 * `previous` (the file as it was), else a line saying how to produce it.
 */
export function composeBenchmarks(header: string[], suites: SuiteSection[], fresh: Map<string, string>, previous: string | undefined): string {
  const parts = [header.join('\n').trim(), ''];
  for (const suite of suites) {
    const body = fresh.get(suite.name)?.trim() ?? (previous === undefined ? undefined : sectionOf(previous, suite)) ?? `${suite.heading}\n\nNot run yet: \`npm run bench -- ${suite.name}\`.`;
    parts.push(begin(suite.name), body, end(suite.name), '');
  }
  return parts.join('\n');
}
