// ops/backup and ops/restore on the embedded stack, for real: the gateway and worker processes,
// Postgres, Redis, ffmpeg. The Docker Compose path cannot run here (no Docker engine): it is
// driven against a stand-in `docker` (a test double, below) that records what it is asked and
// answers as the stack would, so the commands are checked, not run.
import { execFile, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import * as tus from 'tus-js-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EntryDto, MediaDetails, NebulaEvent } from '@nebula/contract';
import { PostgresServer } from '../embedded/postgres-server';
import type { StackFile } from '../embedded/supervisor';
import { freePort } from '../embedded/processes';
import { fileIdOf } from '../backup-tool/object-copy';
import { startNebula, type RunningNebula } from '../test-support/nebula-process';
import { createTestDatabase, makeRandomFile, startRedis, tempDir } from '../test-support/services';

const exec = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** ops/backup or ops/restore as a user runs it, pointed at one Nebula by its settings. */
async function ops(command: 'backup' | 'restore', args: string[], env: Record<string, string>): Promise<Run> {
  return exec(join(root, 'ops', command), args, { cwd: root, env: { ...process.env, ...env } }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  );
}

function upload(url: string, file: string, name: string, folder = '/'): Promise<void> {
  return new Promise((resolve, reject) => {
    new tus.Upload(createReadStream(file), {
      endpoint: `${url}/api/uploads`,
      uploadSize: statSync(file).size,
      chunkSize: 64 * 1024 * 1024,
      metadata: { filename: name, folder },
      // A refusal (409 for a taken name) is the answer, not something to retry.
      retryDelays: [],
      onError: reject,
      onSuccess: () => resolve(),
    }).start();
  });
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

async function sha256Of(url: string): Promise<string> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: ${res.status}`);
  return createHash('sha256').update(Buffer.from(await res.arrayBuffer())).digest('hex');
}

/** Every playlist, init segment and media segment of a file's ladder, each with the sha256 of its bytes. */
async function ladder(url: string, fileId: string): Promise<Record<string, string>> {
  const found: Record<string, string> = {};
  const visit = async (path: string) => {
    if (found[path]) return;
    const res = await fetch(`${url}/hls/${fileId}/${path}`);
    if (!res.ok) throw new Error(`GET /hls/${fileId}/${path}: ${res.status}`);
    const body = Buffer.from(await res.arrayBuffer());
    found[path] = createHash('sha256').update(body).digest('hex');
    if (!path.endsWith('.m3u8')) return;
    const text = body.toString();
    const refs = [...text.split('\n').filter((l) => l && !l.startsWith('#')), ...[...text.matchAll(/URI="([^"]+)"/g)].map((m) => m[1]!)];
    for (const ref of refs) await visit(posix.normalize(posix.join(posix.dirname(path), ref.trim())));
  };
  await visit('master.m3u8');
  return found;
}

/** What a user of a Nebula can see of its files and history, through the gateway. */
async function everything(url: string, files: EntryDto[]) {
  const out: Record<string, unknown> = {};
  for (const file of files) {
    const media = await getJson<MediaDetails>(`${url}/api/files/${file.id}/media`);
    out[file.path] = {
      entry: await getJson<EntryDto>(`${url}/api/files/${file.id}`),
      content: await sha256Of(`${url}/api/files/${file.id}/content`),
      media,
      ladder: media.status === 'ready' ? await ladder(url, file.id) : null,
      poster: media.poster ? await sha256Of(`${url}/api/files/${file.id}/poster.jpg`) : null,
    };
  }
  out.events = await getJson<NebulaEvent[]>(`${url}/api/events?limit=1000`);
  out.root = await getJson(`${url}/api/files?path=/`);
  out.docs = await getJson(`${url}/api/files?path=/docs`);
  return out;
}

describe('ops/backup and ops/restore on the embedded stack (real gateway, worker, Postgres, ffmpeg)', () => {
  let work: Awaited<ReturnType<typeof tempDir>>;
  let source: RunningNebula | undefined;
  let target: RunningNebula | undefined;
  let backupDir = '';
  let before: Record<string, unknown>;
  let files: EntryDto[] = [];

  beforeAll(async () => {
    [work, source] = await Promise.all([tempDir('nebula-backup-'), startNebula()]);
  });

  afterAll(async () => {
    await source?.stop();
    await target?.stop();
    await work?.remove();
  });

  it('backs up a Nebula with a video, its HLS ladder and poster, other files in a folder, and their history', async () => {
    const url = source!.url;
    const video = join(work.path, 'beach.mp4');
    await exec('ffmpeg', [
      '-hide_banner', '-loglevel', 'error', '-y',
      '-f', 'lavfi', '-i', 'testsrc2=size=854x480:rate=30:duration=2', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=2',
      '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', video,
    ]);
    const blob = join(work.path, 'scan.bin');
    await makeRandomFile(blob, 3 * 1024 * 1024 + 17);
    writeFileSync(join(work.path, 'notes.txt'), 'what to pack\n');
    expect((await fetch(`${url}/api/folders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ path: '/docs' }) })).status).toBe(201);
    await upload(url, video, 'beach.mp4');
    await upload(url, blob, 'scan.bin', '/docs');
    await upload(url, join(work.path, 'notes.txt'), 'notes.txt', '/docs');

    const lookup = (path: string) => getJson<EntryDto>(`${url}/api/files/lookup?path=${encodeURIComponent(path)}`);
    files = await Promise.all(['/beach.mp4', '/docs/scan.bin', '/docs/notes.txt'].map(lookup));
    await expect.poll(async () => (await getJson<MediaDetails>(`${url}/api/files/${files[0]!.id}/media`)).status, { timeout: 120_000, interval: 250 }).toBe('ready');
    before = await everything(url, files);
    expect(Object.keys((before['/beach.mp4'] as { ladder: object }).ladder).length).toBeGreaterThan(3);
    expect((before.events as NebulaEvent[]).map((e) => e.type)).toEqual(expect.arrayContaining(['folder.created', 'upload.completed', 'media.ready']));

    const run = await ops('backup', [join(work.path, 'backups')], source!.env);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);

    const made = readdirSync(join(work.path, 'backups'));
    expect(made).toHaveLength(1);
    expect(made[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ$/);
    backupDir = join(work.path, 'backups', made[0]!);
    expect(run.stdout).toContain(`backup written to ${backupDir}`);
    const manifest = JSON.parse(readFileSync(join(backupDir, 'manifest.json'), 'utf8'));
    const dump = readFileSync(join(backupDir, 'database.jsonl.gz'));
    expect(manifest).toMatchObject({
      nebulaBackup: 1,
      source: 'embedded',
      database: { file: 'database.jsonl.gz', format: 'nebula-jsonl', bytes: dump.length, sha256: createHash('sha256').update(dump).digest('hex') },
      objects: { dir: 'objects', skipped: 0, missing: [] },
    });
    expect(manifest.database.tables).toMatchObject({ entries: 4, events: (before.events as NebulaEvent[]).length });
    expect(manifest.database.tables.media_attempts).toBeGreaterThanOrEqual(1);
    expect(manifest.database.migrations.length).toBeGreaterThan(0);
    // The objects are plain files, in the storage key layout.
    expect(statSync(join(backupDir, 'objects', 'originals', files[1]!.id)).size).toBe(3 * 1024 * 1024 + 17);
    expect(existsSync(join(backupDir, 'objects', 'hls', files[0]!.id, 'master.m3u8'))).toBe(true);
    expect(manifest.objects.count).toBeGreaterThan(Object.keys((before['/beach.mp4'] as { ladder: object }).ladder).length);
  });

  it('restores into a new, empty Nebula: every file, rendition, poster and event comes back as it was', async () => {
    expect(backupDir).not.toBe('');
    // The old Nebula is gone: its database dropped, its data folder deleted.
    await source!.stop();
    source = undefined;
    target = await startNebula();

    const run = await ops('restore', [backupDir], target.env);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('restored');

    const after = await everything(target.url, files);
    expect(after).toEqual(before);
  });

  it('goes on after the restored history: a new upload gets the next event id and the restored names stay taken', async () => {
    const url = target!.url;
    const restored = await getJson<NebulaEvent[]>(`${url}/api/events?limit=1000`);
    const highest = Math.max(...restored.map((e) => Number(e.id)));
    writeFileSync(join(work.path, 'later.txt'), 'after the restore\n');
    await upload(url, join(work.path, 'later.txt'), 'later.txt', '/docs');
    const events = await getJson<NebulaEvent[]>(`${url}/api/events?after=${highest}`);
    expect(events.map((e) => e.type)).toContain('upload.completed');
    expect(Math.min(...events.map((e) => Number(e.id)))).toBe(highest + 1);
    await expect(upload(url, join(work.path, 'later.txt'), 'notes.txt', '/docs')).rejects.toThrow(/409/);
  });

  it('refuses to restore into a Nebula that holds files, and replaces them with --force', async () => {
    const refused = await ops('restore', [backupDir], target!.env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      'ops/restore: the object storage is not empty: restore into an empty Nebula, or pass --force to replace what it holds\n',
    );

    const forced = await ops('restore', ['--force', backupDir], target!.env);
    expect(forced.stderr).toBe('');
    expect(forced.code).toBe(0);
    // later.txt, uploaded after the backup, is gone; everything else is as it was backed up.
    expect((await fetch(`${target!.url}/api/files/lookup?path=/docs/later.txt`)).status).toBe(404);
    expect(await everything(target!.url, files)).toEqual(before);
  });

  it('refuses a backup whose dump does not match its manifest, and changes nothing', async () => {
    const broken = join(work.path, 'broken');
    await exec('cp', ['-r', backupDir, broken]);
    const dump = join(broken, 'database.jsonl.gz');
    const bytes = readFileSync(dump);
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 10) ^ 0xff, bytes.length - 10);
    writeFileSync(dump, bytes);
    const run = await ops('restore', ['--force', broken], target!.env);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(new RegExp(`^ops/restore: the database dump ${dump} is damaged: its sha256 is [0-9a-f]{64}, the manifest says [0-9a-f]{64}\\n$`));
    expect(await everything(target!.url, files)).toEqual(before);
  });

  it('refuses a backup whose objects folder lost a file, before touching the database or the storage', async () => {
    const cut = join(work.path, 'cut');
    await exec('cp', ['-r', backupDir, cut]);
    const gone = join(cut, 'objects', 'originals', files[2]!.id);
    const size = statSync(gone).size;
    rmSync(gone);
    const manifest = JSON.parse(readFileSync(join(cut, 'manifest.json'), 'utf8'));
    const run = await ops('restore', ['--force', cut], target!.env);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `ops/restore: the backup is incomplete: ${join(cut, 'objects')} holds ${manifest.objects.count - 1} objects (${manifest.objects.bytes - size} bytes), the manifest says ${manifest.objects.count} (${manifest.objects.bytes} bytes)\n`,
    );
    expect(run.stdout).not.toContain('database:');
    expect(await everything(target!.url, files)).toEqual(before);
  });

  // A real full disk: a 1 MiB tmpfs (mounting one needs root, as CI has).
  it.runIf(process.getuid?.() === 0)('says the disk is full in one line and leaves no unfinished folder, whether the dump or the objects hit it', async () => {
    const small = join(work.path, 'small-disk');
    mkdirSync(small);
    await exec('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', small]);
    try {
      // First not a byte is free, so the dump cannot be written; then 1 MiB is, where the dump
      // fits but the 3 MiB scan does not.
      spawnSync('dd', ['if=/dev/zero', `of=${join(small, 'filler')}`, 'bs=64k'], { stdio: 'ignore' });
      for (const hit of ['the dump', 'the objects']) {
        if (hit === 'the objects') rmSync(join(small, 'filler'));
        const run = await ops('backup', [small], target!.env);
        expect(run.code, hit).toBe(1);
        expect(run.stderr, hit).toMatch(/^ops\/backup: the disk is full \(ENOSPC: no space left on device, \w+\); the unfinished backup was removed\n$/);
        expect(readdirSync(small), hit).toEqual(hit === 'the dump' ? ['filler'] : []);
        if (hit === 'the dump') expect(run.stdout).not.toContain('database:');
        else expect(run.stdout).toContain('database:');
      }
    } finally {
      await exec('umount', [small]);
    }
  });

  it('backs up an `npm start` stack through its Postgres: running, or stopped by starting that Postgres alone and stopping it again', async () => {
    // An embedded data folder as `npm start` leaves it: a Postgres cluster, its password, the
    // schema, and (restored into it here) the backed-up files. Then everything is stopped.
    const data = await tempDir('nebula-stopped-');
    const redis = await startRedis();
    const postgres = new PostgresServer({ dataDir: join(data.path, 'postgres_data'), port: await freePort(), user: 'nebula', password: 'stopped-secret' });
    try {
      await postgres.initialise();
      await postgres.start();
      await postgres.ensureDatabase('nebula');
      writeFileSync(join(data.path, 'embedded-secrets.json'), JSON.stringify({ postgresPassword: 'stopped-secret' }));
      const stackEnv = { DATABASE_URL: postgres.url('nebula'), REDIS_URL: redis.url, NEBULA_DATA_DIR: data.path };
      await exec(process.execPath, ['--conditions=production', 'server/dist/migrate.js'], { cwd: root, env: { ...process.env, ...stackEnv } });
      expect((await ops('restore', [backupDir], stackEnv)).code).toBe(0);

      // While it runs, the backup finds its Postgres through run/stack.json, as `npm start` writes it.
      const stack: StackFile = { supervisorPid: process.pid, url: 'http://127.0.0.1:8080', postgres: { port: postgres.options.port, dataDir: postgres.options.dataDir }, redis: { port: 6379 } };
      await exec('mkdir', ['-p', join(data.path, 'run')]);
      writeFileSync(join(data.path, 'run', 'stack.json'), JSON.stringify(stack));
      const running = await ops('backup', ['--embedded', join(data.path, 'while-running')], { NEBULA_DATA_DIR: data.path, DATABASE_URL: '' });
      expect(running.stderr).toBe('');
      expect(running.stdout).toContain(`backing up the running Nebula of \`npm start\` on ${data.path} (http://127.0.0.1:8080)`);
      await postgres.stop();

      // Stopped, with the stack file of an `npm start` that was killed (its process is gone) left behind.
      const gone = spawnSync('true').pid;
      writeFileSync(join(data.path, 'run', 'stack.json'), JSON.stringify({ ...stack, supervisorPid: gone }));
      const run = await ops('backup', ['--embedded', join(data.path, 'backups')], { NEBULA_DATA_DIR: data.path, DATABASE_URL: '' });
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(
        new RegExp(
          `^ignoring ${join(data.path, 'run', 'stack.json')}: the \`npm start\` that wrote it \\(pid ${gone}\\) is not running\n` +
            `Nebula is not running on ${data.path}: starting its Postgres alone \\(127\\.0\\.0\\.1:\\d+\\) for this run\n`,
        ),
      );
      expect(await postgres.isRunning()).toBe(false);
      const [name] = readdirSync(join(data.path, 'backups'));
      const again = JSON.parse(readFileSync(join(data.path, 'backups', name!, 'manifest.json'), 'utf8'));
      const first = JSON.parse(readFileSync(join(backupDir, 'manifest.json'), 'utf8'));
      expect(again.database.tables).toEqual(first.database.tables);
      expect(again.objects).toEqual(first.objects);
      const [whileRunning] = readdirSync(join(data.path, 'while-running'));
      expect(JSON.parse(readFileSync(join(data.path, 'while-running', whileRunning!, 'manifest.json'), 'utf8')).database.tables).toEqual(first.database.tables);

      // The SQL that the compose restore sends through psql, run on this real Nebula schema.
      await postgres.start();
      const client = new pg.Client({ connectionString: postgres.url('nebula') });
      await client.connect();
      try {
        await client.query(`UPDATE entries SET media_status = 'processing' WHERE name = 'beach.mp4'`);
        const { rows } = await client.query(composeSql('unfinished_media_sql'));
        const completed = (before.events as NebulaEvent[]).find((e) => e.type === 'upload.completed' && e.subject === `file:${files[0]!.id}`);
        expect(rows.map((r: Record<string, unknown>) => Object.values(r).map(String))).toEqual([[completed!.id, '/beach.mp4']]);
        await client.query(composeSql('drop_tables_sql'));
        expect((await client.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public'`)).rows).toEqual([]);
      } finally {
        await client.end();
      }
    } finally {
      await postgres.stop();
      await redis.stop();
      await data.remove();
    }
  });

  it('says what to do when the folder holds no Nebula', async () => {
    const empty = await tempDir('nebula-nostack-');
    try {
      const run = await ops('backup', ['--embedded', join(empty.path, 'backups')], { NEBULA_DATA_DIR: empty.path, DATABASE_URL: '' });
      expect(run.code).toBe(1);
      expect(run.stderr).toBe(
        `ops/backup: no Nebula found in ${empty.path} (it has no embedded-secrets.json and postgres_data/ of \`npm start\`): set NEBULA_DATA_DIR to the data folder ` +
          'Nebula runs on, start a new one there with `npm start` to restore into, set DATABASE_URL for one run by hand, or use --compose for the Docker Compose stack\n',
      );
      expect(existsSync(join(empty.path, 'backups'))).toBe(false);
    } finally {
      await empty.remove();
    }
  });

  it('refuses a folder that is not a backup', async () => {
    const run = await ops('restore', [work.path], target!.env);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`ops/restore: ${work.path} is not a Nebula backup: it has no manifest.json\n`);
  });

  it('restores the same backup into a Nebula on S3 storage: the key layout is one for both drivers', async () => {
    const onS3 = await startNebula({ storage: 's3' });
    try {
      const run = await ops('restore', [backupDir], onS3.env);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(await everything(onS3.url, files)).toEqual(before);
    } finally {
      await onS3.stop();
    }
  });

  it('is shellcheck-clean', () => {
    const result = spawnSync('shellcheck', ['-x', 'ops/backup', 'ops/restore', 'ops/backup-tool/compose.sh'], { cwd: root, encoding: 'utf8' });
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});

describe('an interrupted ops/backup (Ctrl-C, or SIGTERM from systemd or a timeout)', () => {
  it('stops the Postgres it started for a stopped `npm start` stack and removes its unfinished folder, exiting 130 or 143', async () => {
    const data = await tempDir('nebula-interrupted-');
    const redis = await startRedis();
    const password = 'held-secret';
    const postgres = new PostgresServer({ dataDir: join(data.path, 'postgres_data'), port: await freePort(), user: 'nebula', password });
    const sql = async (port: number, ...statements: string[]) => {
      const client = new pg.Client({ connectionString: `postgres://nebula:${password}@127.0.0.1:${port}/nebula` });
      await client.connect();
      try {
        let rows: Record<string, unknown>[] = [];
        for (const statement of statements) rows = (await client.query(statement)).rows;
        return rows;
      } finally {
        await client.end();
      }
    };
    try {
      await postgres.initialise();
      await postgres.start();
      await postgres.ensureDatabase('nebula');
      writeFileSync(join(data.path, 'embedded-secrets.json'), JSON.stringify({ postgresPassword: password }));
      await exec(process.execPath, ['--conditions=production', 'server/dist/migrate.js'], {
        cwd: root,
        env: { ...process.env, DATABASE_URL: postgres.url('nebula'), REDIS_URL: redis.url, NEBULA_DATA_DIR: data.path },
      });
      // A prepared transaction holding every Nebula table locked: it outlives restarts, so the
      // Postgres that ops/backup starts comes up with it, and the dump waits for as long as the test wants.
      await sql(postgres.options.port, 'ALTER SYSTEM SET max_prepared_transactions = 1');
      await postgres.stop();
      await postgres.start();
      await sql(postgres.options.port, 'BEGIN', 'LOCK TABLE entries, events, media_attempts IN ACCESS EXCLUSIVE MODE', "PREPARE TRANSACTION 'hold'");
      await postgres.stop();

      const dest = join(data.path, 'backups');
      for (const [signal, code, whole] of [['SIGINT', 130, true], ['SIGTERM', 143, false]] as const) {
        const child = spawn(join(root, 'ops', 'backup'), ['--embedded', dest], {
          cwd: root,
          env: { ...process.env, NEBULA_DATA_DIR: data.path, DATABASE_URL: '' },
          detached: true,
        });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));

        await expect.poll(() => /starting its Postgres alone \(127\.0\.0\.1:(\d+)\)/.exec(stdout), { timeout: 60_000, interval: 100 }).not.toBeNull();
        const port = Number(/starting its Postgres alone \(127\.0\.0\.1:(\d+)\)/.exec(stdout)![1]);
        const waiting = () => sql(port, `SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock'`).then((rows) => rows[0]!.n, () => 0);
        await expect.poll(waiting, { timeout: 60_000, interval: 200 }).toBe(1);
        expect(readdirSync(dest)).toEqual([expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ\.partial$/)]);

        // Ctrl-C reaches the whole process group in a terminal; systemd's SIGTERM may reach only the process.
        process.kill(whole ? -child.pid! : child.pid!, signal);
        expect(await exited).toBe(code);
        expect(stderr).toBe(`ops/backup: ${signal}: stopping, and undoing what this run started\n`);
        expect(readdirSync(dest)).toEqual([]);
        expect(await postgres.isRunning()).toBe(false);
      }
    } finally {
      await postgres.stop();
      await redis.stop();
      await data.remove();
    }
  });
});

describe('which file an object belongs to (what a backup keeps of the database snapshot)', () => {
  it('reads the file id from the storage key layout, and nothing from keys outside it', () => {
    const id = '243c2ac1-6ba1-40a0-b28a-72b9662b8002';
    expect(fileIdOf(`originals/${id}`)).toBe(id);
    expect(fileIdOf(`originals/${id}.info`)).toBe(id);
    expect(fileIdOf(`hls/${id}/master.m3u8`)).toBe(id);
    expect(fileIdOf(`hls/${id}/run-1/720p/seg_00001.m4s`)).toBe(id);
    expect(fileIdOf(`posters/${id}.jpg`)).toBe(id);
    expect(fileIdOf('exports/report.csv')).toBeNull();
    expect(fileIdOf(`hls/${id}`)).toBeNull();
  });
});

/** One of the values compose.sh holds (SQL it sends through psql, scripts it runs in a container), as the script holds it. */
function composeSql(name: 'drop_tables_sql' | 'unfinished_media_sql' | 'drop_unfinished_uploads_sql' | 'restore_database_script' | 'mc_login' | 'first_object_script'): string {
  const script = `root=/nowhere program=test; . ops/backup-tool/compose.sh; printf %s "$${name}"`;
  return spawnSync('bash', ['-c', script], { cwd: root, encoding: 'utf8' }).stdout;
}

/**
 * A stand-in for the `docker` CLI (a test double: no Docker engine runs here). It appends each
 * call to a log, one line of arguments, and answers as the compose stack would: `ps` lists the
 * running services (FAKE_RUNNING), pg_dump prints a dump, psql prints a row count (FAKE_ROWS).
 * The shell scripts that compose.sh runs in a one-off MinIO container (`run ... minio -c`) run
 * here for real, with the minio service's environment (FAKE_MINIO_USER, FAKE_MINIO_PASSWORD) and
 * the stand-in `mc` below. With FAKE_PG_URL set, what compose.sh runs in the postgres container
 * (`exec -T postgres ...`) runs here too, against that real database, through the stand-in
 * psql and pg_restore below.
 */
const FAKE_DOCKER = `#!/usr/bin/env bash
set -euo pipefail
# One line per call: the arguments separated by \\x1f, newlines within them written as \\x1e.
printf '%s\\x1f' "$@" | tr '\\n' '\\036' >>"$FAKE_DOCKER_LOG"
echo >>"$FAKE_DOCKER_LOG"
args=("$@")
sub=
rest=()
for ((i = 0; i < $#; i++)); do
  case \${args[i]} in
    ps | exec | run | stop | start) sub=\${args[i]}; rest=("\${args[@]:i+1}"); break ;;
  esac
done
case $sub in
  ps) printf '%b\\n' "\${FAKE_RUNNING:-postgres\\nminio\\nredis\\ngateway\\nworker}" ;;
  exec)
    cmd=("\${rest[@]:2}")
    if [[ -n \${FAKE_PG_URL:-} ]]; then PATH=$FAKE_BIN/pg:$PATH exec "\${cmd[@]}"; fi
    case \${cmd[0]} in
      pg_dump) printf 'PGDMP fake custom-format dump\\n' ;;
      sh) printf 'stdin sha256 %s\\n' "$(sha256sum | cut -d ' ' -f 1)" >>"$FAKE_DOCKER_LOG" ;;
      psql) if [[ " \${cmd[*]} " != *' -c '* ]]; then cat >/dev/null; echo "\${FAKE_ROWS:-0}"; fi ;;
    esac
    ;;
  run)
    volume=
    prev=
    for arg in "\${rest[@]}"; do
      if [[ $prev == -v ]]; then volume=\${arg%%:*}; fi
      prev=$arg
    done
    MINIO_ROOT_USER=$FAKE_MINIO_USER MINIO_ROOT_PASSWORD=$FAKE_MINIO_PASSWORD FAKE_VOLUME=$volume PATH=$FAKE_BIN/mc:$PATH exec sh -c "\${args[-1]}"
    ;;
esac
`;

/**
 * A stand-in for \`mc\` in the MinIO image. It accepts only MC_HOST_nebula built from the service's
 * credentials as they are (mc reads its keys without URL decoding), and refuses like MinIO does
 * otherwise. The bucket holds a finished upload's original and playlist, and tus' state objects
 * (originals/<id>.info, .part) of both that and a running upload; --exclude patterns match the
 * key as mc's wildcard does (\`*\` crosses \`/\`). /backup/objects is the mounted host folder.
 */
const FAKE_MC = `#!/usr/bin/env bash
set -euo pipefail
printf 'mc %s\\n' "$*" >>"$FAKE_DOCKER_LOG"
if [[ \${MC_HOST_nebula:-} != "http://$MINIO_ROOT_USER:$MINIO_ROOT_PASSWORD@minio:9000" ]]; then
  echo 'mc: <ERROR> Unable to list folder. The Access Key Id you provided does not exist in our records.' >&2
  exit 1
fi
if [[ -n \${FAKE_MC_ERROR:-} ]]; then echo "mc: <ERROR> $FAKE_MC_ERROR" >&2; exit 1; fi
case "$*" in
  'ls nebula') if [[ -z \${FAKE_NO_BUCKET:-} ]]; then echo '[2026-11-30 21:00:00 UTC]     0B nebula/'; fi ;;
  'ls nebula/nebula') if [[ -n \${FAKE_OBJECTS:-} ]]; then printf '%s\\n' "$FAKE_OBJECTS"; fi ;;
  'mb --ignore-existing nebula/nebula') ;;
  *' nebula/nebula /backup/objects')
    excludes=()
    prev=
    for arg in "$@"; do
      if [[ $prev == --exclude ]]; then excludes+=("$arg"); fi
      prev=$arg
    done
    declare -A bucket=([originals/f1]='original bytes' [hls/f1/master.m3u8]=$'#EXTM3U\\n' [originals/f1.info]='{"ID":"originals/f1"}' [originals/f2.info]='{"ID":"originals/f2"}' [originals/f2.part]='the tail of a running upload')
    for key in "\${!bucket[@]}"; do
      for pattern in "\${excludes[@]}"; do
        # shellcheck disable=SC2053 # a pattern, as mc's --exclude
        if [[ $key == $pattern ]]; then continue 2; fi
      done
      mkdir -p "$(dirname "$FAKE_VOLUME/$key")"
      printf '%s' "\${bucket[$key]}" >"$FAKE_VOLUME/$key"
    done
    ;;
  *' /backup/objects nebula/nebula') printf 'mirrored in: %s\\n' "$(cd "$FAKE_VOLUME" && find . -type f | sort | tr '\\n' ' ')" >>"$FAKE_DOCKER_LOG" ;;
  *) echo "stand-in mc: unexpected call: $*" >&2; exit 1 ;;
esac
`;

/** psql in the postgres container (user nebula, database nebula, over its socket): the real psql, on the test's database. */
const FAKE_PSQL = `#!/usr/bin/env bash
args=()
for arg in "$@"; do
  case $arg in --username=* | --dbname=*) ;; *) args+=("$arg") ;; esac
done
exec "$FAKE_REAL_PSQL" --dbname="$FAKE_PG_URL" "\${args[@]}"
`;

/**
 * pg_restore --file=<sql> with the dump on stdin. No pg_dump for PostgreSQL 18 exists here to make
 * a real custom-format dump, so these tests' dumps are the SQL pg_restore would print: it copies
 * them, and fails as pg_restore does on a cut-off dump when one ends in "-- cut off".
 */
const FAKE_PG_RESTORE = `#!/usr/bin/env bash
set -euo pipefail
out=
for arg in "$@"; do case $arg in --file=*) out=\${arg#--file=} ;; esac; done
cat >"$out"
if grep -q '^-- cut off' "$out"; then echo 'pg_restore: error: could not read from input file: end of file' >&2; exit 1; fi
`;

describe('ops/backup --compose and ops/restore --compose (against a stand-in for the docker CLI)', () => {
  let work: Awaited<ReturnType<typeof tempDir>>;
  let env: Record<string, string>;
  const log = () =>
    readFileSync(env.FAKE_DOCKER_LOG!, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split('\x1f').filter(Boolean).join(' ').split('\x1e').join('\n'));
  const compose = `compose --project-directory ${root}`;
  const mc = composeSql('mc_login');

  beforeAll(async () => {
    work = await tempDir('nebula-compose-backup-');
    const bin = join(work.path, 'bin');
    await exec('mkdir', ['-p', bin, join(bin, 'mc'), join(bin, 'pg')]);
    writeFileSync(join(bin, 'docker'), FAKE_DOCKER, { mode: 0o755 });
    writeFileSync(join(bin, 'mc', 'mc'), FAKE_MC, { mode: 0o755 });
    writeFileSync(join(bin, 'pg', 'psql'), FAKE_PSQL, { mode: 0o755 });
    writeFileSync(join(bin, 'pg', 'pg_restore'), FAKE_PG_RESTORE, { mode: 0o755 });
    env = {
      PATH: `${bin}:${process.env.PATH}`,
      FAKE_BIN: bin,
      FAKE_DOCKER_LOG: join(work.path, 'docker.log'),
      FAKE_MINIO_USER: 'nebula-admin',
      FAKE_MINIO_PASSWORD: 'minio-secret',
      DATABASE_URL: '',
      NEBULA_DATA_DIR: join(work.path, 'no-embedded-stack'),
    };
  });
  afterAll(() => work?.remove());

  let backupDir = '';

  it('dumps with pg_dump in the postgres container and mirrors the bucket with mc, into a dated folder with a manifest', async () => {
    writeFileSync(env.FAKE_DOCKER_LOG!, '');
    // No --compose: without an embedded stack and with docker on the PATH, compose is the guess.
    const run = await ops('backup', [join(work.path, 'backups')], env);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const [name] = readdirSync(join(work.path, 'backups'));
    expect(name).toMatch(/^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ$/);
    backupDir = join(work.path, 'backups', name!);
    const partial = `${backupDir}.partial`;
    const { uid, gid } = { uid: process.getuid!(), gid: process.getgid!() };
    expect(log()).toEqual([
      `${compose} ps --status running --services`,
      `${compose} exec -T postgres pg_dump --username=nebula --dbname=nebula --format=custom --no-owner`,
      `${compose} run --rm --no-deps -T --user ${uid}:${gid} -v ${partial}/objects:/backup/objects --entrypoint sh minio -c ${mc}mc mirror --quiet --exclude 'originals/*.info' --exclude 'originals/*.part' nebula/nebula /backup/objects`,
      'mc mirror --quiet --exclude originals/*.info --exclude originals/*.part nebula/nebula /backup/objects',
    ]);
    const dump = readFileSync(join(backupDir, 'database.pgdump'));
    expect(dump.toString()).toBe('PGDMP fake custom-format dump\n');
    const manifest = JSON.parse(readFileSync(join(backupDir, 'manifest.json'), 'utf8'));
    expect(manifest).toEqual({
      nebulaBackup: 1,
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      source: 'compose',
      database: { file: 'database.pgdump', format: 'pg_dump-custom', bytes: dump.length, sha256: createHash('sha256').update(dump).digest('hex') },
      objects: { dir: 'objects', count: 2, bytes: 'original bytes'.length + '#EXTM3U\n'.length },
    });
    expect(readFileSync(join(backupDir, 'objects', 'originals', 'f1'), 'utf8')).toBe('original bytes');
    // tus' upload state is no object of any file: neither the finished upload's nor the running one's.
    expect(readdirSync(join(backupDir, 'objects', 'originals'))).toEqual(['f1']);
  });

  it("hands mc MinIO's credentials through the environment only, as they are, and never on a command line", async () => {
    const secret = 'p@ss/w#rd%41$HOME';
    writeFileSync(env.FAKE_DOCKER_LOG!, '');
    const run = await ops('backup', ['--compose', join(work.path, 'odd-password')], { ...env, FAKE_MINIO_PASSWORD: secret });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(readFileSync(env.FAKE_DOCKER_LOG!, 'utf8')).not.toContain(secret);

    // mc would read a colon in either key as the start of a session token: refused, saying why.
    const colon = await ops('backup', ['--compose', join(work.path, 'colon')], { ...env, FAKE_MINIO_PASSWORD: 'half:half' });
    expect(colon.code).toBe(1);
    expect(colon.stderr).toBe(
      'MINIO_ROOT_USER or MINIO_ROOT_PASSWORD in .env contains a colon, which mc cannot take in MC_HOST_nebula: change the password (openssl rand -hex 24)\n' +
        'ops/backup: mc mirror failed (see above)\n',
    );
    expect(existsSync(join(work.path, 'colon'))).toBe(true);
    expect(readdirSync(join(work.path, 'colon'))).toEqual([]);
  });

  it('refuses to back up a stack whose Postgres is not running, leaving no folder behind', async () => {
    const run = await ops('backup', ['--compose', join(work.path, 'none')], { ...env, FAKE_RUNNING: 'redis' });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('ops/backup: the compose service postgres is not running: start the stack first (docker compose up -d)\n');
    expect(existsSync(join(work.path, 'none'))).toBe(false);
  });

  it('restores into an empty stack: gateway and worker stopped, the database replaced in one transaction, the bucket mirrored back, both started', async () => {
    writeFileSync(env.FAKE_DOCKER_LOG!, '');
    const run = await ops('restore', ['--compose', backupDir], env);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const sha = createHash('sha256').update(readFileSync(join(backupDir, 'database.pgdump'))).digest('hex');
    expect(log()).toEqual([
      `${compose} ps --status running --services`,
      `${compose} exec -T postgres psql --username=nebula --dbname=nebula -tA -v ON_ERROR_STOP=1`,
      `${compose} run --rm --no-deps -T --entrypoint sh minio -c ${mc}${composeSql('first_object_script')}`,
      'mc ls nebula',
      'mc ls nebula/nebula',
      `${compose} stop gateway worker`,
      `${compose} exec -T postgres sh -c ${composeSql('restore_database_script')} sh ${composeSql('drop_tables_sql')} ${composeSql('drop_unfinished_uploads_sql')}`,
      `stdin sha256 ${sha}`,
      `${compose} run --rm --no-deps -T -v ${backupDir}/objects:/backup/objects:ro --entrypoint sh minio -c ${mc}mc mb --ignore-existing nebula/nebula >/dev/null && mc mirror --quiet --overwrite --remove /backup/objects nebula/nebula`,
      'mc mb --ignore-existing nebula/nebula',
      'mc mirror --quiet --overwrite --remove /backup/objects nebula/nebula',
      'mirrored in: ./hls/f1/master.m3u8 ./originals/f1 ',
      // Which videos were still transcoding at backup time, to tell how to replay them.
      `${compose} exec -T postgres psql --username=nebula --dbname=nebula -tA -F   -c ${composeSql('unfinished_media_sql')}`,
      `${compose} start gateway worker`,
    ]);
  });

  it('takes a stack without a bucket yet (its gateway never ran) as empty', async () => {
    writeFileSync(env.FAKE_DOCKER_LOG!, '');
    const run = await ops('restore', ['--compose', backupDir], { ...env, FAKE_NO_BUCKET: '1' });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(log()).toContain('mc ls nebula');
    expect(log()).not.toContain('mc ls nebula/nebula');
  });

  it('refuses a stack that holds files or objects, touching nothing, and replaces them with --force', async () => {
    writeFileSync(env.FAKE_DOCKER_LOG!, '');
    const refused = await ops('restore', ['--compose', backupDir], { ...env, FAKE_ROWS: '12', FAKE_OBJECTS: '[2026-11-30 21:00:00 UTC]     0B originals/' });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe('ops/restore: the stack is not empty (12 file and event rows, objects in the bucket): restore into an empty stack, or pass --force to replace what it holds\n');
    expect(log().some((l) => / (stop|sh -c|start) /.test(l))).toBe(false);

    writeFileSync(env.FAKE_DOCKER_LOG!, '');
    const forced = await ops('restore', ['--compose', '--force', backupDir], { ...env, FAKE_ROWS: '12' });
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain('--force: replacing what the stack holds');
    expect(log().filter((l) => / (stop|start) gateway worker$/.test(l) || l.startsWith(`${compose} exec -T postgres sh -c`))).toHaveLength(3);
  });

  it('stops when MinIO cannot be asked whether it holds objects, instead of taking that for empty', async () => {
    writeFileSync(env.FAKE_DOCKER_LOG!, '');
    const run = await ops('restore', ['--compose', backupDir], { ...env, FAKE_MC_ERROR: 'Unable to list folder. Server not initialized yet, please try again.' });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      'mc: <ERROR> Unable to list folder. Server not initialized yet, please try again.\n' +
        'ops/restore: cannot list the MinIO bucket nebula (see above): is MinIO up, and are MINIO_ROOT_USER and MINIO_ROOT_PASSWORD in .env the ones it started with?\n',
    );
    expect(log().some((l) => / (stop|sh -c|start) /.test(l))).toBe(false);
  });

  it('refuses a damaged dump before asking Docker anything', async () => {
    const broken = join(work.path, 'broken');
    await exec('cp', ['-r', backupDir, broken]);
    writeFileSync(join(broken, 'database.pgdump'), 'PGDMP tampered\n');
    writeFileSync(env.FAKE_DOCKER_LOG!, '');
    const run = await ops('restore', ['--compose', broken], env);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^ops\/restore: the database dump .*\/broken\/database\.pgdump is damaged: its sha256 is [0-9a-f]{64}, the manifest says [0-9a-f]{64}\n$/);
    expect(log()).toEqual([]);
  });

  it('refuses a backup whose objects are missing or differ from its manifest, before asking Docker anything', async () => {
    const noObjects = join(work.path, 'no-objects');
    await exec('cp', ['-r', backupDir, noObjects]);
    await exec('rm', ['-r', join(noObjects, 'objects')]);
    writeFileSync(env.FAKE_DOCKER_LOG!, '');
    const missing = await ops('restore', ['--compose', '--force', noObjects], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(`ops/restore: the backup is incomplete: ${noObjects}/objects/ (the originals, renditions and posters) is missing\n`);

    const shortOne = join(work.path, 'short-one');
    await exec('cp', ['-r', backupDir, shortOne]);
    await exec('rm', [join(shortOne, 'objects', 'hls', 'f1', 'master.m3u8')]);
    const short = await ops('restore', ['--compose', '--force', shortOne], env);
    expect(short.code).toBe(1);
    expect(short.stderr).toBe(
      `ops/restore: the backup's objects do not match its manifest: ${shortOne}/objects holds 1 files (14 bytes), the manifest says 2 (22 bytes); copy the whole backup folder again\n`,
    );
    expect(log()).toEqual([]);
  });

  it('sends each kind of backup to the restore that reads it', async () => {
    const embedded = await ops('restore', ['--embedded', backupDir], env);
    expect(embedded.code).toBe(1);
    expect(embedded.stderr).toBe(`ops/restore: ${backupDir} was made from the Docker Compose stack (a pg_dump of PostgreSQL in its container): restore it there with ops/restore --compose\n`);

    const fromEmbedded = join(work.path, 'from-embedded');
    await exec('mkdir', ['-p', fromEmbedded]);
    writeFileSync(join(fromEmbedded, 'manifest.json'), JSON.stringify({ nebulaBackup: 1, database: { file: 'database.jsonl.gz', format: 'nebula-jsonl' } }, null, 2));
    const run = await ops('restore', ['--compose', fromEmbedded], env);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`ops/restore: ${fromEmbedded} was made from the embedded stack (npm start): restore it with ops/restore (without --compose)\n`);
  });

  describe("the database restore, run by the stand-in against a real Nebula database (what compose.sh runs in the postgres container)", () => {
    let db: Awaited<ReturnType<typeof createTestDatabase>>;
    let redis: Awaited<ReturnType<typeof startRedis>>;
    let pgEnv: Record<string, string>;
    const query = async (sql: string) => {
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      try {
        return (await client.query(sql)).rows as Record<string, unknown>[];
      } finally {
        await client.end();
      }
    };
    const state = async () => ({
      tables: (await query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`)).map((r) => r.tablename),
      entries: (await query(`SELECT name, status FROM entries ORDER BY name`)),
      events: (await query(`SELECT count(*)::int AS n FROM events`))[0]!.n,
    });
    /** A backup folder as ops/backup --compose writes it, around the given "dump" (see FAKE_PG_RESTORE). */
    const backupOf = (name: string, dump: string) => {
      const dir = join(work.path, name);
      spawnSync('mkdir', ['-p', join(dir, 'objects', 'originals')]);
      writeFileSync(join(dir, 'objects', 'originals', 'f1'), 'original bytes');
      writeFileSync(join(dir, 'database.pgdump'), dump);
      const manifest = {
        nebulaBackup: 1,
        createdAt: '2026-11-30T21:15:00Z',
        source: 'compose',
        database: { file: 'database.pgdump', format: 'pg_dump-custom', bytes: dump.length, sha256: createHash('sha256').update(dump).digest('hex') },
        objects: { dir: 'objects', count: 1, bytes: 'original bytes'.length },
      };
      writeFileSync(join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
      return dir;
    };
    const beach = '11111111-1111-4111-8111-111111111111';
    // What pg_restore prints for a dump: it empties search_path first, hence public.* in compose.sh.
    const dumpHead = `SET statement_timeout = 0;\nSELECT pg_catalog.set_config('search_path', '', false);\n`;
    const dumpTables =
      'CREATE TABLE public.entries (id uuid PRIMARY KEY, parent_id uuid, kind text NOT NULL, name text NOT NULL, status text NOT NULL, media_status text NOT NULL);\n' +
      'CREATE TABLE public.events (id bigint PRIMARY KEY, type text NOT NULL, subject text NOT NULL, data jsonb NOT NULL);\n';

    beforeAll(async () => {
      [db, redis] = await Promise.all([createTestDatabase(), startRedis()]);
      await exec(process.execPath, ['--conditions=production', 'server/dist/migrate.js'], { cwd: root, env: { ...process.env, DATABASE_URL: db.url, REDIS_URL: redis.url } });
      await query(`INSERT INTO entries (id, kind, name) VALUES ('22222222-2222-4222-8222-222222222222', 'folder', 'already-here')`);
      await query(`INSERT INTO events (type, subject, data) VALUES ('folder.created', 'folder:22222222-2222-4222-8222-222222222222', '{"path": "/already-here"}')`);
      const psql = spawnSync('sh', ['-c', 'command -v psql'], { encoding: 'utf8' }).stdout.trim();
      pgEnv = { ...env, FAKE_PG_URL: db.url, FAKE_REAL_PSQL: psql };
    });
    afterAll(async () => {
      await redis?.stop();
      await db?.drop();
    });

    it('leaves the database as it was when pg_restore cannot read the dump, and starts the gateway and worker again', async () => {
      const before = await state();
      expect(before.tables).toContain('media_attempts');
      writeFileSync(env.FAKE_DOCKER_LOG!, '');
      const run = await ops('restore', ['--compose', '--force', backupOf('cut-off', `${dumpHead}${dumpTables}-- cut off\n`)], pgEnv);
      expect(run.code).toBe(1);
      expect(run.stderr).toBe(
        'pg_restore: error: could not read from input file: end of file\nops/restore: the database restore failed (see above); the database is as it was before\n',
      );
      expect(await state()).toEqual(before);
      expect(log().at(-1)).toBe(`${compose} start gateway worker`);
      expect(log().some((l) => l.startsWith('mc mirror'))).toBe(false);
    });

    it('leaves the database as it was when the dump fails halfway through loading, though its tables were already dropped by then', async () => {
      const before = await state();
      const dump = `${dumpHead}${dumpTables}COPY public.entries (id, parent_id, kind, name, status, media_status) FROM stdin;\nnot-a-uuid\t\\N\tfile\tx\tready\tnone\n\\.\n`;
      const run = await ops('restore', ['--compose', '--force', backupOf('fails-halfway', dump)], pgEnv);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/invalid input syntax for type uuid: "not-a-uuid"[\s\S]*\nops\/restore: the database restore failed \(see above\); the database is as it was before\n$/);
      expect(await state()).toEqual(before);
    });

    it("replaces every table with the dump's and drops the uploads that were still running at backup time", async () => {
      const dump =
        dumpHead +
        dumpTables +
        'COPY public.entries (id, parent_id, kind, name, status, media_status) FROM stdin;\n' +
        `${beach}\t\\N\tfile\tbeach.mp4\tready\tqueued\n` +
        '33333333-3333-4333-8333-333333333333\t\\N\tfile\thalf.bin\tuploading\tnone\n' +
        '\\.\n' +
        'COPY public.events (id, type, subject, data) FROM stdin;\n' +
        `7\tupload.completed\tfile:${beach}\t{"path": "/beach.mp4"}\n` +
        '\\.\n';
      const run = await ops('restore', ['--compose', '--force', backupOf('good', dump)], pgEnv);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(await state()).toEqual({ tables: ['entries', 'events'], entries: [{ name: 'beach.mp4', status: 'ready' }], events: 1 });
      expect(run.stdout).toContain('  nebula replay 7   # /beach.mp4\n');
    });
  });
});
