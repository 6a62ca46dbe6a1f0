/**
 * A deterministic multilingual test corpus for tokenizer tests and benchmarks, generated from a seed out of
 * fragments written here (no downloads). Every document mixes several kinds of text so that pre-tokenizer
 * boundaries between scripts, whitespace and punctuation get exercised, not only the inside of each kind.
 */

/** Small seeded PRNG (mulberry32): the same seed always gives the same corpus. */
class Random {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

const words = (text: string): readonly string[] => text.trim().split(/\s+/);

const ENGLISH = words(`the of and to in is that for it as was with be by on not he this are or his from at which but
  have an they you were her she there been one all we their has would when if so what out up who them some could
  time into two more these new other than first only then any like may model token server request reason answer
  through between because however although stream function network memory thread context sample vocabulary`);
const CONTRACTED = words(`it's that's he'll she'd we're they've I'm don't can't won't you'll IT'S WE'LL THEY'RE
  I'VE DON'T It'S we'Re They'VE i'M You'D let's Let'S o'clock rock'n'roll y'all'd`);
const LATIN_DIACRITICS = words(`café naïve façade résumé über Straße Größe Mädchen señor niño año acción pingüino
  São João coração ação Łódź zażółć gęślą jaźń Dvořák příliš žluťoučký kůň Tiếng Việt người được những ångström
  smörgåsbord Ærø fjörður þetta Ðặng ĩ ũ Ŝi ĉiuj`);
// Decomposed (NFD) forms: base letter + combining mark, the marks tiktoken keeps inside the word.
const COMBINING = ["e\u0301", "a\u0300", "o\u0308", "n\u0303", "c\u0327", "u\u031b\u0301", "A\u030a", "i\u0302\u0323"];
const CYRILLIC = words(`привет мир тестирование токенизатора Москва Україна їжак ґанок Ёлка съешь ещё этих мягких
  французских булок ВЕЛИКИЙ Большой Ђорђе Љубав`);
const GREEK = words(`Καλημέρα κόσμε ΑΘΗΝΑ Ἀθῆναι ψυχή λόγος φιλοσοφία ἐν ἀρχῇ ἦν ὁ λόγος ΣΊΣΥΦΟΣ ς σ`);
const ARABIC = words(`مرحبا بالعالم العربية اللُّغَةُ العَرَبِيَّةُ كِتَابٌ مُحَمَّد القاهرة ١٢٣٤٥٦٧ فارسی گفتگو`);
const HEBREW = words(`שלום עולם עִבְרִית בְּרֵאשִׁית בָּרָא ירושלים תל־אביב`);
const DEVANAGARI = words(`हिन्दी नमस्ते दुनिया भारत संस्कृतम् क्षत्रिय ज्ञान श्री मराठी नेपाली हिंदी ०१२३४५६७८९ ऑफ़िस`);
const THAI = ["ภาษาไทย", "สวัสดีครับ", "กรุงเทพมหานคร", "น้ำ", "ที่นี่", "เด็กๆ", "๑๒๓"];
const CJK = ["中文分词测试", "你好，世界！", "東京都", "人工知能", "日本語のテキストです。", "カタカナとひらがな", "漢字", "汉字简体", "臺灣繁體字", "㐀𠀀𪚥"];
const KOREAN = words(`안녕하세요 세계 한국어 토크나이저 테스트입니다 서울특별시 ㄱㄴㄷ 가나다라`);
const EMOJI = ["😀", "🚀", "👍🏽", "👋🏿", "👨‍👩‍👧‍👦", "🏳️‍🌈", "🧑🏻‍💻", "❤️", "🇺🇸", "🇯🇵", "1️⃣", "#️⃣", "✨", "🤖", "👩‍❤️‍💋‍👨", "☕", "🫠"];
const PUNCTUATION = [..."!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", "…", "—", "–", "«", "»", "“", "”", "‘", "’", "¿", "¡", "・", "。", "、", "§", "©", "™", "→", "⇒", "∑", "√", "€", "£", "¥", "°", "±", "×", "÷"];
const SPACES = [" ", "  ", "\t", "\u00a0", "\u3000", "\u2003", "\u0085", "\u2028", "\ufeff", "\u200b", "\u202f"];
const NEWLINES = ["\n", "\r\n", "\n\n", "\r", "\r\r\n", " \n", "\t\n", "\u2029"];
// Invalid UTF-16: lone high, lone low, and a reversed pair. Encoded like U+FFFD by TextEncoder and tiktoken.
const LONE_SURROGATES = ["\ud800", "\udfff", "\udc00\ud83d", "\ud83d"];
const SYLLABLES = words(`ka ri to na me su lo ve an ter pro con ex ing ed ly tion ment ble ous str qu ph th sch ck`);

const CODE_SNIPPETS: readonly string[] = [
  `export async function fetchJson(url: string): Promise<unknown> {\n  const res = await fetch(url);\n  if (!res.ok) throw new Error(\`HTTP \${res.status}\`);\n  return res.json();\n}\n`,
  `def fib(n: int) -> int:\n    """Return the n-th Fibonacci number."""\n    a, b = 0, 1\n    for _ in range(n):\n        a, b = b, a + b\n    return a\n`,
  `fn main() {\n    let v: Vec<u32> = (0..10).map(|x| x * x).collect();\n    println!("{:?}", v);\n}\n`,
  `#include <stdio.h>\nint main(void) {\n\tfor (int i = 0; i < 10; ++i) {\n\t\tprintf("%d\\n", i);\n\t}\n\treturn 0;\n}\n`,
  `{"model": "gpt-oss-20b", "messages": [{"role": "user", "content": "Hi!"}], "temperature": 0.7, "max_tokens": 256}\n`,
  `<!DOCTYPE html>\n<html lang="en">\n  <body class="main">\n    <p>Hello &amp; welcome</p>\n  </body>\n</html>\n`,
  `SELECT u.id, COUNT(*) AS n FROM users u JOIN orders o ON o.user_id = u.id WHERE o.total > 100 GROUP BY u.id;\n`,
  `#!/usr/bin/env bash\nset -euo pipefail\nfor f in ./*.gguf; do\n  echo "$f: $(stat -c%s "$f") bytes" >> /tmp/log.txt\ndone\n`,
  `    if (x === null || x === undefined) { return []; } // TODO(user): handle NaN && -0\n`,
  `const re = /^(?:[a-z0-9!#$%&'*+/=?^_\`{|}~-]+)@example\\.com$/iu;\n`,
];

function randomWord(rng: Random): string {
  let word = "";
  const n = rng.int(1, 4);
  for (let i = 0; i < n; i++) word += rng.pick(SYLLABLES);
  if (rng.chance(0.15)) word = word[0]!.toUpperCase() + word.slice(1);
  else if (rng.chance(0.05)) word = word.toUpperCase();
  return word;
}

function digits(rng: Random, length: number): string {
  let out = "";
  for (let i = 0; i < length; i++) out += String.fromCharCode(48 + rng.int(0, 9));
  return out;
}

/** A sentence of space-separated items from `pick`, ending with punctuation. */
function sentence(rng: Random, pick: () => string, separator = " "): string {
  const n = rng.int(4, 18);
  const parts: string[] = [];
  for (let i = 0; i < n; i++) parts.push(pick());
  return parts.join(separator) + rng.pick([".", "!", "?", ",", ":", ";", "。", "…"]);
}

type Section = (rng: Random) => string;

const SECTIONS: readonly Section[] = [
  (rng) => sentence(rng, () => (rng.chance(0.7) ? rng.pick(ENGLISH) : rng.chance(0.5) ? rng.pick(CONTRACTED) : randomWord(rng))),
  (rng) => sentence(rng, () => (rng.chance(0.8) ? rng.pick(LATIN_DIACRITICS) : rng.pick(ENGLISH) + rng.pick(COMBINING))),
  (rng) => sentence(rng, () => rng.pick(CYRILLIC)),
  (rng) => sentence(rng, () => rng.pick(GREEK)),
  (rng) => sentence(rng, () => rng.pick(ARABIC)),
  (rng) => sentence(rng, () => rng.pick(HEBREW)),
  (rng) => sentence(rng, () => rng.pick(DEVANAGARI)),
  (rng) => sentence(rng, () => rng.pick(THAI), ""),
  (rng) => sentence(rng, () => rng.pick(CJK), ""),
  (rng) => sentence(rng, () => rng.pick(KOREAN)),
  (rng) => rng.pick(CODE_SNIPPETS),
  (rng) => rng.pick(CODE_SNIPPETS).replace(/\n/g, "\r\n").replace(/ {4}/g, "\t"),
  (rng) => sentence(rng, () => rng.pick(EMOJI) + (rng.chance(0.3) ? rng.pick(ENGLISH) : ""), rng.chance(0.5) ? "" : " "),
  (rng) => " ".repeat(rng.int(2, 300)) + rng.pick(ENGLISH) + "\t".repeat(rng.int(1, 12)) + rng.pick(ENGLISH),
  (rng) => rng.pick(NEWLINES).repeat(rng.int(1, 6)) + " ".repeat(rng.int(0, 40)) + rng.pick(NEWLINES),
  (rng) => sentence(rng, () => rng.pick(SPACES) + rng.pick([...ENGLISH, ...CYRILLIC]), ""),
  (rng) => digits(rng, rng.int(1, 120)) + rng.pick([" ", ".", ",", "", "\n"]) + digits(rng, rng.int(1, 8)),
  (rng) => `${rng.int(0, 9999)},${digits(rng, 3)}.${digits(rng, 2)} ${rng.pick(["٣٤٥", "１２３", "१२३", "Ⅻ", "½", "²³"])}`,
  (rng) => {
    let soup = "";
    const n = rng.int(3, 60);
    for (let i = 0; i < n; i++) soup += rng.chance(0.1) ? rng.pick(NEWLINES) : rng.pick(PUNCTUATION);
    return soup;
  },
  (rng) => sentence(rng, () => rng.pick(ENGLISH) + (rng.chance(0.3) ? rng.pick(LONE_SURROGATES) : "")),
  (rng) => {
    // Random code points from assorted blocks: forces BPE on pieces no word list would produce.
    const blocks: ReadonlyArray<readonly [number, number]> = [
      [0x20, 0x7e], [0xa0, 0x24f], [0x370, 0x3ff], [0x400, 0x4ff], [0x590, 0x6ff], [0x900, 0x97f],
      [0xe00, 0xe7f], [0x3040, 0x30ff], [0x4e00, 0x9fff], [0xac00, 0xd7a3], [0x1f300, 0x1faff], [0x2000, 0x206f],
    ];
    let out = "";
    const n = rng.int(5, 80);
    for (let i = 0; i < n; i++) {
      const [lo, hi] = rng.pick(blocks);
      out += String.fromCodePoint(rng.int(lo, hi));
    }
    return out;
  },
];

/** Options for {@link generateCorpus}. */
export interface CorpusOptions {
  /** PRNG seed. Default 20250805. */
  seed?: number;
  /** Stop once the documents' total UTF-8 size reaches this many bytes. Default 5_500_000. */
  targetBytes?: number;
}

/**
 * Deterministic corpus documents (each a few KB), about 5.5 MB of UTF-8 with the defaults.
 * Some documents contain lone surrogates on purpose; {@link isWellFormed} tells which.
 */
export function generateCorpus(options: CorpusOptions = {}): string[] {
  const rng = new Random(options.seed ?? 20250805);
  const targetBytes = options.targetBytes ?? 5_500_000;
  const documents: string[] = [];
  let total = 0;
  while (total < targetBytes) {
    const parts: string[] = [];
    let length = 0;
    const docLength = rng.int(500, 6000);
    while (length < docLength) {
      const section = rng.pick(SECTIONS)(rng);
      parts.push(section, rng.chance(0.3) ? rng.pick(NEWLINES) : " ");
      length += section.length + 1;
    }
    const document = parts.join("");
    documents.push(document);
    total += Buffer.byteLength(document);
  }
  return documents;
}

/** True when `text` has no lone surrogates. */
export function isWellFormed(text: string): boolean {
  return !/\p{Cs}/u.test(text);
}
