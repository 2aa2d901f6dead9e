import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { latestCensusDate, tallyReturn, ukToday, yearGroup } from './service.ts'
import { gridStep } from './chart.ts'

describe('national curriculum year group on a census date', () => {
  const census = '2026-10-01'
  const cases: [string | null, string][] = [
    ['2016-08-31', 'Year 6'],
    ['2016-09-01', 'Year 5'],
    ['2022-08-31', 'Reception'],
    ['2022-09-01', 'Outside compulsory school age'],
    ['2010-09-01', 'Year 11'],
    ['2010-08-31', 'Outside compulsory school age'],
    ['2020-02-29', 'Year 2'],
    [null, 'Not known'],
  ]
  for (const [dateOfBirth, expected] of cases) {
    it(`puts a child born ${dateOfBirth ?? 'on an unknown date'} in ${expected}`, () => {
      assert.equal(yearGroup(dateOfBirth, census), expected)
    })
  }

  it('uses the academic year the census date falls in, which starts on 1 September', () => {
    assert.equal(yearGroup('2016-08-31', '2027-01-21'), 'Year 6', 'spring term: same academic year as the October before')
    assert.equal(yearGroup('2016-08-31', '2027-08-31'), 'Year 6', 'the last day of the academic year')
    assert.equal(yearGroup('2016-08-31', '2027-09-01'), 'Year 7', 'the first day of the next')
  })
})

describe('the latest census date', () => {
  it('is the most recent first Thursday of October or third Thursday of January or May that is not in the future', () => {
    assert.equal(latestCensusDate('2022-10-06'), '2022-10-06')
    assert.equal(latestCensusDate('2022-10-05'), '2022-05-19')
    assert.equal(latestCensusDate('2023-01-18'), '2022-10-06')
    assert.equal(latestCensusDate('2023-01-19'), '2023-01-19')
    assert.equal(latestCensusDate('2023-06-30'), '2023-05-18')
    assert.equal(latestCensusDate('2024-10-03'), '2024-10-03')
    assert.equal(latestCensusDate('2026-11-28'), '2026-10-01')
  })
})

describe('the UK date', () => {
  it('is the next day in the hour after midnight in summer time, while UTC is still on the day before', () => {
    assert.equal(ukToday(new Date('2026-06-30T23:30:00Z')), '2026-07-01')
    assert.equal(ukToday(new Date('2026-12-31T23:30:00Z')), '2026-12-31')
  })
})

describe('the return figures', () => {
  it('lists every category, even at zero, and counts a retired reason under its own name', () => {
    const cal = { terms: [], closures: [], bankHolidays: new Set<string>() }

    const figures = tallyReturn('2026-10-01', [
      { dateOfBirth: null, sex: null, reason: 'Gone travelling (retired reason)', missingSince: '2026-09-30' },
      { dateOfBirth: '2016-08-31', sex: 'female', reason: null, missingSince: null },
    ], ['Believed to have moved out of the country'], cal)

    assert.equal(figures.total, 2)
    const measure = (name: string) => figures.measures.find((m) => m.measure === name)!.rows.map((r) => `${r.category}: ${r.count}`)
    assert.deepEqual(measure('Primary reason for missing education'),
      ['Believed to have moved out of the country: 0', 'Gone travelling (retired reason): 1', 'Not recorded: 1'])
    assert.deepEqual(measure('Length of time missing education'), ['12 weeks or less: 1', 'More than 12 weeks: 0', 'Unknown: 1'])
    assert.deepEqual(measure('Sex'), ['Female: 1', 'Male: 0', 'Unknown: 1'])
  })
})

describe('chart gridlines', () => {
  it('step in ones, twos and fives so an axis has about four whole-number lines', () => {
    assert.deepEqual([0, 3, 4, 9, 17, 40, 130, 999].map(gridStep), [1, 1, 1, 5, 5, 10, 50, 500])
  })
})
