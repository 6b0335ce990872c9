/** Both contract documents for one deployment's URLs, as the runtime serves and the script writes them. */
import { manifest } from "#shared/app/manifest.ts";
import { buildAsyncApi } from "./asyncapi.ts";
import { buildOpenApi } from "./openapi.ts";

export interface ContractUrls {
  readonly apiUrl?: string;
  readonly wsUrl?: string;
}

export function contractDocuments(urls: ContractUrls = {}) {
  return {
    openapi: buildOpenApi(manifest, urls.apiUrl ? { serverUrl: urls.apiUrl } : {}),
    asyncapi: buildAsyncApi(urls.wsUrl ? { wsUrl: urls.wsUrl } : {}),
  };
}

/** The checked-in form: pretty-printed with a final newline, for readable diffs. */
export const serialize = (doc: unknown) => `${JSON.stringify(doc, null, 2)}\n`;

export const CONTRACT_FILES = { openapi: "docs/openapi.json", asyncapi: "docs/asyncapi.json" } as const;
