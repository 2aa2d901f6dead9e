import { Kysely, PostgresDialect, sql } from 'kysely'
import pg from 'pg'
import type { PGlite } from '@electric-sql/pglite'

// We write SQL with Kysely's `sql` tag and declare row types beside each query, so the
// typed query builder's schema type would add nothing; `any` here is deliberate.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Db = Kysely<any>

export type Database = {
  db: Db
  kind: 'pglite' | 'postgres'
  /** The same pool Kysely uses: pg-boss must share it, or on PGlite it would run inside a request's transaction. */
  pool: pg.Pool
  pglite?: PGlite
  close(): Promise<void>
}

export type DatabaseOptions =
  | { kind: 'postgres'; url: string; max?: number }
  | { kind: 'pglite'; dataDir: string | null; loadDataDir?: Blob }

/** The role every request runs as: not a superuser, not the table owner, so row-level security applies. */
export const APP_ROLE = 'lantern_app'

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.kind === 'postgres') {
    const pool = new pg.Pool({ connectionString: options.url, max: options.max ?? 10 })
    pool.on('error', () => {
      // An idle client lost its connection; pg.Pool replaces it. Logged by the caller's health check.
    })
    const db = new Kysely({ dialect: new PostgresDialect({ pool }) })
    return { db, kind: 'postgres', pool, close: () => db.destroy() }
  }
  const { PGlite } = await import('@electric-sql/pglite')
  const { pg_trgm } = await import('@electric-sql/pglite/contrib/pg_trgm')
  const { fuzzystrmatch } = await import('@electric-sql/pglite/contrib/fuzzystrmatch')
  const { createPgConfig } = await import('@electric-sql/pglite/node-postgres')
  const pglite = await PGlite.create(options.dataDir ?? undefined, {
    extensions: { pg_trgm, fuzzystrmatch },
    loadDataDir: options.loadDataDir,
  })
  // PGlite is one session: a pool bigger than one interleaves transactions and corrupts them.
  const pool = new pg.Pool({ ...(createPgConfig(pglite) as pg.PoolConfig), max: 1 })
  const db = new Kysely({ dialect: new PostgresDialect({ pool }) })
  let closed = false
  return {
    db,
    kind: 'pglite',
    pool,
    pglite,
    async close() {
      if (closed) return
      closed = true
      await db.destroy()
      await pglite.close()
    },
  }
}

export type TenantContext = { laId: string; userId?: string | null }

/**
 * Runs fn in one transaction as the application role with the Local Authority set for this
 * transaction only. Row-level security then hides every other LA's rows, whatever the query says.
 */
export function withTenant<T>(db: Db, ctx: TenantContext, fn: (tx: Db) => Promise<T>): Promise<T> {
  return db.transaction().execute(async (tx) => {
    await sql`select set_config('role', ${APP_ROLE}, true), set_config('lantern.la_id', ${ctx.laId}, true),
      set_config('lantern.user_id', ${ctx.userId ?? ''}, true)`.execute(tx)
    return fn(tx)
  })
}

/** The application role with no Local Authority: it can see no tenant rows, only call the narrow sign-in lookups. */
export function withNoTenant<T>(db: Db, fn: (tx: Db) => Promise<T>): Promise<T> {
  return db.transaction().execute(async (tx) => {
    await sql`select set_config('role', ${APP_ROLE}, true)`.execute(tx)
    return fn(tx)
  })
}

/**
 * The owner's connection, for trusted system work with no user behind it: migrations, the
 * command line, background jobs that serve every LA. Never call this from a request handler.
 */
export function withSystem<T>(db: Db, fn: (tx: Db) => Promise<T>): Promise<T> {
  return db.transaction().execute(fn)
}

/**
 * Runs `fn` once for each LA, each in a transaction of that LA's own tenancy, and adds up what it
 * returns. For scheduled work that serves every LA: one LA's rows are never visible to another's run.
 */
export async function sumOverAuthorities(db: Db, fn: (laId: string, tx: Db) => Promise<number>): Promise<number> {
  const las = await withSystem(db, async (tx) => (await sql<{ id: string }>`select id from local_authority order by id`.execute(tx)).rows)
  let total = 0
  for (const la of las) total += await withTenant(db, { laId: la.id }, (tx) => fn(la.id, tx))
  return total
}
