import { describe, expect, it } from 'vitest';
import { ENDPOINTS } from './ide-fixtures.test-helper.js';
import { luaLiteral, luaString } from './lua-literal.js';
import { nvimDapSnippet } from './nvim-dap-config.js';

describe('nvimDapSnippet', () => {
  it('go: a server adapter on the Delve port and a remote attach entry', () => {
    expect(nvimDapSnippet(ENDPOINTS.go, { localRoot: '/home/me/payment' })).toBe(
      [
        '-- Squash: nvim-dap attach to go pid 101 at 127.0.0.1:40001',
        "local dap = require('dap')",
        'dap.adapters["squash-go-40001"] = {',
        '  type = "server",',
        '  host = "127.0.0.1",',
        '  port = 40001,',
        '}',
        'local config = {',
        '  type = "squash-go-40001",',
        '  request = "attach",',
        '  mode = "remote",',
        '  name = "Squash: go pid 101",',
        '  substitutePath = {',
        '    {',
        '      from = "/home/me/payment",',
        '      to = "/src/payment",',
        '    },',
        '  },',
        '}',
        'dap.configurations.go = dap.configurations.go or {}',
        'table.insert(dap.configurations.go, config)',
        '',
      ].join('\n'),
    );
  });

  it('python: a server adapter on the debugpy port, connect and pathMappings, run now', () => {
    expect(nvimDapSnippet(ENDPOINTS.python, { action: 'run' })).toBe(
      [
        '-- Squash: nvim-dap attach to python pid 103 at 127.0.0.1:5678',
        "local dap = require('dap')",
        'dap.adapters["squash-python-5678"] = {',
        '  type = "server",',
        '  host = "127.0.0.1",',
        '  port = 5678,',
        '}',
        'local config = {',
        '  type = "squash-python-5678",',
        '  request = "attach",',
        '  name = "Squash: python pid 103",',
        '  connect = {',
        '    host = "127.0.0.1",',
        '    port = 5678,',
        '  },',
        '  pathMappings = {',
        '    {',
        '      localRoot = "${workspaceFolder}",',
        '      remoteRoot = "/srv/app",',
        '    },',
        '  },',
        '  justMyCode = true,',
        '}',
        'dap.run(config)',
        '',
      ].join('\n'),
    );
  });

  it('node: a pwa-node attach entry for the javascript filetype, naming the adapter it needs', () => {
    const lua = nvimDapSnippet(ENDPOINTS.node);
    expect(lua).toContain("-- This entry needs the 'pwa-node' adapter");
    expect(lua).not.toContain('dap.adapters');
    expect(lua).toContain('  type = "pwa-node",\n  request = "attach",');
    expect(lua).toContain('  address = "127.0.0.1",\n  port = 9229,\n  websocketAddress = "ws://127.0.0.1:9229/0f2c9b1e-5d4a-4c1e-9c3b-2a1f0e9d8c7b",');
    expect(lua).toContain('  remoteRoot = "/app",');
    expect(lua).toContain('table.insert(dap.configurations.javascript, config)');
  });

  it('c: cppdbg launch against gdbserver, for the c filetype', () => {
    const lua = nvimDapSnippet(ENDPOINTS.c, { program: '/tmp/server' });
    expect(lua).toContain('  type = "cppdbg",\n  request = "launch",');
    expect(lua).toContain('  program = "/tmp/server",');
    expect(lua).toContain('  miDebuggerServerAddress = "127.0.0.1:2345",');
    expect(lua).toContain('table.insert(dap.configurations.c, config)');
    expect(() => nvimDapSnippet(ENDPOINTS.c)).toThrow(/program is missing/);
  });

  it('java: the nvim-jdtls attach entry', () => {
    const lua = nvimDapSnippet(ENDPOINTS.java);
    expect(lua).toContain("nvim-jdtls");
    expect(lua).toContain('local config = {\n  type = "java",\n  request = "attach",\n  name = "Squash: java pid 105",\n  hostName = "127.0.0.1",\n  port = 5005,\n}');
  });

  it('escapes an awkward name and paths so the Lua literal cannot be broken out of', () => {
    const lua = nvimDapSnippet(ENDPOINTS.go, { name: 'pay "blue"\n]] os.exit() --', localRoot: 'C:\\src\\pay' });
    expect(lua).toContain('  name = "pay \\"blue\\"\\n]] os.exit() --",');
    expect(lua).toContain('      from = "C:\\\\src\\\\pay",');
  });
});

describe('luaString / luaLiteral', () => {
  it.each([
    ['plain', 'abc', '"abc"'],
    ['quote and backslash', 'a"b\\c', '"a\\"b\\\\c"'],
    ['control characters as three-digit escapes, even before a digit', '\u00011\u007f', '"\\0011\\127"'],
    ['tab, CR, LF', '\t\r\n', '"\\t\\r\\n"'],
    ['UTF-8 passes through', 'Zahlung €', '"Zahlung €"'],
  ])('%s', (_label, input, expected) => {
    expect(luaString(input)).toBe(expected);
  });

  it('bracket-quotes keys that are not identifiers or are keywords', () => {
    expect(luaLiteral({ 'a-b': 1, end: true, ok: 'x', gone: undefined })).toBe('{\n  ["a-b"] = 1,\n  ["end"] = true,\n  ok = "x",\n}');
  });

  it('writes an empty table inline', () => {
    expect(luaLiteral([])).toBe('{}');
  });
});
