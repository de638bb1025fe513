// The Loop core suite of `npm run bench`: ingest into SQLite and PostgreSQL (raw and over HTTP) and the
// first filtered page with many stored captures; measured by loop-core-bench.ts, reported here.
//   LOOP_BENCH_CAPTURES  captures per ingest run (default 100000)
//   LOOP_BENCH_ROWS      rows for the first-page benchmark (default 1000000)
//   LOOP_BENCH_POSTGRES_URL  a PostgreSQL to use; otherwise scripts/postgres-start.sh is tried
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { firstPageBench, ingestBench, type IngestResult } from './loop-core-bench.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

async function sqliteUrl(tag: string): Promise<{ url: string; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), `loop-bench-${tag}-`));
  return { url: `sqlite://${path.join(dir, 'loop.db')}`, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

function postgresBase(): string | undefined {
  if (process.env.LOOP_BENCH_POSTGRES_URL) return process.env.LOOP_BENCH_POSTGRES_URL;
  try {
    const out = execFileSync('bash', [path.join(ROOT, 'scripts/postgres-start.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return out.trim().split('\n').at(-1);
  } catch {
    return undefined;
  }
}

/** A fresh database per run, so every measurement starts from an empty store. */
function postgresUrl(base: string): (tag: string) => Promise<{ url: string; cleanup(): Promise<void> }> {
  return async (tag) => {
    const db = `loop_bench_${tag}_${process.pid}`;
    const admin = new pg.Client({ connectionString: base });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${db}`);
    await admin.query(`CREATE DATABASE ${db}`);
    await admin.end();
    const url = new URL(base);
    url.pathname = `/${db}`;
    return {
      url: url.toString(),
      cleanup: async () => {
        const c = new pg.Client({ connectionString: base });
        await c.connect();
        await c.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
        await c.end();
      },
    };
  };
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en');
const ms = (n: number): string => n.toFixed(2);
const check = (ok: boolean): string => (ok ? 'met' : '**missed**');

/** Runs the core benchmarks and answers their BENCHMARKS.md section. */
export async function coreSuite(log: (s: string) => void): Promise<string[]> {
  const captures = Number(process.env.LOOP_BENCH_CAPTURES ?? 100_000);
  const rows = Number(process.env.LOOP_BENCH_ROWS ?? 1_000_000);
  const ingest: IngestResult[] = [];

  log(`ingest into SQLite: ${fmt(captures)} captures, raw then over HTTP`);
  ingest.push(await ingestBench('SQLite (file, WAL)', sqliteUrl, captures));
  const pgBase = postgresBase();
  if (pgBase) {
    log(`ingest into PostgreSQL: ${fmt(captures)} captures, raw then over HTTP`);
    ingest.push(await ingestBench('PostgreSQL 15 (loopback)', postgresUrl(pgBase), captures));
  } else {
    log('PostgreSQL not available: skipping its ingest benchmark');
  }
  log(`first filtered page with ${fmt(rows)} captures in SQLite`);
  const page = await firstPageBench(rows, log);

  const sqlite = ingest[0]!;
  const postgres = ingest[1];
  const worstStore = Math.max(...page.results.map((r) => r.store.median));
  return [
    '## Loop core: ingest',
    '',
    `Run ${new Date().toISOString().slice(0, 10)} on ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}.`,
    '',
    `${fmt(captures)} captures with 1 KiB request and response bodies, in batches of 500. *Raw* is \`insertBatch\` called in-process;`,
    '*HTTP* is `POST /v1/taps` with Envoy TraceWrapper JSON (arrays of 500) to a loop server in its own process, 4 connections, the same store type.',
    '',
    '| store | raw insert (captures/s) | over HTTP (captures/s) | HTTP / raw | target | |',
    '|---|---:|---:|---:|---|---|',
    `| ${sqlite.store} | ${fmt(sqlite.rawPerSec)} | ${fmt(sqlite.httpPerSec)} | ${(sqlite.ratio * 100).toFixed(0)}% | ≥ 20,000/s and ≥ 60% of raw | ${check(sqlite.httpPerSec >= 20_000 && sqlite.ratio >= 0.6)} |`,
    postgres
      ? `| ${postgres.store} | ${fmt(postgres.rawPerSec)} | ${fmt(postgres.httpPerSec)} | ${(postgres.ratio * 100).toFixed(0)}% | ≥ 10,000/s | ${check(postgres.httpPerSec >= 10_000)} |`
      : '| PostgreSQL | not run (no server) | | | ≥ 10,000/s | |',
    '',
    '## Loop core: first filtered page',
    '',
    `${fmt(page.rows)} captures in one SQLite file (filled in ${page.fillSeconds.toFixed(0)} s), spread over 7 days, 10 destinations, 3 tap configs, 50 paths.`,
    'Time to the first page of 50, newest first: median and p99 of 20 runs after one warm-up, through the store and through `GET /v1/captures`. Target ≤ 20 ms.',
    '',
    '| filter | store median (ms) | store p99 (ms) | HTTP median (ms) | HTTP p99 (ms) |',
    '|---|---:|---:|---:|---:|',
    ...page.results.map((r) => `| ${r.filter} | ${ms(r.store.median)} | ${ms(r.store.p99)} | ${ms(r.http.median)} | ${ms(r.http.p99)} |`),
    '',
    `Slowest median through the store: ${ms(worstStore)} ms — target ${check(worstStore <= 20)}.`,
  ];
}
