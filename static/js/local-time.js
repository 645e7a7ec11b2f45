// Every <time data-local-time> of the page, rendered by the server in UTC, shown
// in the reader's time zone and locale. data-local-time="relative" shows how
// long ago, kept current, with the full time as its title.

import { formatTime, relativeTime } from "./clock.js";

const REFRESH_MS = 30_000;

export function localizeTimes(root = document) {
  const language = document.documentElement.lang || "en";
  let relative = 0;
  for (const time of root.querySelectorAll("time[data-local-time]")) {
    const absolute = formatTime(time.dateTime);
    if (!absolute) continue;
    if (time.dataset.localTime === "relative") {
      time.textContent = relativeTime(time.dateTime, { language });
      time.title = absolute;
      relative += 1;
    } else {
      time.textContent = absolute;
    }
  }
  return relative;
}

if (localizeTimes() > 0) {
  setInterval(() => localizeTimes(), REFRESH_MS);
}
