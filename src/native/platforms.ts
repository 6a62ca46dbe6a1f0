/**
 * The prebuilt binary packages, in one place: their names, the platforms they install on (npm's `os` / `cpu` /
 * `libc` fields) and the folder inside each that holds the addon with its ggml/llama libraries and backend
 * modules. The loader (./index.ts) and the packaging script (scripts/prebuild.mjs, through dist/) both read this.
 */

/** npm scope of the binary packages. */
export const BINARY_SCOPE = "@gpt-oss-node";
/** Folder inside a binary package holding the addon and the libraries beside it (found through $ORIGIN rpaths). */
export const BINARY_DIR = "bin";
/** File name of the addon inside {@link BINARY_DIR}. */
export const ADDON_FILE = "gpt-oss-node.node";

export type GpuVariant = "cuda" | "vulkan";

export interface BinaryPackage {
  /** `linux-x64-gnu`, `linux-x64-vulkan`, ... (the package is `@gpt-oss-node/<id>`). */
  id: string;
  os: NodeJS.Platform;
  cpu: string;
  /** npm's `libc` field (Linux only). */
  libc?: "glibc" | "musl";
  /** Set for a GPU variant, installed by name; unset for the CPU package the main package depends on. */
  gpu?: GpuVariant;
  /** What the build needs beyond the CPU build (for the release workflow and the README). */
  build: string;
}

export const BINARY_PACKAGES: readonly BinaryPackage[] = [
  { id: "linux-x64-gnu", os: "linux", cpu: "x64", libc: "glibc", build: "every x86-64 CPU variant" },
  { id: "linux-arm64-gnu", os: "linux", cpu: "arm64", libc: "glibc", build: "every armv8 CPU variant" },
  { id: "linux-x64-musl", os: "linux", cpu: "x64", libc: "musl", build: "every x86-64 CPU variant, on Alpine" },
  { id: "darwin-arm64", os: "darwin", cpu: "arm64", build: "Metal inside" },
  { id: "darwin-x64", os: "darwin", cpu: "x64", build: "CPU only" },
  { id: "win32-x64", os: "win32", cpu: "x64", build: "every x86-64 CPU variant" },
  { id: "win32-arm64", os: "win32", cpu: "arm64", build: "CPU only" },
  { id: "linux-x64-vulkan", os: "linux", cpu: "x64", libc: "glibc", gpu: "vulkan", build: "Vulkan SDK" },
  { id: "linux-x64-cuda", os: "linux", cpu: "x64", libc: "glibc", gpu: "cuda", build: "CUDA 12 toolkit" },
  { id: "win32-x64-vulkan", os: "win32", cpu: "x64", gpu: "vulkan", build: "Vulkan SDK" },
  { id: "win32-x64-cuda", os: "win32", cpu: "x64", gpu: "cuda", build: "CUDA 12 toolkit" },
];

export function packageName(pkg: BinaryPackage): string {
  return `${BINARY_SCOPE}/${pkg.id}`;
}

export interface PlatformInfo {
  os: NodeJS.Platform;
  cpu: string;
  /** Linux: which C library this process runs on, and its version when glibc. */
  libc?: { family: "glibc" | "musl"; version?: string };
}

/** This process's platform (the C library read from Node's diagnostic report header). */
export function currentPlatform(): PlatformInfo {
  const info: PlatformInfo = { os: process.platform, cpu: process.arch };
  if (process.platform === "linux") {
    const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
    const glibc = header?.glibcVersionRuntime;
    info.libc = glibc ? { family: "glibc", version: glibc } : { family: "musl" };
  }
  return info;
}

export function describePlatform(platform: PlatformInfo): string {
  const libc = platform.libc ? ` ${platform.libc.family}${platform.libc.version ? ` ${platform.libc.version}` : ""}` : "";
  return `${platform.os}-${platform.cpu}${libc}`;
}

/** The binary packages that install on `platform`: the CPU package, and the GPU variants (`gpu` set). */
export function packagesFor(platform: PlatformInfo): BinaryPackage[] {
  return BINARY_PACKAGES.filter((pkg) => pkg.os === platform.os && pkg.cpu === platform.cpu && (pkg.libc === undefined || pkg.libc === platform.libc?.family));
}

/**
 * Inside an Electron app archive, native files cannot be loaded from `app.asar`: packagers unpack them to
 * `app.asar.unpacked` at the same relative path. Returns `path` with that rewrite (unchanged outside an archive).
 */
export function unpackedPath(path: string): string {
  return path.replace(/([\\/])app\.asar(?=[\\/]|$)/, "$1app.asar.unpacked");
}
