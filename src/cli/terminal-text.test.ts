import { describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { jsonForTerminal, yamlForTerminal } from './terminal-text.js';

const CONTROLS = /[\u0000-\u001f\u007f-\u009f]/; // eslint-disable-line no-control-regex

describe('jsonForTerminal and yamlForTerminal', () => {
  const values = [
    { a: 'x\x1b[31my\u009bz\x7f\tq\nr', 'k\u009b': ['\u0085', '\u0080\u009f'] },
    'line1\nline2\u009b\n',
    ['\u009b', 'plain', 'a: b\u0090'],
  ];
  it('print no raw control characters and parse back to the same value', () => {
    for (const v of values) {
      const json = jsonForTerminal(v);
      expect(json).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/); // eslint-disable-line no-control-regex
      expect(JSON.parse(json)).toEqual(v);
      const yaml = yamlForTerminal(stringifyYaml(v));
      expect(yaml.replaceAll('\n', '')).not.toMatch(CONTROLS);
      expect(parseYaml(yaml)).toEqual(v);
    }
  });
});
