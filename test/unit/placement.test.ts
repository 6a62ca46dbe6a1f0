// The layer layout: what is asked is kept; otherwise the fit fills the GPU in the documented order.
import { describe, expect, it } from "vitest";
import { choosePlacement, FIT_RESERVE_BYTES, gpuBytes, modelFootprint, type ModelFootprint } from "../../src/chat/placement.js";
import type { GgufFile } from "../../src/gguf/index.js";

const MIB = 1024 * 1024;
/** 4 layers of 100 MiB, 80 of them experts; a 20 MiB output layer; 30 MiB of embeddings; 5 MiB KV per layer. */
const footprint: ModelFootprint = {
  layers: Array.from({ length: 4 }, () => ({ bytes: 100 * MIB, expertBytes: 80 * MIB })),
  outputBytes: 20 * MIB,
  hostOnlyBytes: 30 * MIB,
  kvBytesPerLayer: 5 * MIB,
};
const HOST = 64 * 1024 * MIB;
/** A GPU whose usable memory (after the fit's reserve) is `usable` bytes. */
const free = (usable: number) => usable + FIT_RESERVE_BYTES;

describe("gpuBytes", () => {
  it("counts the output layer first, then layers from the last down, less the host experts", () => {
    expect(gpuBytes(footprint, -1, 0)).toBe(20 * MIB + 4 * 105 * MIB);
    expect(gpuBytes(footprint, 0, 0)).toBe(0);
    expect(gpuBytes(footprint, 1, 0)).toBe(20 * MIB); // -ngl 1: the output layer only
    expect(gpuBytes(footprint, 2, 4)).toBe(20 * MIB + 25 * MIB); // output + layer 3 without its experts
    expect(gpuBytes(footprint, -1, 2)).toBe(20 * MIB + 4 * 105 * MIB - 2 * 80 * MIB);
    expect(gpuBytes(footprint, 99, 0)).toBe(gpuBytes(footprint, -1, 0));
  });
});

describe("choosePlacement", () => {
  it("keeps an explicit layout whatever the memory", () => {
    expect(choosePlacement(footprint, { cpuMoeLayers: 3 }, 0, HOST)).toMatchObject({ gpuLayers: -1, cpuMoeLayers: 3 });
    expect(choosePlacement(footprint, { gpuLayers: 2 }, free(1), HOST)).toMatchObject({ gpuLayers: 2, cpuMoeLayers: 0 });
  });

  it("puts everything on the GPU when it fits", () => {
    const placement = choosePlacement(footprint, {}, free(440 * MIB), HOST);
    expect(placement).toMatchObject({ gpuLayers: -1, cpuMoeLayers: 0 });
    expect(placement.reason).toMatch(/all layers on the GPU/);
  });

  it("moves the experts of the fewest first layers to the host before dropping any layer", () => {
    expect(choosePlacement(footprint, {}, free(439 * MIB), HOST)).toMatchObject({ gpuLayers: -1, cpuMoeLayers: 1 });
    expect(choosePlacement(footprint, {}, free(280 * MIB), HOST)).toMatchObject({ gpuLayers: -1, cpuMoeLayers: 2 });
    const allExperts = gpuBytes(footprint, -1, 4);
    expect(choosePlacement(footprint, {}, free(allExperts), HOST)).toMatchObject({ gpuLayers: -1, cpuMoeLayers: 4 });
  });

  it("then offloads fewer layers, every expert on the host", () => {
    const placement = choosePlacement(footprint, {}, free(gpuBytes(footprint, -1, 4) - 1), HOST);
    expect(placement).toMatchObject({ gpuLayers: 4, cpuMoeLayers: 4 });
    expect(gpuBytes(footprint, placement.gpuLayers, placement.cpuMoeLayers)).toBeLessThan(gpuBytes(footprint, -1, 4));
  });

  it("honours gpuMemoryLimit below the free memory", () => {
    expect(choosePlacement(footprint, { gpuMemoryLimit: free(280 * MIB) }, free(10_000 * MIB), HOST)).toMatchObject({ cpuMoeLayers: 2 });
  });

  it("falls back to the CPU when not one layer fits, and fails when the host cannot hold the model either", () => {
    expect(choosePlacement(footprint, {}, free(10 * MIB), HOST)).toMatchObject({ gpuLayers: 0, cpuMoeLayers: 0 });
    expect(() => choosePlacement(footprint, {}, free(10 * MIB), 100 * MIB)).toThrow(expect.objectContaining({ code: "ERR_MODEL_TOO_LARGE" }));
  });
});

describe("modelFootprint", () => {
  it("sorts a GGUF's tensors into layers, experts, output and host-only, and sizes the KV cache", () => {
    const tensor = (name: string, sizeBytes: number) => ({ name, sizeBytes, dims: [1], type: 0, typeName: "F32", offset: 0 });
    const file = {
      metadata: { "gpt-oss.block_count": 2, "gpt-oss.attention.head_count_kv": 8, "gpt-oss.attention.key_length": 64, "gpt-oss.attention.value_length": 64 },
      tensors: [
        tensor("token_embd.weight", 1000), tensor("output_norm.weight", 10), tensor("output.weight", 900),
        tensor("blk.0.attn_q.weight", 50), tensor("blk.0.ffn_up_exps.weight", 400), tensor("blk.0.ffn_gate_exps.bias", 4),
        tensor("blk.1.ffn_down_exps.weight", 300), tensor("blk.1.ffn_gate_inp.weight", 7),
      ],
    } as unknown as GgufFile;
    expect(modelFootprint(file, "gpt-oss", 1024)).toEqual({
      layers: [{ bytes: 454, expertBytes: 404 }, { bytes: 307, expertBytes: 300 }],
      outputBytes: 910,
      hostOnlyBytes: 1000,
      kvBytesPerLayer: 8 * 128 * 2 * 1024,
    });
  });
});
