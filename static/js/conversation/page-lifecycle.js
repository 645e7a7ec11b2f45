// The page going to the background and coming back: tab switches, phones
// locking, and pages restored from the back-forward cache.

/** Whether this page was opened by a reload (rather than a link, or typing its address). */
export function wasReload() {
  const [navigation] = performance.getEntriesByType("navigation");
  return Boolean(navigation && navigation.type === "reload");
}

/**
 * `onHidden()` when the page can no longer be seen, `onVisible()` when it can
 * again, and `onRestored()` first when it comes back from the back-forward cache.
 */
export function watchPageLifecycle({ onHidden, onVisible, onRestored }) {
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") onHidden();
    else onVisible();
  });
  window.addEventListener("pagehide", () => onHidden());
  window.addEventListener("pageshow", (event) => {
    if (event.persisted) {
      onRestored();
      onVisible();
    }
  });
}
