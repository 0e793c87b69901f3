// Named re-exports, not `export *`: ES modules (the CLI, the ops scripts) import this CommonJS
// package, and Node can only see names that are listed.
// Node-side code only (config, storage, logging, runtime). What the parts say to each other (API
// types, events, job payloads, path rules, errors) lives in @nebula/contract.
export { CONFIG_VARIABLES, ConfigError, loadConfig, loadJoin, redactUrl, type Config, type StorageConfig } from './config';
export { dependencyFailure, nameDependencies, nameDependenciesOf } from './dependency-failure';
export { redisOptionsFromUrl, type RedisConnectionOptions } from './redis-url';
export { SAMPLE_BLOCK, SAMPLE_BLOCKS, sampleDigest, sampleHash, sampleRanges } from './sample-hash';
export { storageKeys } from './storage-keys';
export { traceIdFrom } from './trace';
