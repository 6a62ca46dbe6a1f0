/** The small tools `gpt-oss chat` offers the model, so a tool loop can be tried without writing code. */
import type { FunctionTool } from "../chat/types.js";

export interface DemoTool extends FunctionTool {
  run(args: Record<string, unknown>): string;
}

export const DEMO_TOOLS: DemoTool[] = [
  {
    name: "get_current_time",
    description: "Current date and time, optionally in an IANA time zone such as Europe/Paris.",
    parameters: { type: "object", properties: { timezone: { type: "string" } } },
    run: ({ timezone }) => {
      try {
        return new Date().toLocaleString("en-GB", { timeZone: typeof timezone === "string" ? timezone : undefined, dateStyle: "full", timeStyle: "long" });
      } catch {
        return `Unknown time zone: ${String(timezone)}`;
      }
    },
  },
  {
    name: "roll_dice",
    description: "Rolls `count` dice with `sides` sides each and returns the results.",
    parameters: {
      type: "object",
      properties: { sides: { type: "integer", minimum: 2, maximum: 1000 }, count: { type: "integer", minimum: 1, maximum: 20 } },
      required: ["sides"],
    },
    run: ({ sides, count }) => {
      const s = Math.min(1000, Math.max(2, Math.trunc(Number(sides)) || 6));
      const n = Math.min(20, Math.max(1, Math.trunc(Number(count)) || 1));
      return JSON.stringify(Array.from({ length: n }, () => 1 + Math.floor(Math.random() * s)));
    },
  },
];

/** Runs a demo tool call; bad JSON or an unknown tool becomes an error text the model can read. */
export function runDemoTool(name: string, argumentsText: string): string {
  const tool = DEMO_TOOLS.find((t) => t.name === name);
  if (!tool) return `Error: no tool named ${name}.`;
  let args: unknown;
  try {
    args = JSON.parse(argumentsText || "{}");
  } catch {
    return `Error: the arguments are not valid JSON: ${argumentsText}`;
  }
  return tool.run(typeof args === "object" && args !== null ? (args as Record<string, unknown>) : {});
}
