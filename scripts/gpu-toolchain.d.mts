export interface ToolchainProbe {
  env: Record<string, string | undefined>;
  platform: string;
  exists(path: string): boolean;
}
export const systemProbe: ToolchainProbe;
export function missingToolchain(gpu: "cuda" | "vulkan" | "metal", probe?: ToolchainProbe): string[];
