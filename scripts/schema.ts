/** `npm run schema`: writes schema/bindings.schema.json from the zod schema (a test checks it is current). */
import { mkdirSync, writeFileSync } from "node:fs";
import { bindingsJsonSchemaText } from "../src/config/json-schema";

mkdirSync("schema", { recursive: true });
writeFileSync("schema/bindings.schema.json", bindingsJsonSchemaText());
console.log("schema/bindings.schema.json written");
