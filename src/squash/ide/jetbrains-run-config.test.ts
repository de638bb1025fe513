import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ENDPOINTS } from './ide-fixtures.test-helper.js';
import { jetbrainsRunConfiguration, PYCHARM_UNSUPPORTED_REASON, runFileName } from './jetbrains-run-config.js';

/** Reads the configuration element back with a real XML parser (Python's expat): name, type and attributes. */
function parseWithExpat(xml: string): Record<string, string> {
  const script =
    'import sys, json, xml.dom.minidom as m\n' +
    'c = m.parseString(sys.stdin.buffer.read()).getElementsByTagName("configuration")[0]\n' +
    'print(json.dumps(dict(c.attributes.items())))';
  return JSON.parse(execFileSync('/usr/bin/python3', ['-c', script], { input: xml, encoding: 'utf8' })) as Record<string, string>;
}

describe('jetbrainsRunConfiguration', () => {
  it('go: GoLand Go Remote with host and port', () => {
    expect(jetbrainsRunConfiguration(ENDPOINTS.go, { name: 'payment' })).toEqual({
      supported: true,
      path: '.run/payment.run.xml',
      xml: [
        '<component name="ProjectRunConfigurationManager">',
        '  <configuration default="false" name="payment" type="GoRemoteDebugConfigurationType" factoryName="Go Remote" host="127.0.0.1" port="40001">',
        '    <option name="disconnectOption" value="LEAVE" />',
        '    <disconnect value="LEAVE" />',
        '    <method v="2" />',
        '  </configuration>',
        '</component>',
        '',
      ].join('\n'),
    });
  });

  it('node: Chromium Remote (Attach to Node.js/Chrome) on the inspector port', () => {
    const rc = jetbrainsRunConfiguration(ENDPOINTS.node);
    expect(rc).toEqual({
      supported: true,
      path: '.run/Squash_node_pid_102.run.xml',
      xml: [
        '<component name="ProjectRunConfigurationManager">',
        '  <configuration default="false" name="Squash: node pid 102" type="ChromiumRemoteDebugType" factoryName="Chromium Remote" host="127.0.0.1" port="9229">',
        '    <method v="2" />',
        '  </configuration>',
        '</component>',
        '',
      ].join('\n'),
    });
  });

  it('java: Remote JVM Debug with HOST and PORT options', () => {
    const rc = jetbrainsRunConfiguration(ENDPOINTS.java, { name: 'ledger' });
    expect(rc.supported && rc.xml).toBe(
      [
        '<component name="ProjectRunConfigurationManager">',
        '  <configuration default="false" name="ledger" type="Remote" factoryName="Remote JVM Debug">',
        '    <option name="USE_SOCKET_TRANSPORT" value="true" />',
        '    <option name="SERVER_MODE" value="false" />',
        '    <option name="HOST" value="127.0.0.1" />',
        '    <option name="PORT" value="5005" />',
        '    <option name="AUTO_RESTART" value="false" />',
        '    <method v="2" />',
        '  </configuration>',
        '</component>',
        '',
      ].join('\n'),
    );
  });

  it('c: CLion Remote Debug with the gdbserver address and the local binary', () => {
    const rc = jetbrainsRunConfiguration(ENDPOINTS.c, { name: 'server', program: '/home/me/server' });
    expect(rc.supported && rc.xml).toContain(
      '<configuration default="false" name="server" type="CLion_Remote" factoryName="Remote Debug" version="1" remoteCommand="127.0.0.1:2345" symbolFile="/home/me/server" sysroot="">',
    );
    expect(rc.supported && rc.xml).toContain('    <debugger kind="GDB" isBundled="true" />\n');
    expect(() => jetbrainsRunConfiguration(ENDPOINTS.c)).toThrow(/program is missing/);
  });

  it('python: no file, and the reason says why', () => {
    expect(jetbrainsRunConfiguration(ENDPOINTS.python)).toEqual({ supported: false, reason: PYCHARM_UNSUPPORTED_REASON });
    expect(PYCHARM_UNSUPPORTED_REASON).toMatch(/does not speak DAP/);
  });

  it('escapes an awkward name and binary path; a real XML parser reads them back unchanged', () => {
    const name = `pay <"blue"> & 'green'\n`;
    const program = '/tmp/a&b/<srv>\t"x"';
    const rc = jetbrainsRunConfiguration(ENDPOINTS.c, { name, program });
    if (!rc.supported) throw new Error('expected a file');
    expect(rc.xml).toContain('name="pay &lt;&quot;blue&quot;&gt; &amp; &apos;green&apos;&#10;"');
    const attributes = parseWithExpat(rc.xml);
    expect(attributes.name).toBe(name);
    expect(attributes.symbolFile).toBe(program);
    expect(rc.path).toBe('.run/pay_blue_green.run.xml');
  });

  it('refuses characters XML cannot hold, naming the field', () => {
    expect(() => jetbrainsRunConfiguration(ENDPOINTS.go, { name: 'bell\u0007' })).toThrow(/name contains the character U\+0007/);
  });
});

describe('runFileName', () => {
  it.each([
    ['Squash: go pid 1', 'Squash_go_pid_1'],
    ['Squash: java pid 4242', 'Squash_java_pid_4242'],
    ['payment-api v1.2', 'payment-api_v1.2'],
    ['  spaced  out  ', 'spaced_out'],
    ['../../etc/passwd', 'etc_passwd'],
    ['.hidden', 'hidden'],
    ['...', 'squash'],
  ])('%s → %s', (name, file) => {
    expect(runFileName(name)).toBe(file);
  });
});
