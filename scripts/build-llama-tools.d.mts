// Types of scripts/build-llama-tools.mjs for the TypeScript benchmark.
/** build/llama-tools, llama-bench's own CMake binary dir. */
export declare const LLAMA_TOOLS_DIR: string;
/** Where the built llama-bench binary lands. */
export declare const LLAMA_BENCH_PATH: string;
/** Builds llama-bench unless an up-to-date one exists (`force`: always rebuild); returns its path. */
export declare function buildLlamaBench(options?: { force?: boolean }): string;
