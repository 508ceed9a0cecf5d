// @vitest-environment node
// Checks over every document the console sends (the persisted-documents manifest), against
// the API's schema.graphql: valid, master-only fields asked for only under @include(if: $master),
// every mutation dry-runnable and idempotent, every list read one page with keyset paging.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import {
  buildSchema,
  getNamedType,
  isObjectType,
  parse,
  TypeInfo,
  validate,
  visit,
  visitWithTypeInfo,
  type DirectiveNode,
  type OperationDefinitionNode,
} from "graphql";
import { describe, expect, it } from "vitest";
import manifest from "../gql/persisted-documents.json";

const schema = buildSchema(readFileSync(new URL("../../../schema.graphql", import.meta.url), "utf8"));
const hashes = Object.entries(manifest as Record<string, string>);
// [operation name, text], for readable test names.
const documents = hashes.map(([, text]) => [operation(text).name?.value ?? "?", text] as const);
// Sign-in and sign-out change nothing an operator would preview.
const WITHOUT_DRY_RUN = new Set(["SessionCreate", "SessionRevoke"]);

// A document is one operation, followed or preceded by the shared fragments it spreads.
function operation(text: string): OperationDefinitionNode {
  const operations = parse(text).definitions.filter(
    (definition): definition is OperationDefinitionNode => definition.kind === "OperationDefinition",
  );
  if (operations.length !== 1) throw new Error(`${operations.length} operations in one document`);
  return operations[0];
}

function guardedByMaster(directives: readonly DirectiveNode[] | undefined): boolean {
  return (directives ?? []).some(
    (directive) =>
      directive.name.value === "include" &&
      directive.arguments?.some(
        (argument) => argument.value.kind === "Variable" && argument.value.name.value === "master",
      ),
  );
}

describe("the console's documents", () => {
  it("exist", () => {
    expect(documents.length).toBeGreaterThan(20);
  });

  it.each(hashes)("%s is the sha256 of its text", (key, text) => {
    expect(key).toBe(`sha256:${createHash("sha256").update(text).digest("hex")}`);
  });

  it.each(documents)("%s is valid against schema.graphql", (_, text) => {
    expect(validate(schema, parse(text)).map((error) => error.message)).toEqual([]);
  });

  it.each(documents)("%s asks for master-only fields only under @include(if: $master)", (_, text) => {
    const info = new TypeInfo(schema);
    const unguarded: string[] = [];
    const guards: boolean[] = [];
    visit(
      parse(text),
      visitWithTypeInfo(info, {
        Field: {
          enter(node) {
            const parent = info.getParentType();
            const definition = info.getFieldDef();
            const guarded = guards.includes(true) || guardedByMaster(node.directives);
            const master = definition?.astNode?.directives?.some((d) => d.name.value === "isMaster") ?? false;
            const root = parent === schema.getQueryType() || parent === schema.getMutationType();
            // A master-only root field may stand unguarded in a document only a master's
            // screen sends (the screen itself is hidden from others by the same directive);
            // below a master-only field, everything is read by a master.
            if (master && !guarded && !root && parent) unguarded.push(`${parent.name}.${node.name.value}`);
            guards.push(guarded || master);
          },
          leave() {
            guards.pop();
          },
        },
      }),
    );
    expect(unguarded).toEqual([]);
  });

  it.each(documents.filter(([, text]) => operation(text).operation === "mutation"))(
    "%s takes dryRun and idempotencyKey",
    (_, text) => {
      const definition = operation(text);
      const variables = (definition.variableDefinitions ?? []).map((v) => v.variable.name.value);
      expect(variables).toContain("idempotencyKey");
      if (!WITHOUT_DRY_RUN.has(definition.name?.value ?? "")) expect(variables).toContain("dryRun");
    },
  );

  it.each(documents.filter(([, text]) => operation(text).operation === "query"))(
    "%s reads each root connection one page at a time, after a cursor",
    (_, text) => {
      const definition = operation(text);
      const query = schema.getQueryType()!;
      for (const selection of definition.selectionSet.selections) {
        if (selection.kind !== "Field") continue;
        const type = getNamedType(query.getFields()[selection.name.value].type);
        if (!isObjectType(type) || !type.name.endsWith("Connection")) continue;
        const args = (selection.arguments ?? []).map((argument) => argument.name.value);
        expect(args).toEqual(expect.arrayContaining(["first", "after"]));
        const inner = selection.selectionSet?.selections ?? [];
        const pageInfo = inner.find((s) => s.kind === "Field" && s.name.value === "pageInfo");
        expect(pageInfo, `${selection.name.value} selects pageInfo`).toBeDefined();
      }
    },
  );
});
