// `gpt-oss serve --redis URL [--redis-prefix P]` and GPT_OSS_REDIS_URL, parsed without a Redis.
import { join } from "node:path";
import { tmpdir } from "node:os";
import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/cli/args.js";
import { parseServeConfig } from "../../src/cli/serve.js";

/** No model configured anywhere (the demo model is chosen, nothing is read). */
const cleanEnv = { GPT_OSS_CONFIG: join(tmpdir(), "gpt-oss-no-config.json") };

describe("serve's Redis flags", () => {
  it("passes the URL and prefix to the server; the flag wins over the environment", () => {
    expect(parseServeConfig(["--redis", "redis://10.0.0.5:6380/2", "--redis-prefix", "staging:"], cleanEnv).server.redis).toEqual({
      url: "redis://10.0.0.5:6380/2",
      keyPrefix: "staging:",
    });
    expect(parseServeConfig([], { ...cleanEnv, GPT_OSS_REDIS_URL: "rediss://:pw@cache.internal:6379" }).server.redis).toEqual({ url: "rediss://:pw@cache.internal:6379" });
    expect(parseServeConfig(["--redis", "redis://a:1"], { ...cleanEnv, GPT_OSS_REDIS_URL: "redis://b:2" }).server.redis).toEqual({ url: "redis://a:1" });
  });

  it("keeps state in process by default", () => {
    expect(parseServeConfig([], cleanEnv).server.redis).toBeUndefined();
  });

  it("refuses what is not a Redis URL, without echoing its password", () => {
    for (const url of ["localhost:6379", "http://127.0.0.1:6379", "redis://"]) {
      expect(() => parseServeConfig(["--redis", url], cleanEnv), url).toThrow(UsageError);
    }
    expect(() => parseServeConfig([], { ...cleanEnv, GPT_OSS_REDIS_URL: "http://user:hunter2@x" })).toThrow(/^GPT_OSS_REDIS_URL expects a URL like redis:\/\/.*"http:\/\/…@x"$/);
    expect(() => parseServeConfig(["--redis-prefix", "p:"], cleanEnv)).toThrow(/--redis-prefix needs --redis/);
  });
});
