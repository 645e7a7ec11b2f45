// One clock for every page: a time is shown in the reader's own time zone and
// locale, in one format, whether the server rendered it or it arrived later.
// No browser API here, so Node tests import it as it is.

// The locale's own medium date and short time: "21 Nov 2026, 18:40" in en-GB,
// "Nov 21, 2026, 6:40 PM" in en-US.
const FORMAT_OPTIONS = { dateStyle: "medium", timeStyle: "short" };

const MINUTE = 60;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const MONTH = 30 * DAY;
const YEAR = 365 * DAY;

function parse(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? null : date;
}

const formats = new Map();

function formatFor(locale, timeZone) {
  const key = `${locale ?? ""}|${timeZone ?? ""}`;
  if (!formats.has(key)) {
    formats.set(key, new Intl.DateTimeFormat(locale, { ...FORMAT_OPTIONS, timeZone }));
  }
  return formats.get(key);
}

// `locale` and `timeZone` default to the reader's; "" for a time that is no time.
export function formatTime(iso, { locale, timeZone } = {}) {
  const date = parse(iso);
  return date ? formatFor(locale, timeZone).format(date) : "";
}

// "just now" under a minute (and for a clock slightly ahead of the reader's),
// then "5 minutes ago", "yesterday", "3 months ago" in the page's language.
export function relativeTime(iso, { now = Date.now(), language = "en" } = {}) {
  const date = parse(iso);
  if (!date) return "";
  const seconds = Math.round((now - date.getTime()) / 1000);
  if (seconds < MINUTE) return "just now";
  const words = new Intl.RelativeTimeFormat(language, { numeric: "auto" });
  if (seconds < HOUR) return words.format(-Math.floor(seconds / MINUTE), "minute");
  if (seconds < DAY) return words.format(-Math.floor(seconds / HOUR), "hour");
  if (seconds < MONTH) return words.format(-Math.floor(seconds / DAY), "day");
  if (seconds < YEAR) return words.format(-Math.floor(seconds / MONTH), "month");
  return words.format(-Math.floor(seconds / YEAR), "year");
}
