import { Logger, Module } from '@nestjs/common';
import type { Config } from '@nebula/shared';
import { CONFIG } from '../config/config.module';
import { CallerIdentity } from './caller-identity';
import { CrossSiteGuard } from './cross-site-guard';
import { MeController } from './me.controller';
import { TailnetGuard } from './tailnet-guard';
import { TailscaleWhoisClient } from './tailscale-whois.client';

/** Tailnet-only access, browser rules and caller identity; gateway.ts puts TailnetGuard, then CrossSiteGuard, in front of every route. */
@Module({
  controllers: [MeController],
  providers: [
    {
      provide: CallerIdentity,
      inject: [CONFIG],
      useFactory: (config: Config) =>
        new CallerIdentity(config.access.tailscaleSocket ? new TailscaleWhoisClient(config.access.tailscaleSocket) : null, new Logger('access')),
    },
    TailnetGuard,
    CrossSiteGuard,
  ],
  exports: [TailnetGuard, CrossSiteGuard, CallerIdentity],
})
export class AccessModule {}
