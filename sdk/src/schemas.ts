// `@liverelay/sdk/schemas`: kept for code written against 0.1; the schemas live in @liverelay/api.
export * from "@liverelay/api";
