/**
 * Parses a Content-Type header the way RFC 9110 (sections 8.3 and 5.6.6) writes it:
 * `type "/" subtype *( OWS ";" OWS [ name "=" ( token / quoted-string ) ] )` (empty parameters
 * are allowed). Anything else — `;;;` with no type, a bare `json`, an unterminated quote — is
 * malformed and reads as undefined, so a route can answer 415 instead of guessing.
 */

export interface MediaType {
  /** `type/subtype`, lower-cased. */
  readonly essence: string;
  /** Parameter names lower-cased; values unquoted, as sent. */
  readonly parameters: Readonly<Record<string, string>>;
}

const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
const QUOTED = '"(?:[^"\\\\]|\\\\.)*"';
const ESSENCE = new RegExp(`^(${TOKEN})/(${TOKEN})`);
/** One `OWS ";" OWS [ parameter ]` step; the parameter may be absent (`a/b;;c=d` is valid). */
const PARAMETER = new RegExp(`^[\\t ]*;[\\t ]*(?:(${TOKEN})=(${TOKEN}|${QUOTED}))?`);

const unquote = (value: string) =>
  value.startsWith('"') ? value.slice(1, -1).replace(/\\(.)/g, "$1") : value;

export function parseMediaType(header: string | undefined): MediaType | undefined {
  if (header === undefined) return undefined;
  let rest = header.trim();
  const essence = ESSENCE.exec(rest);
  if (!essence) return undefined;
  rest = rest.slice(essence[0].length);
  const parameters: Record<string, string> = {};
  while (rest !== "") {
    const parameter = PARAMETER.exec(rest);
    if (!parameter) return undefined;
    const [matched, name, value] = parameter;
    rest = rest.slice(matched.length);
    // An absent parameter must end there: `; charset` (no `=`) is not one.
    if (name === undefined && rest !== "" && !/^[\t ]*;/.test(rest)) return undefined;
    if (name !== undefined && value !== undefined) parameters[name.toLowerCase()] ??= unquote(value);
  }
  return { essence: `${essence[1]}/${essence[2]}`.toLowerCase(), parameters };
}
