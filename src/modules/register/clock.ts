import { addCalendarDays, countSchoolDays, type Calendar } from '../calendar/days.ts'

export type MissingClock = { since: string; schoolDays: number; band: '12 weeks or less' | 'More than 12 weeks' }

/**
 * How long a child has been missing education: school days since they were last in education (or,
 * when that is not known, since the referral), and the DfE return's band for the time missing.
 */
export function missingClock(cal: Calendar, since: string, today: string): MissingClock {
  const days = (Date.parse(`${today}T00:00:00Z`) - Date.parse(`${since}T00:00:00Z`)) / 86_400_000
  return {
    since,
    schoolDays: today > since ? countSchoolDays(cal, addCalendarDays(since, 1), today) : 0,
    band: days > 84 ? 'More than 12 weeks' : '12 weeks or less',
  }
}
