// The match language's reference table, rendered from match-definitions.ts: plain text for
// `loopctl help match`, Markdown for the docs. Nothing here is written by hand twice.

import {
  FIELDS,
  LANGUAGE_NOTES,
  MATCHERS,
  OPERATORS,
  type FieldDefinition,
  type MatcherDefinition,
  type OperatorDefinition,
} from './match-definitions.js';

type Entry = Pick<FieldDefinition | MatcherDefinition | OperatorDefinition, 'syntax' | 'description' | 'envoy' | 'example'>;

interface Section {
  title: string;
  entries: readonly Entry[];
}

const SECTIONS: readonly Section[] = [
  { title: 'Fields', entries: FIELDS },
  { title: 'Operators', entries: OPERATORS },
  { title: 'Matchers', entries: MATCHERS },
];

const INTRO = 'A match expression selects the exchanges a TapConfig captures, for example:';
const INTRO_EXAMPLE = 'responseHeaders[":status"] == prefix("5")';

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines;
}

/** The reference as plain text, for a terminal (`loopctl help match`). */
export function renderMatchHelpText(width = 100): string {
  const out: string[] = [INTRO, '', `    ${INTRO_EXAMPLE}`, ''];
  for (const section of SECTIONS) {
    out.push(section.title.toUpperCase());
    const col = Math.max(...section.entries.map((e) => e.syntax.length)) + 4;
    const textWidth = Math.max(30, width - col);
    for (const e of section.entries) {
      const desc = wrap(e.description, textWidth);
      out.push(`  ${e.syntax.padEnd(col - 2)}${desc[0] ?? ''}`);
      for (const more of desc.slice(1)) out.push(`${' '.repeat(col)}${more}`);
      out.push(`${' '.repeat(col)}Envoy:   ${e.envoy}`);
      out.push(`${' '.repeat(col)}Example: ${e.example}`);
    }
    out.push('');
  }
  for (const note of LANGUAGE_NOTES) {
    out.push(note.title.toUpperCase());
    for (const line of wrap(note.text, width - 2)) out.push(`  ${line}`);
    out.push('');
  }
  return out.join('\n');
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

function code(text: string): string {
  // A code span must be fenced with more backticks than it contains in a row.
  const fence = text.includes('`') ? '``' : '`';
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return cell(`${fence}${pad}${text}${pad}${fence}`);
}

/** The reference as GitHub-flavoured Markdown, for the docs. */
export function renderMatchMarkdown(): string {
  const out: string[] = [INTRO, '', '```', INTRO_EXAMPLE, '```', ''];
  for (const section of SECTIONS) {
    out.push(`### ${section.title}`, '', '| Syntax | Meaning | Envoy | Example |', '|---|---|---|---|');
    for (const e of section.entries) {
      out.push(`| ${code(e.syntax)} | ${cell(e.description)} | ${code(e.envoy)} | ${code(e.example)} |`);
    }
    out.push('');
  }
  for (const note of LANGUAGE_NOTES) out.push(`**${note.title}.** ${note.text}`, '');
  return out.join('\n');
}
