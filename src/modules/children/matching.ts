import { sql } from 'kysely'
import type { Db } from '../../platform/db.ts'

// Every intake is compared with the children the LA already knows, so that one child does not get
// two records. Identifiers decide first; otherwise names (trigram similarity, which tolerates
// spelling variants such as Jayden/Jaden), date of birth and postcode are weighed together. The
// officer sees the candidates with their reasons and decides: nothing is ever merged silently.

export type MatchQuery = { forename: string; surname: string; dateOfBirth?: string | null; upn?: string | null; nhsNumber?: string | null; postcode?: string | null }

export type Match = {
  childId: string
  forename: string
  surname: string
  dateOfBirth: string | null
  upn: string | null
  openCaseId: string | null
  openCaseStatus: string | null
  strength: 'certain' | 'likely' | 'possible'
  reasons: string[]
}

type Row = {
  childId: string; forename: string; surname: string; dateOfBirth: string | null; upn: string | null
  upnMatch: boolean; nhsMatch: boolean; upnDiffers: boolean; nameSimilarity: number; dobMatch: boolean; dobSwapped: boolean; postcodeMatch: boolean
  openCaseId: string | null; openCaseStatus: string | null
}

/** Dates of birth often arrive with day and month swapped (US-style entry): 2012-05-04 for 2012-04-05. */
const swapped = (iso?: string | null) => {
  if (!iso) return null
  const [y, m, d] = iso.split('-')
  return Number(d) <= 12 && d !== m ? `${y}-${d}-${m}` : null
}

export async function findPossibleMatches(tx: Db, q: MatchQuery, limit = 5, o: { likelyOnly?: boolean } = {}): Promise<Match[]> {
  const name = `${q.forename} ${q.surname}`.trim().toLowerCase()
  // Without a postcode, only a shared identifier or date of birth can reach 'likely' (see score), and both are indexed.
  const candidates = o.likelyOnly && !q.postcode
    ? sql`ch.upn = ${q.upn ?? null} or ch.nhs_number = ${q.nhsNumber ?? null}
      or ch.date_of_birth = ${q.dateOfBirth ?? null}::date or ch.date_of_birth = ${swapped(q.dateOfBirth)}::date`
    : sql`ch.upn = ${q.upn ?? null} or ch.nhs_number = ${q.nhsNumber ?? null} or ${q.upn ?? null} = any(ch.former_upns)
      or exists (select 1 from child_alias a where a.local_authority_id = ch.local_authority_id and a.child_id = ch.id
        and lower(coalesce(a.forename, ch.forename) || ' ' || coalesce(a.surname, ch.surname)) % ${name})
      or ch.id in (select lantern_child_name_search(${name}))
      or (ch.date_of_birth = ${q.dateOfBirth ?? null}::date and lower(ch.surname) = ${q.surname.trim().toLowerCase()})`
  const { rows } = await sql<Row>`
    select ch.id as "childId", ch.forename, ch.surname, ch.date_of_birth::text as "dateOfBirth", ch.upn,
      coalesce(ch.upn = ${q.upn ?? null} or ${q.upn ?? null} = any(ch.former_upns), false) as "upnMatch",
      coalesce(ch.nhs_number = ${q.nhsNumber ?? null}, false) as "nhsMatch",
      coalesce(ch.upn <> ${q.upn ?? null} and not (${q.upn ?? null} = any(ch.former_upns)), false) as "upnDiffers",
      greatest(similarity(lower(ch.forename || ' ' || ch.surname), ${name}), coalesce((select max(similarity(lower(coalesce(a.forename, ch.forename) || ' ' || coalesce(a.surname, ch.surname)), ${name}))
        from child_alias a where a.local_authority_id = ch.local_authority_id and a.child_id = ch.id), 0)) as "nameSimilarity",
      coalesce(ch.date_of_birth = ${q.dateOfBirth ?? null}::date, false) as "dobMatch",
      coalesce(ch.date_of_birth = ${swapped(q.dateOfBirth)}::date, false) as "dobSwapped",
      (${q.postcode ?? null}::text is not null and exists (select 1 from child_address a
        where a.local_authority_id = ch.local_authority_id and a.child_id = ch.id and a.postcode = ${q.postcode ?? null})) as "postcodeMatch",
      oc.id as "openCaseId", oc.status as "openCaseStatus"
    from child ch
    left join lateral (select c.id, c.status from cme_case c where c.local_authority_id = ch.local_authority_id and c.child_id = ch.id
      and c.closed_at is null order by c.opened_at desc limit 1) oc on true
    where (${candidates}) and ch.merged_into is null
    -- A shared identifier is decisive: make sure such a child is never cut off by the limit.
    order by coalesce(ch.upn = ${q.upn ?? null} or ch.nhs_number = ${q.nhsNumber ?? null}, false) desc
    limit 200`.execute(tx)
  return rows.map(score).filter((m): m is Match & { score: number } => m !== null)
    .sort((a, b) => b.score - a.score).slice(0, limit).map(({ score: _score, ...m }) => m)
}

function score(r: Row): (Match & { score: number }) | null {
  const reasons: string[] = []
  let points = 0
  if (r.upnMatch) reasons.push('Same UPN')
  if (r.nhsMatch) reasons.push('Same NHS number')
  const sim = Number(r.nameSimilarity)
  if (sim >= 0.99) { reasons.push('Same name'); points += 3 } else if (sim >= 0.5) { reasons.push('Similar name'); points += 2 } else if (sim >= 0.3) { reasons.push('Partly similar name'); points += 1 }
  if (r.dobMatch) { reasons.push('Same date of birth'); points += 3 } else if (r.dobSwapped) { reasons.push('Date of birth with day and month swapped'); points += 1 }
  if (r.postcodeMatch) { reasons.push('Same postcode'); points += 2 }
  // Two different UPNs are two different pupils, unless one was wrongly recorded: keep it visible but weak.
  if (r.upnDiffers) { reasons.push('Different UPN'); points -= 3 }
  const base = { childId: r.childId, forename: r.forename, surname: r.surname, dateOfBirth: r.dateOfBirth, upn: r.upn, openCaseId: r.openCaseId, openCaseStatus: r.openCaseStatus, reasons }
  if (r.upnMatch || r.nhsMatch) return { ...base, strength: 'certain', score: 100 + points }
  if (points >= 5) return { ...base, strength: 'likely', score: points }
  if (points >= 2) return { ...base, strength: 'possible', score: points }
  return null
}
