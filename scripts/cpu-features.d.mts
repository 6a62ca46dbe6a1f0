// Types of scripts/cpu-features.mjs for the TypeScript tests.
export interface CpuVariant {
  tag: string;
  /** ggml feature options, e.g. "AVX2", "AVX512_VNNI", "AMX_INT8". */
  features: string[];
}
export function cpuFlags(cpuinfo?: string): Set<string> | undefined;
export function ggmlX86Variants(cmakeText?: string): CpuVariant[];
export function sourceBuildVariants(flags: Set<string> | undefined, variants: CpuVariant[]): string[] | undefined;
export function cpuFeatureDefines(options?: { portable?: boolean }): string[];
export function nativeDefines(options?: { without?: string[] }): string[];
