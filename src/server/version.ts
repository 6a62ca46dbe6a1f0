/** This package's version (from package.json, which sits two folders up from both src/server and dist/server). */
import { createRequire } from "node:module";

export const PACKAGE_VERSION: string = (createRequire(import.meta.url)("../../package.json") as { version: string }).version;
