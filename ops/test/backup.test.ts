// ops/backup and ops/restore on the embedded stack, for real: the gateway and worker processes,
// Postgres, Redis, ffmpeg. The Docker Compose path runs the same tool in a container of the
// gateway's image: here it is driven against a stand-in `docker` (a test double, below) that runs
// that tool on the host against a real Nebula on S3 storage; ops/test/compose-e2e.test.ts runs it
// against the real compose stack.
import { execFile, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import * as tus from 'tus-js-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileSubject, type EntryDto, type MediaDetails, type NebulaEvent } from '@nebula/contract';
import { PostgresServer } from '../embedded/postgres-server';
import type { StackFile } from '../embedded/supervisor';
import { freePort } from '../embedded/processes';
import { UNFINISHED_MEDIA_SQL } from '../backup-tool/database-dump';
import { fileIdOf, isUploadState } from '../backup-tool/object-copy';
import { startNebula, type RunningNebula } from '../test-support/nebula-process';
import { makeRandomFile, startRedis, tempDir } from '../test-support/services';

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

      // The videos a restore tells to replay: those still queued or transcoding at backup time.
      await postgres.start();
      const client = new pg.Client({ connectionString: postgres.url('nebula') });
      await client.connect();
      try {
        await client.query(`UPDATE entries SET media_status = 'processing' WHERE name = 'beach.mp4'`);
        const { rows } = await client.query(UNFINISHED_MEDIA_SQL);
        const completed = (before.events as NebulaEvent[]).find((e) => e.type === 'upload.completed' && e.subject === fileSubject(files[0]!.id));
        expect(rows.map((r: Record<string, unknown>) => Object.values(r).map(String))).toEqual([[completed!.id, '/beach.mp4']]);
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

  it("leaves out tus' upload state (@tus/s3-store's originals/<id>.info and .part): no object of any file", () => {
    const id = '243c2ac1-6ba1-40a0-b28a-72b9662b8002';
    expect(isUploadState(`originals/${id}.info`)).toBe(true);
    expect(isUploadState(`originals/${id}.part`)).toBe(true);
    expect(isUploadState(`originals/${id}`)).toBe(false);
    expect(isUploadState(`hls/${id}/seg.info`)).toBe(false);
  });
});


/**
 * A stand-in for the `docker` CLI (a test double: the compose suite, ops/test/compose-e2e.test.ts,
 * runs the real one, slowly). It appends each call to a log, one line of arguments, and answers as
 * the compose stack would: `ps` lists the running services (FAKE_RUNNING); `run --detach ...
 * gateway <command>` runs <command> for real from the repository, as the gateway's image would
 * (the backup tool bundled by build.mjs), with the gateway service's environment (the settings of
 * a real Nebula, in FAKE_GATEWAY_ENV) and in a session of its own, as a container is: a Ctrl-C in
 * the terminal does not reach it. `logs`, `wait`, `kill` and `rm` act on that process.
 */
const FAKE_DOCKER = `#!/usr/bin/env bash
set -euo pipefail
printf '%s ' "$@" >>"$FAKE_DOCKER_LOG"
echo >>"$FAKE_DOCKER_LOG"
args=("$@")
sub=
rest=()
for ((i = 0; i < $#; i++)); do
  case \${args[i]} in
    ps | run | stop | start | logs | wait | kill | rm) sub=\${args[i]}; rest=("\${args[@]:i+1}"); break ;;
  esac
done
name=\${rest[-1]}
box=$FAKE_DIR/$name
case $sub in
  ps) printf '%b\\n' "\${FAKE_RUNNING:-postgres\\nminio\\nredis\\ngateway\\nworker}" ;;
  run)
    for ((i = 0; i < \${#rest[@]}; i++)); do
      case \${rest[i]} in
        --name) name=\${rest[i + 1]} ;;
        gateway) command=("\${rest[@]:i+1}"); break ;;
      esac
    done
    box=$FAKE_DIR/$name
    mkdir -p "$box"
    (cd "$FAKE_ROOT" && env $FAKE_GATEWAY_ENV setsid bash -c '"$@" >"$0/out" 2>"$0/err" & echo $! >"$0/pid"; wait $! && code=0 || code=$?; echo $code >"$0/code.tmp"; mv "$0/code.tmp" "$0/code"' "$box" "\${command[@]}" </dev/null >/dev/null 2>&1 &)
    echo "$name"
    ;;
  logs) while [[ ! -f $box/code ]]; do sleep 0.05; done; cat "$box/out"; cat "$box/err" >&2 ;;
  wait) while [[ ! -f $box/code ]]; do sleep 0.05; done; cat "$box/code" ;;
  kill) while [[ ! -f $box/pid ]]; do sleep 0.05; done; kill -s "\${rest[0]#--signal=}" "$(cat "$box/pid")" ;;
  rm) rm -r "$box" ;;
esac
`;

describe('ops/backup --compose and ops/restore --compose: the same tool, in a container of the gateway image (against a stand-in for the docker CLI)', () => {
  let work: Awaited<ReturnType<typeof tempDir>>;
  let onS3: RunningNebula | undefined;
  let env: Record<string, string>;
  const log = () => readFileSync(env.FAKE_DOCKER_LOG!, 'utf8').split('\n').filter(Boolean).map((l) => l.trimEnd());
  const compose = `compose --project-directory ${root}`;
  const user = `${process.getuid!()}:${process.getgid!()}`;
  const listing = async (url: string) => ({
    files: await getJson<EntryDto[]>(`${url}/api/files?path=/kept`),
    content: await sha256Of(`${url}/api/files/${(await getJson<EntryDto>(`${url}/api/files/lookup?path=/kept/a.bin`)).id}/content`),
  });
  let backupDir = '';
  let before: Awaited<ReturnType<typeof listing>>;

  beforeAll(async () => {
    // What the gateway's image holds: the tool bundled.
    await exec(process.execPath, [join(root, 'ops', 'backup-tool', 'build.mjs')]);
    [work, onS3] = await Promise.all([tempDir('nebula-compose-backup-'), startNebula({ storage: 's3' })]);
    const bin = join(work.path, 'bin');
    mkdirSync(join(work.path, 'containers'), { recursive: true });
    mkdirSync(bin);
    writeFileSync(join(bin, 'docker'), FAKE_DOCKER, { mode: 0o755 });
    env = {
      PATH: `${bin}:${process.env.PATH}`,
      FAKE_ROOT: root,
      FAKE_DIR: join(work.path, 'containers'),
      FAKE_DOCKER_LOG: join(work.path, 'docker.log'),
      FAKE_GATEWAY_ENV: Object.entries(onS3.env).map(([k, v]) => `${k}=${v}`).join(' '),
      DATABASE_URL: '',
      NEBULA_DATA_DIR: join(work.path, 'no-embedded-stack'),
    };
    const a = join(work.path, 'a.bin');
    await makeRandomFile(a, 1024 * 1024 + 5);
    writeFileSync(join(work.path, 'b.txt'), 'b\n');
    await upload(onS3.url, a, 'a.bin', '/kept');
    await upload(onS3.url, join(work.path, 'b.txt'), 'b.txt', '/kept');
    before = await listing(onS3.url);
  });
  afterAll(async () => {
    await onS3?.stop();
    await work?.remove();
  });

  it('backs up in a one-off container of the gateway image, with the backup folder mounted at the same path: the one format, source compose', async () => {
    writeFileSync(env.FAKE_DOCKER_LOG!, '');
    // No --compose: without an embedded stack and with docker on the PATH, compose is the guess.
    const dest = join(work.path, 'backups');
    const run = await ops('backup', [dest], env);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const [name] = readdirSync(dest);
    backupDir = join(dest, name!);
    expect(run.stdout).toContain(`backing up the Docker Compose stack\n`);
    expect(run.stdout).toContain(`backup written to ${backupDir}\n`);
    const container = /--name (\S+)/.exec(log()[1]!)![1]!;
    expect(log()).toEqual([
      `${compose} ps --status running --services`,
      `${compose} run --detach --name ${container} --no-deps --user ${user} -v ${dest}:${dest}:rw gateway node ops/backup-tool/dist/cli.mjs backup ${dest} --compose`,
      `logs --follow ${container}`,
      `wait ${container}`,
      `rm ${container}`,
    ]);
    const manifest = JSON.parse(readFileSync(join(backupDir, 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({ source: 'compose', database: { file: 'database.jsonl.gz', format: 'nebula-jsonl' }, objects: { dir: 'objects', count: 2, missing: [] } });
    expect(manifest.database.tables.entries).toBe(3);
    // tus' upload state is no object of any file.
    expect(readdirSync(join(backupDir, 'objects', 'originals')).some((f) => f.includes('.'))).toBe(false);
  });

  it('restores a compose backup into an embedded Nebula, and an embedded backup into the compose stack', async () => {
    const embedded = await startNebula();
    try {
      const intoEmbedded = await ops('restore', [backupDir], embedded.env);
      expect(intoEmbedded.stderr).toBe('');
      expect(intoEmbedded.code).toBe(0);
      expect(await listing(embedded.url)).toEqual(before);

      const fromEmbedded = await ops('backup', [join(work.path, 'embedded-backups')], embedded.env);
      expect(fromEmbedded.code, fromEmbedded.stderr).toBe(0);
      const [name] = readdirSync(join(work.path, 'embedded-backups'));
      const embeddedBackup = join(work.path, 'embedded-backups', name!);
      expect(JSON.parse(readFileSync(join(embeddedBackup, 'manifest.json'), 'utf8')).source).toBe('embedded');

      writeFileSync(env.FAKE_DOCKER_LOG!, '');
      const run = await ops('restore', ['--compose', '--force', embeddedBackup], env);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      const [check, restore] = log().filter((l) => l.includes(' run ')).map((l) => /--name (\S+)/.exec(l)![1]!);
      const v = `-v ${embeddedBackup}:${embeddedBackup}:ro`;
      expect(log()).toEqual([
        `${compose} ps --status running --services`,
        `${compose} run --detach --name ${check} --no-deps --user ${user} ${v} gateway node ops/backup-tool/dist/cli.mjs restore --check --force ${embeddedBackup} --compose`,
        `logs --follow ${check}`,
        `wait ${check}`,
        `rm ${check}`,
        `${compose} stop gateway worker`,
        `${compose} run --detach --name ${restore} --no-deps --user ${user} ${v} gateway node ops/backup-tool/dist/cli.mjs restore --force ${embeddedBackup} --compose`,
        `logs --follow ${restore}`,
        `wait ${restore}`,
        `rm ${restore}`,
        `${compose} start gateway worker`,
      ]);
      expect(run.stdout).toContain(`restoring ${embeddedBackup} (made ${JSON.parse(readFileSync(join(embeddedBackup, 'manifest.json'), 'utf8')).createdAt} from the embedded stack) into the Docker Compose stack\n`);
      expect(await listing(onS3!.url)).toEqual(before);
    } finally {
      await embedded.stop();
    }
  });

  it('refuses a stack that holds files by the checks alone, before stopping anything', async () => {
    writeFileSync(env.FAKE_DOCKER_LOG!, '');
    const run = await ops('restore', ['--compose', backupDir], env);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('ops/restore: the object storage is not empty: restore into an empty Nebula, or pass --force to replace what it holds\n');
    expect(log().some((l) => / (stop|start) gateway worker$/.test(l))).toBe(false);
    expect(log().filter((l) => l.includes(' run '))).toHaveLength(1);
  });

  it('refuses a pg_dump backup of the older ops/backup --compose, saying which release restores it', async () => {
    const old = join(work.path, 'pg-dump-backup');
    mkdirSync(join(old, 'objects'), { recursive: true });
    writeFileSync(join(old, 'database.pgdump'), 'PGDMP\n');
    writeFileSync(join(old, 'manifest.json'), JSON.stringify({ nebulaBackup: 1, source: 'compose', database: { file: 'database.pgdump', format: 'pg_dump-custom' }, objects: { dir: 'objects', count: 0, bytes: 0 } }));
    const run = await ops('restore', ['--embedded', old], env);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `ops/restore: ${old} is a pg_dump backup of an older ops/backup --compose, which this one no longer reads: restore it with ops/restore --compose of the Nebula release that made it, then back up again\n`,
    );
  });

  it('refuses to back up a stack whose Postgres is not running, leaving no folder behind', async () => {
    const run = await ops('backup', ['--compose', join(work.path, 'none')], { ...env, FAKE_RUNNING: 'redis' });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('ops/backup: the compose service postgres is not running: start the stack first (docker compose up -d)\n');
    expect(existsSync(join(work.path, 'none'))).toBe(false);
  });

  it('hands Ctrl-C and SIGTERM on to the container, whose tool removes its unfinished folder, exiting 130 or 143', async () => {
    // A transaction holding the files table locked: the dump waits for as long as the test wants.
    // (Watched from another connection: inside a transaction, pg_stat_activity stays as it first read it.)
    const holder = new pg.Client({ connectionString: onS3!.env.DATABASE_URL });
    const watcher = new pg.Client({ connectionString: onS3!.env.DATABASE_URL });
    await Promise.all([holder.connect(), watcher.connect()]);
    try {
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE entries IN ACCESS EXCLUSIVE MODE');
      const dest = join(work.path, 'interrupted');
      for (const [signal, code, whole] of [['SIGINT', 130, true], ['SIGTERM', 143, false]] as const) {
        const child = spawn(join(root, 'ops', 'backup'), ['--compose', dest], { cwd: root, env: { ...process.env, ...env }, detached: true });
        let stderr = '';
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
        const waiting = async () =>
          (await watcher.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'DECLARE nebula_rows%'`)).rows[0].n as number;
        // The first round's dump stays waiting in Postgres after its tool is gone, until the lock goes.
        await expect.poll(waiting, { timeout: 60_000, interval: 200 }).toBe(whole ? 1 : 2);
        expect(readdirSync(dest)).toEqual([expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ\.partial$/)]);
        // Ctrl-C reaches the terminal's process group (not the container); systemd's SIGTERM may reach only the process.
        process.kill(whole ? -child.pid! : child.pid!, signal);
        expect(await exited).toBe(code);
        expect(stderr).toBe(`ops/backup: ${signal}: stopping, and undoing what this run started\n`);
        expect(readdirSync(dest)).toEqual([]);
        expect(readdirSync(env.FAKE_DIR!)).toEqual([]);
      }
    } finally {
      await holder.query('ROLLBACK');
      await Promise.all([holder.end(), watcher.end()]);
    }
  });
});
