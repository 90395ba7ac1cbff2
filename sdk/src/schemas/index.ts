export * from "./common";
export * from "./destination-url";
export * from "./relay-templates";
export * from "./relays";
export * from "./media";
