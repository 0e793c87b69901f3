import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import type { Express } from 'express';
import type { RequestListener, Server } from 'node:http';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { ConfigError, nameDependenciesOf, type Config } from '@nebula/shared';
import { assertDependenciesReachable, createLogger, PinoNestLogger } from '@nebula/shared/runtime';
import type { Logger } from 'pino';
import { CrossSiteGuard } from './access/cross-site-guard';
import { TailnetGuard } from './access/tailnet-guard';
import { AppModule } from './app.module';
import { ContentSender } from './files/content-sender';
import { withContentFastPath } from './files/content-fast-path';
import { ReadyFiles } from './files/ready-files';
import { HttpExceptionFilter } from './http/http-exception.filter';
import { observeRequests } from './http/observability';
import { GatewayMetrics } from './metrics/gateway-metrics';

/** The gateway app, ready to listen: what main.ts runs and what the integration tests start. */
export async function createGateway(config: Config, log: Logger = createLogger('gateway', config.logLevel)): Promise<INestApplication> {
  if (config.storage.driver === 'gateway') {
    throw new ConfigError(['NEBULA_STORAGE_DRIVER: gateway is for worker nodes that joined a server; the gateway itself keeps objects with fs or s3']);
  }
  await assertDependenciesReachable(config);
  // A refused connection is then answered with the part's name (database_unavailable, ...).
  nameDependenciesOf(config);
  const app = await NestFactory.create(AppModule.forRoot(config), { logger: new PinoNestLogger(log) });
  // First of all middleware: every request's log lines carry its trace id, and it is measured.
  app.use(observeRequests(log, app.get(GatewayMetrics)));
  // Then the tailnet guard, before every route Nest, tus, Swagger and the web UI add: peers outside
  // NEBULA_ALLOWED_CIDRS get 403 here, and everyone else's tailnet user is put on the request.
  app.use(app.get(TailnetGuard).middleware);
  // Then the browser rules: Host allow-list (421), foreign origins (403), JSON-only state changes
  // (415), no framing. See access/site-policy.ts.
  app.use(app.get(CrossSiteGuard).middleware);
  // Before all of that, the bytes of a file served before (a player's range requests), answered
  // with the same guards' decisions without Express: see files/content-fast-path.ts.
  const server = app.getHttpServer() as Server;
  const [express, ...others] = server.listeners('request') as RequestListener[];
  if (!express || others.length > 0) throw new Error(`expected Express as the HTTP server's one request listener, found ${server.listenerCount('request')}`);
  server.removeListener('request', express);
  const parts = { tailnet: app.get(TailnetGuard), crossSite: app.get(CrossSiteGuard), readyFiles: app.get(ReadyFiles), sender: app.get(ContentSender), logger: log, metrics: app.get(GatewayMetrics) };
  server.on('request', withContentFastPath(parts, express));
  // Nobody needs to be told which framework answers (and the read path above does not say it).
  (app.getHttpAdapter().getInstance() as Express).disable('x-powered-by');
  app.useGlobalFilters(new HttpExceptionFilter());
  app.enableShutdownHooks();
  const openApi = new DocumentBuilder()
    .setTitle('Nebula')
    .setDescription('The Nebula gateway: files, uploads (tus 1.0 at /api/uploads), streaming, media jobs and events.')
    .build();
  SwaggerModule.setup('api/docs', app, () => SwaggerModule.createDocument(app, openApi), { jsonDocumentUrl: 'api/docs/openapi.json' });
  return app;
}
