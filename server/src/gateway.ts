import 'reflect-metadata';
import type { INestApplication, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { Config } from '@nebula/shared';
import { assertDependenciesReachable } from '@nebula/shared/runtime';
import { AppModule } from './app.module';
import { HttpExceptionFilter } from './http/http-exception.filter';

/** The gateway app, ready to listen: what main.ts runs and what the integration tests start. */
export async function createGateway(config: Config, logger: LogLevel[] | false = ['fatal', 'error', 'warn', 'log']): Promise<INestApplication> {
  await assertDependenciesReachable(config);
  const app = await NestFactory.create(AppModule.forRoot(config), { logger });
  app.useGlobalFilters(new HttpExceptionFilter());
  app.enableShutdownHooks();
  const openApi = new DocumentBuilder()
    .setTitle('Nebula')
    .setDescription('The Nebula gateway: files, uploads (tus 1.0 at /api/uploads), streaming, media jobs and events.')
    .build();
  SwaggerModule.setup('api/docs', app, () => SwaggerModule.createDocument(app, openApi), { jsonDocumentUrl: 'api/docs/openapi.json' });
  return app;
}
