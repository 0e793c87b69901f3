import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type VersionDto } from '@nebula/contract';
import { type Config } from '@nebula/shared';
import { CONFIG } from '../config/config.module';

/** server/package.json: two folders up from this file both in src/ (tests) and in dist/ (the image). */
const packageVersion = (JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
const startedAt = new Date().toISOString();

@ApiTags('health')
@Controller('api/version')
export class VersionController {
  constructor(@Inject(CONFIG) private readonly config: Config) {}

  @Get()
  @ApiOperation({ summary: 'What runs: the package version, and the git commit and release a deploy started' })
  get(): VersionDto {
    return { version: packageVersion, commit: this.config.release.commit ?? null, release: this.config.release.name ?? null, startedAt };
  }
}
