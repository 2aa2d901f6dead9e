import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { missingClock } from './clock.ts'

const cal = {
  terms: [{ startsOn: '2026-09-02', endsOn: '2026-12-18' }],
  closures: [{ startsOn: '2026-10-26', endsOn: '2026-10-30' }],
  bankHolidays: new Set<string>(),
}

describe('the missing-education clock', () => {
  it('counts school days after the day the child was last in education, skipping half term', () => {
    assert.deepEqual(missingClock(cal, '2026-10-22', '2026-11-03'), { since: '2026-10-22', schoolDays: 3, band: '12 weeks or less' })
  })
  it('puts a child missing for more than 84 days in the more-than-12-weeks band', () => {
    assert.equal(missingClock(cal, '2026-09-03', '2026-11-26').band, '12 weeks or less')
    assert.equal(missingClock(cal, '2026-09-03', '2026-11-27').band, 'More than 12 weeks')
  })
  it('is zero on the day itself', () => {
    assert.equal(missingClock(cal, '2026-11-03', '2026-11-03').schoolDays, 0)
  })
})
