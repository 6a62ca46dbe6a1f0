// Types of scripts/build-llama-tools.mjs for the TypeScript benchmark.
/** build/llama-tools, the native llama-bench's own CMake binary dir. */
export declare const LLAMA_TOOLS_DIR: string;
/** Where the native llama-bench binary lands. */
export declare const LLAMA_BENCH_PATH: string;
/**
 * Builds llama-bench unless an up-to-date one exists (`force`: always rebuild): natively, or with every CPU feature
 * but `without` (ggml feature names such as AMX_TILE). Returns its path and the CPU definitions it was built with.
 */
export declare function buildLlamaBench(options?: { force?: boolean; without?: string[] }): { path: string; cpuDefines: string[] };
