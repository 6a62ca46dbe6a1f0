// An Electron app as packagers lay it out, without the Electron binary (the `electron` package downloads it
// from outside the npm registry, which this machine cannot reach): a real archive made with @electron/asar,
// native files unpacked beside it into app.asar.unpacked as electron-builder's `asarUnpack` does; the loader
// resolves the binary from the unpacked folder when given the archive path, and the addon's libraries load from
// there through its $ORIGIN rpath. Several workers in one process each get their own addon and model.
import { createPackageWithOptions, listPackage, statFile } from "@electron/asar";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { binaryCandidates, loadNative, nativeBinding, PACKAGE_ROOT } from "../../src/native/index.js";
import { currentPlatform, packageName, packagesFor } from "../../src/native/platforms.js";
import { tinyModelPath } from "../helpers/fixture.js";

const platformPackage = packagesFor(currentPlatform()).find((p) => !p.gpu)!;
const name = packageName(platformPackage);
let work: string;
let archive: string;

beforeAll(async () => {
  loadNative();
  work = mkdtempSync(join(tmpdir(), "gpt-oss-electron-"));
  const app = join(work, "app");
  mkdirSync(app);
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "electron-app", main: "main.js" }));
  writeFileSync(join(app, "main.js"), 'require("gpt-oss-node");\n');
  // The platform package exactly as it ships, packaged from this clone's build by the release script.
  const scope = join(app, "node_modules", name.split("/")[0]!);
  const made = spawnSync(process.execPath, [join(PACKAGE_ROOT, "scripts", "prebuild.mjs"), "--from-build", join(PACKAGE_ROOT, "build"), "--out", scope], { encoding: "utf8" });
  if (made.status !== 0) throw new Error(`prebuild.mjs failed: ${made.stderr}`);
  archive = join(work, "resources", "app.asar");
  mkdirSync(join(work, "resources"));
  await createPackageWithOptions(app, archive, { unpack: "{*.node,*.so,*.so.*}" });
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("inside an Electron archive", () => {
  it("keeps the native files out of the archive and loads them from app.asar.unpacked", () => {
    const inside = `/node_modules/${name}/bin/gpt-oss-node.node`;
    expect(listPackage(archive, { isPack: false })).toContain(inside);
    expect(statFile(archive, inside.slice(1))).toMatchObject({ unpacked: true });
    expect(statFile(archive, "main.js")).not.toHaveProperty("unpacked");

    const [candidate] = binaryCandidates({
      platform: currentPlatform(),
      gpu: false,
      env: {},
      resolvePackage: (pkg) => (pkg === name ? join(archive, "node_modules", ...name.split("/")) : undefined),
      packageRoot: join(archive, "node_modules", "gpt-oss-node"),
    });
    expect(candidate!.path).toBe(join(work, "resources", "app.asar.unpacked", "node_modules", ...name.split("/"), "bin", "gpt-oss-node.node"));

    // A fresh process loads that file; its llama library comes from the unpacked folder, not from the build.
    const probe = `const a = require(${JSON.stringify(candidate!.path)}); a.loadBackends();
      const maps = require("fs").readFileSync("/proc/self/maps", "utf8");
      console.log(JSON.stringify({ addon: a.versions().addon, llama: maps.split("\\n").filter((l) => l.includes("libllama")).map((l) => l.split(/\\s+/).pop())[0] }));`;
    const run = spawnSync(process.execPath, ["-e", probe], { encoding: "utf8", env: { ...process.env, LD_LIBRARY_PATH: "" } });
    expect(run.status, run.stderr).toBe(0);
    const loaded = JSON.parse(run.stdout) as { addon: string; llama: string };
    expect(loaded.llama.startsWith(join(work, "resources", "app.asar.unpacked"))).toBe(true);
    expect(loaded.addon).toBe(loadNative().versions().addon);
  });

  it("runs a model in several worker threads of one process, each with its own addon instance and context", async () => {
    const path = await tinyModelPath();
    const source = `
      const { parentPort, workerData } = require("node:worker_threads");
      const addon = require(workerData.addonPath);
      (async () => {
        const model = await addon.loadModel(workerData.path, { devices: [], gpuLayers: 0, cpuMoeLayers: 0, useMmap: true, useMlock: false }).promise;
        const context = await model.createContext({ contextSize: 256, batchSize: 64, ubatchSize: 64, sequences: 1, threads: 1, threadsBatch: 1,
          flashAttention: "auto", cacheTypeK: "f16", cacheTypeV: "f16", swaFull: true, kvUnified: false });
        const sampler = context.createSampler({ temperature: 0, topP: 1, topK: 0, minP: 0, seed: 1, repeatPenalty: 1, frequencyPenalty: 0, presencePenalty: 0, penaltyLastN: 64, logitBias: [] });
        const out = [];
        let token = 200006, pos = 0;
        for (let i = 0; i < 6; i++) {
          const r = await context.decode({ tokens: Int32Array.of(token), positions: Int32Array.of(pos++), sequenceIds: Int32Array.of(0), sampleIndices: Int32Array.of(0), samplers: [sampler] });
          token = r.sampled[0]; out.push(token);
        }
        sampler.dispose(); context.dispose(); model.dispose();
        parentPort.postMessage(out);
      })().catch((e) => { throw e; });`;
    const run = () =>
      new Promise<number[]>((resolve, reject) => {
        const worker = new Worker(source, { eval: true, workerData: { addonPath: nativeBinding()!.path, path } });
        worker.once("message", resolve);
        worker.once("error", reject);
        worker.once("exit", (code) => code !== 0 && reject(new Error(`worker exited with ${code}`)));
      });
    const [a, b] = await Promise.all([run(), run()]);
    expect(a).toHaveLength(6);
    expect(b).toEqual(a);
  });
});
