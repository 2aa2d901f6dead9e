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
// Parts for the long tail of fictional names and streets. A real population of a million children has tens of
// thousands of surnames and thousands of forenames, most of them rare; a hundred names repeated would make
// every block of a large file grow with its size, which no real file does.
const SURNAME_HEADS = ['ash', 'brad', 'brook', 'bur', 'cal', 'carr', 'chad', 'clay', 'cole', 'crane', 'dal', 'dun', 'east', 'elm',
  'fair', 'fen', 'fern', 'gar', 'glen', 'gold', 'green', 'hal', 'har', 'hart', 'hay', 'hol', 'horn', 'kings', 'lang', 'lea',
  'mar', 'mel', 'mid', 'moss', 'new', 'north', 'oak', 'pen', 'ray', 'red', 'ross', 'rush', 'salt', 'shel', 'south', 'stan',
  'stan', 'stock', 'thorn', 'thur', 'wal', 'ware', 'west', 'whit', 'wick', 'win', 'wood', 'wor', 'yar', 'york']
const SURNAME_MIDDLES = ['', '', '', 'er', 'en', 'ing', 'ing', 'le', 'by', 'sel']
const SURNAME_TAILS = ['ley', 'ton', 'ford', 'field', 'worth', 'well', 'by', 'ham', 'more', 'wood', 'bridge', 'dale', 'hurst',
  'combe', 'stead', 'wick', 'land', 'shaw', 'brook', 'man', 'er', 'son', 'ridge', 'gate', 'cliffe', 'low', 'thwaite', 'holme']
const HERITAGE_STEMS = ['adebay', 'okor', 'mensah', 'nowak', 'kowal', 'zielin', 'rahm', 'chaud', 'hossa', 'yild', 'demir',
  'popes', 'santo', 'ferre', 'oliv', 'osei', 'asant', 'nguy', 'tran', 'kapo', 'mehta', 'desai', 'joshi', 'iyer', 'haddad',
  'nasser', 'petro', 'ivan', 'horv', 'novak', 'bianch', 'rossi', 'moral', 'garc', 'kaur', 'bakar']
const HERITAGE_TAILS = ['a', 'i', 'o', 'u', 'ski', 'ska', 'wicz', 'escu', 'ovic', 'enko', 'elli', 'ez', 'ani', 'uddin', 'owo', 'ala', 'ian']
const FORENAME_STEMS = ['al', 'ar', 'bel', 'cal', 'dar', 'el', 'en', 'fa', 'ha', 'is', 'ja', 'ka', 'ke', 'la', 'le', 'li', 'lu',
  'ma', 'mi', 'na', 'ni', 'o', 'ra', 'ri', 'ro', 'sa', 'se', 'ta', 'te', 'ti', 'va', 'ya', 'za', 'zi']
const FORENAME_MIDDLES = ['', 'b', 'd', 'l', 'm', 'n', 'r', 's', 'v', 'th', 'ss', 'nd', 'rl', 'ss']
const FORENAME_TAILS_M = ['an', 'en', 'on', 'ius', 'o', 'el', 'ir', 'im', 'as', 'ey', 'ian', 'us']
const FORENAME_TAILS_F = ['a', 'ia', 'elle', 'ine', 'ette', 'ey', 'ah', 'ina', 'ara', 'ie', 'ica', 'yn']
const STREET_STEMS = ['mill', 'church', 'station', 'park', 'victoria', 'albert', 'oak', 'elm', 'ash', 'beech', 'willow', 'meadow',
  'canal', 'north', 'south', 'west', 'east', 'kings', 'queens', 'market', 'bridge', 'chapel', 'school', 'green', 'hill', 'moor',
  'brook', 'river', 'forge', 'orchard', 'castle', 'abbey', 'priory', 'grange', 'manor', 'hall', 'farm', 'wood', 'heath', 'field',
  'cherry', 'hazel', 'holly', 'laurel', 'maple', 'rowan', 'cedar', 'poplar', 'larch', 'alder', 'birch', 'chestnut', 'clover',
  'primrose', 'bluebell', 'heather', 'foxglove', 'lavender', 'jubilee', 'coronation', 'windsor', 'york', 'lancaster', 'stanley',
  'gladstone', 'nelson', 'wellington', 'cromwell', 'milton', 'byron', 'shelley', 'keats', 'wordsworth', 'tennyson', 'chaucer']
const STREET_TYPES = ['road', 'street', 'lane', 'close', 'avenue', 'drive', 'way', 'grove', 'crescent', 'gardens', 'place', 'walk',
  'terrace', 'court', 'rise', 'view']
// Fictional postcode areas: two letters beginning Z, which no real postcode area uses except ZE (Shetland).
const AREAS = [...'ZYXWVUTSRQPONMLKJIHGFDCBA'].map((c) => `Z${c}`)

/** Names and places for a population of a given size: the tails grow with it, as real ones do. */
function vocabulary(people: number, random: () => number) {
  const pick = <T>(a: T[]): T => a[Math.floor(random() * a.length)]
  const unique = (n: number, make: () => string, taken: Set<string>): string[] => {
    const out = new Set<string>()
    for (let tries = 0; out.size < n && tries < n * 20; tries++) {
      const v = make()
      if (!taken.has(v)) out.add(v)
    }
    return [...out]
  }
  const core = new Set([...SURNAMES, ...FORENAMES_M, ...FORENAMES_F, ...Object.values(VARIANTS).flat()])
  const surnames = unique(Math.max(200, Math.round(people / 4)), () => (random() < 0.75
    ? pick(SURNAME_HEADS) + pick(SURNAME_MIDDLES) + pick(SURNAME_TAILS)
    : pick(HERITAGE_STEMS) + pick(HERITAGE_TAILS)), core)
  const forenames = (tails: string[]) => unique(Math.max(50, Math.round(people / 40)), () => pick(FORENAME_STEMS) + pick(FORENAME_MIDDLES) + pick(tails), core)
  const districts = Math.max(60, Math.ceil(people / 1500))
  return { surnames, forenamesM: forenames(FORENAME_TAILS_M), forenamesF: forenames(FORENAME_TAILS_F), districts }
}

export type SynthOptions = { people: number; duplicateRate: number; errorRate: number; seed: number }
export type SynthRow = { id: string; person_id: string; forename: string; surname: string; date_of_birth: string; sex: string; postcode: string; address: string; nhs_number: string; upn: string }

const pad = (n: number, w = 2) => String(n).padStart(w, '0')

/**
 * Households of one to three children (siblings share surname, address and often twins share a date
 * of birth), then copies of some of them with typing errors, nicknames, swapped day and month, moves
 * and missing fields. Postcodes are in fictional areas (ZZ, ZY, ...), more of them for larger populations.
 */
export function generatePeople(opts: SynthOptions): SynthRow[] {
  const random = mulberry32(opts.seed)
  const words = vocabulary(opts.people, random)
  const pick = <T>(a: T[]): T => a[Math.floor(random() * a.length)]
  const zipfPick = <T>(a: T[]): T => a[Math.min(a.length - 1, Math.floor(a.length * random() ** 2))]
  // Four in ten children have one of the commonest names; the rest share a long tail, some of it commoner than the rest.
  const surname = () => (random() < 0.4 ? zipfPick(SURNAMES) : words.surnames[Math.floor(words.surnames.length * random() ** 1.5)])
  const forename = (isMale: boolean) => (random() < 0.6
    ? zipfPick(isMale ? FORENAMES_M : FORENAMES_F)
    : pick(isMale ? words.forenamesM : words.forenamesF))
  const home = () => ({ postcode: fictionalPostcode(words.districts, random), address: fictionalAddress(random) })
  const dob = () => new Date(Date.UTC(2010, 0, 1) + Math.floor(random() * 12 * 365) * 86_400_000)
  const people: SynthRow[] = []
  while (people.length < opts.people) {
    const family = surname()
    const house = home()
    const size = 1 + Math.floor(random() * random() * 3.5)
    const firstBorn = dob()
    const named = new Set<string>()
    for (let k = 0; k < size && people.length < opts.people; k++) {
      const twin = k > 0 && random() < 0.1
      const born = twin ? firstBorn : dob()
      const isMale = random() < 0.5
      // Parents do not give two of their children one name.
      let name = forename(isMale)
      while (named.has(name)) name = forename(isMale)
      named.add(name)
      const n = people.length
      const nhs9 = String(400_000_000 + n * 7).padStart(9, '0')
      const check = nhsCheckDigit(nhs9)
      people.push({
        id: `R${n + 1}`, person_id: `P${n + 1}`, forename: name, surname: family,
        date_of_birth: born.toISOString().slice(0, 10), sex: isMale ? 'M' : 'F', postcode: house.postcode, address: house.address,
        nhs_number: check === 10 ? '' : `${nhs9}${check}`, upn: `Z${pad(n, 11)}${'ABCDEFGH'[n % 8]}`,
      })
    }
  }
  return people
}

const UNIT_LETTERS = [...'ABDEFGHJLNPQRSTUWXYZ']

/** A postcode in one of `districts` fictional districts (99 to an area), ten sectors each. */
function fictionalPostcode(districts: number, random: () => number): string {
  const d = Math.floor(random() * districts)
  const letter = () => UNIT_LETTERS[Math.floor(random() * UNIT_LETTERS.length)]
  return `${AREAS[Math.floor(d / 99) % AREAS.length]}${1 + (d % 99)} ${Math.floor(random() * 10)}${letter()}${letter()}`
}

function fictionalAddress(random: () => number): string {
  const pick = <T>(a: T[]): T => a[Math.floor(random() * a.length)]
  return `${1 + Math.floor(random() * 200)} ${pick(STREET_STEMS)} ${pick(STREET_TYPES)}`
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
  if (hit()) {
    // A mistyped postcode: the district and sector kept, the unit's letters wrong.
    const letters = UNIT_LETTERS.filter((c) => c !== r.postcode.at(-1))
    r.postcode = `${r.postcode.slice(0, -1)}${letters[Math.floor(random() * letters.length)]}`
  }
  if (random() < rate / 2) {
    // A move: the other source has the new home, postcode and address both.
    const area = /^[A-Z]+/.exec(r.postcode)?.[0] ?? 'ZZ'
    r.postcode = fictionalPostcode(99, random).replace(/^[A-Z]+/, area)
    r.address = fictionalAddress(random)
  }
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
