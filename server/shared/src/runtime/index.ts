export { bootTraceId, createLogger, currentTrace, currentTraceId, PinoNestLogger, runWithTrace, type TraceContext } from './logging';
export { countFailures, createMetricsRegistry, metricsAddress, MetricsListener, serveMetrics, storageErrorCounter } from './metrics';
export { assertDependenciesReachable, PreflightError } from './preflight';
export { describeStartupError, exitWithSupervisor, runMain } from './startup';
export { isStaleLeftover, processRuns } from './processes';
