import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { CalendarGap, addSchoolDays, addWorkingDays, countSchoolDays, countWorkingDays, isSchoolDay, isWorkingDay, type Calendar } from './days.ts'
import { DEFAULT_BANK_HOLIDAYS } from './bank-holidays.ts'

// Autumn term 2026 as a fictional LA might set it: INSET on the first day, half term 26-30 October.
const calendar: Calendar = {
  terms: [
    { startsOn: '2026-09-02', endsOn: '2026-12-18' },
    { startsOn: '2027-01-04', endsOn: '2027-03-25' },
  ],
  closures: [
    { startsOn: '2026-09-02', endsOn: '2026-09-02' },
    { startsOn: '2026-10-26', endsOn: '2026-10-30' },
  ],
  bankHolidays: new Set(DEFAULT_BANK_HOLIDAYS.map((h) => h.date)),
}

describe('working days', () => {
  it('are weekdays that are not bank holidays', () => {
    assert.equal(isWorkingDay(calendar, '2026-12-24'), true)
    assert.equal(isWorkingDay(calendar, '2026-12-25'), false, 'Christmas Day')
    assert.equal(isWorkingDay(calendar, '2026-12-28'), false, 'Boxing Day substitute')
    assert.equal(isWorkingDay(calendar, '2026-12-26'), false, 'Saturday')
  })

  it('skip weekends and bank holidays when adding', () => {
    assert.equal(addWorkingDays(calendar, '2026-12-24', 1), '2026-12-29')
    assert.equal(addWorkingDays(calendar, '2026-11-27', 5), '2026-12-04')
    assert.equal(addWorkingDays(calendar, '2026-12-29', -1), '2026-12-24')
    assert.equal(addWorkingDays(calendar, '2026-11-27', 0), '2026-11-27')
  })

  it('count both ends, and nothing when the range is backwards', () => {
    assert.equal(countWorkingDays(calendar, '2026-12-21', '2027-01-01'), 7)
    assert.equal(countWorkingDays(calendar, '2026-12-02', '2026-12-01'), 0)
  })

  it('are counted in the holidays, unlike school days', () => {
    assert.equal(countWorkingDays(calendar, '2026-10-26', '2026-10-30'), 5)
    assert.equal(countSchoolDays(calendar, '2026-10-26', '2026-10-30'), 0)
  })
})

describe('school days', () => {
  it('are working days inside a term that are not INSET days or closures', () => {
    assert.equal(isSchoolDay(calendar, '2026-09-02'), false, 'INSET day')
    assert.equal(isSchoolDay(calendar, '2026-09-03'), true)
    assert.equal(isSchoolDay(calendar, '2026-10-27'), false, 'half term')
    assert.equal(isSchoolDay(calendar, '2026-12-21'), false, 'Christmas holidays')
  })

  it('jump holidays when adding', () => {
    assert.equal(addSchoolDays(calendar, '2026-12-17', 2), '2027-01-04')
    assert.equal(addSchoolDays(calendar, '2026-10-23', 1), '2026-11-02')
    assert.equal(addSchoolDays(calendar, '2026-11-02', -1), '2026-10-23')
  })

  it('count the twenty school days behind the reg 9(1)(i) absence rule across a half term', () => {
    const twentieth = addSchoolDays(calendar, '2026-10-11', 20)
    assert.equal(twentieth, '2026-11-13')
    assert.equal(countSchoolDays(calendar, '2026-10-12', twentieth), 20)
  })

  it('counts the autumn term', () => {
    // 2 Sep to 18 Dec 2026: 78 weekdays, less the INSET day and five days of half term.
    assert.equal(countSchoolDays(calendar, '2026-09-01', '2026-12-31'), 72)
  })

  it('refuses to guess past the last term entered', () => {
    assert.throws(() => addSchoolDays(calendar, '2027-03-20', 10), CalendarGap)
    assert.throws(() => addSchoolDays(calendar, '2026-09-03', 1.5), RangeError)
  })
})

describe('default bank holidays', () => {
  it('has the eight England and Wales bank holidays in each year from 2024 to 2028, all on weekdays', () => {
    for (const year of ['2024', '2025', '2026', '2027', '2028']) {
      const days = DEFAULT_BANK_HOLIDAYS.filter((h) => h.date.startsWith(year))
      assert.equal(days.length, 8, year)
      for (const d of days) assert.ok(![0, 6].includes(new Date(`${d.date}T00:00:00Z`).getUTCDay()), d.date)
    }
  })
})
