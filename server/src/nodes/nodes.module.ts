import { Module } from '@nestjs/common';
import { NodeStorageController } from './node-storage.controller';
import { NodeTokenGuard } from './node-token.guard';
import { NodeTokensRepository } from './node-tokens.repository';
import { NodeTokensService } from './node-tokens.service';
import { NodesController } from './nodes.controller';

/** Worker nodes on other machines: join tokens, joining, and the object store through the gateway. */
@Module({
  controllers: [NodesController, NodeStorageController],
  providers: [NodeTokensRepository, NodeTokensService, NodeTokenGuard],
})
export class NodesModule {}
