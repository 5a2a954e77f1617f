/**
 * Docker's human units (github.com/docker/go-units), as `docker images`,
 * `docker ps` and `docker history` print them: decimal sizes with three
 * significant digits ("4.26MB", "999B", "1.2GB") and rough durations
 * ("About a minute", "3 weeks").
 */

const DECIMAL = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];

/** Go's %.3g without exponent for the values these take: trailing zeros dropped. */
function significant(value: number, digits: number): string {
  return String(Number(value.toPrecision(digits)));
}

/** go-units HumanSizeWithPrecision(size, 3): "1.23MB". */
export function humanSize(bytes: number, precision = 3): string {
  let size = bytes;
  let i = 0;
  while (size >= 1000 && i < DECIMAL.length - 1) {
    size /= 1000;
    i++;
  }
  return `${significant(size, precision)}${DECIMAL[i]}`;
}

/** go-units HumanDuration: how `docker ps`/`images` say how long ago. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.floor(ms / 60_000);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.floor(ms / 3_600_000 + 0.5);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.floor(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.floor(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24 / 30)} months`;
  return `${Math.floor(ms / 3_600_000 / 24 / 365)} years`;
}

/** "3 weeks ago", from an ISO date or epoch ms, as the CREATED columns show it. */
export function ago(when: string | number, now = Date.now()): string {
  const t = typeof when === 'number' ? when : Date.parse(when);
  return `${humanDuration(Math.max(0, now - t))} ago`;
}
