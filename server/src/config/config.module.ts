import { Global, Module } from '@nestjs/common';
import { loadConfig, type Config } from '@nebula/shared';

/** Injection token for the validated configuration (see @nebula/shared's loadConfig). */
export const CONFIG = Symbol('CONFIG');

@Global()
@Module({})
export class ConfigModule {
  /** `config` is passed in when main.ts has already validated it; tests build their own. */
  static forRoot(config: Config = loadConfig()) {
    return { module: ConfigModule, providers: [{ provide: CONFIG, useValue: config }], exports: [CONFIG] };
  }
}
