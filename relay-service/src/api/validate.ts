import type { z } from "zod";
import { badRequest } from "./errors";

/** Parses input with a route schema and turns the first problem into a 400 naming the field. */
export function validate<T>(schema: z.ZodType<T>, input: unknown, where: "body" | "query" | "path"): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (issue.code === "unrecognized_keys") {
    const keys = issue.keys;
    return fail(`unknown ${where === "body" ? "field" : "parameter"}${keys.length > 1 ? "s" : ""}: ${keys.join(", ")}`, keys[0]);
  }
  const field = issue.path.map(String).join(".") || undefined;
  if (issue.code === "invalid_type" && issue.path.length === 0) return fail(`${where} must be a JSON object`);
  if (issue.code === "invalid_type" && field && /received undefined/.test(issue.message)) return fail(`${field} is required`, field);
  const message = issue.message.startsWith(field ?? "\u0000") || !field ? issue.message : `${field}: ${issue.message}`;
  return fail(message, field);
}

function fail(message: string, field?: string): never {
  throw badRequest(message, field);
}
