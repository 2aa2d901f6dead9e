import { sql } from 'kysely'
import type { Db } from './db.ts'
import { sha256 } from './crypto.ts'

export type AuditActor = { laId: string; userId: string | null; label: string; ip: string | null }
export type AuditDetails = Record<string, string | number | boolean | null>
export type AuditEntry = {
  action: string
  recordType?: string
  recordId?: string
  reason?: string
  details?: AuditDetails
}

const GENESIS = 'genesis'

type ChainFields = {
  laId: string
  seq: number
  occurredAt: Date
  actorUserId: string | null
  actorLabel: string
  action: string
  recordType: string | null
  recordId: string | null
  ip: string | null
  reason: string | null
  details: string
}

export function hashEntry(prevHash: string, f: ChainFields): string {
  const canonical = JSON.stringify([
    f.laId, f.seq, f.occurredAt.toISOString(), f.actorUserId, f.actorLabel, f.action,
    f.recordType, f.recordId, f.ip, f.reason, f.details,
  ])
  return sha256(`${prevHash}\n${canonical}`)
}

const canonicalDetails = (details: AuditDetails | undefined): string =>
  JSON.stringify(Object.fromEntries(Object.entries(details ?? {}).sort(([a], [b]) => a.localeCompare(b))))

/**
 * Appends one entry to the LA's audit chain. Call it inside the transaction that makes the change,
 * so the record and its audit entry commit or roll back together.
 */
export async function recordAudit(tx: Db, actor: AuditActor, entry: AuditEntry, now: Date): Promise<void> {
  await sql`insert into audit_chain_head (local_authority_id, last_seq, last_hash)
    values (${actor.laId}, 0, ${GENESIS}) on conflict (local_authority_id) do nothing`.execute(tx)
  const { rows } = await sql<{ lastSeq: string; lastHash: string }>`
    select last_seq as "lastSeq", last_hash as "lastHash" from audit_chain_head
    where local_authority_id = ${actor.laId} for update`.execute(tx)
  const head = rows[0]
  if (!head) throw new Error('The audit chain head is not visible to this transaction')
  const fields: ChainFields = {
    laId: actor.laId,
    seq: Number(head.lastSeq) + 1,
    occurredAt: now,
    actorUserId: actor.userId,
    actorLabel: actor.label,
    action: entry.action,
    recordType: entry.recordType ?? null,
    recordId: entry.recordId ?? null,
    ip: actor.ip,
    reason: entry.reason ?? null,
    details: canonicalDetails(entry.details),
  }
  const hash = hashEntry(head.lastHash, fields)
  await sql`insert into audit_event (local_authority_id, seq, occurred_at, actor_user_id, actor_label, action,
      record_type, record_id, ip, reason, details, prev_hash, hash)
    values (${fields.laId}, ${fields.seq}, ${fields.occurredAt}, ${fields.actorUserId}, ${fields.actorLabel},
      ${fields.action}, ${fields.recordType}, ${fields.recordId}, ${fields.ip}, ${fields.reason}, ${fields.details},
      ${head.lastHash}, ${hash})`.execute(tx)
  await sql`update audit_chain_head set last_seq = ${fields.seq}, last_hash = ${hash}
    where local_authority_id = ${actor.laId}`.execute(tx)
}

export type ChainReport = { laId: string; laName: string; entries: number; problems: string[] }

type StoredEntry = Omit<ChainFields, 'seq'> & { seq: string; prevHash: string; hash: string }

/** Recomputes every LA's chain from the start. Runs as the owner: it must see every LA. */
export async function verifyAuditChains(db: Db): Promise<ChainReport[]> {
  const { rows: authorities } = await sql<{ id: string; name: string; lastSeq: string | null; lastHash: string | null }>`
    select la.id, la.name, h.last_seq as "lastSeq", h.last_hash as "lastHash"
    from local_authority la left join audit_chain_head h on h.local_authority_id = la.id order by la.name`.execute(db)
  const reports: ChainReport[] = []
  for (const la of authorities) {
    const problems: string[] = []
    let expectedSeq = 1
    let prevHash = GENESIS
    let count = 0
    const pageSize = 5000
    for (let after = 0; ; ) {
      const { rows } = await sql<StoredEntry>`
        select local_authority_id as "laId", seq, occurred_at as "occurredAt", actor_user_id as "actorUserId",
          actor_label as "actorLabel", action, record_type as "recordType", record_id as "recordId", ip, reason,
          details, prev_hash as "prevHash", hash
        from audit_event where local_authority_id = ${la.id} and seq > ${after} order by seq limit ${pageSize}`.execute(db)
      for (const row of rows) {
        const seq = Number(row.seq)
        if (seq !== expectedSeq) problems.push(`entries ${expectedSeq} to ${seq - 1} are missing (deleted)`)
        if (row.prevHash !== prevHash) problems.push(`entry ${seq} does not follow the entry before it`)
        if (hashEntry(row.prevHash, { ...row, seq }) !== row.hash) problems.push(`entry ${seq} has been changed`)
        prevHash = row.hash
        expectedSeq = seq + 1
        count++
      }
      if (rows.length < pageSize) break
      after = Number(rows[rows.length - 1].seq)
    }
    const headSeq = la.lastSeq === null ? 0 : Number(la.lastSeq)
    if (headSeq !== expectedSeq - 1) problems.push(`the chain should end at entry ${headSeq} but ends at ${expectedSeq - 1} (entries removed from the end)`)
    else if (headSeq > 0 && la.lastHash !== prevHash) problems.push(`the last entry does not match the recorded end of the chain`)
    reports.push({ laId: la.id, laName: la.name, entries: count, problems })
  }
  return reports
}
