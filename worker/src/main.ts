import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { loadConfig, loadJoin, nameDependenciesOf } from '@nebula/shared';
import { assertDependenciesReachable, createLogger, exitWithSupervisor, PinoNestLogger, runMain } from '@nebula/shared/runtime';
import { FfmpegRunner } from './media/ffmpeg.runner';
import { assertMayJoin } from './system/join-check';
import { assertKnowsItsServer, joinedEnvironment, requestJoin, withCommandLine } from './system/join-server';
import { WorkerModule } from './worker.module';

void runMain('nebula worker', async () => {
  // With --server/--token (or NEBULA_SERVER_URL + NEBULA_JOIN_TOKEN) the server says where the
  // queue, the database and the store are; without, the environment does, as always.
  let env = withCommandLine(process.argv.slice(2), process.env);
  assertKnowsItsServer(env);
  const join = loadJoin(env);
  if (join) env = joinedEnvironment(env, await requestJoin(join.server, join.token, env.NEBULA_NODE_NAME));
  const config = loadConfig(env);
  nameDependenciesOf(config);
  await assertDependenciesReachable(config);
  await assertMayJoin(config);
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), { logger: new PinoNestLogger(createLogger('worker', config.logLevel)) });
  const logger = new Logger('worker');

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    const grace = config.worker.shutdownGraceSeconds;
    logger.log(`${signal}: finishing the current job (up to ${grace} s), then stopping`);
    // Past the grace period the job is released by exiting: its lock lapses and BullMQ's stalled-job
    // check hands it to the next worker, which starts it again (jobs are idempotent).
    setTimeout(() => {
      logger.warn(`still busy after ${grace} s: exiting; the job will be picked up again`);
      // Its ffmpeg goes with it (setpriv's parent-death signal would kill it too; this also works without).
      app.get(FfmpegRunner).killAll();
      process.exit(1);
    }, grace * 1000).unref();
    void app.close().then(() => process.exit(0));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  exitWithSupervisor(() => stop('supervisor gone'));
  await app.init();
  const joined = config.join ? `, joined ${new URL(config.join.server).origin}, objects ${config.storage.driver === 'gateway' ? 'through its gateway' : 'in s3'}` : '';
  logger.log(`nebula worker ready (${config.media.ffmpegPath}, hwaccel ${config.media.hwaccel}${joined})`);
});
