// School days and working days are different calendars (domain brief 11.27): a working day is a
// weekday that is not a bank holiday; a school day is also inside a term and not a closure or INSET day.

export type DateRange = { startsOn: string; endsOn: string }
export type Calendar = { terms: DateRange[]; closures: DateRange[]; bankHolidays: Set<string> }

export const longDate = (iso: string): string =>
  new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' }).format(new Date(`${iso}T00:00:00Z`))

export class CalendarGap extends Error {
  constructor(public readonly boundary: string, direction: 'after' | 'before' = 'after') {
    super(`The school calendar has no term dates ${direction} ${longDate(boundary)}. Add the ${direction === 'after' ? 'next' : 'earlier'} terms to count school days that far.`)
  }
}

const DAY = 86_400_000
const toTime = (iso: string) => Date.parse(`${iso}T00:00:00Z`)
const toIso = (time: number) => new Date(time).toISOString().slice(0, 10)
export const addCalendarDays = (iso: string, n: number): string => toIso(toTime(iso) + n * DAY)
const within = (iso: string, r: DateRange) => iso >= r.startsOn && iso <= r.endsOn

export const isWeekend = (iso: string): boolean => [0, 6].includes(new Date(toTime(iso)).getUTCDay())
export const isWorkingDay = (cal: Calendar, iso: string): boolean => !isWeekend(iso) && !cal.bankHolidays.has(iso)
export const isSchoolDay = (cal: Calendar, iso: string): boolean =>
  isWorkingDay(cal, iso) && cal.terms.some((t) => within(iso, t)) && !cal.closures.some((c) => within(iso, c))

const lastTermDay = (cal: Calendar): string => cal.terms.reduce((max, t) => (t.endsOn > max ? t.endsOn : max), '0000-01-01')

function step(cal: Calendar, from: string, n: number, test: (iso: string) => boolean, school: boolean): string {
  if (!Number.isInteger(n)) throw new RangeError('The number of days must be a whole number')
  const direction = n < 0 ? -1 : 1
  let remaining = Math.abs(n)
  let day = from
  const limit = school ? lastTermDay(cal) : undefined
  while (remaining > 0) {
    day = addCalendarDays(day, direction)
    if (limit && direction > 0 && day > limit) throw new CalendarGap(limit)
    if (direction < 0 && school) {
      const first = cal.terms.reduce((min, t) => (t.startsOn < min ? t.startsOn : min), '9999-12-31')
      if (day < first) throw new CalendarGap(first, 'before')
    }
    if (test(day)) remaining--
  }
  return day
}

/** The date n working days after `from` (from itself not counted); negative n counts back. */
export const addWorkingDays = (cal: Calendar, from: string, n: number): string => step(cal, from, n, (d) => isWorkingDay(cal, d), false)

/** The date n school days after `from` (from itself not counted); throws CalendarGap past the last term entered. */
export const addSchoolDays = (cal: Calendar, from: string, n: number): string => step(cal, from, n, (d) => isSchoolDay(cal, d), true)

function count(from: string, to: string, test: (iso: string) => boolean): number {
  if (to < from) return 0
  let n = 0
  for (let t = toTime(from), end = toTime(to); t <= end; t += DAY) if (test(toIso(t))) n++
  return n
}

/** Working days from `from` to `to`, both included. */
export const countWorkingDays = (cal: Calendar, from: string, to: string): number => count(from, to, (d) => isWorkingDay(cal, d))

// School days are only ever inside terms, so one running total over the terms' span answers any range.
const schoolDayTotals = new WeakMap<Calendar, { first: number; totals: Int32Array }>()

function totalsFor(cal: Calendar): { first: number; totals: Int32Array } {
  let found = schoolDayTotals.get(cal)
  if (!found) {
    const first = cal.terms.length ? toTime(cal.terms.reduce((min, t) => (t.startsOn < min ? t.startsOn : min), '9999-12-31')) : 0
    const days = cal.terms.length ? (toTime(lastTermDay(cal)) - first) / DAY + 1 : 0
    const totals = new Int32Array(days + 1)
    for (let i = 0; i < days; i++) totals[i + 1] = totals[i] + (isSchoolDay(cal, toIso(first + i * DAY)) ? 1 : 0)
    found = { first, totals }
    schoolDayTotals.set(cal, found)
  }
  return found
}

/** School days from `from` to `to`, both included. */
export function countSchoolDays(cal: Calendar, from: string, to: string): number {
  if (to < from) return 0
  const { first, totals } = totalsFor(cal)
  const before = (time: number) => Math.min(totals.length - 1, Math.max(0, Math.round((time - first) / DAY)))
  return totals[before(toTime(to) + DAY)] - totals[before(toTime(from))]
}
