/**
 * gpt-oss-node: run OpenAI's gpt-oss models locally from Node.js.
 *
 * @example
 * ```ts
 * import { loadModel } from "gpt-oss-node";
 * const model = await loadModel("gpt-oss-20b-mxfp4.gguf");
 * const result = await model.chat([{ role: "user", content: "Hello!" }], { reasoningEffort: "low" });
 * console.log(result.content);
 * await model.dispose();
 * ```
 * @module
 */
export { loadModel } from "./chat/load.js";
export { DEFAULTS } from "./chat/defaults.js";
export type * from "./chat/types.js";
export { GptOssError, ERROR_CODES, hasCode, type ErrorCode } from "./errors.js";
export { SCHEMA_LIMITS } from "./grammar/json-schema.js";
