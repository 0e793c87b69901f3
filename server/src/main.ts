import { Logger } from '@nestjs/common';
import { loadConfig } from '@nebula/shared';
import { exitWithSupervisor, runMain } from '@nebula/shared/runtime';
import { createGateway } from './gateway';

void runMain('nebula gateway', async () => {
  const config = loadConfig();
  const app = await createGateway(config);
  exitWithSupervisor(() => void app.close().then(() => process.exit(0)));
  await app.listen(config.http.port, config.http.host);
  new Logger('gateway').log(`nebula gateway listening on http://${config.http.host}:${config.http.port}`);
});
