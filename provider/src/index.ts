export { RelayTemplate, RELAY_TEMPLATE_TYPE, relayTemplateIdempotencyKey, type RelayTemplateArgs } from "./relay-template";
export { relayTemplateProvider, type RelayTemplateInputs, type RelayTemplateOutputs, type ProviderInputs } from "./provider";
