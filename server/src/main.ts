import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { loadConfig } from '@nebula/shared';
import { assertDependenciesReachable, exitWithSupervisor, runMain } from '@nebula/shared/runtime';
import { AppModule } from './app.module';
import { HttpExceptionFilter } from './http/http-exception.filter';

void runMain('nebula gateway', async () => {
  const config = loadConfig();
  await assertDependenciesReachable(config);

  const app = await NestFactory.create(AppModule.forRoot(config), { logger: ['fatal', 'error', 'warn', 'log'] });
  app.useGlobalFilters(new HttpExceptionFilter());
  app.enableShutdownHooks();
  const openApi = new DocumentBuilder()
    .setTitle('Nebula')
    .setDescription('The Nebula gateway: files, uploads, streaming, media jobs and events.')
    .build();
  SwaggerModule.setup('api/docs', app, () => SwaggerModule.createDocument(app, openApi), { jsonDocumentUrl: 'api/docs/openapi.json' });

  exitWithSupervisor(() => void app.close().then(() => process.exit(0)));
  await app.listen(config.http.port, config.http.host);
  process.stdout.write(`nebula gateway listening on http://${config.http.host}:${config.http.port}\n`);
});
