/** Where the CLI keeps things: `GPT_OSS_CACHE_DIR`, else `$XDG_CACHE_HOME/gpt-oss-node`, else `~/.cache/gpt-oss-node`. */
import { homedir } from "node:os";
import { join } from "node:path";

export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.GPT_OSS_CACHE_DIR) return env.GPT_OSS_CACHE_DIR;
  return join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "gpt-oss-node");
}

/** Default folder of `gpt-oss pull`. */
export function modelsDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheDir(env), "models");
}

/** `GPT_OSS_CONFIG`, else `$XDG_CONFIG_HOME/gpt-oss-node/config.json`, else `~/.config/gpt-oss-node/config.json`. */
export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.GPT_OSS_CONFIG) return env.GPT_OSS_CONFIG;
  return join(env.XDG_CONFIG_HOME || join(homedir(), ".config"), "gpt-oss-node", "config.json");
}
