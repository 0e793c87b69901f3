/** Injection token for the validated configuration (see @nebula/shared's loadConfig). */
export const CONFIG = Symbol('CONFIG');
