/**
 * EventBridge Scheduler's schedule expressions and when they fire.
 *
 *   at(yyyy-mm-ddThh:mm:ss)       once, at that wall-clock time in the schedule's time zone
 *   rate(n minute|minutes|hour|hours|day|days)
 *                                  every n units from the anchor (StartDate, else creation / last update), the
 *                                  first occurrence at the anchor itself ("starts invoking immediately"); a day is
 *                                  24 hours, whatever DST does
 *   cron(min hour dom month dow year)
 *                                  AWS's six fields (no seconds), evaluated in the time zone: `, - * /` everywhere,
 *                                  month names JAN-DEC, weekday names SUN-SAT (1 = SUN ... 7 = SAT), exactly one
 *                                  of day-of-month and day-of-week is `?`; day-of-month `L` (last day), `LW` (last
 *                                  weekday), `nW` (weekday nearest to n, within the month); day-of-week `L`
 *                                  (Saturday), `nL` (last weekday n of the month), `n#k` (k-th weekday n); years
 *                                  1970-2199.
 *
 * Daylight saving time as Scheduler documents it: a wall-clock time that does not exist (spring forward) is skipped;
 * one that exists twice (fall back) fires once, at its first instance.
 *
 * No npm cron library is used: the maintained ones (cron-parser, croner) read the Unix / Quartz layouts, not AWS's
 * six-field one with a year, and aws-cron-parser has no time zones.
 */

export interface LocalTime {
  y: number;
  mo: number;
  d: number;
  h: number;
  mi: number;
  s: number;
}

export interface CronSpec {
  minutes: number[];
  hours: number[];
  months: number[];
  years: number[];
  /** Day-of-month rules, or undefined when the field is `?`. */
  dom?: DomRule[];
  /** Day-of-week rules, or undefined when the field is `?`. */
  dow?: DowRule[];
}

type DomRule = { kind: 'days'; days: Set<number> } | { kind: 'last' } | { kind: 'lastWeekday' } | { kind: 'nearestWeekday'; day: number };
type DowRule = { kind: 'days'; days: Set<number> } | { kind: 'last'; weekday: number } | { kind: 'nth'; weekday: number; n: number };

export type ScheduleExpression =
  | { kind: 'at'; local: LocalTime }
  | { kind: 'rate'; value: number; unit: 'minute' | 'hour' | 'day'; intervalMs: number }
  | { kind: 'cron'; cron: CronSpec };

/** A malformed expression; the service turns it into a ValidationException. */
export class ExpressionError extends Error {}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const WEEKDAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
const UNIT_MS = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;
const MIN_YEAR = 1970;
const MAX_YEAR = 2199;

export function daysInMonth(y: number, mo: number): number {
  return new Date(Date.UTC(y, mo, 0)).getUTCDate();
}

/** 1 = Sunday ... 7 = Saturday (AWS's numbering). */
function weekday(y: number, mo: number, d: number): number {
  return new Date(Date.UTC(y, mo - 1, d)).getUTCDay() + 1;
}

export function parseExpression(text: string): ScheduleExpression {
  const at = /^at\((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\)$/.exec(text);
  if (at) {
    const [y, mo, d, h, mi, s] = at.slice(1).map(Number) as [number, number, number, number, number, number];
    if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59 || s > 59) throw new ExpressionError('invalid date or time');
    return { kind: 'at', local: { y, mo, d, h, mi, s } };
  }
  const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(text);
  if (rate) {
    const value = Number(rate[1]);
    if (!Number.isSafeInteger(value) || value < 1) throw new ExpressionError('the rate must be a positive integer');
    const unit = (rate[2] ?? 'minute').replace(/s$/, '') as 'minute' | 'hour' | 'day';
    return { kind: 'rate', value, unit, intervalMs: value * UNIT_MS[unit] };
  }
  const cron = /^cron\((.*)\)$/.exec(text);
  if (cron) return { kind: 'cron', cron: parseCron(cron[1] ?? '') };
  throw new ExpressionError('expected at(...), rate(...) or cron(...)');
}

function parseCron(body: string): CronSpec {
  const fields = body.trim().split(/\s+/);
  if (fields.length !== 6) throw new ExpressionError('a cron expression has six fields: minutes hours day-of-month month day-of-week year');
  const [min, hour, dom, month, dow, year] = fields as [string, string, string, string, string, string];
  if ((dom === '?') === (dow === '?')) throw new ExpressionError('exactly one of day-of-month and day-of-week must be ?');
  return {
    minutes: listField(min, 0, 59),
    hours: listField(hour, 0, 23),
    months: listField(month, 1, 12, MONTHS),
    years: listField(year, MIN_YEAR, MAX_YEAR),
    ...(dom === '?' ? {} : { dom: domField(dom) }),
    ...(dow === '?' ? {} : { dow: dowField(dow) }),
  };
}

function value(token: string, min: number, max: number, names?: readonly string[]): number {
  const named = names?.indexOf(token.toUpperCase()) ?? -1;
  const n = named >= 0 ? named + min : /^\d+$/.test(token) ? Number(token) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) throw new ExpressionError(`"${token}" is out of range ${min}-${max}`);
  return n;
}

/** One comma-separated item of `, - * /`: the values it covers. */
function rangeItem(item: string, min: number, max: number, names?: readonly string[]): number[] {
  const [range = '', stepText, extra] = item.split('/');
  if (extra !== undefined) throw new ExpressionError(`"${item}" is not a valid field item`);
  let from = min;
  let to = max;
  if (range !== '*') {
    const [a = '', b, more] = range.split('-');
    if (more !== undefined) throw new ExpressionError(`"${item}" is not a valid range`);
    from = value(a, min, max, names);
    // "5/10" runs from 5 to the end of the range; "5" alone is just 5.
    to = b !== undefined ? value(b, min, max, names) : stepText !== undefined ? max : from;
    if (to < from) throw new ExpressionError(`"${item}" is a descending range`);
  }
  let step = 1;
  if (stepText !== undefined) {
    if (!/^\d+$/.test(stepText) || Number(stepText) < 1) throw new ExpressionError(`"${item}" has an invalid increment`);
    step = Number(stepText);
  }
  const out: number[] = [];
  for (let v = from; v <= to; v += step) out.push(v);
  return out;
}

function listField(field: string, min: number, max: number, names?: readonly string[]): number[] {
  const set = new Set<number>();
  for (const item of field.split(',')) for (const v of rangeItem(item, min, max, names)) set.add(v);
  return [...set].sort((a, b) => a - b);
}

function domField(field: string): DomRule[] {
  const rules: DomRule[] = [];
  const days = new Set<number>();
  for (const item of field.split(',')) {
    const upper = item.toUpperCase();
    if (upper === 'L') rules.push({ kind: 'last' });
    else if (upper === 'LW') rules.push({ kind: 'lastWeekday' });
    else if (/^\d+W$/.test(upper)) rules.push({ kind: 'nearestWeekday', day: value(upper.slice(0, -1), 1, 31) });
    else for (const v of rangeItem(item, 1, 31)) days.add(v);
  }
  if (days.size > 0) rules.push({ kind: 'days', days });
  return rules;
}

function dowField(field: string): DowRule[] {
  const rules: DowRule[] = [];
  const days = new Set<number>();
  for (const item of field.split(',')) {
    const upper = item.toUpperCase();
    const nth = /^(\w+)#(\d)$/.exec(upper);
    const last = /^(\w+)L$/.exec(upper);
    if (upper === 'L') rules.push({ kind: 'last', weekday: 7 });
    else if (nth) {
      const n = Number(nth[2]);
      if (n < 1 || n > 5) throw new ExpressionError(`"${item}": the occurrence after # is 1-5`);
      rules.push({ kind: 'nth', weekday: value(nth[1] ?? '', 1, 7, WEEKDAYS), n });
    } else if (last) rules.push({ kind: 'last', weekday: value(last[1] ?? '', 1, 7, WEEKDAYS) });
    else for (const v of rangeItem(item, 1, 7, WEEKDAYS)) days.add(v);
  }
  if (days.size > 0) rules.push({ kind: 'days', days });
  return rules;
}

/** The days of month `mo` of year `y` that a cron's day fields select, ascending. */
function cronDays(spec: CronSpec, y: number, mo: number): number[] {
  const dim = daysInMonth(y, mo);
  const out = new Set<number>();
  if (spec.dom) {
    for (const r of spec.dom) {
      if (r.kind === 'days') for (const d of r.days) if (d <= dim) out.add(d);
      if (r.kind === 'last') out.add(dim);
      if (r.kind === 'lastWeekday') {
        const wd = weekday(y, mo, dim);
        out.add(wd === 1 ? dim - 2 : wd === 7 ? dim - 1 : dim);
      }
      if (r.kind === 'nearestWeekday' && r.day <= dim) {
        const wd = weekday(y, mo, r.day);
        if (wd === 7) out.add(r.day === 1 ? 3 : r.day - 1);
        else if (wd === 1) out.add(r.day === dim ? r.day - 2 : r.day + 1);
        else out.add(r.day);
      }
    }
  } else if (spec.dow) {
    for (let d = 1; d <= dim; d++) {
      const wd = weekday(y, mo, d);
      for (const r of spec.dow) {
        if ((r.kind === 'days' && r.days.has(wd)) || (r.kind === 'last' && wd === r.weekday && d + 7 > dim) || (r.kind === 'nth' && wd === r.weekday && Math.ceil(d / 7) === r.n)) {
          out.add(d);
        }
      }
    }
  }
  return [...out].sort((a, b) => a - b);
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(tz, f);
  }
  return f;
}

/** Whether `tz` is an IANA time zone name this runtime knows. */
export function isValidTimeZone(tz: string): boolean {
  try {
    formatter(tz);
    return true;
  } catch {
    return false;
  }
}

/** The wall-clock time at `ms` in `tz`. */
export function toLocal(ms: number, tz: string): LocalTime {
  if (tz === 'UTC') {
    const d = new Date(ms);
    return { y: d.getUTCFullYear(), mo: d.getUTCMonth() + 1, d: d.getUTCDate(), h: d.getUTCHours(), mi: d.getUTCMinutes(), s: d.getUTCSeconds() };
  }
  const parts: Record<string, number> = {};
  for (const p of formatter(tz).formatToParts(new Date(ms))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return { y: parts.year ?? 0, mo: parts.month ?? 1, d: parts.day ?? 1, h: parts.hour ?? 0, mi: parts.minute ?? 0, s: parts.second ?? 0 };
}

const localMs = (l: LocalTime): number => Date.UTC(l.y, l.mo - 1, l.d, l.h, l.mi, l.s);

/** Offset of `tz` from UTC at instant `ms` (local minus UTC, whole seconds). */
function offsetAt(ms: number, tz: string): number {
  return localMs(toLocal(ms, tz)) - Math.floor(ms / 1000) * 1000;
}

/**
 * The instant a wall-clock time happens in `tz`: the first instance of a time that happens twice (fall back), undefined
 * for a time that does not happen (spring forward).
 */
export function fromLocal(l: LocalTime, tz: string): number | undefined {
  const wall = localMs(l);
  if (tz === 'UTC') return wall;
  let best: number | undefined;
  for (const probe of [wall - 86_400_000, wall, wall + 86_400_000]) {
    const candidate = wall - offsetAt(probe, tz);
    if (localMs(toLocal(candidate, tz)) === wall && (best === undefined || candidate < best)) best = candidate;
  }
  return best;
}

/** The first cron occurrence at or after `fromMs`, or undefined when there is none before the year 2200. */
export function nextCron(spec: CronSpec, tz: string, fromMs: number): number | undefined {
  const start = toLocal(Math.ceil(fromMs / 60_000) * 60_000, tz);
  for (const y of spec.years) {
    if (y < start.y) continue;
    const yStart = y === start.y;
    for (const mo of spec.months) {
      if (yStart && mo < start.mo) continue;
      const moStart = yStart && mo === start.mo;
      for (const d of cronDays(spec, y, mo)) {
        if (moStart && d < start.d) continue;
        const dStart = moStart && d === start.d;
        for (const h of spec.hours) {
          if (dStart && h < start.h) continue;
          const hStart = dStart && h === start.h;
          for (const mi of spec.minutes) {
            if (hStart && mi < start.mi) continue;
            const at = fromLocal({ y, mo, d, h, mi, s: 0 }, tz);
            if (at !== undefined && at >= fromMs) return at;
          }
        }
      }
    }
  }
  return undefined;
}

/** When an at() expression fires (a nonexistent wall time moves forward by the DST gap). */
export function atInstant(local: LocalTime, tz: string): number {
  return fromLocal(local, tz) ?? localMs(local) - offsetAt(localMs(local), tz);
}

export interface Recurrence {
  expression: ScheduleExpression;
  timezone: string;
  /** Rate schedules count from here (StartDate, else the creation / last update time). */
  anchor: number;
  startDate?: number;
  endDate?: number;
}

/**
 * The first occurrence at or after `fromMs`, honouring StartDate / EndDate (ignored by at()), or undefined once the
 * schedule has no more occurrences.
 */
export function nextOccurrence(r: Recurrence, fromMs: number): number | undefined {
  const e = r.expression;
  if (e.kind === 'at') {
    const at = atInstant(e.local, r.timezone);
    return at >= fromMs ? at : undefined;
  }
  const from = Math.max(fromMs, r.startDate ?? -Infinity);
  let next: number | undefined;
  if (e.kind === 'rate') {
    next = from <= r.anchor ? r.anchor : r.anchor + Math.ceil((from - r.anchor) / e.intervalMs) * e.intervalMs;
  } else {
    next = nextCron(e.cron, r.timezone, from);
  }
  if (next === undefined || (r.endDate !== undefined && next > r.endDate)) return undefined;
  return next;
}
