// RFC 3339 timestamps <-> google.protobuf.Timestamp {seconds, nanos}. Envoy's JSON prints
// headers_received_time as RFC 3339 with 0, 3, 6 or 9 fractional digits; its protobuf form is
// seconds + nanos. Captures keep the canonical string (UTC, `Z`), so both decoders produce the
// same text for the same instant and encoders can go back without loss of nanoseconds.

export interface ProtoTimestamp {
  /** Seconds since the Unix epoch, within 0001-01-01 .. 9999-12-31 (protobuf's valid range). */
  seconds: number;
  /** 0 .. 999,999,999. */
  nanos: number;
}

export const MIN_TIMESTAMP_SECONDS = -62_135_596_800;
export const MAX_TIMESTAMP_SECONDS = 253_402_300_799;

/**
 * Parses an RFC 3339 date-time; undefined when it is not one or is outside the protobuf range.
 * Hand-rolled (no regex, no allocation): it runs several times per ingested capture.
 */
export function parseRfc3339(text: string): ProtoTimestamp | undefined {
  const len = text.length;
  if (len < 20 || len > 35) return undefined;
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 2);
  const day = digits(text, 8, 2);
  const hour = digits(text, 11, 2);
  const minute = digits(text, 14, 2);
  const second = digits(text, 17, 2);
  if (
    (year | month | day | hour | minute | second) < 0 ||
    text.charCodeAt(4) !== 0x2d || // -
    text.charCodeAt(7) !== 0x2d ||
    (text.charCodeAt(10) | 0x20) !== 0x74 || // T or t
    text.charCodeAt(13) !== 0x3a || // :
    text.charCodeAt(16) !== 0x3a
  ) {
    return undefined;
  }
  let i = 19;
  let nanos = 0;
  if (text.charCodeAt(i) === 0x2e) {
    // .fraction, 1 to 9 digits
    let scale = 100_000_000;
    i++;
    const start = i;
    for (let c = text.charCodeAt(i); c >= 0x30 && c <= 0x39; c = text.charCodeAt(++i)) {
      if (i - start >= 9) return undefined;
      nanos += (c - 0x30) * scale;
      scale /= 10;
    }
    if (i === start) return undefined;
  }
  let offset = 0;
  const z = text.charCodeAt(i);
  if ((z | 0x20) === 0x7a) {
    // Z or z
    i++;
  } else if (z === 0x2b || z === 0x2d) {
    const oh = digits(text, i + 1, 2);
    const om = digits(text, i + 4, 2);
    if (oh < 0 || om < 0 || text.charCodeAt(i + 3) !== 0x3a || oh > 23 || om > 59) return undefined;
    offset = (oh * 60 + om) * 60 * (z === 0x2b ? -1 : 1);
    i += 6;
  } else {
    return undefined;
  }
  if (i !== len) return undefined;
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) {
    return undefined;
  }
  const seconds = daysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second + offset;
  if (seconds < MIN_TIMESTAMP_SECONDS || seconds > MAX_TIMESTAMP_SECONDS) return undefined;
  return { seconds, nanos };
}

/** The decimal number in text[at, at+count), or -1 when any of those chars is not a digit. */
function digits(text: string, at: number, count: number): number {
  let n = 0;
  for (let i = at; i < at + count; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return -1;
    n = n * 10 + (c - 0x30);
  }
  return n;
}

/** Formats like protobuf's JSON printer: UTC, `Z`, 0/3/6/9 fractional digits. */
export function formatRfc3339(ts: ProtoTimestamp): string {
  const days = Math.floor(ts.seconds / 86400);
  const rem = ts.seconds - days * 86400;
  const [y, mo, d] = civilFromDays(days);
  const base = `${pad(y, 4)}-${pad(mo, 2)}-${pad(d, 2)}T${pad(Math.floor(rem / 3600), 2)}:${pad(Math.floor(rem / 60) % 60, 2)}:${pad(rem % 60, 2)}`;
  const n = ts.nanos;
  if (n === 0) return `${base}Z`;
  const nine = pad(n, 9);
  if (n % 1_000_000 === 0) return `${base}.${nine.slice(0, 3)}Z`;
  if (n % 1_000 === 0) return `${base}.${nine.slice(0, 6)}Z`;
  return `${base}.${nine}Z`;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

// Proleptic Gregorian calendar <-> days since 1970-01-01, in integer arithmetic (the well-known
// era/day-of-era method); faster than Date and free of its two-digit-year quirk.
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function civilFromDays(days: number): [year: number, month: number, day: number] {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (month <= 2 ? 1 : 0), month, day];
}

/** True when the timestamp is inside protobuf's valid range with nanos in 0..999,999,999. */
export function isValidTimestamp(ts: ProtoTimestamp): boolean {
  return (
    Number.isInteger(ts.seconds) &&
    ts.seconds >= MIN_TIMESTAMP_SECONDS &&
    ts.seconds <= MAX_TIMESTAMP_SECONDS &&
    Number.isInteger(ts.nanos) &&
    ts.nanos >= 0 &&
    ts.nanos <= 999_999_999
  );
}

/** Milliseconds from `a` to `b`, rounded to the microsecond (no float noise like 12.000000001). */
export function millisBetween(a: ProtoTimestamp, b: ProtoTimestamp): number {
  const micros = (b.seconds - a.seconds) * 1_000_000 + Math.round((b.nanos - a.nanos) / 1000);
  return micros / 1000;
}

// The date-and-seconds part of the last second formatted: taps stamp thousands of captures a second, and
// Date#toISOString costs more than the whole rest of a stamp.
let isoSecond = Number.NaN;
let isoPrefix = '';

/**
 * `new Date(ms).toISOString()` (millisecond precision, fractions of a millisecond dropped), formatting the
 * part up to the seconds once per second.
 * @example isoFromEpochMillis(1764165012345.6) // "2025-11-26T13:50:12.345Z"
 */
export function isoFromEpochMillis(ms: number): string {
  // Outside years 1970..9999 toISOString's own format (and truncation toward zero) apply.
  if (!(ms >= 0 && ms < 253_402_300_800_000)) return new Date(ms).toISOString();
  const whole = Math.floor(ms);
  const second = Math.floor(whole / 1000);
  if (second !== isoSecond) {
    isoPrefix = new Date(second * 1000).toISOString().slice(0, 20); // "2025-11-26T13:50:12."
    isoSecond = second;
  }
  const milli = whole - second * 1000;
  return `${isoPrefix}${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z`;
}
