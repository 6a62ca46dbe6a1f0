/** This package's version (from package.json, one folder up from both src/ and dist/). */
import { createRequire } from "node:module";

export const PACKAGE_VERSION: string = (createRequire(import.meta.url)("../package.json") as { version: string }).version;
