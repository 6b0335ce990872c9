/**
 * One call to a payment provider's API, for verification. Whatever goes wrong on the way (no
 * answer in time, a network error, a 5xx, a 401 from wrong credentials, a body that is not JSON)
 * is "unavailable": the provider has not said anything about the payment, so the event is tried
 * again later rather than judged. Only an answer the provider gave counts as evidence.
 */

export class ProviderUnavailableError extends Error {
  override readonly name = "ProviderUnavailableError";
}

export interface ProviderAnswer {
  readonly status: number;
  /** The parsed JSON body. */
  readonly body: unknown;
}

/**
 * `answers`: the non-2xx statuses that are an answer about the payment (404: not known; Razorpay
 * says 400 for an id it does not have); any other non-2xx status is not.
 */
export async function callProvider(
  url: string,
  init: RequestInit,
  timeoutMs: number,
  answers: readonly number[] = [404],
): Promise<ProviderAnswer> {
  let response: Response;
  try {
    response = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    throw new ProviderUnavailableError(`no answer from ${new URL(url).host}`, { cause: error });
  }
  const text = await response.text().catch(() => "");
  if (!answers.includes(response.status) && (response.status < 200 || response.status > 299)) {
    throw new ProviderUnavailableError(`${new URL(url).host} answered ${response.status}`);
  }
  try {
    return { status: response.status, body: text === "" ? undefined : JSON.parse(text) };
  } catch {
    throw new ProviderUnavailableError(`${new URL(url).host} answered with a body that is not JSON`);
  }
}
