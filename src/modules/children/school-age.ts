// Compulsory school age (Education Act 1996 s.8 and the Education (Start of Compulsory School Age)
// Order 1998): a child reaches it on the first prescribed day (31 March, 31 August or 31 December) on or
// after their fifth birthday, and leaves it on the last Friday in June of the school year in which they
// turn 16. Dates are ISO strings (yyyy-mm-dd) throughout; no time zones are involved.

const PRESCRIBED = ['03-31', '08-31', '12-31']

/** The day a child born on `dateOfBirth` reaches compulsory school age. */
export function compulsorySchoolAgeStarts(dateOfBirth: string): string {
  const fifth = birthday(dateOfBirth, 5)
  const year = Number(fifth.slice(0, 4))
  for (const day of PRESCRIBED) if (`${year}-${day}` >= fifth) return `${year}-${day}`
  return `${year + 1}-${PRESCRIBED[0]}`
}

/** The last day of compulsory school age: the last Friday in June of the school year in which the child turns 16. */
export function compulsorySchoolAgeEnds(dateOfBirth: string): string {
  const sixteenth = birthday(dateOfBirth, 16)
  const year = Number(sixteenth.slice(0, 4))
  // A school year runs 1 September to 31 August: a birthday from September on falls in the year ending next summer.
  const summer = sixteenth.slice(5) >= '09-01' ? year + 1 : year
  const june30 = new Date(Date.UTC(summer, 5, 30))
  const back = (june30.getUTCDay() - 5 + 7) % 7
  return new Date(Date.UTC(summer, 5, 30 - back)).toISOString().slice(0, 10)
}

export function isOfCompulsorySchoolAge(dateOfBirth: string, on: string): boolean {
  return on >= compulsorySchoolAgeStarts(dateOfBirth) && on <= compulsorySchoolAgeEnds(dateOfBirth)
}

/** The date of a child's nth birthday; a 29 February birthday falls on 28 February in other years. */
function birthday(dateOfBirth: string, n: number): string {
  const year = Number(dateOfBirth.slice(0, 4)) + n
  let md = dateOfBirth.slice(5)
  if (md === '02-29' && !(year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0))) md = '02-28'
  return `${year}-${md}`
}
