import { withTenant, type Db } from '../../platform/db.ts'
import { generateLink, type SynthRow } from '../linkage/synth.ts'
import { nhsNumberProblem, upnProblem } from '../children/identifiers.ts'
import * as q from '../no-roll/queries.ts'
import { LINK_THRESHOLD, processRun } from '../no-roll/service.ts'

// The demo LA's sources for finding children on no roll: a census roll and a GP list of the same
// generated town, with typing errors and some children on no roll, and one finished run, so the
// review queue has children in it from the first start. All generated and fictional.

const title = (s: string) => s.replace(/(^|[\s'-])([a-z])/g, (_, a: string, b: string) => a + b.toUpperCase())

function stored(rows: SynthRow[], side: 'roll' | 'gp' | 'csc'): q.StoredRecord[] {
  const prefix = { roll: 'CEN', gp: 'GP', csc: 'CSC' }[side]
  return rows.filter((r) => r.date_of_birth).map((r, i) => ({
    rowNo: i + 1, recordRef: `${prefix}-${r.id}`, forename: title(r.forename), surname: title(r.surname), dateOfBirth: r.date_of_birth,
    sex: r.sex || null, postcode: r.postcode || null, address: side === 'roll' ? null : title(r.address) || null,
    nhsNumber: side !== 'roll' && r.nhs_number && !nhsNumberProblem(r.nhs_number) ? r.nhs_number : null,
    // Children's social care records hold a child's UPN as well, so a run can check itself against them.
    upn: side !== 'gp' && r.upn && !upnProblem(r.upn) ? r.upn : null,
  }))
}

/** The demo LA's area: the generated town's districts ZZ1 to ZZ56; children in ZZ57 to ZZ60 live across the border. */
export const DEMO_AREA = Array.from({ length: 56 }, (_, i) => `ZZ${i + 1}`)

export async function seedDemoFinding(db: Db, laId: string, officerId: string, now: Date): Promise<void> {
  const { left, right } = generateLink({ people: 3000, duplicateRate: 0, errorRate: 0.05, seed: 42, overlap: 0.96 })
  const dataDate = new Date(now.getTime() - 30 * 86_400_000).toISOString().slice(0, 10)
  const runId = await withTenant(db, { laId, userId: officerId }, async (tx) => {
    const ids: string[] = []
    for (const [kind, sourceType, suppliedBy, records] of [
      ['roll', 'School census', 'Northmoor schools (autumn census)', stored(left, 'roll')],
      ['population', 'GP registrations', 'Northmoor primary care team', stored(right, 'gp')],
      // One child in eight on the GP list is known to children's social care.
      ['population', 'Children’s social care', 'Northmoor children’s services', stored(right.filter((_, i) => i % 8 === 0), 'csc')],
    ] as const) {
      const id = await q.insertSource(tx, laId, { kind, sourceType, dataDate, suppliedBy, filename: `${sourceType.toLowerCase().replace(/ /g, '-')}.csv`, format: 'csv', state: 'ready', payload: '', headers: [], uploadedBy: officerId, now })
      await q.insertRecords(tx, laId, id, records)
      await q.finishSource(tx, id, { state: 'ready', total: records.length, recordCount: records.length, rejections: [], now })
      ids.push(id)
    }
    await q.saveArea(tx, laId, { postcodes: DEMO_AREA, by: officerId, now })
    return q.insertRun(tx, laId, { referenceDate: now.toISOString().slice(0, 10), sourceIds: ids, threshold: LINK_THRESHOLD, by: officerId, now })
  })
  await processRun(db, laId, runId, () => now)
}
