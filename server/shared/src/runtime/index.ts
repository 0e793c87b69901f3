export { assertDependenciesReachable, PreflightError } from './preflight';
export { describeStartupError, exitWithSupervisor, runMain } from './startup';
