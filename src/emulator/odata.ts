/**
 * The small part of OData that Run History queries use, shared by runs and metrics: filters of
 * `<field> eq|ne '<value>'` joined by `and`, and continuation tokens that carry an offset.
 */
import { HttpError } from './http-util';

/** `Status eq 'Running' and Target eq 'local'` over `fields` (names compared case-insensitively). */
export function parseFilter<T>(filter: string | undefined, fields: Record<string, (item: T) => string | undefined>): (item: T) => boolean {
  if (!filter || !filter.trim()) return () => true;
  const clauses = filter.split(/\s+and\s+/i).map((clause) => {
    const match = /^\s*(\w+)\s+(eq|ne)\s+'((?:[^']|'')*)'\s*$/i.exec(clause);
    const field = match && fields[match[1].toLowerCase()];
    if (!match || !field) {
      throw new HttpError(
        400,
        'ValidationError',
        `The filter ${JSON.stringify(clause.trim())} is not supported: use <field> eq '<value>' with ${Object.keys(fields).join(', ')}, joined by and`,
        { target: 'filter' },
      );
    }
    const value = match[3].replace(/''/g, "'");
    const equal = match[2].toLowerCase() === 'eq';
    return (item: T) => (field(item) === value) === equal;
  });
  return (item) => clauses.every((clause) => clause(item));
}

export function encodeToken(offset: number): string {
  return Buffer.from(`offset:${offset}`).toString('base64url');
}

export function decodeToken(token: string | undefined): number {
  if (!token) return 0;
  const offset = Number(
    Buffer.from(token, 'base64url')
      .toString('utf8')
      .replace(/^offset:/, ''),
  );
  if (!Number.isInteger(offset) || offset < 0) throw new HttpError(400, 'ValidationError', 'The continuation token is not valid', { target: 'continuationToken' });
  return offset;
}

/** One page of `items` from the token's offset, with the next token (and link) when more remain. */
export function pageOf<T, U>(items: T[], token: string | undefined, size: number, toJson: (item: T) => U, nextLink?: (token: string) => string) {
  const offset = decodeToken(token);
  const value = items.slice(offset, offset + size).map(toJson);
  const next = offset + value.length;
  const result: { value: U[]; continuationToken?: string; nextLink?: string } = { value };
  if (next < items.length) {
    result.continuationToken = encodeToken(next);
    if (nextLink) result.nextLink = nextLink(result.continuationToken);
  }
  return result;
}
