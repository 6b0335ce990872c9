// Where the console points and with which key: kept in sessionStorage only (gone when the tab
// closes, never in localStorage or a cookie). The defaults are this page's own origin and, when the
// local runtime serves the page, its dev key (/console/defaults.json), so nothing needs typing.

const STORE_KEY = "ferry.console.settings";

export async function loadDefaults() {
  const apiBaseUrl = window.location.origin;
  try {
    const res = await fetch("/console/defaults.json", { cache: "no-store" });
    if (!res.ok) return { apiBaseUrl, apiKey: "" };
    const body = await res.json();
    return { apiBaseUrl, apiKey: typeof body.apiKey === "string" ? body.apiKey : "" };
  } catch {
    return { apiBaseUrl, apiKey: "" };
  }
}

export function loadSettings(defaults) {
  try {
    const saved = JSON.parse(sessionStorage.getItem(STORE_KEY) ?? "null");
    if (saved && typeof saved.apiBaseUrl === "string" && typeof saved.apiKey === "string") return saved;
  } catch {
    // A damaged entry is as good as none.
  }
  return { ...defaults };
}

export function saveSettings(settings) {
  sessionStorage.setItem(STORE_KEY, JSON.stringify(settings));
}

export function clearSettings() {
  sessionStorage.removeItem(STORE_KEY);
}

/** "https://x.example/" → "https://x.example": the API's paths are appended to it. */
export const normaliseBaseUrl = (url) => url.trim().replace(/\/+$/, "");
