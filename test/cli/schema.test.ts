import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { bindingsJsonSchema, bindingsJsonSchemaText } from "../../src/config/json-schema";
import { BindingSchema } from "../../src/config/schema";

const committed = path.resolve(import.meta.dirname, "../../schema/bindings.schema.json");

describe("schema/bindings.schema.json", () => {
  it("is what `npm run schema` generates from the zod schema now", () => {
    expect(readFileSync(committed, "utf8"), "run npm run schema and commit the result").toBe(
      bindingsJsonSchemaText(),
    );
  });

  it("describes every binding field, requires the four ids and rejects unknown keys", () => {
    const schema = bindingsJsonSchema() as {
      type: string;
      minItems: number;
      items: {
        properties: Record<string, { description?: string }>;
        required: string[];
        additionalProperties: boolean;
      };
    };
    expect(schema).toMatchObject({ type: "array", minItems: 1 });
    expect(Object.keys(schema.items.properties).sort()).toEqual(Object.keys(BindingSchema().shape).sort());
    for (const [field, property] of Object.entries(schema.items.properties)) {
      expect(property.description, field).toBeTruthy();
    }
    expect(schema.items.required.sort()).toEqual([
      "instance_id",
      "member_group_name",
      "scaling_group_id",
      "vpc_channel_id",
    ]);
    expect(schema.items.additionalProperties).toBe(false);
  });
});
