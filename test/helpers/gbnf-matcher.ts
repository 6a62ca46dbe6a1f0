/**
 * A small, independent GBNF recogniser (the subset this package's grammar builders emit: literals, classes with
 * \x \u \U escapes, rule references, groups, alternatives, * + ? {m,n}) to check in unit tests what a grammar accepts,
 * without a model. llama.cpp's own parser is exercised by test/model/chat-tiny.test.ts.
 */
type Node =
  | { t: "lit"; s: string }
  | { t: "cls"; neg: boolean; ranges: Array<[number, number]> }
  | { t: "ref"; name: string }
  | { t: "alt"; options: Node[][] }
  | { t: "rep"; node: Node; min: number; max: number };

function parseGbnf(text: string): Map<string, Node> {
  const rules = new Map<string, Node>();
  let i = 0;
  const ws = () => {
    while (i < text.length && /[ \t]/.test(text[i]!)) i++;
  };
  const escape = (): number => {
    const c = text[i++]!;
    if (c !== "\\") return c.codePointAt(0)!;
    const e = text[i++]!;
    const width = ({ x: 2, u: 4, U: 8 } as Record<string, number>)[e];
    if (width !== undefined) {
      const code = parseInt(text.slice(i, i + width), 16);
      i += width;
      return code;
    }
    return ({ n: 10, r: 13, t: 9 } as Record<string, number>)[e] ?? e.codePointAt(0)!;
  };
  const alternatives = (nested: boolean): Node => {
    const options: Node[][] = [[]];
    for (;;) {
      ws();
      if (text[i] === "\n" && nested) i++, ws();
      const c = text[i];
      if (c === undefined || (c === "\n" && !nested)) break;
      if (c === ")") break;
      if (c === "|") {
        i++;
        options.push([]);
        continue;
      }
      let node: Node;
      if (c === '"') {
        i++;
        let s = "";
        while (text[i] !== '"') s += String.fromCodePoint(escape());
        i++;
        node = { t: "lit", s };
      } else if (c === "[") {
        i++;
        const neg = text[i] === "^";
        if (neg) i++;
        const ranges: Array<[number, number]> = [];
        while (text[i] !== "]") {
          const lo = escape();
          let hi = lo;
          if (text[i] === "-" && text[i + 1] !== "]") {
            i++;
            hi = escape();
          }
          ranges.push([lo, hi]);
        }
        i++;
        node = { t: "cls", neg, ranges };
      } else if (c === "(") {
        i++;
        node = alternatives(true);
        i++;
      } else {
        const name = /^[\w-]+/.exec(text.slice(i))![0];
        i += name.length;
        node = { t: "ref", name };
      }
      const post = text[i];
      if (post === "*" || post === "+" || post === "?") {
        i++;
        node = { t: "rep", node, min: post === "+" ? 1 : 0, max: post === "?" ? 1 : Infinity };
      } else if (post === "{") {
        const m = /^\{(\d+)(,(\d*))?\}/.exec(text.slice(i))!;
        i += m[0].length;
        node = { t: "rep", node, min: Number(m[1]), max: m[2] === undefined ? Number(m[1]) : m[3] === "" ? Infinity : Number(m[3]) };
      }
      options[options.length - 1]!.push(node);
    }
    return { t: "alt", options };
  };
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    const at = line.indexOf("::=");
    const saved = text;
    text = line.slice(at + 3);
    i = 0;
    rules.set(line.slice(0, at).trim(), alternatives(false));
    text = saved;
  }
  return rules;
}

/** True when the grammar's rule `root` matches all of `input`. */
export function accepts(grammar: string, input: string): boolean {
  const rules = parseGbnf(grammar);
  const chars = [...input].map((c) => c.codePointAt(0)!);
  const memo = new Map<string, Set<number>>();
  const ends = (node: Node, pos: number): Set<number> => {
    switch (node.t) {
      case "lit": {
        const s = [...node.s].map((c) => c.codePointAt(0)!);
        return s.every((c, k) => chars[pos + k] === c) ? new Set([pos + s.length]) : new Set();
      }
      case "cls": {
        const c = chars[pos];
        if (c === undefined) return new Set();
        const inside = node.ranges.some(([lo, hi]) => c >= lo && c <= hi);
        return inside !== node.neg ? new Set([pos + 1]) : new Set();
      }
      case "ref": {
        const key = `${node.name}@${pos}`;
        let result = memo.get(key);
        if (!result) {
          memo.set(key, new Set());
          result = ends(rules.get(node.name)!, pos);
          memo.set(key, result);
        }
        return result;
      }
      case "alt": {
        const out = new Set<number>();
        for (const seq of node.options) {
          let positions = new Set([pos]);
          for (const item of seq) positions = new Set([...positions].flatMap((p) => [...ends(item, p)]));
          positions.forEach((p) => out.add(p));
        }
        return out;
      }
      case "rep": {
        const out = new Set<number>();
        let frontier = new Set([pos]);
        for (let n = 0; frontier.size > 0 && n <= Math.min(node.max, chars.length + 1); n++) {
          if (n >= node.min) frontier.forEach((p) => out.add(p));
          if (n === node.max) break;
          frontier = new Set([...frontier].flatMap((p) => [...ends(node.node, p)].filter((q) => q > p || node.min > n)));
        }
        return out;
      }
    }
  };
  return ends({ t: "ref", name: "root" }, 0).has(chars.length);
}

