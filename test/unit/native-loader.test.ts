// Where the native binary comes from: candidate order, GPU preference, the Electron asar rule, the fix command,
// and the platform packages the main package depends on.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { binaryCandidates, fixCommand, type CandidateSources } from "../../src/native/index.js";
import { BINARY_PACKAGES, packageName, packagesFor, unpackedPath, type PlatformInfo } from "../../src/native/platforms.js";

const linux: PlatformInfo = { os: "linux", cpu: "x64", libc: { family: "glibc", version: "2.36" } };
const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string; optionalDependencies: Record<string, string> };

function sources(overrides: Partial<CandidateSources> = {}): CandidateSources {
  return {
    platform: linux,
    gpu: "auto",
    env: {},
    resolvePackage: (name) => `/app/node_modules/${name}`,
    packageRoot: "/nowhere/gpt-oss-node",
    ...overrides,
  };
}

describe("binaryCandidates", () => {
  it("tries the override, then installed GPU packages, then the platform package, then a local build", () => {
    const candidates = binaryCandidates(sources({ env: { GPT_OSS_NODE_ADDON: "/x/addon.node" } }));
    expect(candidates.map((c) => [c.kind, c.package ?? c.path])).toEqual([
      ["override", "/x/addon.node"],
      ["gpu-package", "@gpt-oss-node/linux-x64-vulkan"],
      ["gpu-package", "@gpt-oss-node/linux-x64-cuda"],
      ["platform-package", "@gpt-oss-node/linux-x64-gnu"],
      ["local-build", undefined],
    ]);
    expect(candidates[3]!.path).toBe("/app/node_modules/@gpt-oss-node/linux-x64-gnu/bin/gpt-oss-node.node");
  });

  it("takes only the GPU package asked for, and none for gpu: false", () => {
    expect(binaryCandidates(sources({ gpu: "cuda" })).filter((c) => c.kind === "gpu-package").map((c) => c.package)).toEqual(["@gpt-oss-node/linux-x64-cuda"]);
    expect(binaryCandidates(sources({ gpu: false })).some((c) => c.kind === "gpu-package")).toBe(false);
  });

  it("marks packages that are not installed instead of guessing a path", () => {
    const candidates = binaryCandidates(sources({ resolvePackage: () => undefined }));
    expect(candidates.every((c) => c.path === undefined)).toBe(true);
    expect(candidates.find((c) => c.kind === "platform-package")!.missing).toBe("@gpt-oss-node/linux-x64-gnu: not installed");
  });

  it("picks the musl package on musl, and loads from app.asar.unpacked inside an Electron archive", () => {
    const musl = binaryCandidates(sources({ platform: { os: "linux", cpu: "x64", libc: { family: "musl" } } }));
    expect(musl.filter((c) => c.kind === "platform-package").map((c) => c.package)).toEqual(["@gpt-oss-node/linux-x64-musl"]);
    const inAsar = binaryCandidates(sources({ gpu: false, resolvePackage: (name) => `/opt/App/resources/app.asar/node_modules/${name}` }));
    expect(inAsar[0]!.path).toBe("/opt/App/resources/app.asar.unpacked/node_modules/@gpt-oss-node/linux-x64-gnu/bin/gpt-oss-node.node");
    expect(unpackedPath("C:\\App\\resources\\app.asar\\node_modules\\x")).toBe("C:\\App\\resources\\app.asar.unpacked\\node_modules\\x");
    expect(unpackedPath("/srv/app.asarx/y")).toBe("/srv/app.asarx/y");
  });
});

describe("fixCommand and the package list", () => {
  it("names the exact package and version to install, the GPU one when asked", () => {
    expect(fixCommand(linux, "auto")).toBe(`npm install @gpt-oss-node/linux-x64-gnu@${pkg.version}`);
    expect(fixCommand(linux, "vulkan")).toBe(`npm install @gpt-oss-node/linux-x64-vulkan@${pkg.version}`);
    expect(fixCommand({ os: "freebsd", cpu: "x64" }, "auto")).toBeUndefined();
  });

  it("every CPU package is an optional dependency of the main package at its own version, and no GPU package is", () => {
    const cpu = BINARY_PACKAGES.filter((p) => !p.gpu).map(packageName).sort();
    expect(Object.keys(pkg.optionalDependencies).sort()).toEqual(cpu);
    for (const version of Object.values(pkg.optionalDependencies)) expect(version).toBe(pkg.version);
    expect(packagesFor({ os: "darwin", cpu: "arm64" }).map((p) => p.id)).toEqual(["darwin-arm64"]);
  });
});
