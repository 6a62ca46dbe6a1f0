/** Pure-TypeScript GGUF support: a validating metadata reader and a streaming writer. */
export {
  readGguf,
  DEFAULT_MAX_ARRAY_LENGTH,
  MAX_STRING_BYTES,
  type GgufFile,
  type GgufTensorInfo,
  type GgufValue,
  type ReadGgufOptions,
} from "./reader.js";
export { writeGguf, type GgufTensorSpec, type TensorDataSource, type WriteGgufOptions } from "./writer.js";
export { gguf, type GgufTypedValue } from "./encoder.js";
export { GgmlType, GgufValueType, ggmlTypeInfo, type GgmlTypeInfo } from "./types.js";
