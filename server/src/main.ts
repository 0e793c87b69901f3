import { Logger } from '@nestjs/common';
import { loadConfig } from '@nebula/shared';
import { exitWithSupervisor, runMain } from '@nebula/shared/runtime';
import { sendfileStatus } from '@nebula/shared/storage';
import { createGateway } from './gateway';
import { collectDeadBuffers, exposedGc } from './memory/dead-buffers';

void runMain('nebula gateway', async () => {
  const config = loadConfig();
  const app = await createGateway(config);
  // A gateway on s3 runs with --expose-gc (gatewayMemory in ops/embedded/supervisor.ts, and the
  // image's server/bin/gateway.sh): its dead buffers are collected every 16 MiB, see dead-buffers.ts.
  const gc = exposedGc();
  if (gc) {
    const log = new Logger('memory');
    const mb = (bytes: number) => `${(bytes / 1e6).toFixed(0)} MB`;
    collectDeadBuffers({ collect: gc, onCollect: ({ before, after, ms }) => log.debug(`full collection of dead buffers: ${mb(before)} of buffers before, ${mb(after)} after, ${ms.toFixed(0)} ms`) });
  }
  exitWithSupervisor(() => void app.close().then(() => process.exit(0)));
  await app.listen(config.http.port, config.http.host);
  new Logger('gateway').log(`nebula gateway listening on http://${config.http.host}:${config.http.port}`);
  // Files from disk (the fs driver's, the read cache's) go out by sendfile, or are copied through Node.
  const sendfile = sendfileStatus();
  if (sendfile.available) new Logger('storage').debug('files on disk are sent with sendfile');
  else new Logger('storage').log(`files on disk are copied through Node, not sent with sendfile: ${sendfile.reason}`);
});
