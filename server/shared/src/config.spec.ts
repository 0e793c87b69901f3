import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, loadJoin } from './config';

const base = { DATABASE_URL: 'postgres://nebula:pw@127.0.0.1:5432/nebula', REDIS_URL: 'redis://127.0.0.1:6379' };

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env, '/srv/nebula');
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('loadConfig', () => {
  it('gives the embedded defaults when only the two URLs are set', () => {
    expect(loadConfig(base, '/srv/nebula')).toEqual({
      http: { port: 8080, host: '127.0.0.1' },
      dataDir: '/srv/nebula/data',
      databaseUrl: base.DATABASE_URL,
      redisUrl: base.REDIS_URL,
      storage: { driver: 'fs', root: '/srv/nebula/data/objects' },
      nodeFacing: {},
      media: { hwaccel: 'auto', hwDevice: undefined, ffmpegPath: 'ffmpeg', ffprobePath: 'ffprobe' },
      worker: { concurrency: 1, shutdownGraceSeconds: 30, heartbeatFile: '/tmp/nebula-worker-heartbeat', lockSeconds: 30 },
      mediaRecheckSeconds: 60,
      logLevel: 'info',
      migrateOnStart: true,
      uploadExpiryHours: 24,
      readCache: { dir: '/srv/nebula/data/read-cache', maxBytes: 8 * 1024 ** 3 },
      sendfile: true,
      deployHistoryDir: '/srv/nebula/data/deploy-history',
      release: { commit: undefined, name: undefined },
      access: {
        allowedCidrs: ['100.64.0.0/10', 'fd7a:115c:a1e0::/48', '127.0.0.0/8', '::1/128'],
        trustedProxies: ['127.0.0.0/8', '::1/128'],
        allowedHosts: [],
        allowedOrigins: [],
        tailscaleSocket: undefined,
      },
      metrics: { port: 9464, host: '127.0.0.1' },
    });
  });

  it('joins a server with both its URL and a join token, and takes objects through it only then', () => {
    const token = `nbt_${'x'.repeat(43)}`;
    const joined = loadConfig({ ...base, NEBULA_SERVER_URL: 'http://100.101.1.1:8080', NEBULA_JOIN_TOKEN: token, NEBULA_STORAGE_DRIVER: 'gateway' });
    expect(joined.join).toEqual({ server: 'http://100.101.1.1:8080', token });
    expect(joined.storage).toEqual({ driver: 'gateway', server: 'http://100.101.1.1:8080', token, requestTimeoutMs: 60_000 });
    expect(problemsOf({ ...base, NEBULA_SERVER_URL: 'http://100.101.1.1:8080' })).toEqual([
      'NEBULA_JOIN_TOKEN: a worker node joins with both the server URL and a join token (`nebula node token` prints them)',
    ]);
    expect(problemsOf({ ...base, NEBULA_STORAGE_DRIVER: 'gateway' })).toContain('NEBULA_SERVER_URL: required when NEBULA_STORAGE_DRIVER=gateway (objects go through that server)');
    // A token is never echoed in an error.
    expect(problemsOf({ ...base, NEBULA_SERVER_URL: 'http://a:1', NEBULA_JOIN_TOKEN: 'short secret' })).toEqual(['NEBULA_JOIN_TOKEN: expected the token `nebula node token` printed']);
    // Before joining, only the two join variables are read: the join supplies the rest.
    expect(loadJoin({ NEBULA_SERVER_URL: 'http://100.101.1.1:8080', NEBULA_JOIN_TOKEN: token, NEBULA_STORAGE_DRIVER: 's3' })).toEqual({ server: 'http://100.101.1.1:8080', token });
    expect(loadJoin({})).toBeUndefined();
    expect(loadConfig({ ...base, NEBULA_NODE_REDIS_URL: 'redis://:p@100.101.1.1:6379' }).nodeFacing).toEqual({ redisUrl: 'redis://:p@100.101.1.1:6379' });
  });

  it('reads address lists and names a malformed range', () => {
    const config = loadConfig({ ...base, NEBULA_ALLOWED_CIDRS: '100.64.0.0/10, 192.168.1.7 ,fd7a:115c:a1e0::/48' }, '/srv/nebula');
    expect(config.access.allowedCidrs).toEqual(['100.64.0.0/10', '192.168.1.7', 'fd7a:115c:a1e0::/48']);
    expect(problemsOf({ ...base, NEBULA_TRUSTED_PROXIES: '10.0.0.0/33' })[0]).toMatch(/^NEBULA_TRUSTED_PROXIES: expected comma-separated CIDR ranges/);
    expect(problemsOf({ ...base, NEBULA_ALLOWED_CIDRS: 'tailnet' })[0]).toMatch(/^NEBULA_ALLOWED_CIDRS: expected comma-separated CIDR ranges/);
  });

  it('reads NEBULA_TRUSTED_PROXIES= (set but empty) as "trust no proxy", not as the loopback default', () => {
    expect(loadConfig({ ...base, NEBULA_TRUSTED_PROXIES: '' }, '/srv/nebula').access.trustedProxies).toEqual([]);
    expect(loadConfig({ ...base, NEBULA_TRUSTED_PROXIES: ' ' }, '/srv/nebula').access.trustedProxies).toEqual([]);
    expect(loadConfig(base, '/srv/nebula').access.trustedProxies).toEqual(['127.0.0.0/8', '::1/128']);
    // Other empty variables still mean "the default".
    expect(loadConfig({ ...base, NEBULA_ALLOWED_CIDRS: '' }, '/srv/nebula').access.allowedCidrs).toHaveLength(4);
  });

  it('reads host names, origins and the upload size limit, and names malformed ones', () => {
    const config = loadConfig(
      { ...base, NEBULA_ALLOWED_HOSTS: 'Nebula.Example.com., *.home.arpa', NEBULA_ALLOWED_ORIGINS: 'http://127.0.0.1:5173, https://media.example.com', NEBULA_MAX_UPLOAD_SIZE: '20G' },
      '/srv/nebula',
    );
    expect(config.access.allowedHosts).toEqual(['nebula.example.com', '*.home.arpa']);
    expect(config.access.allowedOrigins).toEqual(['http://127.0.0.1:5173', 'https://media.example.com']);
    expect(config.maxUploadBytes).toBe(20 * 1024 ** 3);
    expect(loadConfig({ ...base, NEBULA_MAX_UPLOAD_SIZE: '1048576' }, '/srv/nebula').maxUploadBytes).toBe(1048576);
    expect(problemsOf({ ...base, NEBULA_ALLOWED_HOSTS: 'nebula:8080' })[0]).toMatch(/^NEBULA_ALLOWED_HOSTS: expected comma-separated host names/);
    expect(problemsOf({ ...base, NEBULA_ALLOWED_ORIGINS: '*' })[0]).toMatch(/^NEBULA_ALLOWED_ORIGINS: expected comma-separated origins/);
    expect(problemsOf({ ...base, NEBULA_ALLOWED_ORIGINS: 'https://a.example/path' })[0]).toMatch(/^NEBULA_ALLOWED_ORIGINS: /);
    expect(problemsOf({ ...base, NEBULA_MAX_UPLOAD_SIZE: 'lots' })[0]).toMatch(/^NEBULA_MAX_UPLOAD_SIZE: expected a size in bytes/);
  });

  it('reads the read cache size: a size with a unit, 0 or off for none, 8 GiB by default, in the data folder', () => {
    expect(loadConfig(base, '/srv/nebula').readCache).toEqual({ dir: '/srv/nebula/data/read-cache', maxBytes: 8 * 1024 ** 3 });
    expect(loadConfig({ ...base, NEBULA_READ_CACHE_SIZE: '500M' }, '/srv/nebula').readCache.maxBytes).toBe(500 * 1024 ** 2);
    expect(loadConfig({ ...base, NEBULA_READ_CACHE_SIZE: 'off' }, '/srv/nebula').readCache.maxBytes).toBe(0);
    expect(loadConfig({ ...base, NEBULA_READ_CACHE_SIZE: '0' }, '/srv/nebula').readCache.maxBytes).toBe(0);
    expect(problemsOf({ ...base, NEBULA_READ_CACHE_SIZE: 'big' })[0]).toMatch(/^NEBULA_READ_CACHE_SIZE: expected a size with a unit/);
  });

  it('names the variable and what it expects when a port is not a number', () => {
    expect(problemsOf({ ...base, NEBULA_PORT: 'abc' })).toEqual([
      'NEBULA_PORT: expected a TCP port, a whole number from 1 to 65535 (got "abc")',
    ]);
  });

  it('refuses ports outside 1..65535', () => {
    expect(problemsOf({ ...base, NEBULA_PORT: '70000' })[0]).toMatch(/^NEBULA_PORT: expected a TCP port/);
    expect(problemsOf({ ...base, NEBULA_PORT: '0' })[0]).toMatch(/^NEBULA_PORT: expected a TCP port/);
  });

  it('lists every missing or malformed variable at once', () => {
    expect(problemsOf({ REDIS_URL: 'http://wrong', NEBULA_HWACCEL: 'cuda' })).toEqual([
      'DATABASE_URL: required: a URL like postgres://user:password@127.0.0.1:5432/nebula',
      'REDIS_URL: expected a URL like redis://127.0.0.1:6379 (got "http://wrong/")',
      'NEBULA_HWACCEL: expected auto, vaapi, qsv or software (got "cuda")',
    ]);
  });

  it('never echoes a password from a bad URL', () => {
    const [problem] = problemsOf({ ...base, DATABASE_URL: 'mysql://nebula:hunter2@db/nebula' });
    expect(problem).toBe('DATABASE_URL: expected a URL like postgres://user:password@127.0.0.1:5432/nebula (got "mysql://nebula:***@db/nebula")');
  });

  it('treats an empty variable as unset, as compose does', () => {
    expect(loadConfig({ ...base, NEBULA_PORT: '' }).http.port).toBe(8080);
  });

  it('needs endpoint and keys for the s3 driver, and never shows the secret', () => {
    expect(problemsOf({ ...base, NEBULA_STORAGE_DRIVER: 's3', S3_SECRET_KEY: 'topsecret' })).toEqual([
      'S3_ENDPOINT: required when NEBULA_STORAGE_DRIVER=s3',
      'S3_ACCESS_KEY: required when NEBULA_STORAGE_DRIVER=s3',
    ]);
    expect(
      loadConfig({ ...base, NEBULA_STORAGE_DRIVER: 's3', S3_ENDPOINT: 'http://minio:9000', S3_ACCESS_KEY: 'a', S3_SECRET_KEY: 'b' }).storage,
    ).toEqual({ driver: 's3', endpoint: 'http://minio:9000', region: 'us-east-1', bucket: 'nebula', accessKey: 'a', secretKey: 'b', requestTimeoutMs: 60_000 });
  });

  it('puts the fs store under the data folder unless told otherwise', () => {
    expect(loadConfig({ ...base, NEBULA_DATA_DIR: '/var/lib/nebula' }).storage).toEqual({ driver: 'fs', root: '/var/lib/nebula/objects' });
    expect(loadConfig({ ...base, NEBULA_DATA_DIR: '/var/lib/nebula', NEBULA_OBJECTS_DIR: '/mnt/big' }).storage).toEqual({ driver: 'fs', root: '/mnt/big' });
  });

  it('reads yes/no flags', () => {
    expect(loadConfig({ ...base, NEBULA_MIGRATE_ON_START: 'false' }).migrateOnStart).toBe(false);
    expect(problemsOf({ ...base, NEBULA_MIGRATE_ON_START: 'maybe' })).toEqual(['NEBULA_MIGRATE_ON_START: expected true or false (got "maybe")']);
    expect(loadConfig({ ...base, NEBULA_SENDFILE: 'false' }).sendfile).toBe(false);
    expect(problemsOf({ ...base, NEBULA_SENDFILE: 'off' })).toEqual(['NEBULA_SENDFILE: expected true or false (got "off")']);
  });
});
