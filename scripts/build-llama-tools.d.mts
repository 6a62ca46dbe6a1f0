// Types of scripts/build-llama-tools.mjs for the TypeScript benchmark.
/**
 * Builds llama-bench and llama-server unless up-to-date ones exist (`force`: always rebuild): natively, or with every
 * CPU feature but `without` (ggml feature names such as AMX_TILE). Returns their paths and the CPU definitions they
 * were built with.
 */
export declare function buildLlamaTools(options?: { force?: boolean; without?: string[] }): {
  benchPath: string;
  serverPath: string;
  cpuDefines: string[];
};
