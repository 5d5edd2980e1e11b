/** Where the API key is kept between visits. */
export const STORAGE_KEY = "mcpproxy.apikey";

/** The parts of `window` the key handling needs (injectable for tests). */
export interface KeyEnv {
  location: { href: string };
  storage: Pick<Storage, "getItem" | "setItem" | "removeItem">;
  replaceUrl: (url: string) => void;
}

/**
 * Takes `?apikey=` from the address once: stores it and removes it from the address bar
 * (so it is not bookmarked or shared). Returns the key to use (new or stored), or null.
 */
export function captureApiKey(env: KeyEnv): string | null {
  const url = new URL(env.location.href);
  const fromUrl = url.searchParams.get("apikey");
  if (fromUrl !== null) {
    url.searchParams.delete("apikey");
    env.replaceUrl(url.pathname + url.search + url.hash);
    const key = fromUrl.trim();
    if (key) {
      env.storage.setItem(STORAGE_KEY, key);
      return key;
    }
  }
  const stored = env.storage.getItem(STORAGE_KEY);
  return stored && stored.trim() ? stored : null;
}

/** Stores a key typed by the user. */
export function saveApiKey(env: Pick<KeyEnv, "storage">, key: string): void {
  env.storage.setItem(STORAGE_KEY, key.trim());
}

/** Forgets the stored key (after a 401). */
export function forgetApiKey(env: Pick<KeyEnv, "storage">): void {
  env.storage.removeItem(STORAGE_KEY);
}

/** The browser environment. */
export function browserKeyEnv(): KeyEnv {
  return {
    location: window.location,
    storage: window.localStorage,
    replaceUrl: (url) => window.history.replaceState(window.history.state, "", url),
  };
}
