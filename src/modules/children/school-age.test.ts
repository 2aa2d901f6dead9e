import { test } from 'node:test'
import assert from 'node:assert/strict'
import { compulsorySchoolAgeEnds, compulsorySchoolAgeStarts, isOfCompulsorySchoolAge } from './school-age.ts'

test('compulsory school age starts on the prescribed day on or after the fifth birthday', () => {
  assert.equal(compulsorySchoolAgeStarts('2016-01-15'), '2021-03-31')
  assert.equal(compulsorySchoolAgeStarts('2016-03-31'), '2021-03-31')
  assert.equal(compulsorySchoolAgeStarts('2016-04-01'), '2021-08-31')
  assert.equal(compulsorySchoolAgeStarts('2016-09-01'), '2021-12-31')
  assert.equal(compulsorySchoolAgeStarts('2016-02-29'), '2021-03-31')
})

test('compulsory school age ends on the last Friday in June of the school year the child turns 16', () => {
  // 16 in March 2026: school year 2025/26, last Friday in June 2026 is the 26th.
  assert.equal(compulsorySchoolAgeEnds('2010-03-10'), '2026-06-26')
  // 16 in August 2026: the same school year, so the child leaves before the birthday.
  assert.equal(compulsorySchoolAgeEnds('2010-08-31'), '2026-06-26')
  // 16 in September 2026: school year 2026/27, last Friday in June 2027 is the 25th.
  assert.equal(compulsorySchoolAgeEnds('2010-09-01'), '2027-06-25')
})

test('a child is of compulsory school age between the two days inclusive', () => {
  assert.equal(isOfCompulsorySchoolAge('2016-04-01', '2021-08-30'), false)
  assert.equal(isOfCompulsorySchoolAge('2016-04-01', '2021-08-31'), true)
  assert.equal(isOfCompulsorySchoolAge('2010-03-10', '2026-06-26'), true)
  assert.equal(isOfCompulsorySchoolAge('2010-03-10', '2026-06-27'), false)
})
