/**
 * Upstash accepts a script shebang flag open-source Redis refuses: `#!lua flags=allow-key-locking`
 * (lock only the keys in KEYS instead of the whole database). Redis 7 rejects the unknown flag and
 * Redis 6 any shebang, before running anything. So the proxy rewrites scripts the way Upstash
 * reads them: the flag is dropped (with the whole shebang line when it was the only flag), and the
 * rest of the script runs unchanged, so local runs execute the same script as production.
 *
 * EVALSHA names a script by the SHA-1 of the text the client hashed (shebang included), which is
 * not the SHA Redis knows the rewritten text by. The proxy keeps the mapping it learnt from EVAL
 * and SCRIPT LOAD; an EVALSHA it cannot map is passed through, so Redis answers NOSCRIPT and the
 * client sends EVAL, exactly as against Upstash after a script flush.
 */
import { createHash } from "node:crypto";
import type { Command } from "./redis-runner.ts";

const UPSTASH_ONLY_FLAGS = new Set(["allow-key-locking"]);
const SHEBANG = /^#!lua([^\n]*)\n/;

const sha1 = (text: string) => createHash("sha1").update(text).digest("hex");

/** The script as open-source Redis should see it: Upstash-only flags removed. */
export function withoutUpstashFlags(source: string): string {
  const match = SHEBANG.exec(source);
  if (!match) return source;
  const flags = /\bflags=(\S*)/.exec(match[1] ?? "")?.[1];
  if (flags === undefined) return source;
  const list = flags.split(",").filter((f) => f.length > 0);
  const kept = list.filter((f) => !UPSTASH_ONLY_FLAGS.has(f));
  if (kept.length === list.length) return source;
  const body = source.slice(match[0].length);
  return kept.length === 0 ? body : `#!lua flags=${kept.join(",")}\n${body}`;
}

/** Rewrites script commands and remembers which client SHA means which Redis SHA. */
export class ScriptRewriter {
  /** SHA the client computed → SHA of the text Redis loaded. */
  readonly #shas = new Map<string, string>();

  /** The command to send to Redis in place of `command`. */
  rewrite(command: Command): Command {
    const [name, ...args] = command;
    const lower = name.toLowerCase();
    if ((lower === "eval" || lower === "eval_ro") && args[0] !== undefined) {
      return [name, this.#learn(args[0]), ...args.slice(1)];
    }
    if ((lower === "evalsha" || lower === "evalsha_ro") && args[0] !== undefined) {
      return [name, this.#shas.get(args[0].toLowerCase()) ?? args[0], ...args.slice(1)];
    }
    if (lower === "script" && args[0] !== undefined) {
      const sub = args[0].toLowerCase();
      if (sub === "load" && args[1] !== undefined) return [name, args[0], this.#learn(args[1])];
      if (sub === "exists") {
        return [name, args[0], ...args.slice(1).map((sha) => this.#shas.get(sha.toLowerCase()) ?? sha)];
      }
    }
    return command;
  }

  /**
   * What the client expects back from a rewritten command: SCRIPT LOAD answers the SHA of the text
   * the client sent (as Upstash does), not of the text Redis loaded.
   */
  clientShaFor(command: Command): string | undefined {
    const [name, sub, source] = command;
    if (name.toLowerCase() !== "script" || sub?.toLowerCase() !== "load" || source === undefined) {
      return undefined;
    }
    return withoutUpstashFlags(source) === source ? undefined : sha1(source);
  }

  #learn(source: string): string {
    const stripped = withoutUpstashFlags(source);
    if (stripped !== source) this.#shas.set(sha1(source), sha1(stripped));
    return stripped;
  }
}
