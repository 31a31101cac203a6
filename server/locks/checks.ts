/**
 * Argument checks shared by both stores. A bad TTL or limit is a programming error (the HTTP
 * layer never passes user input here), so it throws a RangeError instead of an outcome.
 */

export function checkDocumentId(documentId: string): void {
  if (typeof documentId !== "string" || documentId.length === 0) {
    throw new RangeError("documentId must be a non-empty string");
  }
}

export function checkTtl(ttlMs: number): void {
  if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0) throw new RangeError(`ttlMs must be a positive integer, got ${ttlMs}`);
}

export function checkLimit(limit: number): void {
  if (!Number.isSafeInteger(limit) || limit <= 0) throw new RangeError(`limit must be a positive integer, got ${limit}`);
}

export function checkToken(token: number): void {
  if (!Number.isSafeInteger(token)) throw new RangeError(`token must be an integer, got ${token}`);
}
