/**
 * GBNF for the string `format`s the JSON-schema grammar enforces (the body between the JSON quotes): `date`,
 * `time`, `date-time` (RFC 3339, leap years included, leap seconds not), `uuid` (RFC 4122 text form, any version),
 * `email` (a dot-atom local part at a domain of labels with a letter TLD — a practical subset of RFC 5321) and
 * `uri` (a scheme, ":" and URI characters or %-escapes — RFC 3986's alphabet). Another format is refused.
 */
import { repeat } from "./gbnf-repeat.js";
import { schemaError } from "./json-schema.js";

const YEAR = "[0-9]{4}";
const LEAP_PAIR = '( "0" [48] | [2468] [048] | [13579] [26] )';
const LEAP_YEAR = `( [0-9]{2} ${LEAP_PAIR} | ( ${LEAP_PAIR} | "00" ) "00" )`;
const DAY_28 = '( "0" [1-9] | "1" [0-9] | "2" [0-8] )';
const DAY_30 = `( ${DAY_28} | "29" | "30" )`;
const DAY_31 = `( ${DAY_30} | "31" )`;
const DATE =
  `( ${YEAR} "-" ( ( "01" | "03" | "05" | "07" | "08" | "10" | "12" ) "-" ${DAY_31} | ( "04" | "06" | "09" | "11" ) "-" ${DAY_30} | "02-" ${DAY_28} )` +
  ` | ${LEAP_YEAR} "-02-29" )`;
const HOUR = '( [01] [0-9] | "2" [0-3] )';
const MINUTE = "[0-5] [0-9]";
const TIME = `${HOUR} ":" ${MINUTE} ":" ${MINUTE} ( "." [0-9]{1,9} )? ( "Z" | [+\\-] ${HOUR} ":" ${MINUTE} )`;
const HEX = "[0-9a-fA-F]";
const UUID = `${HEX}{8} "-" ${HEX}{4} "-" ${HEX}{4} "-" ${HEX}{4} "-" ${HEX}{12}`;
const ATOM = "[A-Za-z0-9_%+\\-]{1,32}";
const LABEL = "[A-Za-z0-9] ( [A-Za-z0-9\\-]{0,61} [A-Za-z0-9] )?";
const EMAIL = `${ATOM} ( "." ${ATOM} ){0,4} "@" ( ${LABEL} "." ){1,4} [A-Za-z]{2,24}`;
// 2048 characters: written in chunks (llama.cpp would turn a plain {1,2048} into "no maximum").
const URI = `[a-zA-Z] [a-zA-Z0-9+.\\-]{0,31} ":" ${repeat(`( [A-Za-z0-9._~:/?#@!$&'()*+,;=\\-] | "%" ${HEX}{2} )`, 1, 2048)}`;

export const STRING_FORMATS: Record<string, string> = {
  date: DATE,
  time: TIME,
  "date-time": `${DATE} "T" ${TIME}`,
  uuid: UUID,
  email: EMAIL,
  uri: URI,
};

/**
 * GBNF expression for the body of a JSON string in `format`.
 * @throws GptOssError ERR_SCHEMA_INVALID for a format outside STRING_FORMATS.
 */
export function formatGrammar(format: string, path: string): string {
  const expression = STRING_FORMATS[format];
  if (expression === undefined) {
    throw schemaError(path, `format ${JSON.stringify(format)} is not supported (supported: ${Object.keys(STRING_FORMATS).join(", ")})`);
  }
  return expression;
}
