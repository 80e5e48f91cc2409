/**
 * HTTP load over loopback with node:http keep-alive connections: `concurrency` connections, each
 * sending one POST /v1/actions after another (single-record owner_id updates, unique values). A
 * request counts as a success only when it answers 200 (executed). With `getPath`, the same
 * client sends GETs of that path instead (the floor: what the server and client cost alone).
 *
 * Runs in the calling process (`runHttpLoad`) or as a separate process (`runHttpLoadInChild`),
 * because on a 2-core machine a client in the server's process takes the server's CPU.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ownerUpdate } from './requests.js';
import { runLoad, type LoadResult } from './load.js';

export interface HttpLoadSpec {
  /** e.g. http://127.0.0.1:43210 */
  readonly baseUrl: string;
  readonly token: string;
  readonly ids: readonly string[];
  readonly concurrency: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  /** `GET <path>` instead of the actions (the HTTP floor: the same server and client, no pipeline). */
  readonly getPath?: string;
}

function send(
  agent: Agent,
  url: URL,
  token: string,
  body: string | undefined,
  getPath?: string,
): Promise<true | string> {
  return new Promise((resolve) => {
    const req = request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        method: getPath === undefined ? 'POST' : 'GET',
        path: getPath ?? '/v1/actions',
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined
            ? {}
            : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve(
            res.statusCode === 200 ? true : `HTTP ${res.statusCode}: ${Buffer.concat(chunks).toString().slice(0, 300)}`,
          ),
        );
        res.on('error', (e) => resolve(`response error: ${e.message}`));
      },
    );
    req.on('error', (e) => resolve(`request error: ${e.message}`));
    req.end(body);
  });
}

export async function runHttpLoad(spec: HttpLoadSpec): Promise<LoadResult> {
  const url = new URL(spec.baseUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: spec.concurrency });
  try {
    return await runLoad(
      (_w, i) =>
        spec.getPath === undefined
          ? send(agent, url, spec.token, JSON.stringify(ownerUpdate(spec.ids[i % spec.ids.length]!)))
          : send(agent, url, spec.token, undefined, spec.getPath),
      spec,
    );
  } finally {
    agent.destroy();
  }
}

/** The same load from a second Node process; answers its result (the child prints it as JSON). */
export function runHttpLoadInChild(spec: HttpLoadSpec, dir: string): Promise<LoadResult> {
  const specFile = join(dir, `http-load-${Date.now()}.json`);
  writeFileSync(specFile, JSON.stringify(spec));
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), specFile], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`load process exited with ${code}`));
      try {
        resolve(JSON.parse(out) as LoadResult);
      } catch (e) {
        reject(new Error(`load process printed no result: ${(e as Error).message}: ${out.slice(0, 300)}`));
      }
    });
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { readFileSync } = await import('node:fs');
  const spec = JSON.parse(readFileSync(process.argv[2] ?? '', 'utf8')) as HttpLoadSpec;
  process.stdout.write(JSON.stringify(await runHttpLoad(spec)));
}
