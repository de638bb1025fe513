// What `loop serve` sets up before it opens the store or a port: API tokens (file and environment), the
// refusal to serve an open API off loopback, the TLS key pair, and the replay audit log. Everything that
// can be wrong in these options fails here, with the option named, before anything listens.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import tls from 'node:tls';
import { LoopError, messageOf } from '../../core/errors.js';
import { fileErrorText } from '../../core/file-error-text.js';
import { parseHostPort } from '../../core/listen.js';
import { openAuditLog, type AuditLog } from './audit-log.js';
import { createAccessControl, loadTokens, requireTokensOffLoopback, type AccessControl } from './auth.js';
import type { ServerOptions } from './server-options.js';

export interface ServerSecurity {
  access: AccessControl;
  tls: { cert: Buffer; key: Buffer } | undefined;
  auditLog: AuditLog;
}

export const AUDIT_LOG_FILE = 'replay-audit.jsonl';

type SecurityOptions = Pick<ServerOptions, 'listen' | 'grpcListen' | 'tokensFile' | 'tlsCert' | 'tlsKey' | 'auditLog' | 'dataDir'>;

/** `env` is where LOOP_ADMIN_TOKEN, LOOP_READ_TOKEN and LOOP_INGEST_TOKEN are read (the process's, at the top). */
export async function prepareServerSecurity(options: SecurityOptions, env: Record<string, string | undefined>): Promise<ServerSecurity> {
  const access = createAccessControl(await loadTokens(options.tokensFile, env));
  for (const [flag, address] of [['--listen', options.listen], ['--grpc-listen', options.grpcListen]] as const) {
    const parsed = address === '' ? undefined : parseHostPort(address);
    if (parsed) requireTokensOffLoopback(parsed.host, flag, address, access);
  }
  const tls = await readKeyPair(options.tlsCert, options.tlsKey);
  const auditLog = await openAuditLog(options.auditLog !== '' ? options.auditLog : path.resolve(options.dataDir, AUDIT_LOG_FILE));
  return { access, tls, auditLog };
}

async function readKeyPair(certFile: string, keyFile: string): Promise<{ cert: Buffer; key: Buffer } | undefined> {
  if (certFile === '' && keyFile === '') return undefined;
  if (certFile === '' || keyFile === '') {
    throw new LoopError('CONFIG_INVALID', `${certFile === '' ? '--tls-key' : '--tls-cert'} is set without ${certFile === '' ? '--tls-cert' : '--tls-key'}; HTTPS needs both`);
  }
  const read = async (file: string, flag: string): Promise<Buffer> => {
    try {
      return await readFile(file);
    } catch (err) {
      throw new LoopError('CONFIG_INVALID', `${flag} ${file} cannot be read: ${fileErrorText(err)}`, { cause: err });
    }
  };
  const pair = { cert: await read(certFile, '--tls-cert'), key: await read(keyFile, '--tls-key') };
  checkKeyPair(pair, certFile, keyFile);
  return pair;
}

/**
 * Refuses a pair HTTPS cannot use, naming the flag and file: the server only tried it when it listened, after
 * opening the store, and stopped with OpenSSL's words ("error:05800074:x509 certificate routines::key values
 * mismatch", "error:0480006C:PEM routines::no start line"), naming neither.
 */
function checkKeyPair(pair: { cert: Buffer; key: Buffer }, certFile: string, keyFile: string): void {
  const problem = (options: tls.SecureContextOptions): string | undefined => {
    try {
      tls.createSecureContext(options);
      return undefined;
    } catch (err) {
      return messageOf(err);
    }
  };
  const both = problem(pair);
  if (both === undefined) return;
  const cert = problem({ cert: pair.cert });
  if (cert !== undefined) {
    throw new LoopError('CONFIG_INVALID', `--tls-cert ${certFile} is not a PEM certificate (chain): ${cert}`, { hint: 'it should start with -----BEGIN CERTIFICATE-----' });
  }
  const key = problem({ key: pair.key });
  if (key !== undefined) {
    throw new LoopError('CONFIG_INVALID', `--tls-key ${keyFile} is not a PEM private key: ${key}`, { hint: 'it should start with -----BEGIN PRIVATE KEY----- (or an RSA or EC PRIVATE KEY), without a passphrase' });
  }
  throw new LoopError('CONFIG_INVALID', `--tls-key ${keyFile} is not the private key of --tls-cert ${certFile}: ${both}`, {
    hint: 'pass the key the certificate was issued for (openssl x509 -noout -pubkey -in CERT and openssl pkey -pubout -in KEY print the same key)',
  });
}
