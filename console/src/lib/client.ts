// The console's GraphQL transport: typed documents generated from schema.graphql, sent by
// their sha256 (persisted documents), with the document text only when the server does not
// know the hash (an API started without this build's manifest, e.g. during development).
import type { TypedDocumentString } from "../gql/graphql";

export const ENDPOINT = "/graphql";

export interface GraphQLError {
  message: string;
  path?: readonly (string | number)[];
  extensions?: { code?: string; [key: string]: unknown };
}

export interface Result<T> {
  data: T | null;
  errors: GraphQLError[];
}

/** The credential was refused (HTTP 401): the console signs out. */
export class Unauthenticated extends Error {}

type Listener = () => void;
let token: string | null = null;
const unauthenticatedListeners = new Set<Listener>();

export function setToken(value: string | null): void {
  token = value;
}

export function onUnauthenticated(listener: Listener): () => void {
  unauthenticatedListeners.add(listener);
  return () => unauthenticatedListeners.delete(listener);
}

export function hashOf(document: TypedDocumentString<unknown, unknown>): string | undefined {
  const hash: unknown = document.__meta__?.hash;
  return typeof hash === "string" ? hash.replace(/^sha256:/, "") : undefined;
}

function operationName(text: string): string | undefined {
  return /\b(?:query|mutation|subscription)\s+(\w+)/.exec(text)?.[1];
}

async function post(body: object, credential: string | null): Promise<Response> {
  const headers: Record<string, string> = { "Content-Type": "application/json" };
  if (credential) headers.Authorization = `Bearer ${credential}`;
  return fetch(ENDPOINT, { method: "POST", headers, body: JSON.stringify(body) });
}

async function read<T>(response: Response): Promise<Result<T>> {
  let body: { data?: T | null; errors?: GraphQLError[] };
  try {
    body = (await response.json()) as typeof body;
  } catch {
    return {
      data: null,
      errors: [{ message: `The API answered ${response.status} without JSON.` }],
    };
  }
  return { data: body.data ?? null, errors: body.errors ?? [] };
}

export interface ExecuteOptions {
  /** Another credential than the signed-in one (sign-in itself, or a token being tried). */
  token?: string | null;
}

export async function execute<TResult, TVariables>(
  document: TypedDocumentString<TResult, TVariables>,
  variables: TVariables,
  options: ExecuteOptions = {},
): Promise<Result<TResult>> {
  const credential = options.token !== undefined ? options.token : token;
  const text = document.toString();
  const base = { operationName: operationName(text), variables: variables ?? {} };
  const hash = hashOf(document as TypedDocumentString<unknown, unknown>);
  let response: Response;
  if (hash !== undefined) {
    const persisted = { ...base, extensions: { persistedQuery: { version: 1, sha256Hash: hash } } };
    response = await post(persisted, credential);
    const first = await read<TResult>(response.clone());
    if (first.errors[0]?.extensions?.code === "PERSISTED_QUERY_NOT_FOUND") {
      response = await post({ ...base, query: text }, credential);
    }
  } else {
    response = await post({ ...base, query: text }, credential);
  }
  if (response.status === 401 && credential) {
    if (options.token === undefined) unauthenticatedListeners.forEach((listener) => listener());
    throw new Unauthenticated("The credential was refused.");
  }
  return read<TResult>(response);
}
