import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { request } from 'undici';
import { API_ROUTES, parseErrorBody, type NodeJoinDto, type NodeJoinRequest } from '@nebula/contract';
import { PreflightError } from '@nebula/shared/runtime';

/**
 * Joining a server in one command: `npm run worker -- --server <url> --token <token>` (or
 * NEBULA_SERVER_URL and NEBULA_JOIN_TOKEN, as docker-compose.worker.yml passes them). The gateway
 * answers the token with where the queue, the database and the object store are (NodeJoinDto);
 * those become this worker's environment, over whatever it had for them. Without a server the
 * worker starts exactly as before, from its own environment.
 */

/** --server and --token into the environment's names; anything else on the command line is refused. */
export function withCommandLine(argv: string[], env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  let values: { server?: string; token?: string };
  try {
    ({ values } = parseArgs({ args: argv, options: { server: { type: 'string' }, token: { type: 'string' } }, strict: true, allowPositionals: false }));
  } catch (error) {
    throw new PreflightError(`${(error as Error).message}: the worker takes --server <url> --token <token> (\`nebula node token\` prints both), or none`);
  }
  return { ...env, ...(values.server ? { NEBULA_SERVER_URL: values.server } : {}), ...(values.token ? { NEBULA_JOIN_TOKEN: values.token } : {}) };
}

/** A worker given neither a server to join nor the queue and database: one line saying both ways. */
export function assertKnowsItsServer(env: NodeJS.ProcessEnv): void {
  if (env.NEBULA_SERVER_URL || env.REDIS_URL || env.DATABASE_URL) return;
  throw new PreflightError(
    'no server to work for: start it with --server <url> --token <token> (`nebula node token` on the server prints them; NEBULA_SERVER_URL and NEBULA_JOIN_TOKEN with docker-compose.worker.yml), or give REDIS_URL and DATABASE_URL',
  );
}

/** What the join replaces: the server's answer decides these, whatever the environment said. */
const JOINED = ['REDIS_URL', 'DATABASE_URL', 'NEBULA_STORAGE_DRIVER', 'NEBULA_OBJECTS_DIR', 'S3_ENDPOINT', 'S3_REGION', 'S3_BUCKET', 'S3_ACCESS_KEY', 'S3_SECRET_KEY'];

/** The environment of a worker that joined: its own, with the server's answer for the queue, the database and the store. */
export function joinedEnvironment(env: NodeJS.ProcessEnv, joined: NodeJoinDto): NodeJS.ProcessEnv {
  const own = Object.fromEntries(Object.entries(env).filter(([name]) => !JOINED.includes(name)));
  const storage =
    joined.storage.driver === 's3'
      ? {
          NEBULA_STORAGE_DRIVER: 's3',
          S3_ENDPOINT: joined.storage.endpoint,
          S3_REGION: joined.storage.region,
          S3_BUCKET: joined.storage.bucket,
          S3_ACCESS_KEY: joined.storage.accessKey,
          S3_SECRET_KEY: joined.storage.secretKey,
        }
      : { NEBULA_STORAGE_DRIVER: 'gateway' };
  return { ...own, REDIS_URL: joined.redisUrl, DATABASE_URL: joined.databaseUrl, ...storage };
}

/** POST /api/nodes/join with the token as a bearer. A refusal is one PreflightError line (exit 1). */
export async function requestJoin(server: string, token: string, name: string | undefined): Promise<NodeJoinDto> {
  const origin = new URL(server).origin;
  const body: NodeJoinRequest = { name: name ?? hostname().slice(0, 63) };
  let answer;
  try {
    answer = await request(`${origin}${API_ROUTES.nodeJoin}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
      headersTimeout: 15_000,
      bodyTimeout: 15_000,
    });
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
    const code = e.code ?? e.cause?.code;
    throw new PreflightError(`NEBULA_SERVER_URL: cannot reach ${origin} (${code ?? e.message}): is the gateway running there, and this machine on the tailnet?`);
  }
  const text = await answer.body.text();
  const parsed = parseErrorBody(text);
  if (answer.statusCode === 401 || answer.statusCode === 403) {
    throw new PreflightError(`refused to join ${origin}: ${parsed?.message ?? `the server answered ${answer.statusCode}`}`);
  }
  if (answer.statusCode !== 200 && answer.statusCode !== 201) {
    throw new PreflightError(`joining ${origin} failed: ${parsed?.message ?? `the server answered ${answer.statusCode}`} (is it a Nebula gateway of this release?)`);
  }
  return JSON.parse(text) as NodeJoinDto;
}
