/**
 * One page of a listing kept as a Redis sorted set (member = record id, score = creation time in
 * ms), newest first, with the records read and filtered inside one Lua script: a page costs one
 * round trip however many records a filter skips (Redis may be 60 ms away), and the records it
 * returns are the ones the index named at that instant.
 *
 * Cursors are opaque to clients: base64url of the last position seen, `[score, member]`. The next
 * page starts strictly after it, so records created meanwhile (newer, higher scores) never shift
 * a page, and ties on the same millisecond are ordered by member.
 *
 * A filter that matches little may end a page early (the scan budget bounds the work per call):
 * such a page has fewer items than asked but still a `nextCursor`. No `nextCursor` means the end.
 */
import * as z from "zod/mini";
import { badRequest } from "#shared/http/errors.ts";
import { defineScript } from "./script.ts";

/**
 * KEYS[1] the index. ARGV[1] max score ('+inf' or the cursor's), ARGV[2] cursor member or '',
 * ARGV[3] limit, ARGV[4] scan budget, ARGV[5] JSON object of field → required value,
 * ARGV[6] record key prefix (record key = prefix .. member).
 * Returns {records..., '' or next score, next member}: the last two are the cursor ('' = end).
 */
export const INDEX_PAGE_SCRIPT = defineScript(`
local maxScore = ARGV[1]
local after = ARGV[2]
local limit = tonumber(ARGV[3])
local budget = tonumber(ARGV[4])
local filters = cjson.decode(ARGV[5])
local prefix = ARGV[6]
local items = {}
local scanned = 0
local offset = 0
local lastScore, lastMember = '', ''
local ended = false
while #items < limit and scanned < budget do
  local batch = redis.call('ZREVRANGEBYSCORE', KEYS[1], maxScore, '-inf', 'WITHSCORES', 'LIMIT', offset, 100)
  if #batch == 0 then
    ended = true
    break
  end
  offset = offset + #batch / 2
  for i = 1, #batch, 2 do
    local member, score = batch[i], batch[i + 1]
    -- Same score as the cursor: members at or above the cursor's were on an earlier page.
    local seen = after ~= '' and tonumber(score) == tonumber(maxScore) and member >= after
    if not seen then
      scanned = scanned + 1
      lastScore, lastMember = score, member
      local raw = redis.call('GET', prefix .. member)
      if raw then
        local record = cjson.decode(raw)
        local keep = true
        for field, want in pairs(filters) do
          if record[field] ~= want then
            keep = false
            break
          end
        end
        if keep then items[#items + 1] = raw end
      end
      if #items >= limit or scanned >= budget then break end
    end
  end
end
if ended then lastScore, lastMember = '', '' end
items[#items + 1] = lastScore
items[#items + 1] = lastMember
return items
`);

const cursorSchema = z.tuple([
  z.string().check(z.regex(/^-?\d+(\.\d+)?(e[+-]?\d+)?$/i)),
  z.string().check(z.minLength(1), z.maxLength(300)),
]);

export function encodeCursor(score: string, member: string): string {
  return Buffer.from(JSON.stringify([score, member]), "utf8").toString("base64url");
}

/** A cursor this module did not write is a 400 naming `cursor`, never a 500. */
export function decodeCursor(cursor: string): { score: string; member: string } {
  try {
    const [score, member] = cursorSchema.parse(JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")));
    return { score, member };
  } catch {
    throw badRequest("The cursor is not one this API returned; start again without it.", [
      { path: "cursor", message: "unknown cursor" },
    ]);
  }
}

export interface IndexPageRequest {
  readonly index: string;
  readonly recordPrefix: string;
  readonly limit: number;
  readonly cursor?: string | undefined;
  /** Top-level fields each record must have with exactly these values. */
  readonly filters: Readonly<Record<string, string>>;
  /** Records looked at per call at most; default 20 × limit, at least 200. */
  readonly scanBudget?: number;
}

export interface IndexPage {
  /** The raw JSON of each record, newest first. */
  readonly records: readonly string[];
  readonly nextCursor: string | null;
}

export async function readIndexPage(
  redis: Parameters<typeof INDEX_PAGE_SCRIPT>[0],
  request: IndexPageRequest,
): Promise<IndexPage> {
  const from = request.cursor ? decodeCursor(request.cursor) : undefined;
  const reply = (await INDEX_PAGE_SCRIPT(
    redis,
    [request.index],
    [
      from?.score ?? "+inf",
      from?.member ?? "",
      String(request.limit),
      String(request.scanBudget ?? Math.max(200, 20 * request.limit)),
      // cjson decodes {} as an empty table; an empty filter object must stay an object.
      JSON.stringify(request.filters),
      request.recordPrefix,
    ],
  )) as string[];
  const member = reply.at(-1) ?? "";
  const score = reply.at(-2) ?? "";
  return {
    records: reply.slice(0, -2),
    nextCursor: member === "" ? null : encodeCursor(score, member),
  };
}
