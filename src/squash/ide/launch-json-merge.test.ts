import { describe, expect, it } from 'vitest';
import { isLoopError } from '../../core/errors.js';
import { parseJsonc } from './jsonc-parse.js';
import { mergeLaunchConfiguration } from './launch-json-merge.js';
import type { VsCodeLaunchConfiguration } from './vscode-launch-config.js';

const squash: VsCodeLaunchConfiguration = { name: 'Squash: go pid 7', type: 'go', request: 'attach', mode: 'remote', host: '127.0.0.1', port: 40000 };

const withComments = `{
	// Use IntelliSense to learn about possible attributes.
	/* A block comment
	   over two lines, with "quotes" and a // inside */
	"version": "0.2.0",
	"configurations": [
		{
			"name": "Launch web", // trailing line comment
			"type": "node",
			"request": "launch",
			"program": "\${workspaceFolder}/web.js",
			"url": "http://example.com//not-a-comment/*nor-this*/",
		},
		{
			"name": "Squash: go pid 7",
			"type": "go",
			"request": "attach",
			"port": 1,
		},
	],
	"compounds": [],
}
`;

describe('mergeLaunchConfiguration', () => {
  it('creates a launch.json when there is none', () => {
    const result = mergeLaunchConfiguration(undefined, squash);
    expect(result.action).toBe('added');
    expect(result.droppedComments).toBe(false);
    expect(JSON.parse(result.text)).toEqual({ version: '0.2.0', configurations: [squash] });
    expect(result.text).toMatch(/^\{\n\t"version"/);
    expect(result.text.endsWith('}\n')).toBe(true);
  });

  it('treats a blank file like a missing one', () => {
    expect(JSON.parse(mergeLaunchConfiguration('  \n', squash).text)).toEqual({ version: '0.2.0', configurations: [squash] });
  });

  it('replaces the same-named configuration in place in a file with comments and trailing commas', () => {
    const result = mergeLaunchConfiguration(withComments, squash);
    expect(result.action).toBe('replaced');
    expect(result.droppedComments).toBe(true);
    const merged = JSON.parse(result.text) as Record<string, unknown>;
    expect(Object.keys(merged)).toEqual(['version', 'configurations', 'compounds']);
    expect(merged.configurations).toEqual([
      {
        name: 'Launch web',
        type: 'node',
        request: 'launch',
        program: '${workspaceFolder}/web.js',
        url: 'http://example.com//not-a-comment/*nor-this*/',
      },
      squash,
    ]);
    expect(result.text).toMatch(/\n\t\t\{\n\t\t\t"name": "Launch web"/);
  });

  it('appends a new name and keeps the others and the version', () => {
    const existing = '{\n  "version": "0.2.0",\n  "configurations": [{ "name": "Other", "type": "go", "request": "launch" }]\n}\n';
    const result = mergeLaunchConfiguration(existing, { ...squash, name: 'Squash: go pid 8' });
    expect(result.action).toBe('added');
    expect(result.droppedComments).toBe(false);
    const merged = JSON.parse(result.text) as { configurations: { name: string }[] };
    expect(merged.configurations.map((c) => c.name)).toEqual(['Other', 'Squash: go pid 8']);
    expect(result.text).toMatch(/^\{\n {2}"version"/); // two-space indentation kept
  });

  it('adds the configurations array and version when the file has neither', () => {
    expect(JSON.parse(mergeLaunchConfiguration('{}', squash).text)).toEqual({ version: '0.2.0', configurations: [squash] });
  });

  it.each([
    ['not JSON', '{ "version": ', /not valid JSON/],
    ['an unclosed block comment', '{ /* oops ', /never closed/],
    ['an array at the top', '[]', /JSON object at the top level/],
    ['configurations not an array', '{ "configurations": {} }', /"configurations" is object; expected an array/],
  ])('refuses %s with CONFIG_INVALID', (_label, text, message) => {
    try {
      mergeLaunchConfiguration(text, squash);
      expect.unreachable();
    } catch (err) {
      expect(isLoopError(err, 'CONFIG_INVALID')).toBe(true);
      expect((err as Error).message).toMatch(message);
    }
  });
});

describe('parseJsonc', () => {
  it.each([
    ['escaped quote before a slash-slash', '{"a": "x\\"//y"}', { a: 'x"//y' }],
    ['trailing comma before a comment and the bracket', '[1, 2, /* c */ ]', [1, 2]],
    ['comment at end of file without newline', '{"a": 1} // done', { a: 1 }],
    ['comma inside a string is kept', '{"a": ",}"}', { a: ',}' }],
  ])('%s', (_label, text, expected) => {
    expect(parseJsonc(text, 'x.json').value).toEqual(expected);
  });

  it('does not accept a comma that is not trailing as if it were', () => {
    expect(() => parseJsonc('[1,,2]', 'x.json')).toThrow(/x.json is not valid JSON/);
  });
});
