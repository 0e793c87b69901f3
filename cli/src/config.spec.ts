import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { configFile, normaliseServerUrl, readConfig, resolveServer, uploadStateFile, writeConfig } from './config';

describe('normaliseServerUrl', () => {
  it('keeps http and https URLs, without a trailing slash', () => {
    expect(normaliseServerUrl('http://127.0.0.1:8080/')).toBe('http://127.0.0.1:8080');
    expect(normaliseServerUrl('https://nebula.example.ts.net')).toBe('https://nebula.example.ts.net');
    expect(normaliseServerUrl('https://host/nebula/')).toBe('https://host/nebula');
  });

  it('takes a bare host:port as http', () => {
    expect(normaliseServerUrl('100.64.1.2:8080')).toBe('http://100.64.1.2:8080');
  });

  it('refuses other schemes and garbage with a usage error', () => {
    expect(() => normaliseServerUrl('ftp://host')).toThrow(/must be http/);
    expect(() => normaliseServerUrl('http://')).toThrow(/not a server URL/);
  });
});

describe('config files', () => {
  let dir = '';
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('lives under the XDG folders', () => {
    expect(configFile({ XDG_CONFIG_HOME: '/x/conf' })).toBe('/x/conf/nebula/config.json');
    expect(uploadStateFile({ XDG_STATE_HOME: '/x/state' })).toBe('/x/state/nebula/uploads.json');
  });

  it('stores the server from login, and NEBULA_SERVER and --server override it', async () => {
    dir = await mkdtemp(join(tmpdir(), 'nebula-config-'));
    const env = { XDG_CONFIG_HOME: dir };
    expect(await readConfig(env)).toBeNull();
    await expect(resolveServer(undefined, env)).rejects.toThrow(/nebula login/);
    await writeConfig({ server: 'http://127.0.0.1:8080' }, env);
    expect(await resolveServer(undefined, env)).toBe('http://127.0.0.1:8080');
    expect(await resolveServer(undefined, { ...env, NEBULA_SERVER: 'http://10.0.0.1:1/' })).toBe('http://10.0.0.1:1');
    expect(await resolveServer('http://flag:2', { ...env, NEBULA_SERVER: 'http://10.0.0.1:1' })).toBe('http://flag:2');
  });
});
