import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES } from '@nebula/shared';

const root = join(import.meta.dirname, '..', '..');
const example = readFileSync(join(root, '.env.example'), 'utf8');
const documented = new Map<string, string>();
{
  // A comment block documents the variable lines right below it (S3_* share one).
  let comment = '';
  let inBlock = false;
  for (const line of example.split('\n')) {
    const match = /^([A-Z0-9_]+)=/.exec(line);
    if (line.startsWith('#')) {
      if (inBlock) comment = '';
      inBlock = false;
      comment += line;
    } else if (match) {
      documented.set(match[1]!, comment);
      inBlock = true;
    } else {
      comment = '';
      inBlock = false;
    }
  }
}

describe('.env.example', () => {
  it('lists every variable the config module reads, each with a comment', () => {
    for (const name of CONFIG_VARIABLES) {
      expect(documented.has(name), `${name} is missing from .env.example`).toBe(true);
    }
    for (const [name, comment] of documented) expect(comment, `${name} has no comment`).not.toBe('');
  });

  it('lists every variable docker-compose.yml interpolates', () => {
    const compose = ['docker-compose.yml', 'docker-compose.hwaccel.yml', 'docker-compose.nodes.yml']
      .map((f) => readFileSync(join(root, f), 'utf8'))
      .join('\n')
      .split('\n')
      .filter((line) => !line.trimStart().startsWith('#'))
      .join('\n');
    const used = new Set([...compose.matchAll(/\$\{([A-Z0-9_]+)/g)].map((m) => m[1]!));
    for (const name of used) expect(documented.has(name), `${name} is used by compose but not in .env.example`).toBe(true);
  });

  it('gives the gateway and worker in compose only variables the config module knows', () => {
    const services = (parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
      services: Record<string, { environment?: Record<string, unknown> }>;
    }).services;
    for (const name of ['gateway', 'worker']) {
      const unknown = Object.keys(services[name]!.environment ?? {}).filter((v) => v !== 'NODE_ENV' && !CONFIG_VARIABLES.includes(v));
      expect(unknown, `${name} sets variables nothing reads`).toEqual([]);
    }
  });
});
