import { useCallback, useEffect, useState } from "react";
import type { TypedDocumentString } from "../gql/graphql";
import { execute, type GraphQLError } from "./client";

export interface QueryState<T> {
  data: T | null;
  errors: GraphQLError[];
  loading: boolean;
  refetch: () => void;
}

/** One request per change of variables; the latest answer wins. */
export function useQuery<TResult, TVariables>(
  document: TypedDocumentString<TResult, TVariables>,
  variables: TVariables,
  { skip = false }: { skip?: boolean } = {},
): QueryState<TResult> {
  const key = JSON.stringify(variables);
  const [state, setState] = useState<{ data: TResult | null; errors: GraphQLError[] }>({
    data: null,
    errors: [],
  });
  const [loading, setLoading] = useState(!skip);
  const [generation, setGeneration] = useState(0);
  const refetch = useCallback(() => setGeneration((value) => value + 1), []);

  useEffect(() => {
    if (skip) return;
    let current = true;
    setLoading(true);
    execute(document, JSON.parse(key) as TVariables).then(
      (result) => {
        if (!current) return;
        setState(result);
        setLoading(false);
      },
      (error: unknown) => {
        if (!current) return;
        setState({ data: null, errors: [{ message: String(error) }] });
        setLoading(false);
      },
    );
    return () => {
      current = false;
    };
  }, [document, key, skip, generation]);

  return { ...state, loading, refetch };
}
