const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** Ids in URLs are checked before they reach SQL, so a mistyped address is a 404, not a database error. */
export const isUuid = (value: unknown): value is string => typeof value === 'string' && UUID.test(value)
