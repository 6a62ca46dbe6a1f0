/**
 * The `# Tools` section of the system/developer message (reference `template_tools_section`, FORMAT.md §1.5):
 * namespaces in sorted key order, each tool as `type name = (_: {…}) => any;`.
 */
import type { FunctionTool } from "../types.js";
import type { HarmonyToolDescription, HarmonyToolNamespace } from "./conversation.js";
import { jsonSchemaToTypeScript } from "./schema-to-typescript.js";

/** Namespace name of user-defined function tools. */
export const FUNCTIONS_NAMESPACE = "functions";

/** Rust `str::lines()`: split on `\n` (dropping a `\r` before it), no final empty line, "" → no lines. */
function rustLines(value: string): string[] {
  if (value.length === 0) return [];
  const lines = value.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines.map((line, i) => (i < lines.length - 1 || value.endsWith("\n") ? line.replace(/\r$/, "") : line));
}

/** Code-point order of namespace keys, as Rust's `BTreeMap<String, _>` iterates them. */
function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function renderTool(tool: HarmonyToolDescription): string[] {
  const lines = rustLines(tool.description).map((line) => `// ${line}`);
  lines.push(
    tool.parameters != null
      ? `type ${tool.name} = (_: ${jsonSchemaToTypeScript(tool.parameters, "")}) => any;\n`
      : `type ${tool.name} = () => any;\n`,
  );
  return lines;
}

function renderNamespace(namespace: HarmonyToolNamespace): string {
  const lines = [`## ${namespace.name}\n`];
  const hasTools = namespace.tools.length > 0;
  if (namespace.description != null) {
    for (const line of rustLines(namespace.description)) lines.push(hasTools ? `// ${line}` : line);
  }
  if (hasTools) {
    lines.push(`namespace ${namespace.name} {\n`);
    for (const tool of namespace.tools) lines.push(...renderTool(tool));
    lines.push(`} // namespace ${namespace.name}`);
  }
  return lines.join("\n");
}

/** The whole `# Tools` section for the given namespaces (keyed by name, rendered in sorted key order). */
export function renderToolsSection(namespaces: Record<string, HarmonyToolNamespace>): string {
  const sections = ["# Tools"];
  for (const key of Object.keys(namespaces).sort(compareKeys)) sections.push(renderNamespace(namespaces[key]!));
  return sections.join("\n\n");
}

/** The `functions` namespace for the library's function tools (no namespace description). */
export function functionsNamespace(tools: readonly FunctionTool[]): HarmonyToolNamespace {
  return {
    name: FUNCTIONS_NAMESPACE,
    tools: tools.map((tool) => ({ name: tool.name, description: tool.description ?? "", parameters: tool.parameters ?? null })),
  };
}
