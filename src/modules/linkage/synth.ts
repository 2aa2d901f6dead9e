import { mulberry32 } from './model.ts'
import { nhsCheckDigit } from './normalise.ts'

// Forenames and surnames of the variety seen in English schools. Every person generated is fictional.
const FORENAMES_M = ['oliver', 'george', 'harry', 'noah', 'jack', 'leo', 'arthur', 'muhammad', 'oscar', 'charlie', 'freddie',
  'alfie', 'archie', 'theo', 'henry', 'thomas', 'joshua', 'william', 'jacob', 'isaac', 'samuel', 'ibrahim', 'yusuf', 'adam',
  'kacper', 'jakub', 'oluwaseun', 'kwame', 'arjun', 'rohan', 'aarav', 'hamza', 'omar', 'ali', 'finley', 'reuben', 'ezra',
  'tobias', 'sebastian', 'max', 'luca', 'mateo', 'dylan', 'kai', 'zain', 'ayaan', 'rory', 'callum', 'owen', 'ethan']
const FORENAMES_F = ['olivia', 'amelia', 'isla', 'ava', 'mia', 'ivy', 'lily', 'isabella', 'rosie', 'sophia', 'grace',
  'freya', 'florence', 'evie', 'poppy', 'charlotte', 'elsie', 'willow', 'aisha', 'fatima', 'maryam', 'zainab', 'hafsa',
  'amira', 'zofia', 'maja', 'chidinma', 'adaeze', 'priya', 'ananya', 'niamh', 'siobhan', 'aoife', 'matilda', 'harriet',
  'eleanor', 'elizabeth', 'katherine', 'layla', 'yasmin', 'hannah', 'sienna', 'phoebe', 'ruby', 'esme', 'maisie', 'daisy',
  'imogen', 'nadia', 'leah']
const VARIANTS: Record<string, string[]> = {
  alfie: ['alfred'], archie: ['archibald'], freddie: ['frederick', 'fred'], muhammad: ['mohammed', 'mohamed', 'mohammad'],
  jack: ['john', 'jackie'], oliver: ['ollie'], charlie: ['charles'], william: ['will', 'billy'], thomas: ['tom', 'tommy'],
  samuel: ['sam'], joshua: ['josh'], elizabeth: ['lizzie', 'beth'], katherine: ['katie', 'kate'], matilda: ['tilly'],
  evie: ['evelyn'], eleanor: ['ellie'], isabella: ['bella', 'izzy'], zainab: ['zaynab'], aisha: ['ayesha'],
  yusuf: ['yousef'], siobhan: ['shevaun'], niamh: ['neve'], layla: ['leila'], maryam: ['mariam'], theo: ['theodore'],
}
const SURNAMES = ['smith', 'jones', 'taylor', 'brown', 'williams', 'wilson', 'johnson', 'davies', 'patel', 'khan', 'robinson',
  'wright', 'thompson', 'evans', 'walker', 'white', 'roberts', 'green', 'hall', 'wood', 'hussain', 'ahmed', 'begum', 'ali',
  'singh', 'kaur', 'shah', 'akhtar', 'mahmood', 'okafor', 'adeyemi', 'mensah', 'owusu', 'nowak', 'kowalski', 'wisniewska',
  'murphy', "o'brien", 'kelly', 'byrne', 'nguyen', 'chen', 'wang', 'li', 'hughes', 'edwards', 'clarke', 'lewis', 'harris',
  'martin', 'jackson', 'clark', 'turner', 'hill', 'scott', 'cooper', 'morris', 'ward', 'moore', 'king', 'watson', 'baker',
  'harrison', 'morgan', 'patterson', 'fairbrother', 'ashworth', 'pemberton', 'okonkwo', 'achterberg', 'delacroix', 'grimshaw',
  'threlfall', 'higginbottom', 'winterbourne', 'castellano', 'rahman', 'chowdhury', 'islam', 'uddin', 'miah', 'yilmaz',
  'demir', 'popescu', 'ionescu', 'santos', 'silva', 'ferreira', 'abdi', 'farah', 'osei', 'boateng', 'mcdonald', 'campbell',
  'stewart', 'reid', 'fraser', 'macleod']
const STREETS = ['mill lane', 'church street', 'station road', 'park avenue', 'victoria road', 'the crescent', 'oak close',
  'high street', 'kings road', 'queens drive', 'elm grove', 'meadow way', 'willow walk', 'canal side', 'north terrace']

export type SynthOptions = { people: number; duplicateRate: number; errorRate: number; seed: number }
export type SynthRow = { id: string; person_id: string; forename: string; surname: string; date_of_birth: string; sex: string; postcode: string; address: string; nhs_number: string; upn: string }

const pad = (n: number, w = 2) => String(n).padStart(w, '0')

/**
 * Households of one to three children (siblings share surname, address and often twins share a date
 * of birth), then copies of some of them with typing errors, nicknames, swapped day and month, moves
 * and missing fields. Postcodes are in the fictional ZZ area.
 */
export function generatePeople(opts: SynthOptions): SynthRow[] {
  const random = mulberry32(opts.seed)
  const pick = <T>(a: T[]): T => a[Math.floor(random() * a.length)]
  const zipfPick = <T>(a: T[]): T => a[Math.min(a.length - 1, Math.floor(a.length * random() ** 2))]
  const postcode = () => `ZZ${1 + Math.floor(random() * 60)} ${Math.floor(random() * 10)}${pick([...'ABDEFGHJLNPQRSTUWXYZ'])}${pick([...'ABDEFGHJLNPQRSTUWXYZ'])}`
  const address = () => `${1 + Math.floor(random() * 200)} ${pick(STREETS)}`
  const dob = () => new Date(Date.UTC(2010, 0, 1) + Math.floor(random() * 12 * 365) * 86_400_000)
  const people: SynthRow[] = []
  while (people.length < opts.people) {
    const surname = zipfPick(SURNAMES)
    const home = { postcode: postcode(), address: address() }
    const size = 1 + Math.floor(random() * random() * 3.5)
    const firstBorn = dob()
    for (let k = 0; k < size && people.length < opts.people; k++) {
      const twin = k > 0 && random() < 0.1
      const born = twin ? firstBorn : dob()
      const isMale = random() < 0.5
      const n = people.length
      const nhs9 = String(400_000_000 + n * 7).padStart(9, '0')
      const check = nhsCheckDigit(nhs9)
      people.push({
        id: `R${n + 1}`, person_id: `P${n + 1}`, forename: zipfPick(isMale ? FORENAMES_M : FORENAMES_F), surname,
        date_of_birth: born.toISOString().slice(0, 10), sex: isMale ? 'M' : 'F', postcode: home.postcode, address: home.address,
        nhs_number: check === 10 ? '' : `${nhs9}${check}`, upn: `Z${pad(n, 11)}${'ABCDEFGH'[n % 8]}`,
      })
    }
  }
  return people
}

function typo(s: string, random: () => number): string {
  if (s.length < 3) return s
  const i = 1 + Math.floor(random() * (s.length - 2))
  const kind = random()
  if (kind < 0.33) return s.slice(0, i) + s[i + 1] + s[i] + s.slice(i + 2)
  if (kind < 0.66) return s.slice(0, i) + s.slice(i + 1)
  return s.slice(0, i) + 'aeiourstn'[Math.floor(random() * 9)] + s.slice(i + 1)
}

/** A copy of a person as another source would hold it, with errors at the given rate per field. */
export function corrupt(row: SynthRow, id: string, rate: number, random: () => number): SynthRow {
  const r = { ...row, id }
  const hit = () => random() < rate
  const forenameRoll = random()
  const variants = VARIANTS[r.forename]
  if (forenameRoll < rate && variants) r.forename = variants[Math.floor(random() * variants.length)]
  else if (forenameRoll < rate * 2) r.forename = typo(r.forename, random)
  if (hit()) r.surname = typo(r.surname, random)
  if (hit()) {
    const [y, m, d] = r.date_of_birth.split('-')
    r.date_of_birth = Number(d) <= 12 && random() < 0.5 ? `${y}-${d}-${m}` : `${y}-${m}-${pad(Math.max(1, Math.min(28, Number(d) + (random() < 0.5 ? -1 : 1))))}`
  }
  if (hit()) r.postcode = `ZZ${1 + Math.floor(random() * 60)} ${Math.floor(random() * 10)}AB`
  if (hit()) r.address = ''
  if (hit()) r.sex = ''
  if (hit()) r.date_of_birth = ''
  if (random() < 0.5) r.nhs_number = ''
  if (random() < 0.5) r.upn = ''
  return r
}

/** A file for deduplication: every person once, and `duplicateRate` of them again with errors. */
export function generateDedupe(opts: SynthOptions): SynthRow[] {
  const random = mulberry32(opts.seed + 1)
  const people = generatePeople(opts)
  const rows = [...people]
  people.forEach((p, i) => {
    if (random() < opts.duplicateRate) rows.push(corrupt(p, `D${i + 1}`, opts.errorRate, random))
  })
  return rows
}

/** Two files for linkage: a roll, and a population source holding most of the same children. */
export function generateLink(opts: SynthOptions & { overlap: number }): { left: SynthRow[]; right: SynthRow[] } {
  const random = mulberry32(opts.seed + 2)
  const people = generatePeople(opts)
  const left = people.filter(() => random() < opts.overlap + (1 - opts.overlap) / 2)
  const right = people.filter(() => random() < opts.overlap + (1 - opts.overlap) / 2).map((p, i) => corrupt(p, `S${i + 1}`, opts.errorRate, random))
  return { left, right }
}

export const SYNTH_MAPPING = {
  id: 'id',
  dateFormat: 'ISO',
  fields: { forename: 'forename', surname: 'surname', dateOfBirth: 'date_of_birth', sex: 'sex', postcode: 'postcode', address: 'address', nhsNumber: 'nhs_number', upn: 'upn' },
} as const

export function rowsToCsv(rows: SynthRow[]): string {
  const header = ['id', 'person_id', 'forename', 'surname', 'date_of_birth', 'sex', 'postcode', 'address', 'nhs_number', 'upn'] as const
  const esc = (v: string) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v)
  return `${header.join(',')}\n${rows.map((r) => header.map((h) => esc(r[h])).join(',')).join('\n')}\n`
}
