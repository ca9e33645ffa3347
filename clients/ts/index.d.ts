// Every service's types, one namespace each (written by `make generate`).

export * as partners from "./partners";
export * as funding from "./funding";
export * as techtransfer from "./techtransfer";
export * as notifications from "./notifications";
